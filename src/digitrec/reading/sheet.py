"""A sheet of paper or a sticky note photographed lying on a desk, cut out and turned upright.

A phone photo of a note or a page often shows the desk around it. The clean-up judges the ink
against the paper around it, and a light sheet on a dark desk looks to it like one big light mark:
the whole sheet was taken for light ink, and a page of six numbers on a desk of grey level 160 or
darker read "no number found" (benchmarks/bench_desk.py: 0-9% of numbers). A sticky note on a
desk as light as it is one big mark of colour, and read "no number found" too. So before the
clean-up, a sheet on a darker surround or one of another colour, clear of the image's edges or
running off them with a corner in view (CLEAR_OF_EDGES), is cut out through its four corners,
turned as its edges run (the writing runs along its sheet) and squared (a sheet seen at a
slant), and read as a photo of that sheet alone; the boxes found in it are carried back into the
photo's pixels. Several sheets side by side (two notes, a receipt beside a form) are each cut
out and read. A sheet darker than its desk (kraft card on a white desk, a chalkboard on a light
wall) read "no number found" the same way, its whole self taken for one mark of ink, and is cut
out too.
"""

from __future__ import annotations

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
    split) only as they are. Failing both, one sheet is looked for that is no lighter than its desk,
    the desk round it bare (_written_around): in a colour photo by its colour (_by_colour), then
    darker than the desk (_darker)."""
    small = shrunk(image, COPY_SIDE)
    lightness = lightness_of(small)
    if max(lightness.shape) < COPY_SIDE or min(lightness.shape) < COPY_SIDE // 3:  # a tiny image, or a strip
        return []
    outlines = _outlines(lightness, lightness) or _outlines(_levelled(lightness), lightness)
    for unlike in () if outlines else (_by_colour, _darker):  # one sheet, no lighter than a bare desk
        outline = unlike(small, lightness)
        if outline is not None and not _written_around(image, outline, lightness.shape[0]):
            outlines = [outline]
            break
    return [_cut(image, outline, lightness.shape) for outline in _in_reading_order(outlines)]


def _in_reading_order(outlines: list[np.ndarray]) -> list[np.ndarray]:
    """Sheets side by side (each one's rows overlapping the others') left to right, else top to bottom."""
    boxes = [cv2.boundingRect(outline) for outline in outlines]
    side_by_side = all(min(a[1] + a[3], b[1] + b[3]) > max(a[1], b[1]) for a in boxes for b in boxes)
    order = sorted(range(len(boxes)), key=lambda k: boxes[k][0] if side_by_side else boxes[k][1])
    return [outlines[k] for k in order]


def _cut(image: np.ndarray, outline: np.ndarray, shape: tuple[int, int]) -> Sheet:
    """The sheet within the outline (on a copy of that shape), cut out upright and square."""
    corners = _corners(outline, shape) * (image.shape[0] / shape[0])
    edges = [np.linalg.norm(corners[(k + 1) % 4] - corners[k]) for k in range(4)]  # top, right, bottom, left
    size = max(1, int(max(edges[0], edges[2]))), max(1, int(max(edges[1], edges[3])))
    square = np.float32([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]])
    matrix = cv2.getPerspectiveTransform(square, corners.astype(np.float32))
    upright = cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    return Sheet(upright, matrix)


def _outlines(split: np.ndarray, lightness: np.ndarray, least: float = MIN_CONTRAST, beside: bool = True) -> list[np.ndarray]:
    """The sheets' outlines on the copy: the largest light area of Otsu's split of split, if it
    passes for a sheet (_outline), and then, if beside, every other that does; none if the
    largest does not."""
    contours, _ = cv2.findContours(_light(split), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return []
    contours = sorted(contours, key=cv2.contourArea, reverse=True)
    first = _outline(contours[0], [], lightness, least)  # the largest, judged as when it was the only one looked at
    if first is None:
        return []
    outlines = [first]
    for found in contours[1:] if beside else ():
        if np.prod(cv2.minAreaRect(found)[1]) < BESIDE_AREA * split.size:
            continue  # a mark, or a patch of light
        outline = _outline(found, outlines, lightness, least, BESIDE_AREA)  # judged against the desk, not the sheets found
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


def _corners(outline: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The sheet's four corners on the copy of that shape, a pixel inside its edges, clockwise
    from the one whose top edge runs nearest to level (the smallest turn to upright): the
    outline's own quadrilateral where it is one (a sheet seen at a slant), else its turned
    rectangle. A corner on the copy's edge (a sheet cut by the photo's) goes to the photo's very
    edge: inset like the others, it cut off a digit written up to the photo's edge."""
    rectangle = cv2.minAreaRect(outline)
    polygon = cv2.approxPolyDP(outline, 0.04 * cv2.arcLength(outline, True), True)[:, 0].astype(np.float32)
    corners = polygon if len(polygon) == 4 and cv2.isContourConvex(polygon) else cv2.boxPoints(rectangle)
    centre = corners.mean(axis=0)
    corners = corners[np.argsort(np.arctan2(*(corners - centre).T[::-1]))]  # clockwise on screen, from the upper left
    level = [abs(np.arctan2(*(corners[(k + 1) % 4] - corners[k])[::-1])) for k in range(4)]
    corners = np.roll(corners, -int(np.argmin(level)), axis=0)
    inset = centre + (corners - centre) * (1 - 1.5 / max(1.0, min(rectangle[1])))
    rows, cols = shape
    x, y = corners.T
    edge = (x <= 0) | (y <= 0) | (x >= cols - 1) | (y >= rows - 1)
    to_edge = np.stack([np.where(x >= cols - 1, cols, np.maximum(x, 0)), np.where(y >= rows - 1, rows, np.maximum(y, 0))], axis=1)
    return np.where(edge[:, None], to_edge, inset)


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
