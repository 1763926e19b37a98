"""Batch throughput: one process, the local pool on every core, and Ray local, in one run.

Writes COUNT images from MNIST test digits to disk (once; reused if already there): single digits
in varied poses (scale, rotation, position, canvas size, polarity) and, one in five, numbers of
2 to 4 digits. Then times the whole `digitrec batch` command on them with each engine, checks
that the engines' rows agree, and prints images/s, the speed-up over one process, and what the
per-core scaling implies for a cluster.

    python benchmarks/bench_batch.py --data ../shared/data/mnist            # 100,000 images
    python benchmarks/bench_batch.py --count 2000 --single-count 1000       # a quick look

The single-process run reads the first --single-count images only (all of them by default),
since at one core it is the slow baseline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from digitrec.service.batch import read_output
from digitrec.data import load_mnist


def write_images(folder: Path, count: int, data: Path | None, seed: int = 0) -> None:
    done = folder / "COMPLETE"
    if done.is_file() and done.read_text() == f"{count} {seed}":
        return
    shutil.rmtree(folder, ignore_errors=True)
    x = load_mnist(data).x_test
    rng = np.random.default_rng(seed)
    start = time.monotonic()
    for i in range(count):
        n = 1 if rng.random() < 0.8 else int(rng.integers(2, 5))
        ink = _side_by_side([_posed(x[int(j)], rng) for j in rng.integers(0, len(x), n)], rng)
        side = int(rng.integers(48, 129))
        canvas = np.zeros((side, max(side, ink.shape[1] + 8)), np.uint8)
        top = int(rng.integers(0, side - ink.shape[0] + 1))
        left = int(rng.integers(0, canvas.shape[1] - ink.shape[1] + 1))
        canvas[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
        image = canvas if rng.random() < 0.2 else 255 - canvas  # mostly dark ink on light paper
        sub = folder / f"{i // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(sub / f"{i:06d}.png"), image)
    done.write_text(f"{count} {seed}")
    print(f"wrote {count:,} images to {folder} in {time.monotonic() - start:.0f} s", file=sys.stderr)


def _posed(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An MNIST digit rescaled and rotated, cropped to its ink with a margin."""
    scale, angle = rng.uniform(0.8, 1.6), rng.uniform(-20, 20)
    size = int(round(40 * scale))
    m = cv2.getRotationMatrix2D((14, 14), angle, scale)
    m[:, 2] += size / 2 - 14
    out = cv2.warpAffine(digit, m, (size, size))
    rows, cols = np.nonzero(out > 40)
    return out[max(0, rows.min() - 3) : rows.max() + 4, max(0, cols.min() - 3) : cols.max() + 4]


def _side_by_side(digits: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Digits in a row, each at its own height on a wandering baseline."""
    height = max(d.shape[0] for d in digits)
    cells = []
    for d in digits:
        top = int(rng.integers(0, height - d.shape[0] + 1))
        cells.append(np.pad(d, ((top, height - d.shape[0] - top), (0, 0))))
    return np.hstack(cells)


def run(label: str, inputs: list[str], out: Path, args: list[str]) -> tuple[str, int, float]:
    out.unlink(missing_ok=True)
    start = time.monotonic()
    subprocess.run(["digitrec", "batch", *inputs, "--out", str(out), *args], check=True, stderr=subprocess.DEVNULL)
    return label, len(read_output(out)), time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--single-count", type=int, help="images for the one-process baseline  [default: --count]")
    parser.add_argument("--data", type=Path, help="MNIST (mnist.npz or the IDX folder)  [default: $DIGITREC_DATA]")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/digitrec-bench-batch"), help="where the images go")
    a = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    images = a.dir / "images"
    write_images(images, a.count, a.data)
    files = sorted(str(p) for p in images.rglob("*.png"))
    single = files[: a.single_count or a.count]
    manifest = a.dir / "single.txt"
    manifest.write_text("\n".join(single) + "\n")

    results = [run("one process", [str(manifest)], a.dir / "one.csv", ["-j", "1"])]
    results.append(run(f"local pool, {cores} processes", [str(images)], a.dir / "pool.csv", ["-j", str(cores)]))
    try:
        import ray  # noqa: F401

        results.append(run(f"Ray local, {cores} actors", [str(images)], a.dir / "ray.csv", ["--engine", "ray", "-j", str(cores)]))
    except ImportError:
        print("Ray is not installed (pip install 'digitrec[ray]'): no Ray row.", file=sys.stderr)

    pool_rows = read_output(a.dir / "pool.csv")
    for name in ("one.csv", "ray.csv"):
        if (a.dir / name).is_file():
            rows = read_output(a.dir / name)
            same = rows == pool_rows[: len(rows)]
            print(f"{name}: {'identical to' if same else 'DIFFERENT from'} the pool's rows for the same files")

    base = results[0][1] / results[0][2]
    print(f"\n{'engine':<28} {'images':>8} {'seconds':>8} {'images/s':>9} {'vs one process':>15}")
    for label, n, seconds in results:
        print(f"{label:<28} {n:>8,} {seconds:>8.1f} {n / seconds:>9.1f} {n / seconds / base:>14.2f}x")
    pool = results[1][1] / results[1][2]
    efficiency = pool / (base * cores)
    print(f"\nper-core scaling: {pool / cores:.1f} images/s a core in the pool, {efficiency:.0%} of one process's rate")
    print(
        f"on paper, N machines of {cores} cores at this efficiency: {pool:.0f} x N images/s "
        f"(1 million images: {1e6 / pool / 60:.0f} min on one machine, {1e6 / pool / 600:.1f} min on ten)"
    )


if __name__ == "__main__":
    main()
