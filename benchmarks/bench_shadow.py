"""A page photographed with a shadow across it (a phone's or a hand's): read with the clean-up's
paper held down to the shaded paper near it (preprocess._under_shade), against the same reader
with the smooth estimate alone (the baseline, as release 21 read such pages), in one run.

Each photo is a generated page (evaluation.pages: 2 to 6 numbers of 1 to 8 MNIST test digits,
plain, ruled, table and photographed paper in turn) with a shadow across it (pages.shadowed): its
edge a straight line through the page, or a band with an end reaching in from one side, the
shaded paper keeping 0.8, 0.65 or 0.5 of the light, the edge hard (blurred over a pixel or so)
or soft (over 2% of the page). Scored as `digitrec evaluate --pages` scores pages: the numbers
read exactly, and the pages with every number found and none invented.

    python benchmarks/bench_shadow.py --data ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import itertools
import time
from contextlib import nullcontext
from unittest import mock

import numpy as np

from digitrec.data import load_mnist
from digitrec.evaluation import pages
from digitrec.evaluation.evaluate import _read
from digitrec.reading import preprocess
from digitrec.reading.runtime import load_model

DEPTHS = (0.8, 0.65, 0.5)
SOFTNESS = {"hard": 0.0, "soft": 0.02}
KINDS = {"edge across": False, "band with an end": True}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST (mnist.npz or the IDX folder): its test digits write the pages")
    parser.add_argument("--pages", type=int, default=40, help="pages for each depth, edge and kind of shadow")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    mnist = load_mnist(args.data)
    reader, rng = load_model("line"), np.random.default_rng([args.seed, 47])
    written = list(pages.pages(mnist.x_test, mnist.y_test, args.pages, args.seed))
    plain = _both(reader, written)[0]
    print(f"No shadow: {plain[0]['lines_exact']:.1%} / {plain[0]['pages_whole']:.1%} (baseline {plain[1]['lines_exact']:.1%} / {plain[1]['pages_whole']:.1%})\n")
    print("| shadow | edge | light kept | pages | numbers | held down: exact / pages whole | baseline: exact / pages whole | time a page, held down / baseline |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for (kind, corner), (edge, soft), depth in itertools.product(KINDS.items(), SOFTNESS.items(), DEPTHS):
        shots = [pages.shadowed(page, depth, soft, rng, corner) for page in written]
        (held, base), seconds = _both(reader, shots)
        print(
            f"| {kind} | {edge} | {depth} | {len(shots)} | {held['lines']} | {held['lines_exact']:.1%} / {held['pages_whole']:.1%} | {base['lines_exact']:.1%} / {base['pages_whole']:.1%} | {1000 * seconds[0]:.0f} / {1000 * seconds[1]:.0f} ms |",
            flush=True,
        )


def _both(reader, shots: list[pages.PageSample]) -> tuple[list[dict], list[float]]:
    """The shots' scores and seconds a shot, read with the paper held down under shade and then
    with the smooth estimate alone (the baseline)."""
    scores, seconds = [], []
    for baseline in (False, True):
        with mock.patch.object(preprocess, "_under_shade", lambda lightness, paper: paper) if baseline else nullcontext():
            start = time.perf_counter()
            readings = [_read(reader, shot.image) for shot in shots]
            seconds.append((time.perf_counter() - start) / len(shots))
            scores.append(pages.score(shots, readings))
    return scores, seconds


if __name__ == "__main__":
    main()
