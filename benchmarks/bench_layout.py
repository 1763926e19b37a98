"""The layout's cost: photos of pages with several lines, read in process, against the one-line path.

Generated pages (digitrec.evaluation.pages, MNIST test digits, photographed paper) of 5 numbers,
one to a line, brought to a 1000x1000 photo and a 4000x3000 one. Each is read in this process,
after a warm-up, as `digitrec predict` reads it (layout, then the line reader on each line), and,
as the baseline, the way the reader read an image before the layout: all the ink as one line.
Median of --repeat reads each; also the peak memory of one whole `digitrec predict` of each.

    python benchmarks/bench_layout.py --data ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from bench_read import in_process  # benchmarks/ is on the path when a script there runs
from digitrec.data import Mnist, load_mnist
from digitrec.evaluation.pages import Digits, page
from digitrec.reading import lines
from digitrec.reading.runtime import load_model


def photo(mnist: Mnist, size: tuple[int, int], seed: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """A page of five numbers, photographed: the paper fills the frame."""
    rng = np.random.default_rng(seed)
    sample = page(Digits(mnist.x_test, mnist.y_test), [[str(n)] for n in rng.integers(10, 10**6, 5)], "photo", rng)
    width, height = size
    h, w = sample.image.shape
    grow = max(0, round(h * width / height) - w), max(0, round(w * height / width) - h)  # to the photo's shape, with more paper
    paper = cv2.copyMakeBorder(sample.image, grow[1] // 2, grow[1] - grow[1] // 2, grow[0] // 2, grow[0] - grow[0] // 2, cv2.BORDER_REPLICATE)
    frame = cv2.resize(paper, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB), sample.lines


def peak_mib(path: Path) -> float:
    """Peak resident memory of a whole `digitrec predict`, from GNU time. (Not wait4 on a child of
    this process: forked from a process holding a model and MNIST, it counts their pages too.)"""
    done = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "digitrec", "predict", str(path)], capture_output=True, text=True)
    return int(done.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="MNIST folder or mnist.npz (default: DIGITREC_DATA, then the download cache)")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    mnist = load_mnist(args.data)
    model = load_model("line")

    def one_line(image: np.ndarray) -> str:
        line = lines.line_input(image)
        return "".join(c.char for c in lines.decode(model.line_probabilities(line.pixels[None])[0], line)[0])

    print(f"{'photo':<12}{'layout + reader':>17}{'one line (before)':>19}{'peak MiB':>10}  read")
    with tempfile.TemporaryDirectory() as tmp:
        for size in ((1000, 1000), (4000, 3000)):
            image, truth = photo(mnist, size, seed=size[0])
            path = Path(tmp) / f"page-{size[0]}.png"
            cv2.imwrite(str(path), image)
            reading = model.read(image)
            found = reading.number.split("\n")
            right = sum(a == b for a, b in zip(found, truth))
            after = in_process(lambda: model.read(image), args.repeat)
            before = in_process(lambda: one_line(image), args.repeat)
            print(f"{size[0]}x{size[1]:<7}{after:>14.1f} ms{before:>16.1f} ms{peak_mib(path):>10.0f}  {len(found)} lines of 5, {right} exactly right")


if __name__ == "__main__":
    main()
