"""Numbers written on dotted or squared paper (a bullet journal, a maths exercise book): read with
the clean-up's dotted grid taken out and a squared grid's lines taken out as a share of the
light, their nicks bridged (preprocess.without_dots, SQUARED, NICK), against the same reader
without either (the baseline, as release 22 read such pages), in one run.

Each photo is a generated page (evaluation.pages: 2 to 6 numbers of 1 to 8 MNIST test digits,
plain, ruled, table and photographed paper in turn) printed with a grid under the writing
(pages.gridded): dots or lines a half, three quarters or a whole text height apart, 30 to 90 grey
levels darker than the paper; then, at three quarters of a text height, each grid, and the page
with none, photographed lying on a desk. Scored as `digitrec evaluate --pages` scores pages: the numbers read
exactly, and the pages with every number found and none invented.

    python benchmarks/bench_grid.py --data ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import itertools
from unittest import mock

import numpy as np

from digitrec.data import load_mnist
from digitrec.evaluation import pages
from digitrec.evaluation.evaluate import _read
from digitrec.reading import preprocess
from digitrec.reading.runtime import load_model

STEPS = (0.5, 0.75, 1.0)
GRIDS = {"dotted": False, "squared": True}
DESK, TURN, SLANT = 120.0, 8.0, 0.1
"""The desk's grey, and how far the page lies turned on it and is seen at a slant (pages.on_desk)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST (mnist.npz or the IDX folder): its test digits write the pages")
    parser.add_argument("--pages", type=int, default=40, help="pages for each grid and step")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    mnist = load_mnist(args.data)
    reader, rng = load_model("line"), np.random.default_rng([args.seed, 53])
    written = list(pages.pages(mnist.x_test, mnist.y_test, args.pages, args.seed))
    plain = _both(reader, written)
    print(f"No grid: {plain[0]['lines_exact']:.1%} / {plain[0]['pages_whole']:.1%} (baseline {plain[1]['lines_exact']:.1%} / {plain[1]['pages_whole']:.1%})\n")
    print("| grid | step (text heights) | pages | numbers | taken out: exact / pages whole | baseline: exact / pages whole |")
    print("|---|---:|---:|---:|---:|---:|")
    for (grid, squared), step in itertools.product(GRIDS.items(), STEPS):
        shots = [pages.gridded(page, squared, step, rng) for page in written]
        _row(grid, str(step), shots, reader)
    # A phone's photo of the page lying on a desk, turned and at a slant: the sheet step cuts it out.
    for grid, squared in GRIDS.items():
        shots = [pages.on_desk(pages.gridded(page, squared, 0.75, rng), DESK, TURN, False, rng, slant=SLANT) for page in written]
        _row(grid, f"0.75, photographed on a desk turned {TURN:g} degrees", shots, reader)
    bare = [pages.on_desk(page, DESK, TURN, False, rng, slant=SLANT) for page in written]
    _row("none", f"photographed on a desk turned {TURN:g} degrees", bare, reader)


def _row(grid: str, step: str, shots: list[pages.PageSample], reader) -> None:
    ours, base = _both(reader, shots)
    print(
        f"| {grid} | {step} | {len(shots)} | {ours['lines']} | {ours['lines_exact']:.1%} / {ours['pages_whole']:.1%} | {base['lines_exact']:.1%} / {base['pages_whole']:.1%} |",
        flush=True,
    )


def _both(reader, shots: list[pages.PageSample]) -> list[dict]:
    """The shots' scores read with the grid taken out, then without (the baseline)."""
    scores = [pages.score(shots, [_read(reader, shot.image) for shot in shots])]
    with mock.patch.multiple(preprocess, without_dots=lambda strength: strength, SQUARED=10**9):
        scores.append(pages.score(shots, [_read(reader, shot.image) for shot in shots]))
    return scores


if __name__ == "__main__":
    main()
