"""A sheet of paper or a sticky note photographed lying on a desk, cut out and turned upright.

A phone photo of a note or a page often shows the desk around it. The clean-up judges the ink
against the paper around it, and a light sheet on a dark desk looks to it like one big light mark:
the whole sheet was taken for light ink, and a page of six numbers on a desk of grey level 160 or
darker read "no number found" (benchmarks/bench_desk.py: 0-9% of numbers). A sticky note on a
desk as light as it is one big mark of colour, and read "no number found" too. So before the
clean-up, a sheet on a darker surround or one of another colour, clear of the image's edges or
running off them with a corner in view (CLEAR_OF_EDGES), is cut out through its four corners,
turned as its edges run (the writing runs along its sheet) and squared (a sheet seen at a
slant), its sides found on a small copy and then again in the photo itself (a squared page's
lines must come out level to be lifted), and read as a photo of that sheet alone; the boxes found in it are carried back into the
photo's pixels. Several sheets side by side (two notes, a receipt beside a form) are each cut
out and read. A sheet darker than its desk (kraft card on a white desk, a chalkboard on a light
wall) read "no number found" the same way, its whole self taken for one mark of ink, and is cut
out too.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from .preprocess import COPY_SIDE, DETAIL_SIDE, MIN_CONTRAST, MIN_TINT, colour_of, lightness_of, shrunk

CLEAR_OF_EDGES = 3
"""Pixels of the clean-up's copy (COPY_SIDE) between a sheet and an edge of the image for the
edge to be clear. A sheet clear of every edge is one lying on something; one that reaches an
edge may be the paper the whole image is of (a scan, a tight crop, a table cell). So a sheet cut
by the photo's edge is taken only with a corner of it in view (two adjacent edges clear): asking
two edges clear, without the corner, once took 180 of realworld-dev's 200 register crops (paper
between a scan's black margins) for sheets. Release 19 also asked a sheet running off two edges
to have its ink taken for light (the sheet for the ink), for one register that it kept out then;
that register passes no longer, and the condition lost most sheets with a corner in view."""

SHARP = 0.25
"""A sheet's edges are steps: along each of its sides clear of the photo's edges, the lightness
changes within a pixel of the copy by at least this share of the sheet's contrast with its
surround (the side's median). Light falling across a photo of paper, or a soft shadow, can leave
a lit area that passes every other test; its sides are slopes, 0.06-0.12 of its contrast on the
7 photos of the realistic sets (seeds 0 and 11) taken for sheets without this test, 0.38 or
more on bench_desk.py's sheets (median 0.91)."""

OPENING = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
"""Light areas thinner than this on the copy are no sheet: a wood grain's crests, lit past
Otsu's split, joined a sheet on a desk of grey 170 to the photo's edges."""

PALE = 128
"""A sheet found by its colour (a sticky note on a desk as light as it) is paper: its median
lightness is at least this. A bold brown letter on lavender paper passed every other test."""

WRITTEN = 0.002
"""A sheet found by its colour is a note on a bare desk only where less than this share of what
lies round it (a little way off its edge) is ink, MIN_CONTRAST darker than the paper round it.
A pale yellow box on a page of numbers, with numbers outside it, was cut out alone."""

LEAST_AREA = 0.1
"""The sheet covers at least this share of the image; a smaller light patch is a mark on it."""

BESIDE_AREA = LEAST_AREA / 4
"""Beside a sheet, another covers at least this share of the image: two sheets side by side share
the photo, and a note beside a page is smaller than it. Of bench_desk.py's 36 photos of two
pages side by side, 18 have both sheets found, the smaller covering 5.9-11.3% (its turned
rectangle, on the copy): 15 of those would be lost at LEAST_AREA."""

SOLID = 0.8
"""A sheet fills at least this share of its own (turned) rectangle, or, cut by the photo's edge,
of its convex outline: writing on it leaves holes, but its outline is a sheet's."""


FILLED = 0.9
"""A sheet darker than its desk is dark all over: the darker side of the split fills at least this
share of its convex outline. Writing in chalk or pencil leaves bench_desk.py's dark sheets 0.95 to
0.998 filled. The outline of a bold letter holds its counters and hollows (0.81-0.82 filled), a
scribble's holds its loop (0.68): ten of the realistic sets' non-digits (seeds 0 and 11) passed
every other test."""


OVER_DESK = MIN_CONTRAST / 4
"""Where the desk is bare all round, a sheet is also what stands this many levels above the
desk round it (_above_desk). A page lit from one side (a third darker there) on a desk whose own
light falls off the other way has its dim side as dark as the desk's lit side, and neither split
held it whole: 19 of bench_grid.py's 360 desk photos (seeds 0-2) were not cut out, and three
pages at seed 1 read no number or one line of theirs. From 4 to 12 every one is found, at 16 two
are lost, at 24 three."""

BARE_DESK = OVER_DESK / 2
"""...and only where the desk is bare all round the photo's rim: its lightness, the plane of the
light taken out, within this of it at 90% of the rim (bench_grid.py's desk photos: 0.8). A table
cell's borders along a tight crop's rim are no desk (17.3 on the one cut): without this, the
inside of a cell holding "3:1" was cut out and read as no number, and so was one of 1,500
synthetic training lines (release 24's step cut none)."""


SIDE_SAMPLES = 32
"""Each side of a sheet found on the copy is found again in the image at this many places along
it: the copy's pixel is 10 to 60 of a photo's, and sides taken from it ran up to 4 degrees off
the sheet's, too far for a squared page's lines to come out level (bench_grid.py's squared page
photographed on a desk: 47.4% of its numbers; found again, 94.2%)..."""

SIDE_REACH = 4.0
"""...looked for this many pixels of the copy either side of where the copy has it (at 2, sides
that the copy had 2 pixels off were missed, and that page read 61.3%)..."""

SIDE_WIDTH = 2
"""...in a strip along it this many pixels either side of each place, averaged..."""

SIDE_STEP = 2.0
"""...where the lightness rises into the sheet by at least this many levels a pixel, and by at
least SIDE_SHARE of the rise at the steepest quarter of the places..."""

SIDE_SHARE = 0.5
"""...(where the side runs out of reach, a grid line's rise of 4 or 5 levels, against the
sheet's 26, passed the first test alone, too few places then lay on one line, and the copy's
side, 8 degrees off, was kept)..."""

SIDE_STEP_WIDTH = 0.5
"""...the steepest rise sought within this many pixels of the copy of where the lightness steps
most: the mean this far beyond each place less the mean as far before it. A sheet's edge is a
step; the thin lines of a squared grid just inside it dip and come back. Along the dim side of
a page lit from one side, a grid line's edge rose back as steeply as the sheet rose from the desk,
and was taken for the side: the cut-out's rows ran 16 pixels off the sheet's on one of 30 photos
(tests/test_sheet.py), and on one of bench_grid.py's desk photos "47" and the two numbers below
it were lost (two of the three are read now). Those photos, seeds 0-2: squared paper 94.8 / 88.1 /
92.2% -> 95.4 / 90.0 / 95.2%, dotted 92.5 / 90.0 / 94.0% -> 93.1 / 90.0 / 94.0%, plain 95.4 /
92.5 / 95.2% -> 95.4 / 92.5 / 94.6% (a doubled 1 read once). The step alone, without the steepest
rise, placed sides less closely: up to 3.8 pixels off on those 30 photos, against 1.2..."""

SIDE_FIT = 2.0
"""...and a line fitted through the places, those further than this many pixels from it left out."""


@dataclass(frozen=True)
class Sheet:
    image: np.ndarray
    """The sheet upright and square, cut a pixel of the copy inside its edges."""
    matrix: np.ndarray
    """3x3 homography: the sheet's pixels to the photo's."""


def find(image: np.ndarray) -> list[Sheet]:
    """The sheets in a photo of them lying on a darker surface, or of one on a surface of another
    colour or lighter than it (uint8, grey or RGB), in reading order; none where it is not such a photo. A sheet is
    the largest light area of Otsu's split, with a corner in view (CLEAR_OF_EDGES), solid, sharp
    edged and MIN_CONTRAST lighter than what surrounds it; where it is, so is every other light
    area that passes the same tests (_outlines). The lightness is split as it is, then, failing
    that, levelled: of bench_desk.py's 576 grey photos, 564 pass as they are, 12 (a page on a
    desk of 170, the light falling off towards it) only levelled, and 2 (wood grain lit past the
    split) only as they are. Then, where the desk is bare all round, every sheet that stands
    above the desk round it (OVER_DESK: a page lit unevenly, a small sheet its writing cut into
    on the copy) and overlaps none of those (_apart). Failing all of these, one sheet is looked
    for that is no lighter than its desk,
    the desk round it bare (_written_around): in a colour photo by its colour (_by_colour), then
    darker than the desk (_darker)."""
    small = shrunk(image, COPY_SIDE)
    lightness = lightness_of(small)
    if max(lightness.shape) < COPY_SIDE or min(lightness.shape) < COPY_SIDE // 3:  # a tiny image, or a strip
        return []
    outlines = _outlines(lightness, lightness) or _outlines(_levelled(lightness), lightness)
    above = _above_desk(lightness)
    if above is not None:
        outlines += _apart(_outlines(np.where(above > OVER_DESK, 255, 0).astype(np.uint8), above, on_desk=True), outlines, lightness.shape)
    for unlike in () if outlines else (_by_colour, _darker):  # one sheet, no lighter than a bare desk
        outline = unlike(small, lightness)
        if outline is not None and not _written_around(image, outline, lightness.shape[0]):
            outlines = [outline]
            break
    return [_cut(image, outline, lightness.shape) for outline in _in_reading_order(outlines)]


def _apart(outlines: list[np.ndarray], found: list[np.ndarray], shape: tuple[int, int]) -> list[np.ndarray]:
    """Those of outlines that overlap none of the sheets found: a small sheet's own writing, on
    the copy, can split it in the lightness as it is, where standing above the desk (its writing
    closed over) holds it whole. With this, and a sheet's contrast judged on the desk alone
    there (_outlines' on_desk), bench_desk.py's two pages side by side give 22 of their 24 sheets
    on a desk of 170 (11 before) and 23 on 120 (21): 92.3% and 96.2% of their
    numbers read, from 46.2% and 88.5%. No other photo of that benchmark, of realworld-dev, or of
    `evaluate --realistic 300 --pages 200` (seed 0) had its sheets changed."""
    taken = np.zeros(shape, np.uint8)
    cv2.drawContours(taken, found, -1, 1, -1)
    apart = []
    for outline in outlines:
        inside = np.zeros(shape, np.uint8)
        cv2.drawContours(inside, [outline], -1, 1, -1)
        if not (taken & inside).any():
            apart.append(outline)
    return apart


def _in_reading_order(outlines: list[np.ndarray]) -> list[np.ndarray]:
    """Sheets side by side (each one's rows overlapping the others') left to right, else top to bottom."""
    boxes = [cv2.boundingRect(outline) for outline in outlines]
    side_by_side = all(min(a[1] + a[3], b[1] + b[3]) > max(a[1], b[1]) for a in boxes for b in boxes)
    order = sorted(range(len(boxes)), key=lambda k: boxes[k][0] if side_by_side else boxes[k][1])
    return [outlines[k] for k in order]


def _cut(image: np.ndarray, outline: np.ndarray, shape: tuple[int, int]) -> Sheet:
    """The sheet within the outline (on a copy of that shape), cut out upright and square, a
    pixel of the copy inside each of its sides, except a side the photo's own edge cuts it along:
    inset like the others, that cut off a digit written up to the photo's edge."""
    corners, kept = _corners(outline, shape, image)
    edges = [np.linalg.norm(corners[(k + 1) % 4] - corners[k]) for k in range(4)]  # top, right, bottom, left
    width, height = max(edges[0], edges[2]), max(edges[1], edges[3])
    square = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    # Inset on the sheet itself, not in the photo: a sheet seen at a slant, shrunk in the photo
    # towards its middle, came out with its rows a few pixels aslant.
    inset = image.shape[0] / shape[0]
    left, top, right, bottom = (0.0 if kept[k] else inset for k in (3, 0, 1, 2))
    matrix = cv2.getPerspectiveTransform(square, corners.astype(np.float32)) @ np.array([[1, 0, left], [0, 1, top], [0, 0, 1]])
    size = max(1, int(width - left - right)), max(1, int(height - top - bottom))
    upright = cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    return Sheet(upright, matrix)


def _outlines(split: np.ndarray, lightness: np.ndarray, least: float = MIN_CONTRAST, beside: bool = True, on_desk: bool = False) -> list[np.ndarray]:
    """The sheets' outlines on the copy: the largest light area of Otsu's split of split, if it
    passes for a sheet (_outline), and then, if beside, every other that does; none if the
    largest does not. Each is judged against the rest of the copy less the sheets found before
    it, or, on_desk (split is what stands above a bare desk), against the desk alone: the rest
    less every other light area."""
    contours, _ = cv2.findContours(_light(split), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return []
    contours = sorted(contours, key=cv2.contourArea, reverse=True)
    first = _outline(contours[0], contours[1:] if on_desk else [], lightness, least)  # the largest, judged as if alone, or on the desk
    if first is None:
        return []
    outlines = [first]
    for k, found in enumerate(contours[1:] if beside else (), 1):
        if np.prod(cv2.minAreaRect(found)[1]) < BESIDE_AREA * split.size:
            continue  # a mark, or a patch of light
        others = contours[:k] + contours[k + 1 :] if on_desk else outlines
        outline = _outline(found, others, lightness, least, BESIDE_AREA)
        if outline is not None:
            outlines.append(outline)
    return outlines


def _light(split: np.ndarray) -> np.ndarray:
    """The light side of Otsu's split of split, 1 there, with areas thinner than OPENING opened away."""
    level = cv2.threshold(split, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0]
    return cv2.morphologyEx((split > level).astype(np.uint8), cv2.MORPH_OPEN, OPENING)


def _outline(found: np.ndarray, others: list[np.ndarray], lightness: np.ndarray, least: float, area: float = LEAST_AREA) -> np.ndarray | None:
    """A light area's outline if it passes for a sheet (see find), standing out by least from its
    surround (less the other sheets found) in lightness, the lightness as it is (levelling
    takes a sheet in one corner of the photo for light falling off, and part of its contrast with
    it: 22-28 grey levels on a desk of 170), or, split by colour, in that colour. A sheet cut by
    the photo's edge is carried into the photo's corners it runs into."""
    x, y, w, h = cv2.boundingRect(found)
    rows, cols = lightness.shape
    left, top, right, bottom = (gap >= CLEAR_OF_EDGES for gap in (x, y, cols - x - w, rows - y - h))
    if not ((left or right) and (top or bottom)):  # no corner of the sheet in view
        return None
    if all((left, top, right, bottom)):
        outline, solid = found, cv2.contourArea(found) >= SOLID * np.prod(cv2.minAreaRect(found)[1])
    else:
        # A sheet cut by the photo's edge shows a rectangle clipped by the photo's: convex, not
        # rectangular; and it reaches the photo's corner wherever it runs off both edges there
        # (light falling off into that corner may have left that corner out of the split).
        solid = cv2.contourArea(found) >= SOLID * cv2.contourArea(cv2.convexHull(found))
        reached = [c for c, (a, b) in zip([(0, 0), (cols - 1, 0), (cols - 1, rows - 1), (0, rows - 1)], [(left, top), (right, top), (right, bottom), (left, bottom)]) if not (a or b)]
        outline = cv2.convexHull(np.vstack([found.reshape(-1, 2), np.array(reached, np.int32).reshape(-1, 2)]))
    if not solid or np.prod(cv2.minAreaRect(outline)[1]) < area * lightness.size:
        return None
    inside = np.zeros(lightness.shape, np.uint8)
    cv2.drawContours(inside, others, -1, 2, -1)
    cv2.drawContours(inside, [outline], -1, 1, -1)
    contrast = lightness[inside == 1].mean() - lightness[inside == 0].mean()
    if contrast < least or not _stepped(found, lightness, (left, top, right, bottom), contrast):
        return None
    return outline


def _stepped(found: np.ndarray, lightness: np.ndarray, clear: tuple[bool, ...], contrast: float) -> bool:
    """Whether the light area's sides clear of the photo's edges (left, top, right, bottom) are
    steps, as a sheet's edges are, not slopes (SHARP)."""
    step = cv2.morphologyEx(lightness, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    x, y, w, h = cv2.boundingRect(found)
    rows, cols = lightness.shape
    xs, ys = found.reshape(-1, 2).T
    inner = (np.minimum(xs, ys) >= CLEAR_OF_EDGES) & (xs < cols - CLEAR_OF_EDGES) & (ys < rows - CLEAR_OF_EDGES)
    sides = (xs <= x + 2, ys <= y + 2, xs >= x + w - 3, ys >= y + h - 3)
    for is_clear, along in zip(clear, sides):
        side = inner & along
        if is_clear and side.any() and np.median(step[ys[side], xs[side]]) < SHARP * contrast:
            return False
    return True


def _by_colour(small: np.ndarray, lightness: np.ndarray) -> np.ndarray | None:
    """The outline of a pale sheet that stands out from its desk by its colour, not its lightness
    (a pink note on a grey desk, a yellow one on a white desk): the copy split along its main axis
    of chroma, the sheet on either side of it, its contrast in chroma's units. None in grey."""
    if small.ndim < 3:
        return None
    chroma = colour_of(small)[:, :, 1:].reshape(-1, 2).astype(np.float32)
    chroma -= chroma.mean(axis=0)
    axis = np.linalg.eigh(chroma.T @ chroma)[1][:, -1]  # the direction chroma varies most in
    along = np.clip(128 + chroma @ axis, 0, 255).astype(np.uint8).reshape(small.shape[:2])
    for hue in (along, 255 - along):
        for outline in _outlines(hue, hue, MIN_TINT, beside=False):  # one note, the largest
            inside = np.zeros(lightness.shape, np.uint8)
            cv2.drawContours(inside, [outline], -1, 1, -1)
            if np.median(lightness[inside > 0]) >= PALE:
                return outline
    return None


def _darker(small: np.ndarray, lightness: np.ndarray) -> np.ndarray | None:
    """The outline of a sheet darker than its desk (kraft paper or card on a white desk, a slate
    or a chalkboard on a light wall): the largest light area of the lightness turned negative,
    as it is or levelled, with every test a light sheet passes."""
    dark = 255 - lightness
    for split in (dark, _levelled(dark)):
        for outline in _outlines(split, dark, beside=False):
            hull = np.zeros(split.shape, np.uint8)
            cv2.drawContours(hull, [cv2.convexHull(outline)], -1, 1, -1)
            if _light(split)[hull > 0].mean() >= FILLED:
                return outline
    return None


def _written_around(image: np.ndarray, outline: np.ndarray, rows: int) -> bool:
    """Whether anything is written outside the outline (on a copy of rows rows), looked at on a
    copy DETAIL_SIDE a side: a desk round a note is bare; a pale box on a form has the form's
    writing round it."""
    small = shrunk(image, DETAIL_SIDE)
    outline = outline * (small.shape[0] / rows)
    lightness = lightness_of(small).astype(np.int16)
    paper = cv2.morphologyEx(lightness, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    sheet = np.zeros(lightness.shape, np.uint8)
    cv2.drawContours(sheet, [np.round(outline).astype(np.int32)], -1, 1, -1)
    around = cv2.dilate(sheet, np.ones((9, 9), np.uint8)) == 0
    return int(((paper - lightness >= MIN_CONTRAST) & around).sum()) > WRITTEN * max(1, int(around.sum()))


def _corners(outline: np.ndarray, shape: tuple[int, int], image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sheet's four corners in the image's pixels, clockwise from the one whose top edge runs
    nearest to level (the smallest turn to upright): the outline's own quadrilateral (on the copy
    of that shape) where it is one (a sheet seen at a slant), else its turned rectangle, each side
    then found again in the image itself (_side); a corner on the copy's edge (a sheet cut by the
    photo's edge) goes to the photo's very edge. And, side by side (top first), whether the side
    is to be kept whole: the photo's edge, not the sheet's (see _cut)."""
    rectangle = cv2.minAreaRect(outline)
    polygon = cv2.approxPolyDP(outline, 0.04 * cv2.arcLength(outline, True), True)[:, 0].astype(np.float32)
    corners = polygon if len(polygon) == 4 and cv2.isContourConvex(polygon) else cv2.boxPoints(rectangle)
    centre = corners.mean(axis=0)
    corners = corners[np.argsort(np.arctan2(*(corners - centre).T[::-1]))]  # clockwise on screen, from the upper left
    level = [abs(np.arctan2(*(corners[(k + 1) % 4] - corners[k])[::-1])) for k in range(4)]
    corners = np.roll(corners, -int(np.argmin(level)), axis=0)
    rows, cols = shape
    x, y = corners.T
    edge = (x <= 0) | (y <= 0) | (x >= cols - 1) | (y >= rows - 1)
    scale = image.shape[0] / rows
    corners, centre = corners * scale, centre * scale
    sought = [not (edge[k] and edge[(k + 1) % 4]) for k in range(4)]  # not the photo's own edge
    sides = [_side(image, corners[k], corners[(k + 1) % 4], centre, scale) if sought[k] else None for k in range(4)]
    for k in range(4):
        if sought[k] and sides[k] is None and sides[k - 2] is not None:
            # The copy can have a side several degrees off where light falling off left a corner
            # out of its split: looked for again along the opposite side found.
            along = corners[(k + 1) % 4] - corners[k]
            middle, direction = corners[k] + along / 2, sides[k - 2][1] * np.sign(sides[k - 2][1] @ along)
            sides[k] = _side(image, middle - direction * np.hypot(*along) / 2, middle + direction * np.hypot(*along) / 2, centre, scale)
    if any(side is not None for side in sides):
        # A side not found again keeps the copy's line through its corners. Corners moved further
        # than the sides were looked for are a side found astray (a long stroke along it), and
        # the copy's corners are kept: the cut-out stays the size of the sheet.
        sides = [side or (corners[k], corners[(k + 1) % 4] - corners[k]) for k, side in enumerate(sides)]
        found = np.array([_meeting(sides[k - 1], sides[k], corners[k]) for k in range(4)], np.float64)
        if np.hypot(*(found - corners).T).max() <= 2 * SIDE_REACH * scale:
            corners = found
    to_edge = np.stack([np.where(x >= cols - 1, cols * scale, np.maximum(corners[:, 0], 0)), np.where(y >= rows - 1, rows * scale, np.maximum(corners[:, 1], 0))], axis=1)
    # A side whose corners both lie short of CLEAR_OF_EDGES from one of the photo's edges may be
    # that edge: the polygon can take a corner a pixel short of where the sheet runs off the photo.
    near = np.stack([x < CLEAR_OF_EDGES, y < CLEAR_OF_EDGES, x > cols - 1 - CLEAR_OF_EDGES, y > rows - 1 - CLEAR_OF_EDGES], axis=1)
    kept = np.array([(edge[k] and edge[(k + 1) % 4]) or (near[k] & near[(k + 1) % 4]).any() for k in range(4)])
    return np.where(edge[:, None], to_edge, corners), kept


def _side(image: np.ndarray, start: np.ndarray, end: np.ndarray, centre: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The sheet's side that runs near start to end (in the image's pixels, found on a copy scale
    times smaller) found in the image itself, as a point and a direction: where the lightness
    steps most across it, at SIDE_SAMPLES places along it, a line fitted through them. None where
    too few places show a step (a note found by its colour alone)."""
    along = end - start
    length = float(np.hypot(*along))
    if length < 2 * SIDE_SAMPLES:
        return None
    along /= length
    normal = np.array([-along[1], along[0]])
    if normal @ (centre - start) < 0:
        normal = -normal  # pointing into the sheet
    reach = int(np.ceil(SIDE_REACH * scale))
    across = np.arange(-reach, reach + 1, dtype=np.float32)
    beside = np.arange(-SIDE_WIDTH, SIDE_WIDTH + 1, dtype=np.float32)
    places = start + np.linspace(0.1, 0.9, SIDE_SAMPLES)[:, None] * (end - start)
    # Each place's strip: (place, along the side, across it), sampled in one remap.
    maps = [(places[:, k, None, None] + beside[None, :, None] * along[k] + across[None, None, :] * normal[k]).astype(np.float32).reshape(-1, len(across)) for k in (0, 1)]
    sampled = cv2.remap(image, *maps, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    profiles = lightness_of(sampled).astype(np.float32).reshape(SIDE_SAMPLES, len(beside), len(across)).mean(axis=1)
    inward = np.sign(profiles[:, reach + 1 :].mean() - profiles[:, :reach].mean()) or 1.0
    rise = inward * (profiles[:, 2:] - profiles[:, :-2]) / 2  # at each pixel but the ends, over 2 pixels
    # Where the step is, by the mean lightness SIDE_STEP_WIDTH beyond each pixel less that before
    # it (fewer where the strip ends); then the steepest rise within as far of there.
    width = max(1, round(SIDE_STEP_WIDTH * scale))
    sums = np.concatenate([np.zeros((SIDE_SAMPLES, 1), np.float32), np.cumsum(profiles, axis=1)], axis=1)
    middle = np.arange(1, len(across) - 1)
    first, last = np.maximum(middle - width, 0), np.minimum(middle + 1 + width, len(across))
    step = (sums[:, last] - sums[:, middle + 1]) / (last - middle - 1) - (sums[:, middle] - sums[:, first]) / (middle - first)
    near = np.abs(middle[None, :] - middle[(inward * step).argmax(axis=1)][:, None]) <= width
    at = np.where(near, rise, -np.inf).argmax(axis=1)
    steep = rise[np.arange(SIDE_SAMPLES), at]
    # The sheet's edge is the steepest rise into it where the side runs within reach; elsewhere a
    # grid's line or a stroke's edge is steepest, and far less steep.
    found = steep >= max(SIDE_STEP, SIDE_SHARE * float(np.percentile(steep, 75)))
    if found.sum() < SIDE_SAMPLES // 2:
        return None
    # To a fraction of a pixel: the parabola through the steepest rise and its neighbours.
    left = rise[np.arange(SIDE_SAMPLES), np.maximum(at - 1, 0)]
    right = rise[np.arange(SIDE_SAMPLES), np.minimum(at + 1, rise.shape[1] - 1)]
    bend = left - 2 * steep + right
    offset = np.where(bend < 0, 0.5 * (left - right) / np.where(bend < 0, bend, -1), 0.0)
    edge = (places + (across[at + 1] + offset)[:, None] * normal)[found].astype(np.float32)
    for tolerance in (scale, SIDE_FIT):  # the line through most of them, then through those near it
        vx, vy, x0, y0 = cv2.fitLine(edge, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        edge = edge[np.abs((edge[:, 0] - x0) * vy - (edge[:, 1] - y0) * vx) <= tolerance]
        if len(edge) < SIDE_SAMPLES // 2:
            return None
    vx, vy, x0, y0 = cv2.fitLine(edge, cv2.DIST_L2, 0, 0.01, 0.01).ravel()
    return np.array([x0, y0], np.float64), np.array([vx, vy], np.float64)


def _meeting(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray], corner: np.ndarray) -> np.ndarray:
    """Where two sides (a point and a direction each) meet; the corner as it was where they run near parallel."""
    (p, u), (q, v) = first, second
    u, v = u / np.hypot(*u), v / np.hypot(*v)
    cross = u[0] * v[1] - u[1] * v[0]
    if abs(cross) < 0.1:  # near parallel: no corner between them to trust
        return corner
    t = ((q - p)[0] * v[1] - (q - p)[1] * v[0]) / cross
    return p + t * u


def _above_desk(lightness: np.ndarray) -> np.ndarray | None:
    """How far the copy, its writing closed over, stands above the desk (float32): the desk's
    lightness as its rim gives it, the light falling off across it a plane fitted to the rim; None
    unless the rim is bare desk all round (BARE_DESK). Split at OVER_DESK, it holds what stands
    out from the desk beside it, and a sheet's contrast is judged on it too: against the raw
    lightness, a page in the dim half of the photo stood 14 levels above the surround's mean, the
    bright half's desk and a second sheet in it."""
    closed = cv2.morphologyEx(lightness, cv2.MORPH_CLOSE, OPENING).astype(np.float32)
    rows, cols = closed.shape
    rim, design = _rim(rows, cols)
    plane = np.linalg.lstsq(design, closed.ravel()[rim], rcond=None)[0]
    xs, ys = np.arange(cols, dtype=np.float32), np.arange(rows, dtype=np.float32)[:, None]
    above = closed - plane[0] * xs - plane[1] * ys - plane[2]
    return None if np.percentile(np.abs(above.ravel()[rim]), 90) > BARE_DESK else above


@functools.lru_cache(maxsize=8)
def _rim(rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """The flat indices of a copy's rim, in raster order, and each one's (x, y, 1): the same for
    every copy of one shape, and a third of _above_desk's 0.1 ms to make."""
    ys, xs = np.mgrid[0:rows, 0:cols].astype(np.float32)
    rim = np.zeros((rows, cols), bool)
    rim[0], rim[-1], rim[:, 0], rim[:, -1] = True, True, True, True
    design, at = np.c_[xs[rim], ys[rim], np.ones(int(rim.sum()), np.float32)], np.flatnonzero(rim)
    design.flags.writeable = at.flags.writeable = False  # cached: shared by every call
    return at, design


def _levelled(lightness: np.ndarray) -> np.ndarray:
    """The lightness with a plane fitted to it taken out: light falling off across a photo made
    the desk's bright side outshine the sheet's dim one, and Otsu's split joined them (a page on
    a desk of grey 170, lit 0.8 to 1.05 across: 13 of 24 sheets found; levelled, 24). On a full
    grid the least-squares plane's slopes are each axis's own regression, its level the mean."""
    values = lightness.astype(np.float32)
    cols = np.arange(values.shape[1], dtype=np.float32) - (values.shape[1] - 1) / 2
    rows = np.arange(values.shape[0], dtype=np.float32) - (values.shape[0] - 1) / 2
    across = values.mean(axis=0) @ cols / (cols @ cols)
    down = values.mean(axis=1) @ rows / (rows @ rows)
    return np.clip(values - across * cols[None, :] - down * rows[:, None], 0, 255).astype(np.uint8)
