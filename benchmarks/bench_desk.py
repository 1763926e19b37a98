"""A page photographed lying on a desk: read with the sheet cut out and turned upright
(reading/sheet.py), against the same reader without that step (the baseline: the photo read as it
is), in one run.

Each photo is a generated page (evaluation.pages: 2 to 6 numbers of 1 to 8 MNIST test digits on
plain paper) laid on a desk darker than it (grey 170, 120 or 60), turned 0, 8 or -15 degrees, seen
square on or at a slant (the far edge a fifth narrower), with or without wood grain, light falling
off across the photo (pages.on_desk). Scored as `digitrec
evaluate --pages` scores pages: the numbers read exactly, and the photos with every number found
and none invented.

    python benchmarks/bench_desk.py --data ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from digitrec.data import load_mnist
from digitrec.evaluation import pages
from digitrec.evaluation.evaluate import _read
from digitrec.reading import runtime
from digitrec.reading.runtime import load_model

DESKS = (170, 120, 60)
ANGLES = (0, 8, -15)
SLANTS = (0.0, 0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST (mnist.npz or the IDX folder): its test digits write the pages")
    parser.add_argument("--pages", type=int, default=4, help="pages for each desk, angle and grain")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    mnist = load_mnist(args.data)
    reader, rng = load_model("line"), np.random.default_rng([args.seed, 43])
    written = list(itertools.islice((p for p in pages.pages(mnist.x_test, mnist.y_test, 10 * args.pages, args.seed) if p.paper == "plain"), args.pages))
    photos = {desk: [pages.on_desk(page, desk, angle, grain, rng, slant) for angle in ANGLES for slant in SLANTS for grain in (False, True) for page in written] for desk in DESKS}
    found = runtime.sheet.find
    print("| desk (grey) | photos | numbers | sheet cut out: exact / photos whole | baseline: exact / photos whole | time a photo, sheet / baseline |")
    print("|---|---:|---:|---:|---:|---:|")
    for desk, shots in photos.items():
        scores, seconds = [], []
        for finder in (found, lambda image: None):
            runtime.sheet.find = finder
            start = time.perf_counter()
            readings = [_read(reader, shot.image) for shot in shots]
            seconds.append((time.perf_counter() - start) / len(shots))
            scores.append(pages.score(shots, readings))
        runtime.sheet.find = found
        cut, base = scores
        print(
            f"| {desk} | {len(shots)} | {cut['lines']} | {cut['lines_exact']:.1%} / {cut['pages_whole']:.1%} | {base['lines_exact']:.1%} / {base['pages_whole']:.1%} | {1000 * seconds[0]:.0f} / {1000 * seconds[1]:.0f} ms |",
            flush=True,
        )


if __name__ == "__main__":
    main()
