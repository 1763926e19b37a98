"""A scanner's one-page PDF drawn as an image, by PDFium (pypdfium2), in a process of its own.

A PDF's cost is not its size: 491 KB of stroked lines took PDFium 14 s to draw at 2048 pixels,
4,875 KB took 118 s, and a few bytes can declare an image of a billion pixels. Signals cannot stop
PDFium inside a call, so the page is drawn by a child process under a wall-clock limit and an
address-space limit (POSIX), and killed past either; the parent gets raw pixels back and goes on
as with any other image.

    python -m digitrec.reading.pdf BYTES < page.pdf > pixels   (what the parent runs)
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
"""Wall-clock seconds the child may take, start-up (about 0.2 s) included."""

PDF_MEMORY = 1 << 30
"""Bytes of address space the child may map (POSIX). Drawing the hostile PDFs of
benchmarks/bench_hostile.py peaked at 25-170 MB resident; a few bytes can ask for far more."""

_REFUSED = 3
"""The child's exit status for a PDF it was right to refuse; its message is on stderr."""


def page(data: bytes, name: str) -> Image.Image:
    """The PDF's only page as an RGB image, or an ImageError saying why not."""
    package = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package, os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run([sys.executable, "-m", "digitrec.reading.pdf", str(PDF_MEMORY)], input=data, capture_output=True, timeout=PDF_SECONDS, env=env)
    except subprocess.TimeoutExpired:
        raise ImageError(f"{name}: the PDF's page took over {PDF_SECONDS:g} s to draw; refused") from None
    if done.returncode == _REFUSED:
        raise ImageError(f"{name}: {done.stderr.decode(errors='replace').strip()}")
    if done.returncode:
        raise ImageError(f"{name}: PDFium failed on the PDF's page (status {done.returncode}; drawing it may need more than {PDF_MEMORY >> 20} MiB); refused")
    header, pixels = done.stdout.split(b"\n", 1)
    width, height = map(int, header.split())
    return Image.frombytes("RGB", (width, height), pixels)


def _refuse(message: str) -> NoReturn:
    sys.stderr.write(message)
    sys.exit(_REFUSED)


def main() -> None:
    """The child: a PDF on stdin, "WIDTH HEIGHT\\n" and RGB bytes on stdout. It limits its own
    address space first (the parent may have threads, where a pre-exec hook is unsafe)."""
    if os.name == "posix":
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]),) * 2)
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(sys.stdin.buffer.read())
    except pdfium.PdfiumError as e:
        _refuse(f"the PDF cannot be opened ({str(e).strip()})")
    if len(pdf) != 1:
        _refuse(f"the PDF has {len(pdf)} pages; digitrec reads one page a file: split it first (for example qpdf --split-pages)")
    sheet = pdf[0]
    width, height = sheet.get_size()  # points, 72 an inch, as the page is shown (its rotation applied)
    if min(width, height) <= 0:
        _refuse(f"the PDF's page has no area ({width:g}x{height:g} points)")
    scale = min(PDF_DPI / 72, MAX_SIDE / max(width, height))
    try:
        image = sheet.render(scale=scale).to_pil().convert("RGB")
    except pdfium.PdfiumError as e:
        _refuse(f"the PDF's page cannot be drawn ({str(e).strip()})")
    sys.stdout.buffer.write(f"{image.width} {image.height}\n".encode() + image.tobytes())


if __name__ == "__main__":
    main()
