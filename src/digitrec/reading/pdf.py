"""A scanned PDF's pages drawn as images, by PDFium (pypdfium2), each in a process of its own.

A PDF's cost is not its size: 491 KB of stroked lines took PDFium 14 s to draw at 2048 pixels,
4,875 KB took 118 s, and a few bytes can declare an image of a billion pixels. Signals cannot stop
PDFium inside a call, so each page is drawn by a child process under a wall-clock limit and an
address-space limit (POSIX), and killed past either; the parent gets raw pixels back and goes on
as with any other image. One child a page, not one for all: each page has the whole of both
limits, and a page that breaks them is named.

    python -m digitrec.reading.pdf BYTES PAGE < document.pdf > pixels   (what the parent runs)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

from PIL import Image

from ..constants import MAX_SIDE
from ..errors import ImageError

PDF_DPI = 300
"""The page is drawn at this resolution, or lower where it would pass MAX_SIDE: 300 dpi is a
scanner's own for handwriting, and an A4 page fits MAX_SIDE at 175."""

PDF_SECONDS = 10.0
"""Wall-clock seconds the child may take for one page, start-up (about 0.2 s) included."""

PDF_MEMORY = 1 << 30
"""Bytes of address space the child may map (POSIX). Drawing the hostile PDFs of
benchmarks/bench_hostile.py peaked at 25-170 MB resident; a few bytes can ask for far more."""

_REFUSED = 3
"""The child's exit status for a PDF it was right to refuse; its message is on stderr."""


def page(data: bytes, name: str, index: int = 0) -> tuple[Image.Image, int]:
    """Page index (from 0) of the PDF as an RGB image, and how many pages the PDF has; or an
    ImageError saying why not."""
    package = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package, os.environ.get("PYTHONPATH")]))}
    which = f"page {index + 1}" if index else "the PDF's page"
    command = [sys.executable, "-m", "digitrec.reading.pdf", str(PDF_MEMORY), str(index)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=PDF_SECONDS, env=env)
    except subprocess.TimeoutExpired:
        raise ImageError(f"{name}: {which} took over {PDF_SECONDS:g} s to draw; refused") from None
    if done.returncode == _REFUSED:
        raise ImageError(f"{name}: {done.stderr.decode(errors='replace').strip()}")
    if done.returncode:
        raise ImageError(f"{name}: PDFium failed on {which} (status {done.returncode}; drawing it may need more than {PDF_MEMORY >> 20} MiB); refused")
    header, pixels = done.stdout.split(b"\n", 1)
    width, height, count = map(int, header.split())
    return Image.frombytes("RGB", (width, height), pixels), count


def _refuse(message: str) -> NoReturn:
    sys.stderr.write(message)
    sys.exit(_REFUSED)


def main() -> None:
    """The child: a PDF on stdin, "WIDTH HEIGHT PAGES\\n" and the page's RGB bytes on stdout. It
    limits its own address space first (the parent may have threads, where a pre-exec hook is
    unsafe)."""
    if os.name == "posix":
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]),) * 2)
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(sys.stdin.buffer.read())
    except pdfium.PdfiumError as e:
        _refuse(f"the PDF cannot be opened ({str(e).strip()})")
    index = int(sys.argv[2])
    if len(pdf) < 1:
        _refuse("the PDF has no pages")
    sheet = pdf[index]
    width, height = sheet.get_size()  # points, 72 an inch, as the page is shown (its rotation applied)
    which = f"page {index + 1}" if len(pdf) > 1 else "the PDF's page"
    if min(width, height) <= 0:
        _refuse(f"{which} has no area ({width:g}x{height:g} points)")
    scale = min(PDF_DPI / 72, MAX_SIDE / max(width, height))
    try:
        image = sheet.render(scale=scale).to_pil().convert("RGB")
    except pdfium.PdfiumError as e:
        _refuse(f"{which} cannot be drawn ({str(e).strip()})")
    sys.stdout.buffer.write(f"{image.width} {image.height} {len(pdf)}\n".encode() + image.tobytes())


if __name__ == "__main__":
    main()
