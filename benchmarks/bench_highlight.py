"""Numbers on pale colour: read with broad pale areas of another colour taken for paper of their
own (preprocess.PALE_AREA), against the same reader without that (the baseline: the page's
paper colour everywhere), in one run.

The pages are `digitrec evaluate --pages`'s plain ones (evaluation.pages: 2 to 6 numbers of 1 to
8 MNIST test digits), in colour: one number on each page run over with a highlighter's band
(yellow, green or pink), or the page's top left quarter a pale yellow box, as on a form, or such a
box's side or foot running through the middle of one number (the page to its left, or above it,
in the box). Scored as
that command scores pages: the numbers read exactly (all of them, and the highlighted ones), and
the pages with every number found and none invented; then how long a page took.

    python benchmarks/bench_highlight.py --data ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from digitrec.data import load_mnist
from digitrec.evaluation import pages
from digitrec.evaluation.evaluate import _read
from digitrec.reading import preprocess
from digitrec.reading.runtime import load_model

MARKS = {
    "yellow band": (1.0, 0.97, 0.45),
    "green band": (0.6, 1.0, 0.55),
    "pink band": (1.0, 0.6, 0.8),
    "yellow box": (1.0, 0.95, 0.6),
    "box's side through a number": (1.0, 0.95, 0.6),
    "box's foot through a number": (1.0, 0.95, 0.6),
}
"""What each page is marked with, and the colour it multiplies the page by (RGB)."""


def marked(page: pages.PageSample, mark: str, which: int) -> pages.PageSample:
    """The page in colour, with its number `which` highlighted (a band round it) or run through by
    a pale box's side or foot, or its top left quarter in a pale box."""
    image = np.repeat(page.image[:, :, None], 3, axis=2).astype(np.float32)
    x, y, w, h = page.boxes[which]
    if mark.endswith("band"):
        pad = max(2, h // 8)
        image[max(0, y - pad) : y + h + pad, max(0, x - 2 * pad) : x + w + 2 * pad] *= MARKS[mark]
    elif mark.startswith("box's side"):
        image[:, : x + w // 2] *= MARKS[mark]
    elif mark.startswith("box's foot"):
        image[: y + h // 2] *= MARKS[mark]
    else:
        image[: image.shape[0] // 2, : image.shape[1] // 2] *= MARKS[mark]
    return pages.PageSample(np.clip(image, 0, 255).astype(np.uint8), page.lines, page.boxes, page.paper)


def _on_mark(shot: pages.PageSample, mark: str, i: int, which: int) -> bool:
    """Whether number i of the shot lies on the mark: the highlighted one, the one run through, or
    one centred in the box."""
    if mark != "yellow box":
        return i == which
    x, y, w, h = shot.boxes[i]
    return x + w / 2 < shot.image.shape[1] // 2 and y + h / 2 < shot.image.shape[0] // 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST (mnist.npz or the IDX folder): its test digits write the pages")
    parser.add_argument("--pages", type=int, default=40, help="pages for each mark")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    mnist = load_mnist(args.data)
    reader, pale_areas, rng = load_model("line"), preprocess._pale_areas, np.random.default_rng([args.seed, 47])
    written = list(itertools.islice((p for p in pages.pages(mnist.x_test, mnist.y_test, 5 * args.pages, args.seed) if p.paper == "plain"), args.pages))
    boxed = [any(_on_mark(page, "yellow box", i, 0) for i in range(len(page.lines))) for page in written]
    _read(reader, written[0].image)  # untimed: the first read sets up the session
    print("| mark | pages | numbers | pale areas as paper: exact / marked exact / pages whole | baseline: exact / marked exact / pages whole | time a page, pale areas / baseline |")
    print("|---|---:|---:|---:|---:|---:|")
    for mark in MARKS:
        chosen = [page for page, b in zip(written, boxed) if b or mark != "yellow box"]  # a box with a number in it
        which = [int(rng.integers(len(page.lines))) for page in chosen]
        shots = [marked(page, mark, k) for page, k in zip(chosen, which)]
        scores, seconds = [], []
        for areas in (pale_areas, lambda channels, paper, tint: (paper, tint)):
            preprocess._pale_areas = areas
            start = time.perf_counter()
            readings = [_read(reader, shot.image) for shot in shots]
            seconds.append((time.perf_counter() - start) / len(shots))
            on_mark = [pages.only(s, [_on_mark(s, mark, i, k) for i in range(len(s.lines))]) for s, k in zip(shots, which)]
            scores.append((pages.score(shots, readings), pages.score(on_mark, readings)))
        preprocess._pale_areas = pale_areas
        (found, found_marked), (base, base_marked) = scores
        print(
            f"| {mark} | {len(shots)} | {found['lines']} | {found['lines_exact']:.1%} / {found_marked['lines_exact']:.1%} / {found['pages_whole']:.1%} "
            f"| {base['lines_exact']:.1%} / {base_marked['lines_exact']:.1%} / {base['pages_whole']:.1%} | {1000 * seconds[0]:.0f} / {1000 * seconds[1]:.0f} ms |",
            flush=True,
        )


if __name__ == "__main__":
    main()
