"""A number written on a form one digit to a box: read with the layout's character boxes
(forms.without_boxes: the frames taken out, the digits in neighbouring boxes one number),
against the same reader without them (the baseline, as release 27 read such forms; combs, as
release 28 did), in one run.

Each image is a form's field (evaluation.pages.boxed): a printed row of character boxes, side
by side sharing their sides or printed apart, or a comb (a base line with a tick a quarter to half
a box tall between each two boxes), one to three left empty after a number of 2 to 8
MNIST test digits, each digit written in its own box, the box 1.15 to 1.7 times as tall as the
writing, scanned (blur, noise, JPEG); then as many again of each kind, turned 2 to 4 degrees
either way; then boxes in groups as a date's (DD MM YYYY, no box left empty), level and turned,
a slash printed between the groups half the time. Scored as `digitrec evaluate --pages` scores
pages: the numbers read exactly (a date's printed slashes read back in it: "21/08/2016"), and
the fields read as one number and nothing more.

    python benchmarks/bench_boxes.py --data ../shared/data/mnist
"""

from __future__ import annotations

import argparse
from unittest import mock

import numpy as np

from digitrec.data import load_mnist
from digitrec.evaluation import pages
from digitrec.reading import forms
from digitrec.reading.runtime import load_model
from baseline import with_and_without  # benchmarks/ is on the path when a script there runs


TURNED = (2.0, 4.0)
"""Degrees either way a field is turned in the second half of the table: scanned or photographed a
little off level."""


def no_boxes(mask: np.ndarray, frames: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The baseline's layout: no character boxes found in any mask."""
    return mask, np.zeros(mask.shape, np.int16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST (mnist.npz or the IDX folder): its test digits write the numbers")
    parser.add_argument("--fields", type=int, default=100, help="fields of each kind")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    mnist = load_mnist(args.data)
    reader, rng = load_model("line"), np.random.default_rng([args.seed, 53])
    digits = pages.Digits(mnist.x_test, mnist.y_test)
    print("| boxes | fields | boxes found: exact / read as one number | baseline: exact / read as one number | time a field, boxes found / baseline |")
    print("|---|---:|---:|---:|---:|")
    turns = np.random.default_rng([args.seed, 54])  # apart from the fields' own draws: the level fields stay as they were
    # Groups last, level and turned: the fields before them are drawn as they were before release 31.
    kinds = [(field, turned) for turned in (None, TURNED) for field in pages.FIELDS if field != "groups"] + [("groups", None), ("groups", TURNED)]
    for field, turned in kinds:
        shots = []
        for _ in range(args.fields):
            text = "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(2, 9))))
            shots.append(pages.boxed(digits, text, field, rng, float(turns.uniform(*turned) * turns.choice([-1, 1])) if turned else 0.0))
        found, base, seconds = with_and_without(reader, shots, mock.patch.object(forms, "without_boxes", no_boxes))
        print(
            f"| {field}{f', turned {turned[0]:g}-{turned[1]:g} degrees' if turned else ''} | {len(shots)} | {found['lines_exact']:.1%} / {found['pages_whole']:.1%} | {base['lines_exact']:.1%} / {base['pages_whole']:.1%} | {1000 * seconds[0]:.0f} / {1000 * seconds[1]:.0f} ms |",
            flush=True,
        )


if __name__ == "__main__":
    main()
