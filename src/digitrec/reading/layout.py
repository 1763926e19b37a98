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
from typing import NamedTuple

import cv2
import numpy as np

from ..errors import ImageError, NoDigitError
from .preprocess import RIM, Page, stroke_width, within_marks

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

PRINTED = 0.85
"""A form's character boxes (an account number, a date, a postcode written one digit to a box)
are printed: their tops, bottoms and sides are straight, each filling this share of one row or
column of the frame's box (a 0 written square does not). bench_boxes.py reads 88% of its fields
of each kind; at 0.95, 90% side by side but 82% printed apart, whose thin frames the clean-up
leaves with gaps..."""

BOX_SHAPE = (0.5, 1.4)
"""...each box this many times as wide as it is tall, or in between (at 2.0 the fields read the
same, but a one-row table's cells holding numbers pass for boxes; an upright closer than half the
height to the last side is a digit's stroke as tall as its box, or the next box's side printed
close)..."""

LONE_SIDE = 0.15
"""...its sides no wider than this share of its height (lone sides, where the clean-up took the
frame's top and bottom for ruled lines: without them 85% of the fields side by side)..."""

ONE_CHARACTER = 2.0
"""...each holding one character, no wider than this many times its height, and no two
characters side by side (a table's cell holds a number; at 1.5, wide MNIST digits cost 3
fields side by side of 100)..."""

BOX_WIDTH = 3.0
"""...and the digits in neighbouring boxes one number, though they stand up to this many text
heights apart, a box's sides between them (large boxes printed apart hold digits over 2 text
heights apart; their boxes, not the gap, decide)."""

COMB_WIDTH = 2.0
"""A comb (a base line with a tick rising between each two boxes, no top) is looked for only in a
mark this many times as wide as it is tall, with the digits that touch it: a cheap first test that
spares every digit, since a comb runs three boxes or more..."""

COMB_TICKS = 4
"""...and has this many ticks or more found, evenly set: three boxes. Neither was tuned:
bench_boxes.py's combs (1.15 to 1.7 text heights a box, ticks a quarter to half a box tall) read
94% exactly, and no realworld-dev image, generated page or realistic image changed."""

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

MAX_MARKS = 4000
"""More marks than this is no page of numbers (noise, a photo of texture): refused, not ground through."""


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


def find_lines(mask: np.ndarray, unboxed: tuple[np.ndarray, np.ndarray] | None = None) -> list[Region]:
    """The lines of writing in an ink mask, top to bottom, each row's numbers left to right;
    unboxed is without_boxes(mask), where the caller has it already.

    Raises NoDigitError if nothing but lines and dust is there.
    """
    ink = mask
    mask, boxes = unboxed or without_boxes(mask)
    height = text_height(mask)
    mask, upright = without_rules(mask, height)
    upright = upright | (boxes < 0)
    # Marks are found with the gaps that removed rules left bridged: a 1 that crossed a line stays one mark.
    bridged = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 1), np.uint8)) if mask is not ink else mask
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bridged, connectivity=8)
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
    for thin, at in ((w == 1, x), (h == 1, y)):
        piece |= thin & (np.bincount(at[thin], minlength=at.max() + 1)[at] >= 2)
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
        own = np.isin(labels[y0:y1, x0:x1], group).astype(np.uint8) & mask[y0:y1, x0:x1]
        foreign = cv2.dilate(ink[y0:y1, x0:x1] & (1 - own), np.ones((3, 3), np.uint8)) & (1 - own)
        regions.append(Region((int(x0), int(y0), int(x1 - x0), int(y1 - y0)), own, foreign))
    return regions


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
    n, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
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
    unboxed, _ = without_boxes(page.mask)
    mask, _ = without_rules(unboxed, text_height(unboxed)) if unboxed.any() else (unboxed, None)
    if not mask.any() or mask is page.mask:
        return page
    return replace(page, mask=mask, ink=within_marks(page.ink, mask))


class _Side(NamedTuple):
    """An upright side of a character box: its first and last columns and its rows, the mark
    it belongs to, and whether it is one of a frame's two ends."""

    first: int
    last: int
    top: int
    bottom: int
    mark: int
    end: bool


COMB = -2
"""A comb's pixels in without_boxes' map of boxes (a box's sides are -1)."""


def without_combs(mask: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """The mask without the combs found in it (without_boxes' boxes): what the skew step judges
    a page's slope by, since a comb's ticks beside its digits stand in rows aslant. (A box's
    sides stay: a one-row table turned sideways can pass for a row of boxes.)"""
    comb = (boxes == COMB).astype(np.uint8)
    return _taken_out(mask, comb) if comb.any() else mask


class _Comb(NamedTuple):
    """A comb: the row its ticks stand on, each tick's centre column (those the clean-up lost
    filled in), and its pixels, as (top, left, mask) pieces of the image."""

    base: int
    ticks: np.ndarray
    own: list[tuple[int, int, np.ndarray]]


def without_boxes(mask: np.ndarray, frames: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The mask without the printed frames of a form's character boxes, and where the boxes are:
    each box's inside numbered from 1, their sides -1, a comb's pixels COMB. A frame is no writing, and a box as tall as
    the digits in it is too short for a rule (UPRIGHT_LENGTH), so its sides were read as 1s. A
    box's sides are straight upright columns of ink (PRINTED) of one height, standing a box's
    width apart (BOX_SHAPE): the sides of a frame (_frame), or lone ones where the clean-up took
    the frame's top and bottom for ruled lines. A row of them is boxes where two or more of its
    boxes each hold a character, or its one box does (_holds: not "111" written straight, nor a 0
    written square, nor a table's cells holding numbers). A comb's boxes are open above
    (_comb, _lone_combs), and held as a row of boxes is. The frames are looked for in `frames`
    where given, a fainter mask of the same ink (a form's print may be lighter than its writing),
    and the writing they hold in the mask."""
    boxes = np.zeros(mask.shape, np.int16)  # a box number each pixel (MAX_MARKS bounds them), -1 and COMB for frames
    # Closed first: a printed hairline comes out of the clean-up with gaps a pixel or two long.
    closed = cv2.morphologyEx(mask if frames is None else frames, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    if n > MAX_MARKS:  # texture or noise, no form: find_lines refuses as many marks
        return mask, boxes
    x, y, w, h = (stats[:, k] for k in range(4))
    sides, lines, combs, lone = [], {}, [], []  # every side found; each frame's top and bottom rows; the combs; straight uprights alone
    for i in np.flatnonzero(h >= 8)[1:] if n > 1 else ():
        mark = labels[y[i] : y[i] + h[i], x[i] : x[i] + w[i]] == i
        found = _frame(mark) if w[i] >= BOX_SHAPE[0] * h[i] else None
        if found is not None:
            lines[i], spans = found
            sides += [_Side(int(x[i]) + a, int(x[i]) + b, int(y[i]), int(y[i] + h[i]), int(i), k in (0, len(spans) - 1)) for k, (a, b) in enumerate(spans)]
        elif w[i] <= max(6, LONE_SIDE * h[i]) and mark.mean(axis=0).max() >= PRINTED:
            # Straight up, alone: a box's side, or a comb's tick, its base taken for a ruled line by the clean-up.
            lone.append(_Side(int(x[i]), int(x[i] + w[i]) - 1, int(y[i]), int(y[i] + h[i]), int(i), True))
            if w[i] <= LONE_SIDE * h[i]:
                sides.append(lone[-1])
        elif w[i] >= COMB_WIDTH * h[i] and (comb := _comb(mark, int(y[i]), int(x[i]))) is not None:
            combs.append(comb)
    combs += _lone_combs(closed, lone)
    if len(sides) < 2 and not combs:  # most images
        return mask, boxes
    rails = np.zeros(mask.shape, bool)  # the frames' tops and bottoms
    for i, flat in lines.items():
        rails[y[i] : y[i] + h[i], x[i] : x[i] + w[i]] |= (labels[y[i] : y[i] + h[i], x[i] : x[i] + w[i]] == i) & flat[:, None]
    framing = rails.astype(np.uint8)
    for side in sides:
        framing[side.top : side.bottom, side.first : side.last + 1] = 1
    for comb in combs:
        _laid(framing, comb.own)
    marks = _writing(mask, framing)
    frames = [(x[i], x[i] + w[i]) for i in lines]
    taken: list[_Side] = []
    count = 0  # boxes numbered so far
    for row in sorted(_rows_of_sides(sides), key=len, reverse=True):  # the longest first: a side come out short is a row of its own, and the long row's
        # A straight 1 written in a frame's box is no side: only a frame's own, or lone ones outside any frame.
        row = [side for side in row if side.mark in lines or not any(a < side.first and side.last < b for a, b in frames)]
        row = [side for side in row if not any(t.first <= side.last and side.first <= t.last and t.top < side.bottom and side.top < t.bottom for t in taken)]  # nor one a row before took
        if not row:
            continue
        top, bottom = row[0].top, row[0].bottom
        kept = [row[0]]
        for side in row[1:]:  # not a digit's stroke as tall as the box, nor the next box's side printed close
            if side.first - kept[-1].last >= BOX_SHAPE[0] * (bottom - top):
                kept.append(side)
        slack = max(2, (bottom - top) // 10)
        centres = np.array([(side.first + side.last) / 2 for side in kept])
        steps = None if any(side.mark in lines for side in kept) else _side_steps(closed, centres, top, bottom, slack)
        filled = []
        for at in steps[np.abs(steps[None, :] - centres[:, None]).min(axis=0) >= BOX_SHAPE[0] * (bottom - top)] if steps is not None else ():
            # A lone side a digit touches, where the row's even steps put one and no side stands near (boxes printed apart): a side of its own.
            if found := _straight(closed, top + slack, bottom - slack, at, slack):  # its ends may have gone with the frame's top and bottom
                filled.append(_Side(found[0], found[1], top, bottom, 0, False))
        row_framing, row_marks = framing, marks
        if filled:  # the digits that touched them are the boxes' writing, no longer joined to the sides
            kept += filled
            row_framing = framing.copy()
            for side in filled:
                row_framing[top:bottom, side.first : side.last + 1] = 1
            row_marks = _writing(mask, row_framing)
        kept.sort()
        ends = [side for side in row if side.end and side not in kept]  # a frame's own ends are sides however close
        pairs = [(a.last + 1, b.first) for a, b in zip(kept, kept[1:]) if b.first - a.last <= BOX_SHAPE[1] * (bottom - top)]
        if (numbered := _numbered(boxes, row_marks, top, bottom, pairs, count)) is not None:
            count, framing, marks = numbered, row_framing, row_marks  # the sides filled in are sides for the rows after, as found ones are
            taken += kept + ends
    frame = np.zeros_like(mask)
    for comb in combs:
        # A comb's box is open above: as tall as the pitch and a half.
        step = (comb.ticks[-1] - comb.ticks[0]) / (len(comb.ticks) - 1)
        top, bottom = max(0, comb.base - round(1.5 * step)), comb.base
        pairs = [(round(a) + 1, round(b)) for a, b in zip(comb.ticks, comb.ticks[1:])]  # up to the ticks, as a frame's boxes reach their sides
        if (numbered := _numbered(boxes, marks, top, bottom, pairs, count)) is None:
            continue
        count = numbered
        _laid(frame, comb.own)
        _laid(boxes, comb.own, COMB)
    if not taken and not frame.any():
        return mask, boxes
    for side in taken:
        frame[side.top : side.bottom, side.first : side.last + 1] = 1
        boxes[side.top : side.bottom, side.first : side.last + 1] = -1
    for i in {side.mark for side in taken} & lines.keys():  # each frame's top and bottom, once
        frame[y[i] : y[i] + h[i], x[i] : x[i] + w[i]] |= rails[y[i] : y[i] + h[i], x[i] : x[i] + w[i]]
    return _taken_out(mask, frame), boxes


def _side_steps(closed: np.ndarray, centres: np.ndarray, top: int, bottom: int, slack: int) -> np.ndarray | None:
    """Where a row of lone sides (centres: those found, over rows top to bottom) has its sides: the
    even steps (_even) of the ink's straight uprights in the row's band, those a digit touches
    included (no marks of their own), and onward past the row's ends (_onward); a side's ends may
    have gone with the frame's top and bottom (slack). Boxes printed apart, each side beside the
    next box's, have the sides found alone."""
    reach = round(2 * BOX_SHAPE[1] * (bottom - top))  # two boxes past the row's ends: the digits in them may touch both their sides
    uprights = np.array([(a + b) / 2 for a, b in _uprights(closed, top + slack, bottom - slack, round(centres[0]) - reach, round(centres[-1]) + reach + 1)])
    close = np.diff(uprights) < BOX_SHAPE[0] * (bottom - top)
    steps = _even(centres if close.sum() >= (~close).sum() / 2 else uprights, slack)
    if steps is None:
        return None
    step = (steps[-1] - steps[0]) / (len(steps) - 1)
    before, after = ([(a + b) / 2 for a, b in _onward(closed, top + slack, bottom - slack, steps[k], way * step, slack)] for k, way in ((0, -1), (-1, 1)))
    return np.concatenate([before[::-1], steps, after])


def _writing(mask: np.ndarray, framing: np.ndarray) -> np.ndarray:
    """The stats of the marks a box may hold: the ink clear of the frames and uprights found."""
    writing = (mask.astype(bool) & (cv2.dilate(framing, np.ones((5, 5), np.uint8)) == 0)).astype(np.uint8)
    return cv2.connectedComponentsWithStats(writing, connectivity=8)[2]


def _numbered(boxes: np.ndarray, marks: np.ndarray, top: int, bottom: int, pairs: list[tuple[int, int]], count: int) -> int | None:
    """A row's boxes (rows top to bottom, each pair's columns) numbered on the map from count + 1,
    and the last number given; None, and nothing laid, where the row is no form's: two or more
    of its boxes each hold a character, or its one box does, and none is no character box (_holds)."""
    held = [_holds(marks, top, bottom, left, right) for left, right in pairs]
    if None in held or not (sum(held) >= 2 or len(pairs) == 1 and held[0]):
        return None
    for left, right in pairs:
        count += 1
        boxes[top:bottom, left:right] = count
    return count


def _laid(canvas: np.ndarray, pieces: list[tuple[int, int, np.ndarray]], value: int = 1) -> None:
    """The value laid on the canvas where the (top, left, mask) pieces are."""
    for top, left, piece in pieces:
        canvas[top : top + piece.shape[0], left : left + piece.shape[1]][piece > 0] = value


def _holds(marks: np.ndarray, top: int, bottom: int, left: int, right: int) -> bool | None:
    """Whether a box (rows top to bottom, columns left to right) holds a character: half its height
    in pixels of ink or more, within it (marks: the writing's marks' stats). None where it is no
    character box: writing runs out of it, beyond its sides or a quarter of its height above or
    below (the pieces of a squared grid left in, standing like box sides among the writing), or
    what it holds is wider than one character (ONE_CHARACTER: a table's cell, holding a number)."""
    x, y, w, h = (marks[1:, k] for k in range(4))
    meets = (x < right) & (x + w > left) & (y < bottom) & (y + h > top)
    if not meets.any():
        return False
    slack = (bottom - top) // 4
    inside = (x >= left - 2) & (x + w <= right + 2) & (y >= top - slack) & (y + h <= bottom + slack)
    width, height = (x + w)[meets].max() - x[meets].min(), (y + h)[meets].max() - y[meets].min()
    if (meets & ~inside).any() or width > ONE_CHARACTER * height:
        return None
    tall = np.flatnonzero(meets & (h >= height / 2) & (w >= 0.2 * height))  # not a sliver a side left
    order = tall[np.argsort(x[tall])]
    if (x[order[1:]] >= (x + w)[order[:-1]] - 2).any():  # characters side by side: a table's cell, holding a number
        return None
    return int(marks[1:, 4][meets].sum()) >= (bottom - top) / 2


def _rows_of_sides(sides: list[_Side]) -> list[list[_Side]]:
    """The sides in rows of one height, each left to right: tops and bottoms alike within a tenth
    of the height, or two pixels."""
    rows: list[list[_Side]] = []
    for side in sorted(sides, key=lambda s: (s.top, s.first)):
        slack = max(2, (side.bottom - side.top) // 10)
        row = next((r for r in rows if abs(r[0].top - side.top) <= slack and abs(r[0].bottom - side.bottom) <= slack), None)
        if row is None:
            rows.append([side])
        else:
            row.append(side)
    return [sorted(r) for r in rows]


def _frame(mark: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]] | None:
    """A frame of boxes: the rows of its top and bottom (a boolean per row of the mark), and the
    first and last columns of each straight upright in it; None where the mark is no frame: a
    straight top and bottom (PRINTED), nothing as straight across in between (a table's rows),
    straight columns at both ends."""
    h = mark.shape[0]
    reach = max(2, h // 10)  # a frame's line may sit a pixel or two inside the mark's box
    flat, runs = _straight_rows(mark)
    if not (flat[:reach].any() and flat[-reach:].any()) or runs != 2:  # most marks: no straight top and bottom, and nothing straight across between
        return None
    upright = mark.mean(axis=0) >= PRINTED
    if not (upright[:reach].any() and upright[-reach:].any()) or upright.mean() > 0.4:  # open at an end, or a solid mark
        return None
    at = np.flatnonzero(upright)  # each upright's columns as one: a thick side's, or one the clean-up nicked
    return flat, [(int(c[0]), int(c[-1])) for c in np.split(at, np.flatnonzero(np.diff(at) > reach) + 1)]


def _straight_rows(mark: np.ndarray) -> tuple[np.ndarray, int]:
    """Which rows of a mark are straight runs across it (PRINTED), and how many runs they make."""
    flat = mark.mean(axis=1) >= PRINTED
    return flat, int(flat[0]) + np.count_nonzero(flat[1:] & ~flat[:-1])


def _comb(mark: np.ndarray, top: int, left: int) -> _Comb | None:
    """A comb (a form's row of boxes printed as a base line with a tick rising between each two,
    and no top) in a mark, with the digits that touch it; None where the mark holds none. Its one
    straight run across (PRINTED) is the base, and a tick is ink rising straight up from it, no
    wider than the base is thick; evenly set (_even), and at the base's ends or a step from them
    (a ruled line runs on past the digits that stand on it). The mark's box starts at row top,
    column left of the image."""
    h, w = mark.shape
    flat, runs = _straight_rows(mark)
    if runs != 1:
        return None
    rows = np.flatnonzero(flat)
    base, under = int(rows[0]), int(rows[-1]) + 1
    if base < 3:
        return None
    above = mark[:base]
    rising = np.argmin(np.vstack([above[::-1], np.zeros((1, w), bool)]), axis=0)  # each column's ink unbroken up from the base
    at = np.flatnonzero(rising >= 3)
    thick = 2 * (under - base) + 2  # a tick's columns, its blurred edges with them
    spans = [(int(c[0]), int(c[-1])) for c in np.split(at, np.flatnonzero(np.diff(at) > 1) + 1) if len(c) and c[-1] - c[0] < thick]
    if len(spans) < COMB_TICKS:
        return None
    centres = np.array([(a + b) / 2 for a, b in spans])
    ticks = _even(centres, thick)  # not a digit's stroke standing on the base, off the steps
    if ticks is None:
        return None
    on = [k for k, c in enumerate(centres) if np.abs(ticks - c).min() <= thick]
    inner = [k for k in on if ticks[0] + thick < centres[k] < ticks[-1] - thick] or on  # the end ticks are often taller
    tall = float(np.median([rising[spans[k][0] : spans[k][1] + 1].max() for k in inner]))
    step = (ticks[-1] - ticks[0]) / (len(ticks) - 1)
    ends = np.flatnonzero(mark[base:under].any(axis=0))[[0, -1]]
    if ends[0] < ticks[0] - step - thick or ends[1] > ticks[-1] + step + thick:
        return None
    ticks = np.concatenate([ticks[:1] - step, ticks, ticks[-1:] + step])  # ticks at the base's ends the clean-up lost, if any
    ticks = np.clip(ticks[(ticks >= ends[0] - thick) & (ticks <= ends[1] + thick)], 0, w - 1)
    half = int(np.median([spans[k][1] - spans[k][0] for k in on])) // 2 + 1
    own = np.zeros_like(mark)
    own[base:under] = mark[base:under]
    for k, centre in enumerate(np.round(ticks).astype(int)):  # found or filled in: a tick a digit merged with is still the comb's
        cols = slice(max(0, centre - half), centre + half + 1)
        rise = max(int(tall), int(rising[cols].max())) if k in (0, len(ticks) - 1) else int(tall)  # the end ticks are often taller
        own[max(0, base - rise) : base, cols] = mark[max(0, base - rise) : base, cols]
    return _Comb(top + base, left + ticks, [(top, left, own)])


def _lone_combs(closed: np.ndarray, lone: list[_Side]) -> list[_Comb]:
    """The combs whose base the clean-up took for a ruled line: straight uprights alone (`lone`),
    of one height and standing on one row, evenly set (_even) further apart
    than boxes' sides (BOX_SHAPE). Their ticks are the ink's (`closed`) columns straight up over
    the ticks' rows (PRINTED) at each step, a step beyond them too: a tick a digit touches is no
    mark of its own."""
    combs = []
    for row in _rows_of_sides(lone):
        top, bottom = row[0].top, row[0].bottom
        slack = max(2, (bottom - top) // 10)
        ticks = _even(np.array([(side.first + side.last) / 2 for side in row]), slack)
        if ticks is None or ticks[1] - ticks[0] <= BOX_SHAPE[1] * (bottom - top):
            continue
        step, found = ticks[1] - ticks[0], [_straight(closed, top, bottom, at, slack) for at in ticks]
        own = [(top, a, closed[top:bottom, a : b + 1]) for a, b in filter(None, found)]
        for end, way in ((0, -1), (-1, 1)):
            for a, b in _onward(closed, top, bottom, ticks[end], way * step, slack):
                ticks = np.insert(ticks, len(ticks) if way > 0 else 0, (a + b) / 2)
                above = top  # an end tick, often taller than the rest: all of it
                while above > 0 and closed[above - 1, a : b + 1].any():
                    above -= 1
                own.append((above, a, closed[above:bottom, a : b + 1]))
        combs.append(_Comb(bottom, ticks, own))
    return combs


def _straight(closed: np.ndarray, top: int, bottom: int, at: float, slack: int) -> tuple[int, int] | None:
    """The first and last columns of ink straight up over rows top to bottom (PRINTED), within
    slack of column at: a side or a tick that a digit touches, no mark of its own."""
    runs = _uprights(closed, top, bottom, round(at) - slack, round(at) + slack + 1)
    return (runs[0][0], runs[-1][1]) if runs else None


def _onward(closed: np.ndarray, top: int, bottom: int, at: float, step: float, slack: int) -> list[tuple[int, int]]:
    """The straight uprights (_straight) a step on from column at, and a step on from each found,
    until a step finds none: the ticks or sides past those found, each hidden in a digit's mark."""
    found = []
    while (more := _straight(closed, top, bottom, at + step, slack)) is not None:
        found.append(more)
        at = (more[0] + more[1]) / 2
    return found


def _uprights(closed: np.ndarray, top: int, bottom: int, lo: int, hi: int) -> list[tuple[int, int]]:
    """The first and last columns of each run of ink straight up over rows top to bottom
    (PRINTED), in columns lo to hi."""
    lo, hi = max(0, lo), min(closed.shape[1], hi)
    cols = np.flatnonzero(closed[top:bottom, lo:hi].mean(axis=0) >= PRINTED) + lo if lo < hi else np.zeros(0, np.int64)
    return [(int(run[0]), int(run[-1])) for run in np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1) if len(run)]


def _even(centres: np.ndarray, slack: float) -> np.ndarray | None:
    """Ticks (their centres, left to right) set at even steps, as a comb's are: those on the steps
    that most of them stand on (half the steps or more, some hidden by the digits that touch them
    or lost by the clean-up, and filled in), the rest left out (a digit's stroke); None where
    fewer than COMB_TICKS stand so."""
    best, chosen = COMB_TICKS - 1, None
    for i, first in enumerate(centres[:3]):  # a stroke or two of a digit may come first, or between: no more, so the search stays short
        for step in centres[i + 1 : i + 4] - first:
            if step <= 2 * slack:
                continue
            k = np.round((centres - first) / step)
            on = (np.abs(centres - first - k * step) <= min(slack, step / 8)) & (k >= 0)  # printed: a tick stands within an eighth of a step of its place
            if on.sum() > best and on.sum() >= (k[on].max() + 1) / 2:
                best, chosen = on.sum(), (centres[on], step)
    if chosen is None:
        return None
    found, step = chosen
    missing = np.round(np.diff(found) / step).astype(int) - 1  # after each found tick, before the next
    for k in np.flatnonzero(missing)[::-1]:
        found = np.insert(found, k + 1, found[k] + (found[k + 1] - found[k]) * np.arange(1, missing[k] + 1) / (missing[k] + 1))
    return found


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
    return _taken_out(mask, runs), upright


def _taken_out(mask: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """The mask without the lines (1 where they lie) nor their one-pixel fringe, their anti-aliased edges."""
    return np.where(cv2.dilate(lines, np.ones((3, 3), np.uint8)) > 0, 0, mask).astype(np.uint8)


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
    boxes (without_boxes), no box between."""
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
