"""Hostile images: time and peak memory of a whole `digitrec predict`, this tree against a baseline commit.

Each image is made here, 1-3 MB or a few hundred bytes, of the kinds that once cost minutes or
gigabytes: a thin ring, a grid, a fan of lines, a checkerboard and 3,844 small rings on 2048x2048
canvases, a pixel checkerboard (one mark with 716,800 holes), a strip of noise 5 px tall, a long
flat bar, a solid bar 16 px tall, a TIFF of 20,000 tiny pages, and an 8000x8000 RGBA PNG; three one-page
PDFs whose cost is not their size: a million stroked lines (4,875 KB), one path of a million
segments (76 KB), and a 30000x30000 image (854 KB); and ten pages of that path in one PDF, whose
pages share one time limit. Every image is read by a
fresh process (`python -m digitrec predict --model M IMAGE`), once with this tree's code and
once with the baseline's (a git worktree of --baseline, run from its own src/), each with a
time limit; the table gives wall seconds and peak resident memory (GNU time's maximum resident
set size; a process stopped at the limit has none).

    python benchmarks/bench_hostile.py --baseline bfc7de9
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from baseline import REPO, checkout, running


def images(folder: Path) -> dict[str, Path]:
    """The hostile images, written to folder."""
    made = {}

    def save(name: str, image: np.ndarray) -> None:
        made[name] = folder / f"{name}.png"
        cv2.imwrite(str(made[name]), image)

    canvas = lambda: np.full((2048, 2048), 255, np.uint8)  # noqa: E731
    ring = canvas()
    cv2.circle(ring, (1024, 1024), 900, 0, 3)
    save("thin ring 2048", ring)
    grid = canvas()
    for k in range(0, 2048, 64):
        grid[k : k + 2] = 0
        grid[:, k : k + 2] = 0
    save("grid 2048", grid)
    fan = canvas()
    for angle in np.linspace(0, np.pi, 90):
        cv2.line(fan, (1024, 2000), (int(1024 + 1900 * np.cos(angle)), int(2000 - 1900 * np.sin(angle))), 0, 2)
    save("fan of lines 2048", fan)
    yy, xx = np.mgrid[0:2048, 0:2048]
    save("checkerboard 2048", (((yy // 8 + xx // 8) % 2) * 255).astype(np.uint8))
    save("pixel checkerboard 2048x700", (((yy[:, :700] + xx[:, :700]) % 2) * 255).astype(np.uint8))  # one mark with 716,800 holes
    save("noise strip 5x2048", np.random.default_rng(0).integers(0, 256, (5, 2048), dtype=np.uint8))  # read as many long lines
    rings = canvas()
    for y in range(16, 2040, 33):
        for x in range(16, 2040, 33):
            cv2.circle(rings, (x, y), 5, 0, 2)
    save("lone rings 2048", rings)  # 3,844 marks (the layout takes 4,000), each a line of its own
    bar = np.full((300, 3000), 255, np.uint8)
    bar[130:170, 100:2900] = 0
    save("long bar 3000", bar)
    small = np.full((32, 128), 255, np.uint8)
    small[8:24, 8:120] = 0
    save("bar 16x112", small)
    tiny = [Image.fromarray(np.full((4, 4), 255, np.uint8)) for _ in range(20_000)]
    made["TIFF of 20,000 pages"] = folder / "pages-20000.tif"
    tiny[0].save(made["TIFF of 20,000 pages"], save_all=True, append_images=tiny[1:])
    big = Image.new("RGBA", (8000, 8000), (0, 0, 0, 0))
    ImageDraw.Draw(big).line([(2000, 2000), (6000, 2000), (3500, 6500)], fill=(0, 0, 0, 255), width=300)
    made["RGBA 8000x8000"] = folder / "rgba-8000.png"
    big.save(made["RGBA 8000x8000"], optimize=True)
    lines = b"".join(b"%d %d m %d %d l S\n" % (i % 600, i * 7 % 800, i * 13 % 600, i * 3 % 800) for i in range(1_000_000))
    path = b"0 0 m\n" + b"".join(b"%d %d l\n" % (i * 13 % 600, i * 3 % 800) for i in range(1_000_000)) + b"S\n"
    side = 30_000
    white = zlib.compressobj(9)
    pixels = b"".join(white.compress(b"\xff" * side) for _ in range(side)) + white.flush()
    image = b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (side, side, len(pixels), pixels)
    for name, content, extra, pages in [
        ("PDF: 1M stroked lines", lines, [], 1),
        ("PDF: one path of 1M segments", path, [], 1),
        (f"PDF: a {side}x{side} image", b"q 600 0 0 800 0 0 cm /Im0 Do Q", [image], 1),
        ("PDF: 10 pages, each that path", path, [], 10),
    ]:
        made[name] = folder / f"{name.split(': ')[1].replace(' ', '-').replace(',', '')}.pdf"
        made[name].write_bytes(pdf(content, extra, pages))
    return made


def pdf(content: bytes, extra: list[bytes], pages: int = 1) -> bytes:
    """A PDF of pages pages, 600x800 points each, all drawn by one content stream (Flate-compressed),
    extra objects from 5 0 R on (the first named /Im0 in the pages' resources)."""
    stream = zlib.compress(content, 9)
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800]%s /Contents 4 0 R >>" % (b" /Resources << /XObject << /Im0 5 0 R >> >>" if extra else b"")
    more = range(5 + len(extra), 4 + len(extra) + pages)  # the pages after the first
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in (3, *more)), pages),
        page,
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream),
        *extra,
        *(page for _ in more),
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    table = b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"xref\n0 %d\n0000000000 65535 f \n%strailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, table, len(objects) + 1, len(out))


def measure(src: Path, model: str, image: Path, limit: float) -> tuple[float, float, bool]:
    """(seconds, peak MB, finished) of one predict process running the code under src.

    The peak comes from GNU time, which starts the process itself: a child forked from this
    process would start its count at this process's own peak (the 8000x8000 image made here).
    """
    env = running(src)
    with tempfile.NamedTemporaryFile("r") as report:
        command = ["/usr/bin/time", "-f", "%M", "-o", report.name, sys.executable, "-m", "digitrec", "predict", "--model", model, str(image)]
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            process.wait(limit)
            finished = True
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            finished = False
        seconds = time.perf_counter() - start
        text = report.read().strip().splitlines()
    peak = float(text[-1]) / 1024 if text and text[-1].isdigit() else float("nan")
    return seconds, peak, finished


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="bfc7de9", help="the commit to compare with")
    parser.add_argument("--model", default="cnn", help="a model both trees ship")
    parser.add_argument("--limit", type=float, default=60, help="seconds before a run is stopped")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, checkout(args.baseline) as baseline:
        made = images(Path(tmp))
        print(f"model {args.model}; baseline {args.baseline}; each a whole `digitrec predict`, stopped after {args.limit:g} s\n")
        print("| image | file size | baseline s | baseline peak MB | now s | now peak MB |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, path in made.items():
            cells = []
            for src in (baseline / "src", REPO / "src"):
                seconds, peak, finished = measure(src, args.model, path, args.limit)
                cells += [f"{seconds:.2f}" if finished else f"> {args.limit:g} (stopped)", f"{peak:,.0f}"]
            print(f"| {name} | {path.stat().st_size / 1024:,.1f} KB | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
