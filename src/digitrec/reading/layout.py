"""Finding the numbers in an image: what is handwriting, and how it falls into lines.

Between the clean-up (preprocess) and the line reader. It works on the ink mask, at the clean-up's
working scale, with no network: it sets aside what is not writing (the straight runs of ruled
lines, table borders and scan margins), then groups the marks left into rows by their vertical
overlap, and cuts each row where the gap between marks is wider than a digit is tall. Each group
is one line for the reader, so "315" written above "2870" is two lines, and a column of amounts
is one line per amount.

The constants below are in text heights or pen widths, so they hold at any scale. They were set
on generated pages (evaluation/pages.py) and by looking at realworld-dev's register, logbook and
cheque crops, which that set allows for choosing (never for training); README, "Real handwriting",
and docs/line-reader-history.md have the figures before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import cv2
import numpy as np

from ..constants import MAX_MARKS
from ..errors import ImageError, NoDigitError
from . import forms
from .preprocess import RIM, Page, components, mask_without, members_of, stroke_width, within_marks

RULE_LENGTH = 2.0
"""A straight horizontal run of ink this many text heights long is a ruled line or a border (an
underline too, which the reader does not need): no digit has a straight stroke that long."""

UPRIGHT_LENGTH = 1.6
"""The same for a vertical run; shorter than RULE_LENGTH since a 1 or a 4's stem is never taller
than the digits beside it by much, while cell borders are a whole cell high."""

HAIRLINE = 0.06
"""A mark with less ink than this share of its longer side squared is a hairline (a 1 written
with a pen a tenth of its height wide has 0.1), not a character, when judging the text's height."""

RULE_PIECE = 1.5
"""A hairline this many text heights long is a piece of a rule or border, not a character (a tall 1
on a cheque stands at most 1.4 times its neighbours)."""

LONGEST = 30
"""No character is longer than this many pen widths: handwritten digits are 6 to 12 (MNIST's 8)."""

BORDERED = 0.75
"""Writing less tall than this share of the image may have borders around it (a table cell's
digits fill about 60% of its height)."""

SAME_ROW = 0.4
"""Marks whose heights overlap by this fraction of the shorter one sit on one row."""

TALL = 0.5
"""Marks at least this many text heights tall are characters, or most of one; smaller ones
(separators, pieces of a broken stroke, dust) join the number they are beside."""

NEAR = 0.6
"""A small mark joins a number when its centre is within this many text heights of the number's
box, to its left or right, and within its band."""

GAP = 1.2
"""Marks on one row further apart than this many text heights belong to different numbers."""

PIECE_GAP = 0.15
"""A small mark this many text heights or less above or below a number, over it, is a piece of it."""

HUDDLE = 3.0
"""Lines no taller together than this many times the median line may be one number in pieces,
to be read again whole, the likelier reading winning: two logbook cells whose faint digits broke
into lines ("12" read as "1" and "90") are read right, and no generated page changed (two lines
of writing a pitch of two lines apart or less are read again too, and keep their lines; at 2.5
one of the two cells stayed broken, at 4 no more were mended)."""

STACKED = 1.3
"""Two lines one right on top of the other, together no taller than this many text heights, are
the halves of one broken digit (lines of writing stand two text heights apart or more)."""

BOX_WIDTH = 3.0
"""The digits in neighbouring character boxes (forms.without_boxes) are one number, though they
stand up to this many text heights apart, a box's sides between them (large boxes printed apart
hold digits over 2 text heights apart; their boxes, not the gap, decide)."""

MIN_MARK = 0.08
"""Marks smaller than this many text heights both ways are dust, not ink (a full stop is about 0.15)."""

MIN_LINE = 0.7
"""Where an image holds several groups of marks, one less tall than this many text heights (a
tick above a number, a stray stroke) is no number."""

TICK_LEAN = 20
"""Degrees: a long, thin mark alone on its line, leaning back (top left to bottom right) further
than this but less than 45 degrees, is a tick above or beside a number, not a 1. Of MNIST's
training 1s, 1.8% lean back over 15 degrees, 0.6% over 20 and 0.3% over 25; the ticks over
realworld-dev's register numbers lean back 24 to 38."""

STRAIGHT = 12
"""A mark whose second moments along its long axis are this many times those across it is long and
thin enough to be a tick (realworld-dev's register ticks: 13 to 30). With TICK_LEAN, 0.07% of
MNIST's training digits would pass for one (0.49% of 1s: a 1 leaning back that far is a tick's
double), and only a line holding nothing else, beside other lines, is ever judged. At 7, 0.29%
would, and two lone digits of generated pages were lost."""

CONVEX = 0.97
"""A solid mark filling this share of its convex hull is a dot or a smudge. Bold MNIST digits on
generated pages whose loops had closed up fill 0.72 to 0.91 of theirs, and one bold 8 on a page
of seed 1 0.952 (at 0.93 it was lost: 92.6% of that seed's numbers, 92.7% now); a drawn ellipse,
1.0. From 0.93 to 0.97 nothing else read differently: realworld-dev, the realistic sets of seeds
0 and 11, the pages of seeds 0 and 2."""

WORD_GAP = 0.5
"""Marks of one line further apart than this share of its height are separate words, for the print
check (runtime, PRINTED_AT): a form's printed label and the number written after it stand a
space apart at least, while a printed label's own words ("Invoice total") stand closer, as most
numbers' digits do. A number parted wider is several words, each shown to the check as a number
of its own (benchmarks/bench_labels.py, README, "Release 36")."""


@dataclass(frozen=True)
class Region:
    """One line of writing: its box and its marks, at the working scale."""

    box: tuple[int, int, int, int]
    """(x, y, width, height) in the mask's pixels."""
    mask: np.ndarray
    """(height, width) uint8: the line's own marks within the box, other marks and lines left out."""
    foreign: np.ndarray
    """(height, width) uint8: the pixels within the box that belong to other marks or to ruled
    lines, and their fringe, to be blanked; faint ink outside any mark is the line's own."""

    def turned_over(self, shape: tuple[int, int]) -> Region:
        """The region in its mask (of that shape) turned half round."""
        x, y, w, h = self.box
        return Region((shape[1] - x - w, shape[0] - y - h, w, h), np.rot90(self.mask, 2).copy(), np.rot90(self.foreign, 2).copy())


def find_lines(
    mask: np.ndarray, unboxed: tuple[np.ndarray, np.ndarray] | None = None, height: float | None = None, ruled: tuple[np.ndarray, np.ndarray] | None = None
) -> list[Region]:
    """The lines of writing in an ink mask, top to bottom, each row's numbers left to right;
    unboxed is forms.without_boxes(mask), height text_height of its mask, and ruled
    without_rules of its mask at that height, where the caller has them already.

    Raises NoDigitError if nothing but lines and dust is there.
    """
    ink = mask
    mask, boxes = unboxed or forms.without_boxes(mask)
    # The form's print in the map of boxes (sides, combs, what is printed between groups), found in
    # the print's fainter mask: what of it lies under the writing's threshold is no writing either,
    # and a faint side beside a digit was read as a 1 beside it.
    printed = (boxes < 0).astype(np.uint8)
    height = height or text_height(mask)
    mask, upright = ruled or without_rules(mask, height)
    upright = upright | printed
    # Marks are found with the gaps that removed rules left bridged: a 1 that crossed a line stays one mark.
    bridged = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 1), np.uint8)) if mask is not ink else mask
    n, labels, stats, _ = components(bridged)
    dust, rows, cols = MIN_MARK * height, *mask.shape
    x, y, w, h = (stats[:, k] for k in range(4))
    # A small mark cut by the image's edge is a piece of something outside it (a neighbouring digit).
    cut = (x == 0) | (y == 0) | (x + w == cols) | (y + h == rows)
    long, area = np.maximum(w, h), stats[:, 4]
    # A hairline longer than any character, upright or flat, is a piece of a rule or border that
    # its removal missed (a scan's rules drift off the vertical, or break where the ink was
    # faint); a tall thin 1 leans.
    piece = (area < HAIRLINE * long * long) & (long >= RULE_PIECE * height) & (np.minimum(w, h) <= np.maximum(3, 0.1 * long))
    # Dead straight runs one pixel wide, two or more in one column (or row): the dashes of a
    # broken rule. (One alone may be a 1 in a small crop, drawn with a fine pen.)
    # (The marks only: where ink fills the image, the background's label has no pixels, and
    # OpenCV gives it a box at the largest integer.)
    for thin, at in ((w[1:] == 1, x[1:]), (h[1:] == 1, y[1:])):
        piece[1:] |= thin & (np.bincount(at[thin], minlength=max(rows, cols))[at] >= 2)
    marks = [i for i in range(1, n) if (w[i] >= dust or h[i] >= dust) and not (cut[i] and h[i] < TALL * height) and not piece[i]]
    if not marks:
        raise NoDigitError("no number found: only lines and specks stand out from the background")
    if len(marks) > MAX_MARKS:
        raise ImageError(f"too many separate marks ({len(marks)}) to be numbers: is this a photo of texture or noise?")
    stats, marks, members = _joined_pieces(stats, marks, height)
    groups = [[m for k in g for m in members.get(k, (k,))] for g in _rows_and_numbers(stats, marks, height, upright, boxes)]
    if len(groups) > 1:
        holed = _holed(bridged, labels)
        # None like a number (a grid of dots, say): the caller reads the whole ink as one line.
        groups = [g for g in groups if _number_like(g, stats, height, holed, labels) and not _tick(labels, stats, g)]
    boxes = _boxes(groups, stats)
    regions = []
    for group, kept, (x0, y0, x1, y1) in zip(groups, _inside_rows(boxes, rows), boxes):
        if not kept:
            continue
        own = members_of(labels[y0:y1, x0:x1], group, n) & mask[y0:y1, x0:x1]
        foreign = cv2.dilate((ink[y0:y1, x0:x1] | printed[y0:y1, x0:x1]) & (1 - own), np.ones((3, 3), np.uint8)) & (1 - own)
        regions.append(Region((int(x0), int(y0), int(x1 - x0), int(y1 - y0)), own, foreign))
    return regions


def gapped(region: Region) -> bool:
    """Whether the region's marks stand further apart somewhere than WORD_GAP of its height: a
    line of more than one word."""
    inked = np.flatnonzero(region.mask.any(axis=0))
    return bool(len(inked)) and bool((np.diff(inked) > WORD_GAP * region.box[3]).any())


def words(mask: np.ndarray, height: float, ink: np.ndarray | None = None) -> list[Region]:
    """The words of an ink mask, each a Region tight round its own marks: marks joined where they
    stand closer than WORD_GAP times height (the text's, text_height) side by side, or a little
    above and below (an i's dot, a colon), as a scanner's run-length smearing finds words. Over
    the whole mask, not the lines the layout found: a label's small letters (x-height under TALL)
    may join no line of their own, yet be read with the whole ink where the lines may be one
    number. (The lines' median height in place of the text's read 92.8% of bench_labels.py's
    numbers against 94.6%; on forms with field lines, 89.4 against 92.9%.) ink, where given, is all
    the ink the mask was taken from (the mask without its ruled lines): what of it lies in a word's
    box and is not the word is foreign to it, as find_lines' regions have it."""
    ink = mask if ink is None else ink
    across, up = max(3, round(WORD_GAP * height) | 1), max(1, round(0.3 * height) | 1)
    n, labels, stats, _ = components(cv2.dilate(mask, np.ones((up, across), np.uint8)))
    out = []
    for i in range(1, n):
        x, y, w, h = (int(v) for v in stats[i, :4])
        own = (labels[y : y + h, x : x + w] == i) & (mask[y : y + h, x : x + w] > 0)
        rows, cols = np.flatnonzero(own.any(axis=1)), np.flatnonzero(own.any(axis=0))
        if not len(rows):
            continue
        y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        crop = own[y0:y1, x0:x1]
        foreign = (ink[y + y0 : y + y1, x + x0 : x + x1] > 0) & ~crop
        out.append(Region((x + int(x0), y + int(y0), int(x1 - x0), int(y1 - y0)), crop.astype(np.uint8), foreign.astype(np.uint8)))
    return out


def whole(mask: np.ndarray) -> Region:
    """All the ink as one region, as when the image is known to hold one digit."""
    ys, xs = np.nonzero(mask)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = mask[top:bottom, left:right]
    return Region((int(left), int(top), int(right - left), int(bottom - top)), crop, np.zeros_like(crop))


def may_be_one_number(regions: list[Region]) -> bool:
    """Whether the regions may be one number the layout cut: they all sit on one row, side by
    side, or huddle together no taller than HUDDLE lines (faint ink broken into pieces)."""
    top = max(r.box[1] for r in regions)
    bottom = min(r.box[1] + r.box[3] for r in regions)
    if bottom - top >= SAME_ROW * min(r.box[3] for r in regions):
        return True
    span = max(r.box[1] + r.box[3] for r in regions) - min(r.box[1] for r in regions)
    return span <= HUDDLE * float(np.median([r.box[3] for r in regions]))


def text_height(mask: np.ndarray) -> float:
    """How tall the writing is, in pixels: the median height, by ink, of the marks that could be
    characters; dust (under 2% of the largest mark's area) and rules are left out."""
    if not mask.any():
        raise NoDigitError("no number found: the image is blank")
    # Runs far longer than any character first go (LONGEST pen widths), so that writing on a
    # ruled line is not one mark with it; then the rest is closed, so that the pieces of a broken
    # or faint stroke count as the one mark they are.
    pen = stroke_width(mask)
    unruled, _ = _without_runs(mask, LONGEST * pen, LONGEST * pen)
    closed = cv2.morphologyEx(unruled if unruled.any() else mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    n, _, stats, _ = components(closed)
    w, h, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    real = area >= 0.02 * area.max()
    # Left out: flat marks (rules, dashes, underlines), long hairlines (borders, a scan's broken
    # lines) and marks far longer than the pen is wide (frames of table borders); a digit that
    # fills a tight crop stays in, since too low a height is what costs.
    long = np.maximum(w, h)
    too_long = long > LONGEST * pen  # a frame of table borders, however hollow
    rule = (w >= 4 * h) | (area < HAIRLINE * long * long) | too_long
    chosen = real & ~rule if (real & ~rule).any() else real
    # The median by ink, not by count: the fragments of a broken stroke or a pattern count for little.
    heights, weights = h[chosen], area[chosen].astype(float)
    order = np.argsort(heights)
    at = np.searchsorted(np.cumsum(weights[order]), weights.sum() / 2)
    return float(max(heights[order][min(at, len(order) - 1)], 4.0))


def unruled(page: Page) -> Page:
    """The page without its ruled lines, borders and character boxes, for the digit models, which
    segment the whole page into blobs: a cell border's stub left by the clean-up would be read as a 1."""
    unboxed, _ = forms.without_boxes(page.mask)
    mask, _ = without_rules(unboxed, text_height(unboxed)) if unboxed.any() else (unboxed, None)
    if not mask.any() or mask is page.mask:
        return page
    return replace(page, mask=mask, ink=within_marks(page.ink, mask))


def without_rules(mask: np.ndarray, height: float) -> tuple[np.ndarray, np.ndarray]:
    """The mask without its long straight runs: ruled lines, table borders, underlines, the edge
    of a scan's margin. Strokes that cross a line lose only the pixels they share with it. Also
    the upright rules removed: a table's cell borders, which no number reaches across."""
    rows, cols = mask.shape
    lengths = []
    for length, side in ((RULE_LENGTH * height, cols), (UPRIGHT_LENGTH * height, rows)):
        # A run across (nearly) the whole image is a border, however short, unless the writing
        # itself fills most of the image that way (a 1 cropped tight).
        if length > 0.95 * side:
            length = 0.95 * side if height <= BORDERED * side else 0
        lengths.append(length)
    return _without_runs(mask, *lengths)


def _without_runs(mask: np.ndarray, across: float, down: float) -> tuple[np.ndarray, np.ndarray]:
    """The mask without straight horizontal runs of `across` pixels or more, and vertical ones of
    `down` (0: none), nor their one-pixel fringe; and the vertical runs themselves."""
    runs, upright = np.zeros_like(mask), np.zeros_like(mask)
    for length, horizontal in ((across, True), (down, False)):
        # Only where some row (or column) holds that much ink can such a run be: most images skip.
        if length >= 2 and mask.sum(axis=1 if horizontal else 0).max() >= length:
            kernel = np.ones((1, int(length)) if horizontal else (int(length), 1), np.uint8)
            # Paper, not ink, beyond the image's edge: else a stroke near the edge counts as a long run.
            found = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
            runs |= found
            if not horizontal:
                upright = found
    if not runs.any():
        return mask, upright
    return mask_without(mask, runs), upright


def _rows_and_numbers(stats: np.ndarray, marks: list[int], height: float, upright: np.ndarray, boxes: np.ndarray) -> list[list[int]]:
    """Group marks into numbers: the marks as tall as characters into rows, by their vertical
    overlap (following a row's drift as it goes), a row cut where the gap is wider than GAP text
    heights; then each smaller mark (a separator, a broken stroke's piece) joins the number it
    lies in or beside, on its band. Small marks near no number are dropped: dust, ticks, pattern.

    One sweep left to right: a number ends once the sweep is GAP text heights past it, so each
    mark is compared with the numbers still open, not with all of them."""
    x, y, w, h = (stats[:, k].tolist() for k in range(4))  # Python ints: this loop indexes them a lot
    groups: list[list[int]] = []
    open_: list[int] = []  # the groups the sweep may still extend
    right: list[int] = []  # each group's right edge
    later = []  # small marks beside no open number, for a second look once all are known
    for i in sorted(marks, key=lambda i: x[i]):
        open_ = [g for g in open_ if x[i] - right[g] <= BOX_WIDTH * height]
        best, best_overlap = None, SAME_ROW
        for g in open_:
            # The row as its marks of the last text height and a half stand: it follows a drift
            # down the page, and a piece of a broken digit is measured against the whole digit.
            recent = [k for k in groups[g][-8:] if x[k] + w[k] >= x[i] - 1.5 * height] or groups[g][-1:]
            top, bottom = min(y[k] for k in recent), max(y[k] + h[k] for k in recent)
            if h[i] >= TALL * height:
                overlap = (min(y[i] + h[i], bottom) - max(y[i], top)) / max(min(h[i], bottom - top), 1)
            else:  # a separator or a piece: its centre within the row's band, a little beyond
                overlap = 1.0 if top - 0.25 * height <= y[i] + h[i] / 2 <= bottom + 0.25 * height else 0.0
            if overlap >= best_overlap and _beside(upright, boxes, top, bottom, right[g], x[i], height):
                best, best_overlap = g, overlap
        if best is not None:
            groups[best].append(i)
            right[best] = max(right[best], x[i] + w[i])
        elif h[i] >= TALL * height:
            groups.append([i])
            right.append(x[i] + w[i])
            open_.append(len(groups) - 1)
        else:
            later.append(i)
    groups = _merged(groups, stats, partial(_pieces_of_one, height=height))
    small = np.array(later, int)
    if len(groups) and len(small):
        boxes = _boxes(groups, stats)
        x, y, w, h = (stats[:, k] for k in range(4))
        cx, cy = (x[small] + w[small] / 2)[:, None], (y[small] + h[small] / 2)[:, None]
        distances = np.maximum(np.maximum(boxes[:, 0] - cx, cx - boxes[:, 2]), 0)
        # Only beside a number, in its band: a tick above it or a dash of a rule below it stays
        # out. But a piece right on top of a number, or under it (a lone digit broken across its
        # middle), is that number's.
        gap = np.maximum(boxes[:, 1] - (y[small] + h[small])[:, None], y[small][:, None] - boxes[:, 3])
        on = (distances == 0) & (gap <= PIECE_GAP * height)
        distances[((cy < boxes[:, 1] - 0.25 * height) | (cy > boxes[:, 3] + 0.25 * height)) & ~on] = np.inf
        nearest = distances.argmin(axis=1)
        for i, g, d in zip(small, nearest, distances[np.arange(len(small)), nearest]):
            if d <= NEAR * height:
                groups[g].append(int(i))
    return _reading_order(_merged(groups, stats, _halves_of_a_row), stats)


def _beside(upright: np.ndarray, boxes: np.ndarray, top: int, bottom: int, left: int, right: int, height: float) -> bool:
    """Whether a mark (from right on) goes on a row's number that ends at left, over the rows top
    to bottom: within GAP, with no cell border between; or in the next of a row of character
    boxes (forms.without_boxes), no box between."""
    if not upright[top:bottom, left:right].any():
        return right - left <= GAP * height
    across = boxes[(top + bottom) // 2, max(left - 1, 0) : right + 1]
    return len(np.unique(across[across > 0])) == 2  # the two boxes, none between


def _holed(mask: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Which marks (by label) enclose a hole: a 0, 4, 6, 8 or 9 does, a dot or a smudge does not.

    The paper reached from beyond the image's edge is filled in; what paper is left is holes. (A
    flood fill, not the paper's every piece labelled and looked up: 1.4 ms for a 1000x1000
    photo's mask, against 9.8.)"""
    paper = np.pad((1 - mask).astype(np.uint8), 1, constant_values=1)
    cv2.floodFill(paper, None, (0, 0), 0, flags=4)
    holes = paper[1:-1, 1:-1]
    holed = np.zeros(labels.max() + 1, bool)
    holed[np.unique(labels[cv2.dilate(holes, np.ones((3, 3), np.uint8)) > 0])] = True
    holed[0] = False
    return holed


def _number_like(group: list[int], stats: np.ndarray, height: float, holed: np.ndarray, labels: np.ndarray) -> bool:
    """Whether a group, one of several, could be a number: as tall as the writing, and not just
    the upright or flat hairlines and sticks that are left of a broken rule or border, nor
    solid blobs. (A lone 1 written perfectly upright beside other numbers is lost to this.)"""
    x, y, w, h, area = (stats[group, k] for k in range(5))
    if (y + h).max() - y.min() < MIN_LINE * height:
        return False
    long, short = np.maximum(w, h), np.minimum(w, h)
    hairline = (area < HAIRLINE * long * long) & (short <= np.maximum(2, 0.1 * long))
    # A straight stick, upright or flat, filling its narrow box: a dash of a broken rule (one a
    # pixel or three wide fills less of it, as a scanned rule wavers by a pixel). A written 1
    # leans, and its box is wider than its stroke.
    stick = (area >= np.where(short <= 3, 0.45, 0.6) * w * h) & (short <= np.maximum(3, 0.2 * long))
    # A solid blob with no hole, as wide as it is tall, and as full as its outline: a dot, a
    # smudge. Of MNIST's test digits, 2.2% of those not long fill 0.6 of their box, most of them
    # with a hole (0, 4, 6, 8, 9); a bold digit whose loops have closed up still has its bays.
    blob = (area >= 0.6 * w * h) & (long < 2 * short) & ~holed[group]
    blob[blob] = [_solidity(labels, stats, i) >= CONVEX for i in np.asarray(group)[blob]]
    return not (hairline | stick | blob).all()


def _solidity(labels: np.ndarray, stats: np.ndarray, mark: int) -> float:
    """A mark's area over its convex hull's."""
    x, y, w, h, area = stats[mark]
    outline = cv2.findContours((labels[y : y + h, x : x + w] == mark).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]
    return float(area) / max(cv2.contourArea(cv2.convexHull(np.concatenate(outline))), 1.0)


def _tick(labels: np.ndarray, stats: np.ndarray, group: list[int]) -> bool:
    """Whether a group is one long thin stroke (and dust) leaning back further than TICK_LEAN but
    steeper than a number's row: a tick, not a digit."""
    main = max(group, key=lambda i: stats[i, 4])
    if stats[main, 4] < 0.8 * stats[group, 4].sum():  # more than one stroke and its dust
        return False
    x, y, w, h = stats[main, :4]
    m = cv2.moments((labels[y : y + h, x : x + w] == main).astype(np.uint8), True)
    spread = np.linalg.eigvalsh([[m["mu20"], m["mu11"]], [m["mu11"], m["mu02"]]])
    if spread[1] < STRAIGHT * max(spread[0], 1e-6):
        return False
    # The long axis's angle from the x axis, rows counted down: between 0 and 90 it runs down to the right.
    angle = 0.5 * np.degrees(np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"]))
    return 45 <= angle < 90 - TICK_LEAN


def _inside_rows(boxes: np.ndarray, rows: int) -> np.ndarray:
    """Which lines to keep: not those that the image's top or bottom edge cuts, where a taller one
    stands wholly inside. A crop of one row of a register or a table takes in the tails of the
    rows above and below (a stroke left at a register crop's top was read as "1" beside its "105")."""
    cut = (boxes[:, 1] <= RIM) | (boxes[:, 3] >= rows - RIM)
    if cut.all() or not cut.any():
        return np.ones(len(boxes), bool)
    height = boxes[:, 3] - boxes[:, 1]
    return ~cut | (height >= height[~cut].max())


def _boxes(groups: list[list[int]], stats: np.ndarray) -> np.ndarray:
    """(x0, y0, x1, y1) of each group of marks, one row a group."""
    return np.array([(stats[g, 0].min(), stats[g, 1].min(), (stats[g, 0] + stats[g, 2]).max(), (stats[g, 1] + stats[g, 3]).max()) for g in groups], np.int64).reshape(-1, 4)


def _merged(groups: list[list[int]], stats: np.ndarray, together) -> list[list[int]]:
    """Groups made one where together(box, boxes) says so of their boxes (x0, y0, x1, y1). Only
    groups that overlap left to right are compared, in one sweep: a page of thousands of lone
    marks costs no table of every pair."""
    if len(groups) < 2:
        return groups
    boxes = _boxes(groups, stats)
    order = np.argsort(boxes[:, 0], kind="stable")
    boxes = boxes[order]
    parent = list(range(len(groups)))  # union-find over the pairs found together

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a in range(len(boxes) - 1):
        end = int(np.searchsorted(boxes[:, 0], boxes[a, 2], side="left"))  # those starting before a ends
        for b in np.flatnonzero(together(boxes[a], boxes[a + 1 : end])) + a + 1:
            parent[root(int(order[a]))] = root(int(order[b]))
    merged: dict[int, list[int]] = {}
    for g, group in enumerate(groups):
        merged.setdefault(root(g), []).extend(group)
    return list(merged.values())


def _overlap(box: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How far box and each of boxes overlap across and down, and the smaller one's area."""
    across = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    down = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    area = np.minimum((box[2] - box[0]) * (box[3] - box[1]), (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    return across, down, area


def _joined_pieces(stats: np.ndarray, marks: list[int], height: float) -> tuple[np.ndarray, list[int], dict[int, tuple[int, ...]]]:
    """A small mark stacked right on top of another, the two together as tall as a character, is
    one mark with it: the halves of a digit that a skipping pen broke across its middle. Judged
    apart, a half is too small to start a number, or stands too low to share its neighbours' row,
    and a number's first digit was lost or cut off as a line of its own.

    Returns the stats with a row added for each joined mark, the marks with the pieces replaced by
    it, and which pieces each added row stands for."""
    def broken(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        lower = np.minimum(box[3] - box[1], boxes[:, 3] - boxes[:, 1])
        return _stacked(box, boxes, height) & (lower < TALL * height)

    joined = [g for g in _merged([[i] for i in marks], stats, broken) if len(g) > 1]
    boxes = _boxes(joined, stats)
    tall = boxes[:, 3] - boxes[:, 1] >= TALL * height
    joined, boxes = [g for g, t in zip(joined, tall) if t], boxes[tall]
    if not joined:
        return stats, marks, {}
    rows = np.c_[boxes[:, :2], boxes[:, 2:] - boxes[:, :2], [stats[g, 4].sum() for g in joined]].astype(stats.dtype)
    members = {len(stats) + j: tuple(g) for j, g in enumerate(joined)}
    pieces = {i for g in joined for i in g}
    return np.vstack([stats, rows]), [i for i in marks if i not in pieces] + list(members), members


def _stacked(box: np.ndarray, boxes: np.ndarray, height: float) -> np.ndarray:
    """Boxes one right on top of the other, together no taller than STACKED text heights."""
    across, _, _ = _overlap(box, boxes)
    gap = np.maximum(box[1], boxes[:, 1]) - np.minimum(box[3], boxes[:, 3])
    narrower = np.minimum(box[2] - box[0], boxes[:, 2] - boxes[:, 0])
    tall = np.maximum(box[3], boxes[:, 3]) - np.minimum(box[1], boxes[:, 1])
    return (across >= 0.5 * narrower) & (gap <= PIECE_GAP * height) & (tall <= STACKED * height)


def _pieces_of_one(box: np.ndarray, boxes: np.ndarray, height: float) -> np.ndarray:
    """Boxes overlapping by a quarter of the smaller one: the two strokes of a broken 6 can start
    two rows when neither overlaps the other enough. Or stacked (_stacked): the halves of a lone
    digit broken across its middle."""
    across, down, area = _overlap(box, boxes)
    return (across * down >= 0.25 * area) | _stacked(box, boxes, height)


def _halves_of_a_row(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Once the small marks have joined, numbers of one row whose boxes overlap by a quarter of
    the smaller and share 80% of its height are one (a broken digit's pieces can make two numbers
    of one); a mark hanging below a number is not."""
    across, down, area = _overlap(box, boxes)
    lower = np.minimum(box[3] - box[1], boxes[:, 3] - boxes[:, 1])
    return (across * down >= 0.25 * area) & (down >= 0.8 * lower)


def _reading_order(groups: list[list[int]], stats: np.ndarray) -> list[list[int]]:
    """Groups top to bottom, and those side by side on one row left to right."""
    def extent(group: list[int]) -> tuple[int, int]:
        return int(stats[group, 1].min()), int((stats[group, 1] + stats[group, 3]).max())

    groups = sorted(groups, key=lambda g: sum(extent(g)))
    ordered, row, row_extent = [], [], (0, 0)
    for group in groups:
        top, bottom = extent(group)
        shared = min(bottom, row_extent[1]) - max(top, row_extent[0])
        if row and shared >= SAME_ROW * min(bottom - top, row_extent[1] - row_extent[0]):
            row.append(group)
            row_extent = (min(top, row_extent[0]), max(bottom, row_extent[1]))
        else:
            ordered += sorted(row, key=lambda g: stats[g, 0].min())
            row, row_extent = [group], (top, bottom)
    return ordered + sorted(row, key=lambda g: stats[g, 0].min())
