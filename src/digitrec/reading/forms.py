"""A form's character boxes: a number written one digit to a box (an account number, a date, a
postcode), found by its printed frame or comb and taken out of the writing.

Part of the layout (layout.find_lines asks for it, and runtime finds the boxes once for each way
the ink is read): the frames are no writing, and their sides, as tall as the digits, would be read
as 1s. Where the boxes are, the digits in neighbouring ones are one number. bench_boxes.py
measures it on generated fields (README; docs/line-reader-history.md, releases 28-30).
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from ..constants import MAX_MARKS
from .preprocess import components, mask_without

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

COMB_WIDTH = 2.0
"""A comb (a base line with a tick rising between each two boxes, no top) is looked for only in a
mark this many times as wide as it is tall, with the digits that touch it: a cheap first test that
spares every digit, since a comb runs three boxes or more..."""

COMB_TICKS = 4
"""...and has this many ticks or more found, evenly set: three boxes. Neither was tuned:
bench_boxes.py's combs (1.15 to 1.7 text heights a box, ticks a quarter to half a box tall) read
94% exactly, and no realworld-dev image, generated page or realistic image changed."""


class _Side(NamedTuple):
    """An upright side of a character box: its first and last columns and its rows, the mark
    it belongs to, and whether it is one of a frame's two ends."""

    first: int
    last: int
    top: int
    bottom: int
    mark: int
    end: bool
    frame: int = -1
    """The frame it is a side of (_parts: several where print joined them into one mark), or -1."""


COMB = -2
"""A comb's pixels in without_boxes' map of boxes (a box's sides are -1)."""

THIN = 0.2
"""A printed slash or dash is one straight stroke: as wide (its ink over its length) as this share of
its length or less (a slash printed 2 pixels wide and 40 long, 0.07; a bold printed B, 0.35)."""

PRINTED_AS = {"/": -3, "-": -4, ".": -5, ":": -6}
"""A separator printed between two groups of boxes (a date's slashes, DD / MM / YYYY), in
without_boxes' map of boxes: its pixels hold the code of the character it stands for (_separator).
Print that is no separator (a letter, a logo) is taken out as a side is, -1."""


def without_combs(mask: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """The mask without the combs found in it (without_boxes' boxes): what the skew step judges
    a page's slope by, since a comb's ticks beside its digits stand in rows aslant. (A box's
    sides stay: a one-row table turned sideways can pass for a row of boxes.)"""
    comb = (boxes == COMB).astype(np.uint8)
    return mask_without(mask, comb) if comb.any() else mask


class _Comb(NamedTuple):
    """A comb: the row its ticks stand on, each tick's centre column (those the clean-up lost
    filled in), and its pixels, as (top, left, mask) pieces of the image."""

    base: int
    ticks: np.ndarray
    own: list[tuple[int, int, np.ndarray]]


def without_boxes(mask: np.ndarray, frames: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The mask without the printed frames of a form's character boxes, and where the boxes are:
    each box's inside numbered from 1, their sides -1, a comb's pixels COMB. A frame is no writing, and a box as tall as
    the digits in it is too short for a rule (layout.UPRIGHT_LENGTH), so its sides were read as 1s. A
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
    n, labels, stats, _ = components(closed)
    if n > MAX_MARKS:  # texture or noise, no form: the layout refuses as many marks
        return mask, boxes
    x, y, w, h = (stats[:, k] for k in range(4))
    sides, lines, combs, lone = [], {}, [], []  # every side found; each frame's top and bottom rows; the combs; straight uprights alone
    outer: dict[int, tuple[int, int, float]] = {}  # each frame's (_Side.frame) first and last column, and its boxes' width
    for i in np.flatnonzero(h >= 8)[1:] if n > 1 else ():
        mark = labels[y[i] : y[i] + h[i], x[i] : x[i] + w[i]] == i
        found = _frame(mark) if w[i] >= BOX_SHAPE[0] * h[i] else None
        if found is not None:
            lines[i], spans = found
            for part in _parts(mark, lines[i], spans):
                number = len(outer)  # the frame's
                outer[number] = (int(x[i]) + part[0][0], int(x[i]) + part[-1][1], (part[-1][1] - part[0][0]) / max(1, len(part) - 1))
                sides += [_Side(int(x[i]) + a, int(x[i]) + b, int(y[i]), int(y[i] + h[i]), int(i), k in (0, len(part) - 1), number) for k, (a, b) in enumerate(part)]
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
    framed = [(x[i], x[i] + w[i]) for i in lines]  # each frame's columns
    taken: list[_Side] = []
    gaps: list[tuple[int, int, int, int]] = []  # between two frames of a row of boxes: rows and columns
    count = 0  # boxes numbered so far
    for row in sorted(_rows_of_sides(sides), key=len, reverse=True):  # the longest first: a side come out short is a row of its own, and the long row's
        # A straight 1 written in a frame's box is no side: only a frame's own, or lone ones outside any frame.
        row = [side for side in row if side.mark in lines or not any(a < side.first and side.last < b for a, b in framed)]
        row = [side for side in row if not any(t.first <= side.last and side.first <= t.last and t.top < side.bottom and side.top < t.bottom for t in taken)]  # nor one a row before took
        if not row:
            continue
        top, bottom = row[0].top, row[0].bottom
        kept = [row[0]]
        for side in row[1:]:  # not a digit's stroke as tall as the box, nor the next box's side printed close, but for a frame's own facing the last
            if side.first - kept[-1].last >= BOX_SHAPE[0] * (bottom - top) or _frames_apart(kept[-1], side, outer):
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
        apart = [_frames_apart(a, b, outer) for a, b in zip(kept, kept[1:])]
        pairs = [(a.last + 1, b.first) for a, b, gap in zip(kept, kept[1:], apart) if b.first - a.last <= BOX_SHAPE[1] * (bottom - top) and not gap]
        if (numbered := _numbered(boxes, row_marks, top, bottom, pairs, count)) is not None:
            count, framing, marks = numbered, row_framing, row_marks  # the sides filled in are sides for the rows after, as found ones are
            taken += kept + ends
            gaps += [(top, bottom, a.last + 1, b.first) for a, b, gap in zip(kept, kept[1:], apart) if gap]
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
    for top, bottom, left, right in gaps:
        printed, faint, char = _gap_print(mask[top:bottom, left:right], None if frames is None else frames[top:bottom, left:right])
        frame[top:bottom, left:right] |= printed
        boxes[top:bottom, left:right][printed > 0] = -1
        if char is not None:
            boxes[top:bottom, left:right][faint > 0] = PRINTED_AS[char]
    return mask_without(mask, frame), boxes


def printed_separators(boxes: np.ndarray) -> list[tuple[str, tuple[int, int, int, int]]]:
    """The separators printed between a form's groups of boxes (without_boxes' map of boxes),
    left to right: each the character it stands for and its box (x, y, width, height) on the map.
    A date's printed slashes belong in the date ("21/08/2016"), though the form put them there."""
    if boxes.min() > max(PRINTED_AS.values()):  # most images: no groups of boxes
        return []
    found = []
    for char, code in PRINTED_AS.items():
        n, _, stats, _ = components((boxes == code).astype(np.uint8))
        merged: list[list[int]] = []
        for x, y, w, h in sorted(stats[1:, :4].tolist()):
            # In the same gap: a colon's other dot, or the next piece of a slash the levelling broke
            # (a box, as wide as half its height or more, stands between two gaps).
            if merged and x <= merged[-1][0] + merged[-1][2] + merged[-1][3] // 2:
                last = merged[-1]
                right, bottom = max(last[0] + last[2], x + w), max(last[1] + last[3], y + h)
                last[1] = min(last[1], y)
                last[2], last[3] = right - last[0], bottom - last[1]
            else:
                merged.append([x, y, w, h])
        found += [(char, (x, y, w, h)) for x, y, w, h in merged]
    return sorted(found, key=lambda s: s[1][0])


def _separator(printed: np.ndarray, height: int) -> str | None:
    """The separator that the form's print in a gap between groups of boxes (height: the boxes')
    stands for: one thin stroke (_stroke) a slash or a dash; one dot (a twentieth to a quarter of
    the height) a point; two dots one above the other a colon. None for anything else: an upright
    bar, a printed letter, a logo, a speck. A stroke the clean-up broke is closed first."""
    closed = cv2.morphologyEx(printed, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    n, _, stats, _ = components(closed)
    x, y, w, h, area = (stats[1:, k] for k in range(5))
    small = (np.maximum(w, h) <= 0.25 * height) & (np.minimum(w, h) >= max(2, 0.05 * height))  # a dot, not a speck
    if n == 2:
        return _stroke(int(w[0]), int(h[0]), int(area[0]), height) or ("." if small[0] else None)
    if n == 3 and small.all() and min(x[0] + w[0], x[1] + w[1]) > max(x[0], x[1]) and abs(int(y[0]) - int(y[1])) >= max(h):
        return ":"
    if n > 2 and _in_line(closed):  # one stroke in pieces: a levelled hairline falls between rows of pixels
        return _stroke(int((x + w).max() - x.min()), int((y + h).max() - y.min()), int(area.sum()), height)
    return None


def _stroke(w: int, h: int, area: int, height: int) -> str | None:
    """What one stroke of that box and ink stands for: thin (its ink over its length at most THIN
    of its length), leaning and over 0.4 of the boxes' height, a slash; thin and flat, a dash."""
    length = float(np.hypot(w, h))
    if area / length > THIN * length:
        return None
    if h >= 0.4 * height and w >= 0.15 * h:
        return "/"
    if w >= 2 * h and h <= 0.25 * height:
        return "-"
    return None


def _in_line(ink: np.ndarray) -> bool:
    """Whether all the ink lies along one straight line: spread across it no more than a
    twentieth of its length either way (a printed stroke two pixels wide and 40 long, 0.015)."""
    ys, xs = np.nonzero(ink)
    across, along = np.sqrt(np.maximum(np.linalg.eigvalsh(np.cov(np.stack([xs, ys]).astype(float))), 0))
    return across <= 0.05 * 2 * np.sqrt(3) * along  # a line's length is its spread along it times 2 sqrt(3)


def _gap_print(gap: np.ndarray, faint: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, str | None]:
    """The form's print in the gap between two frames, in the writing's mask and in the print's
    (faint, where given), and the separator it stands for (_separator), judged in the print's
    own mask: a form printed lighter than its writing may leave its slash out of the writing's
    mask, or in pieces there. The marks wholly within the gap; or, where those stand for no
    separator, with those that reach across it, side to side, if then they do: a slash printed
    close against both frames (a page turned a little) was left in the writing, and read as a 1.
    (Not those that touch one side: a digit's stroke run out of its box, in a field of boxes
    printed apart, read 84% of 100 fields exactly against 90%.)"""
    inside = _printed(gap)
    for across in (False, True):
        printed = _printed(gap, across) if across else inside
        judged = printed if faint is None else _printed(faint, across)
        if (char := _separator(judged, gap.shape[0])) is not None:
            return printed, judged, char
    return inside, np.zeros_like(gap), None


def _printed(gap: np.ndarray, across: bool = False) -> np.ndarray:
    """The marks wholly within the gap between two frames of a row of boxes (and, if asked, those
    that reach across it from one frame's side to the other's): the form's print (a date's
    slashes, DD / MM / YYYY), not writing, which stays in its boxes."""
    n, labels, stats, _ = components(gap)
    x, y, w, h = (stats[:, k] for k in range(4))
    inside = (x > 0) & (x + w < gap.shape[1])
    within = (y > 0) & (y + h < gap.shape[0]) & (inside | (across & (x == 0) & (x + w == gap.shape[1])))
    within[0] = False  # the paper, however ink rings it
    return within[labels].astype(np.uint8)


def _frames_apart(a: _Side, b: _Side, outer: dict[int, tuple[int, int, float]]) -> bool:
    """Whether two sides are the facing ends of two frames, less than a box of either apart
    (outer: each frame's first and last column, and its boxes' width): what lies between them is
    no box, whatever stands there (boxes printed apart; a date's groups of boxes, DD / MM / YYYY).
    Further apart, a box whose frame a digit joined may stand between."""
    if a.frame == b.frame or a.frame not in outer or b.frame not in outer:
        return False
    (_, last, left), (first, _, right) = outer[a.frame], outer[b.frame]
    return a.last == last and b.first == first and b.first - a.last < min(left, right)


def _parts(mark: np.ndarray, flat: np.ndarray, spans: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """A frame's uprights (_frame: the mark's straight top and bottom rows, and its uprights'
    columns) in the frames they belong to: where no top or bottom runs between two uprights, one
    frame ends and the next begins, if they stand closer than the frame's boxes are wide (a box
    whose top and bottom the levelling broke is a box still). A slash printed close between a
    date's groups of boxes joined their frames into one mark, and the gap between them, taken for
    a box, held the slash: read as a 1."""
    rails = mark[flat]
    pitch = float(np.median(np.diff([first for first, _ in spans]))) if len(spans) > 1 else 0.0
    parts = [[spans[0]]]
    for (_, end), (start, last) in zip(spans, spans[1:]):
        if 1 < start - end < 0.9 * pitch and rails[:, end + 1 : start].mean() < 0.5:
            parts.append([])
        parts[-1].append((start, last))
    return parts


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
    return components(writing)[2]


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
    # The frame ends where its top and bottom do: print beyond them (a date's slash printed close
    # against the next group's frame) is no end of it.
    rails = np.flatnonzero(mark[flat].mean(axis=0) >= 0.5)
    first, last = rails[0], rails[-1] + 1
    if not (upright[first : first + reach].any() and upright[last - reach : last].any()) or upright.mean() > 0.4:  # open at an end, or a solid mark
        return None
    # Inside the frame, an upright is a side only where its ink runs unbroken most of the way down
    # (PRINTED): a bold digit's stroke, with its box's top and bottom, can fill as much of its column.
    inner = np.flatnonzero(upright[reach:-reach]) + reach
    upright[inner[_longest_runs(mark[:, inner]) < PRINTED * h]] = False
    at = np.flatnonzero(upright)  # each upright's columns as one: a thick side's, or one the clean-up nicked
    return flat, [(int(c[0]), int(c[-1])) for c in np.split(at, np.flatnonzero(np.diff(at) > reach) + 1)]


def _longest_runs(columns: np.ndarray) -> np.ndarray:
    """The longest unbroken run of ink down each column of a (rows, columns) boolean array."""
    edges = np.diff(np.pad(columns, ((1, 1), (0, 0))).astype(np.int8), axis=0).T  # +1 where a run starts, -1 just past its end
    starts, ends = np.argwhere(edges == 1), np.argwhere(edges == -1)  # column by column, top down: paired in order
    longest = np.zeros(columns.shape[1], np.int64)
    np.maximum.at(longest, starts[:, 0], ends[:, 1] - starts[:, 1])
    return longest


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
