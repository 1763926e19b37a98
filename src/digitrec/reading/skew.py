"""Writing that runs aslant, turned level before the layout reads it.

A phone is seldom held square to the page. The layout groups marks into rows by how they
overlap up and down, the clean-up lifts ruled lines and table borders only where they run level,
and the reader takes each line as level: generated pages turned 5 degrees read 58% of their
numbers where level ones read 94%, and squared ones none (benchmarks/bench_skew.py). So where the
characters' neighbours agree on a slope (or a ruled line settles it), the clean-up's ink
strength is turned level (ruled lines then run level too, and are lifted) and read; the boxes
found are carried back into the image's pixels.

Only the writing's own rows can say which way is level: a lone digit, or a short number whose
characters' centres wander, has no slope to trust, and it is left as it is.

A page turned further (held sideways, or steeply) has rows that run steeply or up and down.
Their direction says how to turn them level, but not which way up, and pieces of broken
characters or rules can line up too: such a page is read as the slope has it, and turned level
both ways up (`ways`), and the reader keeps the likeliest reading.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..constants import MAX_MARKS
from .preprocess import MIN_CONTRAST, RIM

MOST_TURN = 25.0
"""Characters whose centres lie further from level than this many degrees are not neighbours on
a row, for the slope; rows further from level are a page turned far (FAR_PAIRS)."""

NEIGHBOURS = 2.5
"""A character's neighbour on its row is the nearest to its right within this many text heights
(digits in a number stand under one apart; the next row is 1.8 or more below)."""

LEAST_PAIRS = 4
"""A slope needs at least this many neighbouring pairs: a number of five characters, or several
shorter ones. With three, the characters alone turned 7 of realworld-dev's 1,300 images (two
cheques by 19 and 22 degrees); with four, none."""

SURE_WITHIN = 3.0
"""A slope is trusted where the pairs' median is known to this many degrees (its standard error,
from their spread: handwritten digits' centres wander about 3 degrees from pair to pair at
level, so a row of five characters is not enough alone, a page of numbers is)..."""

SIGNIFICANT = 2.0
"""...or where it stands this many standard errors from level: pairs spread further on a page
turned far (at 15 degrees, 8 either way), yet all lean one way. Of 80 generated pages turned 3,
10 or 20 degrees, these two tests and RULED turn 74, 77 and 76 (3 or 4 hold under LEAST_PAIRS)."""

FORM_LINE = 3.0
"""Where too few characters stand side by side to show their slope (LEAST_PAIRS), a line this many
times as long as the ink is tall sets it: a form's frame of character boxes, or a comb's base,
printed straight, whose rows a few pixels off it hold under half as much ink (a row of touching
handwritten digits across a long number is no line: at first, without that test, one of the
realistic set's touching numbers was turned and misread). A form's field of two or three boxes
is too short for it: its frame sets the slope (FRAME_LINE). On 30 fields of each kind turned 2
to 4 degrees (`pages.boxed`, a script, release 29's boxes and combs before this step), boxes side by side read 37-43%
exactly without it and 67-70% with it, combs 60-73% and 83-93%; realworld-dev, the realistic
set and the generated pages read exactly as before (docs/line-reader-history.md, release 29). At 2, bench_boxes.py's
turned fields read 72 / 83 / 88% (boxes side by side / apart / combs) against 69 / 82 / 87%, but
two of realworld-dev's cheques right before were turned by their printed lines and misread."""

FRAME_LINE = 1.5
"""A frame's top and bottom, each this many times as long as the ink is tall and each among the
ink's first or last four rows, set the slope as a longer form line does (FORM_LINE): a field of
two or three boxes, where a number's digits are too few. At 2 (release 30: bench_boxes.py's
turned fields 80 / 82 / 87% -> 83 / 83 / 88%, boxes side by side / apart / combs) a frame of
just two square boxes, as long as twice its height and a little taller once turned, was read as
it lay: at 1.5 a date's groups turned 2-4 degrees read 68 and 74% exactly (seeds 0 and 1)
against 56 and 66%, and every other row of bench_boxes.py, realworld-dev, the realistic set,
the generated pages and bench_skew, grid, desk, documents, shadow and highlight read exactly as
at 2 (README, release 31)."""

FRAME_RULE = 0.15
"""A frame's top or bottom is no thicker than this share of the ink's height (skew._thin): a bold
or blurred frame's line 4 or 5 pixels thick in fields 40 to 70 tall, 0.07-0.13."""

FORM_POINTS = 5_000
"""A form's line is looked for among this many of the ink's points, a quarter of what a ruled line
under unsure characters is: every image of too few characters side by side that is wide enough
is looked at so, and the look's memory goes with its points (a bar 3000 pixels long, as a whole
`digitrec predict`: 129 MB before the form's line was looked for, 172 MB with 20,000 points,
138 MB with 5,000; one run each)."""

MIN_TURN = 1.0
"""Writing sloping less than this many degrees is read as it is. A notebook's hairline rules
sloping 1 degree already lie in no single row, and the clean-up leaves them: generated pages
turned 1 degree read 87.5% of their numbers as they lie (ruled ones 66.7%), 92.0% levelled.
At 0.5, the characters alone turned four of realworld-dev's cheques by 0.6 degrees; at 1, none. The level
generated pages (seeds 0-2), whose numbers wander up and down a little, have 41 of 600 turned by
1 to 5.7 degrees: seeds 0 and 2 read as before, seed 1 two numbers fewer (a lone 8 lost)."""

SPAN = 2.0
"""The slope is then found, to a quarter of a degree within this many degrees of the pairs' (or
three standard errors, if more), then to a twentieth: the angle whose rows of ink are sharpest
(ruled lines fix it closely, and they must come out level to be lifted)."""

FAINT = MIN_CONTRAST / 2
"""The ink whose rows are weighed includes what the clean-up's ruled-line step looks at, this
faint: a notebook's lines are fainter than the ink mask, and fix the slope best."""

RULED = 0.5
"""Where the characters are not sure of a slope (a ruled page turned, whose rules break into
pieces among the digits), a row of ink across this share of the ink's width is a ruled line or
a border, and fixes it if it lies within SIGNIFICANT of their standard errors of their slope: no
row of handwriting holds that much ink, but a cheque's printed line may run its own way."""

MARGIN = 0.02
"""The levelled map is cut round the ink with this share of its extent as margin. The clean-up
takes a run of ink for a ruled line where it spans 90% of the image's width: in a map as large as
the turned image, or with 5% margins, a turned page's rules fell short of that and stayed (the
ruled pages turned -15 degrees read 79.8% with 5% margins, 86.9% with 2; 1% and 3% read within
four of the 336 numbers of 2% at every angle tried). Never less than twice the clean-up's RIM,
and a pixel: the layout takes a line within RIM of the map's edge for the tail of one that the
photo's edge cut, and a small levelled map (a sticky note's, 131 pixels high) lost its last line."""


FAR_PAIRS = LEAST_PAIRS + 1
"""Rows run far from level only where this many characters' nearest neighbours (in any
direction) lie along one direction (within AGREE of it), further than MOST_TURN from level. One
more than LEAST_PAIRS: with 4, one of realworld-dev's registers read right ("11") is read as
eight lines; with 5, three of its 1,300 images are read turned as well, and one reading changes,
from wrong to wrong (register "117": "6" at 0.07, now "12" at 0.17); with 8, none is. Of 80
generated pages (2 to 6 numbers of 1 to 8 digits) turned 90 degrees, 75 pass (66 with 8), and
all 80 read 90.5% of their numbers (84.2% with 8; level: 93.8%); of 80 level pages, 2 pass, and
are read as they lie as well, which wins."""

AGREE = 15.0
"""Neighbours within this many degrees of a direction agree with it."""

LEVEL_FEWER = 1.0
"""...and more of them than this many times as many as lie within AGREE of level (at 1.5, 4 of
those 75 pages fail; at 0.5, the same pages pass as at 1)."""

STANDING = (0.8, 3.0)
"""Characters stand across their row: the median character's extent across the rows' direction
over its extent along it lies in this range (generated pages: 1.23 at any turn). It refuses what
else lines up: a register's ruled line broken into pieces (under 0.45), and printed lines stacked
one above the other (a cheque's, at 12, which the typical size taken by size now keeps out as
well). From 0.5, one more of realworld-dev's cheques passes; at 1.0, 11 of the 75 pages turned
90 degrees fail."""

SOURCES = 500
"""Characters past this many are sampled (evenly) for their neighbours' directions: on a page of
4,000 specks, weighing them all took 120 ms, and the whole skew step 300 ms against release 20's
190 ms; sampled, 19 ms. A generated page holds under 100 characters."""

FAR_SPAN = 8.0
"""The characters' direction is looked round by this many degrees for the ink's sharpest rows
(as SPAN). Of 80 generated pages at each of 35, 45, 90, -60 and 150 degrees, the direction of
those that pass lies within 5.3 degrees of the turn on 9 in 10, and within 11.6 on every one;
looked round by 12, they read as many numbers (one fewer at 35 degrees)."""


@dataclass(frozen=True)
class Turn:
    matrix: np.ndarray
    """2x3: the clean-up's pixels to the levelled ones."""
    shape: tuple[int, int]
    """The levelled map's (rows, columns)."""

    def level(self, strength: np.ndarray) -> np.ndarray:
        """The ink strength turned level; what was outside the image is paper."""
        return cv2.warpAffine(strength, self.matrix, self.shape[::-1], flags=cv2.INTER_LINEAR, borderValue=0)

    @staticmethod
    def none(shape: tuple[int, int]) -> Turn:
        """No turn: the map as it lies."""
        return Turn(np.eye(2, 3), shape)

    def half_round(self) -> Turn:
        """The same turn, then half way round: the levelled map upside down."""
        rows, columns = self.shape
        spin = np.array([[-1.0, 0.0, columns - 1], [0.0, -1.0, rows - 1], [0.0, 0.0, 1.0]])
        return Turn((spin @ np.vstack([self.matrix, (0, 0, 1)]))[:2], self.shape)

    def back(self, scale: float) -> np.ndarray:
        """3x3: the levelled map's pixels, taken at scale over the image's, to the image's."""
        to_image = np.diag([1 / scale, 1 / scale, 1.0])
        return to_image @ np.linalg.inv(np.vstack([self.matrix, (0, 0, 1)])) @ np.linalg.inv(to_image)


def ways(strength: np.ndarray, mask: np.ndarray) -> list[Turn | None]:
    """The ways the writing may stand, from the clean-up's ink strength and mask, each the turn
    that levels it (None: as it lies): first the slope's (_slope), then, where the rows run
    further from level (_far), that turn both ways up."""
    marks = _marks(mask)
    far = _far(strength, marks)
    return [_slope(strength, marks, form=far is None)] + ([far, far.half_round()] if far else [])


def _far(strength: np.ndarray, marks: tuple[list[np.ndarray], np.ndarray]) -> Turn | None:
    """The turn that levels rows running further than MOST_TURN from level (_far_rows), one way
    up or the other; None where the characters do not agree on such rows."""
    rows = _far_rows(marks)
    if rows is None:
        return None
    ys, xs, every = _looked_at(strength, _stride(strength))
    roughly = _sharpest(ys, xs, rows, FAR_SPAN, 0.25, 10_000)
    if every > 1:  # the close look takes every pixel
        ys, xs = _faint(strength, 1)
    return _levelling(_sharpest(ys, xs, roughly, 0.25, 0.05, 50_000), ys, xs)


def _slope(strength: np.ndarray, marks: tuple[list[np.ndarray], np.ndarray], form: bool = True) -> Turn | None:
    """The turn that levels writing on a slope (within MOST_TURN of level), or None where it is
    level or no slope can be trusted. With too few characters side by side to show it, a form's
    printed line sets it (FORM_LINE), where `form` allows: not where the characters' rows run far
    from level (a page turned sideways, its table's lines across them)."""
    pairs = _neighbour_slopes(marks)
    if len(pairs) < LEAST_PAIRS:  # too few characters: a form's printed line, where there is room for one
        boxes = marks[1]
        if not form or not len(boxes) or np.ptp([boxes[:, 0], boxes[:, 0] + boxes[:, 2]]) < FRAME_LINE * np.ptp([boxes[:, 1], boxes[:, 1] + boxes[:, 3]]):
            return None  # most lone digits and short numbers
        ys, xs, every = _looked_at(strength, 1)
        along, error = _ruled(ys, xs, form=True), 0.0
        if along is None:
            return None
    elif form and (framing := _frame_slope(strength, marks[1])) is not None:
        # Digits written in a form's boxes: its frame's printed lines set the slope, not their
        # centres, which wander a degree or more over a field of seven or eight.
        along, (ys, xs, every) = framing
        error = 0.0
    else:
        along = float(np.median(pairs))
        error = 1.4826 * float(np.median(np.abs(pairs - along))) / np.sqrt(len(pairs))
        unsure = error > SURE_WITHIN and abs(along) < SIGNIFICANT * error
        # A ruled line, which settles an unsure slope, is a hairline in rows that a stepped look passes over.
        ys, xs, every = _looked_at(strength, 1 if unsure else _stride(strength))
        if unsure:  # the characters are not sure: a ruled line within their spread of their slope settles it
            ruled = _ruled(ys, xs)
            if ruled is None or abs(ruled - along) > SIGNIFICANT * error:
                return None
            along, error = ruled, 0.0
    roughly = _sharpest(ys, xs, along, max(SPAN, 3 * error), 0.25, 10_000)
    if abs(roughly) < MIN_TURN - 0.25:  # level: not worth a closer look
        return None
    if every > 1:  # the close look takes every pixel
        ys, xs = _faint(strength, 1)
    angle = _sharpest(ys, xs, roughly, 0.25, 0.05, 50_000)
    if abs(angle) < MIN_TURN:
        return None
    return _levelling(angle, ys, xs)


def _frame_slope(strength: np.ndarray, boxes: np.ndarray) -> tuple[float, tuple[np.ndarray, np.ndarray, int]] | None:
    """The turn that levels a form's frame (_ruled, a form's line), and the look at the ink it
    was found in (_looked_at, every pixel), where one mark runs FRAME_LINE times as long as it is
    tall and holds two marks or more within its box: digits written in its boxes. None where no
    mark does, or its lines are not straight."""
    x, y, w, h = boxes.T
    for i in np.flatnonzero(w >= FRAME_LINE * h):
        if np.count_nonzero((x >= x[i]) & (y >= y[i]) & (x + w <= x[i] + w[i]) & (y + h <= y[i] + h[i])) > 2:  # itself and two more
            look = _looked_at(strength, 1)
            angle = _ruled(*look[:2], form=True)
            return None if angle is None else (angle, look)
    return None


def _levelling(angle: float, ys: np.ndarray, xs: np.ndarray) -> Turn:
    """The turn by angle degrees, its map cut round the ink at those rows and columns (MARGIN)."""
    matrix = cv2.getRotationMatrix2D((0.0, 0.0), angle, 1.0)
    levelled = np.stack([xs, ys], axis=1) @ matrix[:, :2].T  # where the ink goes: the map is cut round it
    low, high = levelled.min(axis=0), levelled.max(axis=0)
    margin = max(MARGIN * float((high - low).max()), 2 * RIM + 1)
    matrix[:, 2] = margin - low
    return Turn(matrix, (int(np.ceil(high[1] - low[1] + 2 * margin)), int(np.ceil(high[0] - low[0] + 2 * margin))))


def _stride(strength: np.ndarray) -> int:
    """How many pixels apart a rough look at the map goes: it needs no more than a quarter megapixel."""
    return max(1, round(np.sqrt(strength.size / 250_000)))


def _looked_at(strength: np.ndarray, every: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The ink at least FAINT every `every` pixels, and the step it was found at: every pixel
    where the rough look stepped over all of it (hairlines)."""
    ys, xs = _faint(strength, every)
    if every > 1 and not len(ys):
        return (*_faint(strength, 1), 1)
    return ys, xs, every


def _faint(strength: np.ndarray, every: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows and columns of the ink at least FAINT, looked at every `every` pixels each way."""
    ys, xs = np.nonzero(strength[::every, ::every] >= FAINT)
    return ys * every, xs * every


def _marks(mask: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Each mark's outer outline and its (x, y, width, height) box; none past the layout's
    MAX_MARKS, texture or noise that the layout refuses (no pairs to weigh, each against all)."""
    # From outer outlines (a digit in a table's cell is a mark of its own, in the border's
    # hole): a tenth of the cost of labelling every pixel. Every outline, told outer from a
    # hole's by the way round it runs (a hole's encloses area the other way): OpenCV's outer and
    # hole hierarchy (RETR_CCOMP) grows as the square of one mark's holes, and a pixel
    # checkerboard of 2048x700 took 50 s there, 0.8 s so. realworld-dev's 1,300 images and 150
    # generated pages give the same outlines in the same order, in two thirds of the time.
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    outer = [c for c in contours if cv2.contourArea(c, oriented=True) <= 0]
    if len(outer) > MAX_MARKS:
        return [], np.zeros((0, 4), np.float32)
    return outer, np.array([cv2.boundingRect(c) for c in outer], np.float32).reshape(-1, 4)


def _far_rows(marks: tuple[list[np.ndarray], np.ndarray]) -> float | None:
    """The direction, in degrees from level (down to the right positive, within 90), along which
    the characters' rows run where it lies further than MOST_TURN from level and they agree on it
    (FAR_PAIRS, AGREE, LEVEL_FEWER, STANDING); else None. Characters are the marks within half and
    twice the typical mark's longer side, whichever way they stand; each points to its nearest.
    The typical mark is the median by size, not by count, of those under four times the median by
    count (not a table's border): a cheque's pattern in pieces is many small marks, and lined
    them up (7885's, at 63 degrees)."""
    outer, boxes = marks
    side = np.maximum(boxes[:, 2], boxes[:, 3])
    if len(side) <= FAR_PAIRS:
        return None
    by_size = np.sort(side[side <= 4 * np.median(side)])
    weight = np.cumsum(by_size**2)
    typical = float(by_size[np.searchsorted(weight, weight[-1] / 2)])
    chars = np.nonzero((side >= 0.5 * typical) & (side <= 2 * typical))[0]
    x, y = boxes[chars, 0] + boxes[chars, 2] / 2, boxes[chars, 1] + boxes[chars, 3] / 2
    # At most SOURCES characters look for their nearest (among all), a block at a time: a page of
    # thousands of specks stays small and quick.
    sources = np.arange(0, len(x), max(1, len(x) // SOURCES))
    angles = []
    for start in range(0, len(sources), 256):
        block = sources[start : start + 256]
        dx, dy = x[None, :] - x[block, None], y[None, :] - y[block, None]
        distance = np.hypot(dx, dy)
        distance[(distance == 0) | (distance > NEIGHBOURS * typical)] = np.inf
        rows = np.arange(len(distance))
        nearest = np.argmin(distance, axis=1)
        found = np.isfinite(distance[rows, nearest])
        angles.append(np.degrees(np.arctan2(dy[rows[found], nearest[found]], dx[rows[found], nearest[found]])))
    angles = _direction(np.concatenate(angles))
    if not len(angles):
        return None
    # The direction most agree with, to a degree: each degree's count, summed round it within AGREE.
    degrees = np.bincount(np.floor(angles + 90).astype(int) % 180, minlength=180)
    reach = np.arange(-int(AGREE) + 1, int(AGREE))
    around = np.array([degrees[(d + reach) % 180].sum() for d in range(180)])
    centre = int(np.argmax(around)) - 89.5
    off = _direction(angles - centre)
    agree = np.abs(off) < AGREE
    along = float(_direction(centre + off[agree].mean()))
    agreeing, level = int(agree.sum()), int(np.sum(np.abs(angles) < AGREE))
    if abs(along) <= MOST_TURN or agreeing < FAR_PAIRS or agreeing <= LEVEL_FEWER * level:
        return None
    unit = np.array([np.cos(np.radians(along)), np.sin(np.radians(along))])
    standing = []
    for k in chars[sources]:
        points = outer[k].reshape(-1, 2).astype(np.float32)
        standing.append(np.ptp(points @ (-unit[1], unit[0])) / max(float(np.ptp(points @ unit)), 1.0))
    return float(along) if STANDING[0] <= float(np.median(standing)) <= STANDING[1] else None


def _direction(degrees):
    """A direction, not a heading: the angle within -90 to 90 that runs the same way."""
    return np.mod(np.asarray(degrees) + 90, 180) - 90


def _neighbour_slopes(marks: tuple[list[np.ndarray], np.ndarray]) -> np.ndarray:
    """The slope, in degrees (down to the right positive), from each character to its nearest
    neighbour on its right (NEIGHBOURS, MOST_TURN). Characters are the marks within half and
    twice the text's height (the median upright mark's): not dots, not rules or borders."""
    boxes = marks[1]
    widths, heights = boxes[:, 2], boxes[:, 3]
    upright = widths <= 3 * heights  # a turned rule breaks into flat steps: they do not set the height
    if upright.sum() < 1 + LEAST_PAIRS:
        return np.zeros(0, np.float32)
    height = float(np.median(heights[upright]))
    chars = upright & (heights >= 0.5 * height) & (heights <= 2 * height) & (widths <= 3 * height)
    x = boxes[chars, 0] + widths[chars] / 2
    y = boxes[chars, 1] + heights[chars] / 2
    slopes = []
    for start in range(0, len(x), 256):  # a block of characters at a time: a page of thousands of marks stays small
        dx, dy = x[None, :] - x[start : start + 256, None], y[None, :] - y[start : start + 256, None]
        angle, distance = np.degrees(np.arctan2(dy, np.maximum(dx, 1e-6))), np.hypot(dx, dy)
        distance[(dx <= 0) | (np.abs(angle) > MOST_TURN) | (distance > NEIGHBOURS * height)] = np.inf
        nearest = np.argmin(distance, axis=1)
        found = np.isfinite(distance[np.arange(len(nearest)), nearest])
        slopes.append(angle[np.arange(len(nearest))[found], nearest[found]])
    return np.concatenate(slopes) if slopes else np.zeros(0, np.float32)


def _sharpest(ys: np.ndarray, xs: np.ndarray, around: float, span: float, spacing: float, points: int) -> float:
    """The turn, within span degrees of around in steps of spacing, after which the ink (at those
    rows and columns, at most that many points of it) lies in the sharpest rows: the most ink in
    the fewest rows (the sum of the squared row counts). cv2's angle, counter-clockwise, levels
    writing that slopes down to the right by as many degrees."""
    angles = around + np.arange(-span, span + spacing / 2, spacing)
    counts, _ = _rows(ys, xs, angles, points)
    return float(angles[np.argmax((counts.astype(np.float64) ** 2).sum(axis=1))])


def _ruled(ys: np.ndarray, xs: np.ndarray, form: bool = False) -> float | None:
    """The turn within MOST_TURN, to half a degree, that brings a ruled line or a border of the
    ink (at those rows and columns) level: a row across RULED of the ink's width; with form, a
    form's printed line, FORM_LINE times as long as the ink is tall, or a frame's top and bottom,
    FRAME_LINE times, and thin. None if none."""
    angles = np.arange(-MOST_TURN, MOST_TURN + 0.25, 0.5)
    counts, step = _rows(ys, xs, angles, FORM_POINTS if form else 20_000)
    best = int(np.argmax(counts.max(axis=1)))
    radians = np.radians(angles[best])
    width = np.ptp(xs * np.cos(radians) + ys * np.sin(radians))
    if counts[best].max() * step < RULED * width:
        return None
    if form:  # a printed line, long and thin: the rows a few pixels off it hold far less
        row = counts[best]
        at = int(np.argmax(row))
        beside = max(row[at - 4] if at >= 4 else 0, row[at + 4] if at + 4 < len(row) else 0)
        tall = np.ptp(ys * np.cos(radians) - xs * np.sin(radians))
        first, last = np.flatnonzero(row)[[0, -1]]
        framed = min(row[first : first + 4].max(), row[max(first, last - 3) : last + 1].max()) * step >= FRAME_LINE * tall  # a frame's top and bottom: the ink's first and last rows
        if row[at] * step < FORM_LINE * tall and not framed or beside > row[at] / 2 and not (framed and _thin(row, at, tall)):
            return None
    return float(angles[best])


def _thin(row: np.ndarray, at: int, tall: float) -> bool:
    """Whether the line at row `at` of a turned ink's row counts is thin for a frame's top or
    bottom: its rows holding 3/4 of its fullest row's count no more than FRAME_RULE of the
    ink's height. A frame printed bold, or blurred by the scan, holds over half as much 4 rows
    off its fullest row, and so may a small field's rows of bold digits and sides inside it."""
    full = row >= 0.75 * row[at]
    top, bottom = at, at
    while top > 0 and full[top - 1]:
        top -= 1
    while bottom + 1 < len(row) and full[bottom + 1]:
        bottom += 1
    return bottom - top + 1 <= FRAME_RULE * tall


def _rows(ys: np.ndarray, xs: np.ndarray, angles: np.ndarray, points: int) -> tuple[np.ndarray, int]:
    """How many of the ink's points (at most that many, every step-th) fall in each pixel row
    once turned by each angle: (angles, rows) counts, and the step."""
    step = max(1, len(ys) // points)
    ys, xs = ys[::step] - ys.mean(), xs[::step] - xs.mean()
    radians = np.radians(angles)[:, None]
    rows = np.round(ys[None, :] * np.cos(radians) - xs[None, :] * np.sin(radians)).astype(np.int64)
    rows -= rows.min()
    count = int(rows.max()) + 1
    counts = np.bincount((rows + count * np.arange(len(angles))[:, None]).ravel(), minlength=count * len(angles))
    return counts.reshape(len(angles), count), step
