"""A scanned PDF's pages drawn as images, by PDFium (pypdfium2), in a process of their own.

A PDF's cost is not its size: 491 KB of stroked lines took PDFium 14 s to draw at 2048 pixels,
4,875 KB took 118 s, and a few bytes can declare an image of a billion pixels. Signals cannot stop
PDFium inside a call, so the pages are drawn by a child process under a wall-clock limit and an
address-space limit (POSIX), and killed past either; the parent gets raw pixels back and goes on
as with any other image. One child for the whole document, so that its limits are the
document's: more pages never buy more time.

    python -m digitrec.reading.pdf BYTES MOST < document.pdf > pixels   (what the parent runs)
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
"""Pages are drawn at this resolution, or lower where they would pass MAX_SIDE: 300 dpi is a
scanner's own for handwriting, and an A4 page fits MAX_SIDE at 175."""

PDF_SECONDS = 10.0
"""Wall-clock seconds the child may take for the whole document, start-up (about 0.2 s) included."""

PDF_MEMORY = 1 << 30
"""Bytes of address space the child may map (POSIX). Drawing the hostile PDFs of
benchmarks/bench_hostile.py peaked at 25-170 MB resident; a few bytes can ask for far more."""

_REFUSED = 3
"""The child's exit status for a PDF it was right to refuse; its message is on stderr."""


def pages(data: bytes, name: str, most: int) -> tuple[list[Image.Image], int]:
    """The PDF's pages as RGB images, and how many it has; none are drawn when it has more than
    most. An ImageError says why a PDF cannot be drawn."""
    package = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "digitrec.reading.pdf", str(PDF_MEMORY), str(most)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=PDF_SECONDS, env=env)
    except subprocess.TimeoutExpired:
        raise ImageError(f"{name}: the PDF took over {PDF_SECONDS:g} s to draw; refused") from None
    if done.returncode == _REFUSED:
        raise ImageError(f"{name}: {done.stderr.decode(errors='replace').strip()}")
    if done.returncode:
        raise ImageError(f"{name}: PDFium failed on the PDF (status {done.returncode}; drawing it may need more than {PDF_MEMORY >> 20} MiB); refused")
    out = memoryview(done.stdout)
    count, at = _line(out, 0)
    drawn = []
    while at < len(out):
        (width, height), at = _line(out, at)
        drawn.append(Image.frombytes("RGB", (width, height), out[at : at + 3 * width * height]))
        at += 3 * width * height
    return drawn, count[0]


def _line(out: memoryview, at: int) -> tuple[list[int], int]:
    """The numbers on the header line at `at`, and where the bytes after it start."""
    end = bytes(out[at : at + 64]).index(b"\n")
    return [int(n) for n in bytes(out[at : at + end]).split()], at + end + 1


def _refuse(message: str) -> NoReturn:
    sys.stderr.write(message)
    sys.exit(_REFUSED)


def main() -> None:
    """The child: a PDF on stdin; on stdout "PAGES\\n", then, unless there are more than MOST,
    "WIDTH HEIGHT\\n" and RGB bytes for each page. It limits its own address space first (the
    parent may have threads, where a pre-exec hook is unsafe)."""
    if os.name == "posix":
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]),) * 2)
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(sys.stdin.buffer.read())
    except pdfium.PdfiumError as e:
        _refuse(f"the PDF cannot be opened ({str(e).strip()})")
    if len(pdf) < 1:
        _refuse("the PDF has no pages")
    out = sys.stdout.buffer
    out.write(f"{len(pdf)}\n".encode())
    if len(pdf) > int(sys.argv[2]):
        return
    for index in range(len(pdf)):
        which = f"page {index + 1}" if len(pdf) > 1 else "the PDF's page"
        sheet = pdf[index]
        width, height = sheet.get_size()  # points, 72 an inch, as the page is shown (its rotation applied)
        if min(width, height) <= 0:
            _refuse(f"{which} has no area ({width:g}x{height:g} points)")
        try:
            image = sheet.render(scale=min(PDF_DPI / 72, MAX_SIDE / max(width, height))).to_pil().convert("RGB")
        except pdfium.PdfiumError as e:
            _refuse(f"{which} cannot be drawn ({str(e).strip()})")
        out.write(f"{image.width} {image.height}\n".encode() + image.tobytes())
        sheet.close()


if __name__ == "__main__":
    main()
