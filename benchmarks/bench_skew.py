"""Pages photographed aslant: read with the writing turned level first (reading/skew.py), against
the same reader without that step (the baseline: the writing read as it lies), in one run.

The pages are `digitrec evaluate --pages`'s (evaluation.pages: 2 to 6 numbers of 1 to 8 MNIST
test digits, on plain, ruled, squared and photographed paper), the same pages at every angle,
turned with the paper filling the photo (pages.page's angle). Scored as that command scores
them: the numbers read exactly, and the pages with every number found and none invented; then
each kind of paper's numbers read exactly, and how long a page took.

    python benchmarks/bench_skew.py --data ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import time

from digitrec.data import load_mnist
from digitrec.evaluation import pages
from digitrec.evaluation.evaluate import _read
from digitrec.reading import runtime
from digitrec.reading.runtime import load_model

ANGLES = (0, 2, 5, 10, -10, 15, -15, 20, -25, 35, -60, 90, -90, 150, 180)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST (mnist.npz or the IDX folder): its test digits write the pages")
    parser.add_argument("--pages", type=int, default=80, help="pages at each angle")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    mnist = load_mnist(args.data)
    reader, finder = load_model("line"), runtime.skew.ways
    _read(reader, next(pages.pages(mnist.x_test, mnist.y_test, 1, args.seed)).image)  # untimed: the first read sets up the session
    print("| turned | pages | numbers | levelled: exact / pages whole | baseline: exact / pages whole | levelled, by paper: " + " / ".join(pages.PAPERS) + " | time a page, levelled / baseline |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for angle in ANGLES:
        written = list(pages.pages(mnist.x_test, mnist.y_test, args.pages, args.seed, angle))
        scores, papers, seconds = [], [], []
        for ways in (finder, lambda strength, mask: [None]):
            runtime.skew.ways = ways
            start = time.perf_counter()
            readings = [_read(reader, page.image) for page in written]
            seconds.append((time.perf_counter() - start) / len(written))
            scores.append(pages.score(written, readings))
            papers.append([pages.score(*zip(*[(p, r) for p, r in zip(written, readings) if p.paper == paper]))["lines_exact"] for paper in pages.PAPERS])
        runtime.skew.ways = finder
        (levelled, base), by_paper = scores, papers[0]
        print(
            f"| {angle} | {levelled['pages']} | {levelled['lines']} | {levelled['lines_exact']:.1%} / {levelled['pages_whole']:.1%} "
            f"| {base['lines_exact']:.1%} / {base['pages_whole']:.1%} | {' / '.join(f'{s:.1%}' for s in by_paper)} "
            f"| {1000 * seconds[0]:.0f} / {1000 * seconds[1]:.0f} ms |",
            flush=True,
        )


if __name__ == "__main__":
    main()
