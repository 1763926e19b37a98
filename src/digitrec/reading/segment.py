"""Splitting a written number into its digits, left to right.

It works on a cleaned Page (see preprocess): the ink's connected blobs are the starting guess.
Blobs stacked one above the other, and small fragments beside a digit, are merged (the
detached top bar of a 5, a dotted 7). Blobs too wide for one digit are cut where the ink is
thinnest; if a classifier is given, the cut it is most sure of wins, including not cutting.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from ..errors import ImageError
from .preprocess import Page, components, members_of, stroke_width, to_mnist

Classify = Callable[[np.ndarray], np.ndarray]
"""(N, 28, 28) inputs -> (N, 10) probabilities."""

OVERLAP = 0.5
"""Blobs whose columns overlap by this fraction of the narrower one belong to one digit."""

FRAGMENT = 0.6
"""A blob less tall than this fraction of a typical digit is a fragment of its nearest neighbour."""

WIDE = 0.9
"""A blob wider than this many typical digit heights may be several digits touching."""

EXTRA_PIECE = 0.2
"""What each extra piece costs a cut's score: the classifier is often surer of the halves of a wide 4
(or an M) read as 1s than of the whole. Chosen on realistic sets with seeds 11 and 12: 0.02 cut too
often for the label-smoothed CNN (0.1 was chosen then); the CNN trained on non-digits, with its
sharper probabilities, reads the pieces of a wide 0 or 4 surer still, and 0.1 -> 0.2 took 4-digit
numbers 93.3% -> 93.7% and longer numbers 87.7% -> 89.0% (seed 13: 85.3% -> 86.0%)."""

MAX_PIECES = 10
"""A blob is cut into at most this many digits: a longer run of touching digits is read whole."""

MAX_READINGS = 64
"""At most this many ways to cut one blob are read: the search grows exponentially with the
cuts (three candidates each), and a long flat bar once took minutes and gigabytes."""

MAX_BLOBS = 200
"""More separate marks than this is a page of writing, not a number: refused rather than ground through."""


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    def union(self, other: Box) -> Box:
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Box(x, y, max(self.x + self.w, other.x + other.w) - x, max(self.y + self.h, other.y + other.h) - y)

    def gap(self, other: Box) -> float:
        """Distance between the two boxes; 0 if they touch or overlap."""
        dx = max(other.x - (self.x + self.w), self.x - (other.x + other.w), 0)
        dy = max(other.y - (self.y + self.h), self.y - (other.y + other.h), 0)
        return float(np.hypot(dx, dy))

    def column_overlap(self, other: Box) -> float:
        shared = min(self.x + self.w, other.x + other.w) - max(self.x, other.x)
        return max(shared, 0) / max(min(self.w, other.w), 1)


@dataclass(frozen=True)
class Digit:
    box: Box
    input: np.ndarray  # the 28x28 MNIST-style image of this digit


def segment(page: Page, classify: Classify | None = None) -> list[Digit]:
    """The digits on a page, left to right."""
    n, labels, stats, _ = components(page.mask)
    if n - 1 > MAX_BLOBS:
        raise ImageError(f"the image holds {n - 1} separate marks, too many for a number: crop it to the number")
    groups = [([i], Box(*map(int, stats[i, :4]))) for i in range(1, n)]
    groups = _merge_fragments(_merge_stacked(groups))
    height = _typical_height([box for _, box in groups])
    digits = []
    for members, box in sorted(groups, key=lambda g: g[1].x):
        mask = members_of(labels[box.y : box.y + box.h, box.x : box.x + box.w], members, n)
        ink = page.ink[box.y : box.y + box.h, box.x : box.x + box.w] * mask
        digits.extend(_split(ink, mask, box, height, classify))
    if page.scale == 1:
        return digits
    s = page.scale  # boxes in the image as given, not in the shrunk page
    return [Digit(Box(round(d.box.x / s), round(d.box.y / s), max(1, round(d.box.w / s)), max(1, round(d.box.h / s))), d.input) for d in digits]


def _merge_stacked(groups: list) -> list:
    """Merge blobs that share most of their columns: parts of one digit, one above the other."""
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if groups[i][1].column_overlap(groups[j][1]) >= OVERLAP:
                    groups[i] = (groups[i][0] + groups[j][0], groups[i][1].union(groups[j][1]))
                    del groups[j]
                    merged = True
                    break
            if merged:
                break
    return groups


def _merge_fragments(groups: list) -> list:
    """Attach blobs much shorter than a digit to the nearest blob, if it is close."""
    while len(groups) > 1:
        height = _typical_height([box for _, box in groups])
        small = [i for i, (_, box) in enumerate(groups) if box.h < FRAGMENT * height]
        best = None
        for i in small:
            for j in range(len(groups)):
                if j != i:
                    gap = groups[i][1].gap(groups[j][1])
                    if gap < FRAGMENT * height and (best is None or gap < best[0]):
                        best = (gap, i, j)
        if best is None:
            break
        _, i, j = best
        groups[j] = (groups[j][0] + groups[i][0], groups[j][1].union(groups[i][1]))
        del groups[i]
    return groups


def _typical_height(boxes: list[Box]) -> float:
    """The median height of the blobs at least half as tall as the tallest: the digits, not fragments."""
    tallest = max(b.h for b in boxes)
    return float(np.median([b.h for b in boxes if b.h >= tallest / 2]))


def _split(ink: np.ndarray, mask: np.ndarray, box: Box, height: float, classify: Classify | None) -> list[Digit]:
    """One blob as one digit, or cut into several where a classifier (if given) is surest.

    Cuts follow the blob's slant: columns are counted along the writing's own slope (from its
    second moments), so two slanted digits that touch come apart along the gap between them.
    """
    whole_digit = [_digit(ink, mask, box)]
    if box.w < WIDE * height:
        return whole_digit
    ys, xs = np.nonzero(mask)
    m = cv2.moments(mask, binaryImage=True)
    slant = float(np.clip(m["mu11"] / max(m["mu02"], 1e-6), -0.5, 0.5))
    columns = xs - slant * (ys - mask.shape[0] / 2)
    columns = np.round(columns - columns.min()).astype(int)
    profile = cv2.blur(np.bincount(columns).astype(np.float32)[None], (3, 1))[0]
    widest = 2.5 * stroke_width(mask)

    def pieces(cuts: tuple[int, ...]) -> list[Digit] | None:
        found = []
        for a, b in zip((0, *cuts), (*cuts, len(profile))):
            piece = np.zeros_like(mask)
            chosen = (columns >= a) & (columns < b)
            piece[ys[chosen], xs[chosen]] = 1
            if piece.sum() < 0.05 * mask.sum():
                return None
            found.append(_digit(ink, piece, box))
        return found

    guess = max(2, round(len(profile) / (0.7 * height)))
    if guess > MAX_PIECES:
        return whole_digit
    options = [p for k in range(max(2, guess - 1), guess + 2) for cuts in _cuts(profile, k, widest) if (p := pieces(cuts))]
    if classify is None:
        return options[0] if options else whole_digit
    return max([whole_digit, *options], key=lambda p: _score(classify, p))


def _cuts(profile: np.ndarray, k: int, widest: float) -> list[tuple[int, ...]]:
    """Ways to cut a blob into k digits: for each cut, the thinnest few columns near an even division.

    A cut may not cross more than two strokes (widest): touching digits touch at a point or two,
    while a shape cut through its middle would fall apart into convincing 1s.
    """
    w = len(profile)
    choices = []
    per_cut = max(1, min(3, int(MAX_READINGS ** (1 / max(k - 1, 1)))))  # candidates a cut, within MAX_READINGS
    for i in range(1, k):
        centre, reach = i * w / k, w / (3 * k)
        lo, hi = max(1, int(centre - reach)), min(w - 1, int(centre + reach) + 1)
        window = [lo + j for j in np.argsort(profile[lo:hi], kind="stable")]
        picked = []
        for c in window:  # the thinnest columns (three at most) at least 3 apart
            if profile[c] <= widest and all(abs(c - p) >= 3 for p in picked):
                picked.append(c)
            if len(picked) == per_cut:
                break
        if not picked:
            return []
        choices.append(picked)
    return [cuts for cuts in itertools.product(*choices) if list(cuts) == sorted(set(cuts))]


def _digit(ink: np.ndarray, piece: np.ndarray, box: Box) -> Digit:
    rows, cols = np.nonzero(piece)
    inner = Box(box.x + int(cols.min()), box.y + int(rows.min()), int(cols.max() - cols.min() + 1), int(rows.max() - rows.min() + 1))
    return Digit(inner, to_mnist(ink * piece, piece))


def _score(classify: Classify, pieces: list[Digit]) -> float:
    """How good a reading is: the geometric mean of the classifier's top probabilities, less
    a charge for each piece wider than it is tall (handwritten digits seldom are) and for each
    extra piece, so a confident single reading is not cut up for nothing."""
    p = classify(np.stack([d.input for d in pieces])).max(axis=1)
    wide = sum(max(0.0, d.box.w / d.box.h - 1.0) for d in pieces)
    return float(np.exp(np.log(np.maximum(p, 1e-9)).mean()) - 0.3 * wide - EXTRA_PIECE * (len(pieces) - 1))
