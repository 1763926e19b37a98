"""What a scanned document of several pages costs: one A4 page, and ten, as a PDF (each page a
JPEG at 300 dpi, as a scanner writes one) and as a TIFF (LZW), read by whole `digitrec predict`
processes beside the same page as a PNG (the baseline: an image of one page).

Each page is A4 at 300 dpi (2480x3508) holding six numbers of 1 to 8 MNIST test digits, one to a
line (evaluation.pages, the same seed gives the same pages); the ten-page documents hold ten
different pages. A whole predict is the median of --runs, the files taking turns, so a busy
machine slows them alike (the first run compiles digitrec's bytecode, as installing it does:
baseline.running), and its peak the largest resident size of the process or of the child that
draws a PDF's pages (GNU time's).

    python benchmarks/bench_documents.py --data ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from baseline import REPO, running  # benchmarks/ is on the path when a script there runs
from digitrec.data import load_mnist
from digitrec.evaluation import pages

A4 = (2480, 3508)
"""An A4 page at 300 dpi, (width, height)."""


def sheet(digits: pages.Digits, rng: np.random.Generator) -> tuple[Image.Image, list[str]]:
    """A white A4 page with six handwritten numbers in its top left, and those numbers."""
    numbers = ["".join(str(d) for d in rng.integers(0, 10, int(rng.integers(1, 9)))) for _ in range(6)]
    written = pages.page(digits, [[n] for n in numbers], "plain", rng)
    page = np.full(A4[::-1], np.median(written.image), np.uint8)  # the written part's own paper
    page[200 : 200 + written.image.shape[0], 250 : 250 + written.image.shape[1]] = written.image
    return Image.fromarray(page), numbers


def predict(path: Path) -> tuple[float, float, dict]:
    """One whole `digitrec predict --json`: seconds, peak resident MiB, and its record. The peak
    comes from GNU time, which starts the process itself (a child forked from this process, which
    holds MNIST and the pages, would count their memory too); it is the larger of the reading
    process's and the PDF drawing child's."""
    with tempfile.NamedTemporaryFile("r") as report:
        start = time.perf_counter()
        command = ["/usr/bin/time", "-f", "%M", "-o", report.name, sys.executable, "-m", "digitrec", "predict", "--json", str(path)]
        done = subprocess.run(command, capture_output=True, check=True, env=running(REPO / "src"))
        seconds = time.perf_counter() - start
        peak = int(report.read().split()[-1]) / 1024
    return seconds, peak, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST (mnist.npz or the IDX folder): its test digits write the pages")
    parser.add_argument("--runs", type=int, default=3, help="whole processes, per file")
    args = parser.parse_args()
    mnist = load_mnist(args.data)
    digits, rng = pages.Digits(mnist.x_test, mnist.y_test), np.random.default_rng([0, 41])
    sheets = [sheet(digits, rng) for _ in range(10)]
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for fmt, suffix, options in (("PNG", ".png", {}), ("PDF", ".pdf", {"resolution": 300, "quality": 90}), ("TIFF", ".tiff", {"compression": "tiff_lzw"})):
            for count in (1, 10) if fmt != "PNG" else (1,):
                path = Path(tmp) / f"{count}-page{suffix}"
                first, *rest = (image.copy() for image, _ in sheets[:count])  # fresh: Pillow keeps a save's options on the image
                first.save(path, fmt, **options, **({"save_all": True, "append_images": rest} if rest else {}))
                files[(fmt, count)] = path
        runs: dict = {key: [] for key in files}
        for _ in range(args.runs):
            for key, path in files.items():
                runs[key].append(predict(path))
        print("| file | pages | size | whole `digitrec predict` | a page | peak resident | lines read exactly |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for (fmt, count), path in files.items():
            seconds = statistics.median(s for s, _, _ in runs[(fmt, count)])
            peak = max(p for _, p, _ in runs[(fmt, count)])
            record = runs[(fmt, count)][-1][2]
            lines = record.get("lines") or [record]
            truth = [(k + 1, n) for k in range(count) for n in sheets[k][1]]
            exact = sum((line.get("page") or 1, line["number"]) in truth for line in lines)
            name = f"{fmt} (baseline)" if fmt == "PNG" else fmt
            print(
                f"| {name} | {count} | {path.stat().st_size / 1024:,.0f} KiB | {seconds:.2f} s | {seconds / count:.2f} s | {peak:.0f} MiB | {exact} of {len(truth)} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
