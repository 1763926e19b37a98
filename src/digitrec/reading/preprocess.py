"""Turning a user's image into the 28x28 input an MNIST model expects.

Two pipelines:
- "seed" is the blog post's, step for step: grayscale, resize to 28x28, invert, /255.
  It assumes dark ink on light paper filling the frame, as MNIST's digits fill theirs.
- "mnist" (the default) first cleans the page up, the way a person's eye does: it removes
  the paper (uneven lighting and shadows included) to leave the ink, whichever colour either
  is, thresholds it, and drops specks and ruled lines. Then it redoes for each digit what
  MNIST's makers did to NIST's scans: crop to the ink, bring the stroke width into MNIST's
  range, scale to fit 20x20 keeping the aspect ratio, and centre by mass in 28x28. That is
  what stops a "1" on the far right of the page being read as a "4".
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..constants import CENTRE, DIGIT_BOX, IMAGE_SIZE
from .decode import ImageInput, read
from ..errors import NoDigitError

MODES = ("mnist", "seed")

MIN_CONTRAST = 32
"""Ink must differ from the paper by this many grey levels (of 255), else the image is blank."""

INK_FLOOR = 0.75 * MIN_CONTRAST
"""ink_mask never takes less than this for ink, however faint the page: paper grain stays below it."""

FAINT_LEVEL = 0.6 * MIN_CONTRAST
GROWN_TO = 0.7
"""Writing so faint that Otsu's level between ink and paper is under FAINT_LEVEL (a pale pen in
a phone photo: 49 of realworld-dev's 200 logbook cells, 8 registers, 9 DIDA digits) stands out
from the paper by less than INK_FLOOR, which keeps only the cores of its strokes: "120" came out
as a scrap of its 2. There a stroke keeps the pixels over GROWN_TO x INK_FLOOR that join one of
its cores, as a hysteresis threshold does; faint specks that join none stay out. Chosen across
19 line readers (the shipped one, two more 40-epoch trainings, sixteen 5-epoch ones): logbook
cells +40 readings in all (up for 18 readers, down for none), registers +11, DIDA +11, cheques and
non-digits the same. Where more images are taken as faint, registers lose, their scan margins and
rules joining the writing: at 0.75 x MIN_CONTRAST +9 (two readers down), at 0.9 x -34, wherever
INK_FLOOR binds (1.5 x) -116."""

STROKE = (0.085, 0.123, 0.19)
"""MNIST's stroke width as a fraction of digit height: 5th percentile, median, 95th percentile.

Measured on 2,000 test digits as 2 x area / perimeter of the thresholded digit. A digit whose
strokes fall outside the range is thickened or thinned to the median.
"""

BACKGROUND_WINDOW = 3
"""The paper is estimated over windows of 1/BACKGROUND_WINDOW of the image's side: wider than
any stroke, narrow enough to follow a lighting gradient or a shadow."""

COPY_SIDE = 64
"""The paper, the ink's side and a photographed sheet (sheet.py) are judged on a copy at most
this many pixels a side: ample for lighting and fast for any photo (64, not 128: a third of the
time for a drawing, and no change on the realistic sets with seeds 11 and 12)."""


DETAIL_SIDE = 256
"""Broad pale areas of colour (PALE_AREA) and the writing round a note (sheet.py) are looked for
on a copy at most this many pixels a side, where a digit's stroke is still a pixel or more."""

MIN_TINT = MIN_CONTRAST / 2
"""A colour stands out from another where their chroma (YCrCb's two channels) differ by this much:
a pink sticky note from a grey desk by 28, a yellow highlighter's band from white paper by 60."""

PALE_AREA = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
"""An area of another colour than the paper, wider than this on the DETAIL_SIDE copy and pale
(no more than 2 x MIN_CONTRAST darker than the paper), is paper too: a highlighter's band over a
number, a coloured box on a form. Taken with the paper's colour, it was one mark of coloured ink,
and the numbers on it were lost ("2870", highlighted, under "315" and above "46")."""

_CLOSE = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
"""A broad pale area is taken whole, closed over the writing on it (strokes under 9 pixels of the
DETAIL_SIDE copy): the writing on a band breaks it into pieces, and a band drawn close round a
number leaves strips above and below it narrower than PALE_AREA. Taken only where they were
broad, the strips and gaps stayed coloured ink: `bench_highlight.py`'s marked numbers read 80.0 /
92.5 / 77.5% (yellow / green / pink), now 85.0 / 95.0 / 85.0%, and each marked number missed is
missed unmarked too. Closing the pale areas before judging them broad instead made stroke edges
on coloured paper into areas: it moved the confidence of 63 of the realistic set's 93 coloured
images (seed 0) and the reading of 3."""

NEAR = cv2.getStructuringElement(cv2.MORPH_RECT, (25, 25))
"""The paper near each pixel is looked at over this square of the DETAIL_SIDE copy, where no
stroke is over 12 pixels wide (WORKING_STROKE, or too thin to be measured on the COPY_SIDE copy):
wide enough to close over every stroke, and it keeps a hard shadow's edge where it lies."""

SHADE = 0.4
"""Paper is shaded, not ink or a scan's margin, where the paper near it (NEAR, and all round it
within NEAR) is at least this share of the paper's estimate: a phone's or a hand's shadow takes
from a fifth to a half of the light, and a black margin or a bold stroke wider than NEAR is
under a quarter of the paper. Paper within NEAR of anything darker is left to the estimate:
capped beside a register's black margin, the faint paper there came out lighter, the ink mask's
level fell, and two registers read right were lost to specks ("134" as "1134")."""

SHADE_SLACK = 16
"""The paper's estimate, laid smoothly over COPY_SIDE's windows, is held to no more than this
above the shaded paper near it: across a hard shadow's edge the smooth estimate runs on into the
shade, which stood out as a line of ink as long as the edge, through the digits beside it (pages
with a shadow across them read 36.7% of their numbers; 88.3% with this cap). Under the ink
mask's faintest level (INK_FLOOR x GROWN_TO), so what is left of the edge is never ink; at 8,
83.9%."""

FAINT_LINE = MIN_CONTRAST / 4
SQUARED = 5
GRID_RUN = 0.5
NICK = 7
"""Squared paper is looked for down to FAINT_LINE, where its lines in a photo stand out from the
paper by 10 to 30 and those of ruled paper or a table, looked for only down to MIN_CONTRAST / 2,
were left as pieces of ink that cut numbers in two (taken out everywhere down to FAINT_LINE, 255 of
realworld-dev's readings moved: cheques 83.0 -> 82.0%, logbook cells 92.0 -> 91.5%). It is
squared where SQUARED lines or more are taken out each way, each running at least GRID_RUN of
the image's width or height (where the light falls off, a grid's lines fade out under FAINT_LINE:
held to 0.9, as a lone ruled line is, photos of squared pages read 89.1% of their numbers, 97.8%
at 0.5, their grid a half text height). There, where a stroke crossed a line the
line's strength taken away left a nick across it, and a digit under a fine grid came out in
pieces: there the nick is bridged from the stroke on either side, over at most NICK pixels across
the line (a line at the working scale is 1 to 3 wide, 3 to 5 with its edges), where ink is left
under the line (INK_FLOOR or more once it is taken away): bridged where none is left, two strokes
either side of a line were joined, the open top of a 4 closed into a 6's loop. And the grid's line
is taken away as a share of the light, not as a fixed strength (_taken_out), each row or column
of it at its own strength rather than its brightest neighbour's. With each line's brightest
strength taken off its three rows, a stroke along a line lost all but its core, a 2's foot on a
line read as "2-": `bench_grid.py`'s squared pages at half, three quarters and a whole text height
read 88.4 / 91.3 / 91.3% of their numbers at seed 0 and 86.2 / 88.1 / 91.2% at seed 1, now 93.1 /
93.6 / 93.6% and 90.0 / 89.4 / 90.6% (94.2 and 90.0% with no grid); photographed on a desk 94.2
-> 94.8% and 81.9 -> 81.2% (this change alone: with the sheet step's repairs of the same release,
95.4 and 90.0%). Not on ruled paper or in tables: the line reader is trained on lines
cleaned up as they are, with their nicks, and bridged everywhere, realworld-dev read worse
(cheques 83.0 -> 81.0%, logbook cells 92.0 -> 90.5%)."""

LATTICE = 12
"""At least this many faint dots, each with two more in a row beside it at the grid's step, are a
dotted grid (a bullet journal's paper) and are taken out; fewer are left (a colon, an ellipsis,
dust). Left in, the dots beside a number were read as full stops ("4.20", "6501.7.07"):
benchmarks/bench_grid.py has the figures."""

DOT_AREA = 2.5
"""A grid's dot has no more than this many times the median dot's area: a full stop written on the
grid is most often bolder than its dots, and stays."""

DOT_STEP = 3
"""A grid's dots stand at least this many of their own widths apart (a bullet journal's: 5 mm
apart, 0.3 to 0.5 mm wide), nearest to nearest, so close-set marks are no grid: the pieces of
strokes a squared grid's lines cut, or the digits of a number written in cells."""

MAX_DOTS = 4000
"""More small marks alike than this are noise or a texture, not a grid to take out (an A4 page's
5 mm grid has 2,400 dots): they are left, and the distances between them never tabulated."""

WORKING_STROKE = 12.0
"""Strokes are read at most this many pixels wide. An image with wider strokes is shrunk before
it is cleaned (a 280x280 canvas drawing, strokes 22 pixels wide, to 166x166): MNIST's own
strokes are 2-3 pixels, so nothing a reader needs is lost, and the clean-up and segmentation cost
falls with the pixel count."""

EVEN_STROKES_SIDE = 4 * DIGIT_BOX
"""A digit's crop is brought to at most this many pixels a side before its strokes are evened:
it ends at DIGIT_BOX, and dilating a 2048-pixel ring at full size once took 41 seconds."""

MIN_WORKING_SIDE = 48
"""No image is shrunk below this many pixels on its shorter side."""

RIM = 2
"""A mark within this many pixels of the image's edge meets it: a scanner's rim, or the threshold,
can part a stroke cut by the edge from the very edge by a pixel or two."""


@dataclass(frozen=True)
class Page:
    """A cleaned-up image: how much ink is at each pixel, and which pixels are ink."""

    ink: np.ndarray  # float32 in [0, 1], paper 0
    mask: np.ndarray  # uint8 0/1, specks and ruled lines removed
    scale: float = 1.0  # the page's size over the image's: below 1 when the image was shrunk to be read


def clean(image: ImageInput) -> Page:
    """Separate the ink from the paper. Raises NoDigitError when nothing stands out."""
    strength, scale = ink_strength(image)
    return page_of(strength, ink_mask(strength), scale)


def page_of(strength: np.ndarray, mask: np.ndarray, scale: float = 1.0) -> Page:
    """The Page of an ink strength map and its ink mask (ink_strength, ink_mask)."""
    return Page(ink=within_marks(relative_ink(strength, mask), mask), mask=mask, scale=scale)


def ink_strength(image: ImageInput) -> tuple[np.ndarray, float]:
    """How far each pixel departs from the paper (uint8, ruled lines removed), at the working scale.

    Returns the strength map and its size over the image's. Raises NoDigitError when nothing
    stands out.
    """
    image = read(image)
    dark_ink, scale = _glance(image)
    if scale < 1:
        # Bilinear, not area-averaging, down to half size: six times faster, and strokes this
        # thick alias no more than their anti-aliased edges already blur.
        how = cv2.INTER_LINEAR if scale >= 0.5 else cv2.INTER_AREA
        image = cv2.resize(image, (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))), interpolation=how)
    strength = _ink(image, dark_ink)
    if strength.max() < MIN_CONTRAST:
        raise NoDigitError("no digit found: the image is blank (nothing stands out from the background)")
    return without_dots(without_lines(strength)), scale


def ink_mask(strength: np.ndarray) -> np.ndarray:
    """The pixels that are ink: over half Otsu's level (so a faint or hair-thin digit beside bold
    ones is kept), and never under INK_FLOOR; specks dropped. Where the writing itself is fainter
    than that floor (FAINT_LEVEL), the strokes' cores grow into their faint edges (GROWN_TO).
    Raises NoDigitError when only specks remain."""
    level = cv2.threshold(strength, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0]
    threshold = max(level / 2, INK_FLOOR)
    ink = (strength > threshold).astype(np.uint8)
    if level < FAINT_LEVEL:
        _, grown = cv2.connectedComponents((strength > threshold * GROWN_TO).astype(np.uint8), connectivity=8)
        cores = np.zeros(grown.max() + 1, np.uint8)
        cores[grown[ink > 0]] = 1  # every pixel over the threshold lies in a grown blob, none in its background
        ink = cores[grown]
    mask = _without_specks(ink)
    if not mask.any():
        raise NoDigitError("no digit found: only specks or lines stand out from the background")
    return mask


def relative_ink(strength: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Ink strength in [0, 1] relative to the firm strokes, so faint pencil and bold marker look alike."""
    firm = float(np.percentile(strength[mask > 0], 90))
    return np.clip(strength.astype(np.float32) / max(firm, 1.0), 0, 1)


def within_marks(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The ink with the paper beyond its marks (and a pixel round them) set to 0: faint stains
    between the strokes would shift a digit's box and centre of mass."""
    return np.where(cv2.dilate(mask, np.ones((3, 3), np.uint8)) > 0, ink, 0).astype(np.float32)


def mask_without(mask: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """The mask without the lines (1 where they lie) nor their one-pixel fringe, their anti-aliased edges."""
    return np.where(cv2.dilate(lines, np.ones((3, 3), np.uint8)) > 0, 0, mask).astype(np.uint8)


def _glance(image: np.ndarray) -> tuple[bool, float]:
    """Two rough questions, asked of a copy at most COPY_SIDE pixels a side: is the ink darker than the
    paper (the way most pixels that stand out from a local median go), and how much can the image
    be shrunk so that its strokes are WORKING_STROKE wide."""
    small = shrunk(image, COPY_SIDE)
    lightness = lightness_of(small)
    rough = lightness.astype(np.float32) - _paper(lightness, cv2.medianBlur)
    dark, light = rough <= -MIN_CONTRAST, rough >= MIN_CONTRAST
    written = _writing(dark), _writing(light)
    if written[0].any() or written[1].any():
        dark, light = written
    # A mark that runs from edge to edge is no writing to vote with: a strip of paper beside a
    # scan's black margin stands out light (the paper nearer the margin is judged against it), and
    # once it outweighed a thin-penned number's dark strokes.
    votes = [m & ~_spanning(m) for m in (dark, light)]
    if not (votes[0].any() or votes[1].any()):
        votes = [dark, light]
    # Ink is never most of the page: where the marks say light ink but most of the image is on the
    # light side of Otsu's split, the light is paper, and what stood out light was paper beside a
    # dark area (a scan's black margin; 21 of realworld-dev's 200 register crops were read inverted).
    mostly_light = (lightness > cv2.threshold(lightness, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0]).mean() > 0.55
    dark_ink = bool(votes[0].sum() >= votes[1].sum() or mostly_light)
    return dark_ink, _working_scale(dark if dark_ink else light, image.shape[:2], small.shape)


def _writing(marks: np.ndarray) -> np.ndarray:
    """The marks that could be writing: not solid areas run off the image's edge (a scan's black
    margin, a shadow, a strip of paper lighter than the margin beside it), which say nothing of
    the ink or the pen. A bold digit is solid too, but stands inside the image."""
    n, labels, stats, _ = components(marks.astype(np.uint8))
    writing = ~_margin(*(stats[:, k] for k in range(5)), marks.shape)
    writing[0] = False
    return writing[labels]


def _spanning(marks: np.ndarray) -> np.ndarray:
    """The marks that reach from one edge of the image to the opposite one."""
    rows, cols = marks.shape
    ys, xs = np.flatnonzero(marks.any(axis=1)), np.flatnonzero(marks.any(axis=0))
    if not len(ys) or not (_edge_to_edge(ys[0], ys[-1] + 1 - ys[0], rows) or _edge_to_edge(xs[0], xs[-1] + 1 - xs[0], cols)):
        return np.zeros_like(marks, bool)  # not even all the ink together runs edge to edge: most images
    n, labels, stats, _ = components(marks.astype(np.uint8))
    x, y, w, h = (stats[:, k] for k in range(4))
    spanning = _edge_to_edge(y, h, rows) | _edge_to_edge(x, w, cols)
    spanning[0] = False
    return spanning[labels]


def _edge_to_edge(start: int | np.ndarray, length: int | np.ndarray, side: int) -> bool | np.ndarray:
    """Whether a run (or runs: arrays) from start, length long, meets both ends of a side that long."""
    return (start <= RIM) & (start + length >= side - RIM)


def _margin(x: np.ndarray, y: np.ndarray, w: np.ndarray, h: np.ndarray, area: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Which marks are solid areas run off the image's edge: a scan's black margin, a shadow."""
    edge = (x <= RIM) | (y <= RIM) | (x + w >= shape[1] - RIM) | (y + h >= shape[0] - RIM)
    return (area > 0.6 * w * h) & (area > 0.02 * shape[0] * shape[1]) & (np.minimum(w, h) > 3) & edge  # areas, not lines


def _working_scale(marks: np.ndarray, shape: tuple[int, ...], small_shape: tuple[int, ...]) -> float:
    """The scale that brings the strokes, as marked on the small copy, to WORKING_STROKE pixels.

    Only strokes the copy resolves (a few of its pixels wide) can be judged, so thin pen strokes,
    faint or same-lightness coloured ink, all leave the image as it is.
    """
    h, w = shape
    if min(h, w) < 2 * MIN_WORKING_SIDE:
        return 1.0
    measured = stroke_width(marks) if marks.sum() >= 20 else 0.0
    if measured < 3:  # not resolved: the copy says nothing of the width
        return 1.0
    # Shrinking blurs a stroke by about half a pixel each side, over the threshold: take it off.
    stroke = (measured - 1) * max(h, w) / max(small_shape)
    scale = max(WORKING_STROKE / stroke, MIN_WORKING_SIDE / min(h, w))
    return scale if scale < 0.8 else 1.0  # shrinking by less is not worth its cost


def _ink(image: np.ndarray, dark_ink: bool) -> np.ndarray:
    """How far each pixel is from the paper around it, as uint8, whichever is darker or coloured.

    Colour images are compared in lightness and chroma (colour_of), so blue ink on yellow paper
    stands out even where the two are equally light.
    """
    channels = colour_of(image) if image.ndim == 3 else image[:, :, None]
    lightness = channels[:, :, 0]
    # A closing (dark ink) or opening (light ink) lifts out strokes of any weight, where a
    # median loses the middle of a fat stroke that fills its window.
    op = cv2.MORPH_CLOSE if dark_ink else cv2.MORPH_OPEN
    paper = _paper(lightness, lambda small, k: cv2.morphologyEx(small, op, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))))
    paper = _under_shade(lightness, paper) if dark_ink else 255 - _under_shade(255 - lightness, 255 - paper)
    if channels.shape[2] == 3:
        plain = np.abs(lightness - paper) < MIN_CONTRAST
        chroma = channels[:, :, 1:][plain] if plain.any() else channels[:, :, 1:].reshape(-1, 2)
        tint = np.array([_median(chroma[:, 0]), _median(chroma[:, 1])], np.float32)
        if dark_ink:
            paper, tint = _pale_areas(channels, paper, tint)
    along = np.maximum((paper - lightness) if dark_ink else (lightness - paper), 0)
    if channels.shape[2] == 3:
        off = _off_tint_squared(channels[:, :, 1:], tint)
        off += np.square(along)
        along = np.sqrt(off, out=off)
    return np.clip(along, 0, 255).astype(np.uint8)


def _median(values: np.ndarray) -> float:
    """The median of uint8 values, as np.median gives it, from their histogram: a tenth of the
    time of sorting a photo's million pixels (np.median took 20 of a 1000x1000 photo's 130 ms)."""
    counts = np.cumsum(np.bincount(values, minlength=256))
    low, high = np.searchsorted(counts, [(counts[-1] - 1) // 2, counts[-1] // 2], side="right")
    return (low + high) / 2


def _under_shade(lightness: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """The paper's estimate (for dark ink) held to SHADE_SLACK above the shaded paper near it
    (NEAR, SHADE), on the DETAIL_SIDE copy; rounded down by a pixel of the copy before it is
    enlarged, so that the shade's edge, where the copy blurs it, is taken for shade."""
    # Interpolated, not averaged: averaging reads the whole image, 3 of the 4 ms this took for a
    # megapixel, and the closing takes the lightest paper round each pixel anyway (sampled, one
    # of the new tests' shadows was read "3", "64" again).
    small = shrunk(lightness, DETAIL_SIDE, cv2.INTER_LINEAR)
    near = cv2.morphologyEx(small, cv2.MORPH_CLOSE, NEAR).astype(np.float32)
    estimate = cv2.resize(paper, small.shape[::-1], interpolation=cv2.INTER_NEAREST)
    shaded = cv2.erode(near, NEAR) >= SHADE * estimate
    cap = cv2.erode(np.where(shaded, near + SHADE_SLACK, 255).astype(np.float32), np.ones((3, 3), np.uint8))
    if not (cap < estimate).any():  # no shadow's edge: most images
        return paper
    return np.minimum(paper, cv2.resize(cap, paper.shape[::-1], interpolation=cv2.INTER_LINEAR))


def _pale_areas(channels: np.ndarray, paper: np.ndarray, tint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The paper's lightness and tint with each broad pale area of another colour (PALE_AREA)
    given its own, so that the writing on it stands out from it, and it not from the page. Near
    the area's edge (which the copy gives only roughly), each pixel takes the paper whose colour
    it is nearer: the writing's and the page's, not a strip of either, stand out. Returns the
    paper and the tint (the tint as it was where there is no such area)."""
    # Sampled, not averaged: averaging reads the whole image, 6 ms for a 1000x1000 photo, and an
    # area as broad as PALE_AREA cannot fall between the samples.
    small = shrunk(channels, DETAIL_SIDE, cv2.INTER_NEAREST).astype(np.float32)
    tinted = _off_tint(small[:, :, 1:], tint) >= MIN_TINT
    if not tinted.any():
        return paper, tint
    pale = small[:, :, 0] >= cv2.resize(paper, small.shape[1::-1], interpolation=cv2.INTER_NEAREST) - 2 * MIN_CONTRAST
    light = (tinted & pale).astype(np.uint8)
    broad = cv2.morphologyEx(light, cv2.MORPH_OPEN, PALE_AREA)
    if not broad.any():
        return paper, tint
    # Each broad area whole: the writing on a band breaks it into pieces, and leaves strips
    # above and below narrower than PALE_AREA; closed over the strokes, they are one again.
    n, labels, stats, _ = components(cv2.morphologyEx(light, cv2.MORPH_CLOSE, _CLOSE))
    keep = np.zeros(n, bool)
    keep[np.unique(labels[broad > 0])] = True  # never the background: the closing holds every broad pixel
    near = cv2.resize(cv2.dilate(labels.astype(np.uint16), np.ones((7, 7), np.uint8)), paper.shape[::-1], interpolation=cv2.INTER_NEAREST)
    paper, tint = paper.copy(), np.broadcast_to(tint, (*paper.shape, 2)).copy()
    up = paper.shape[0] / small.shape[0]
    for k in np.nonzero(keep)[0]:
        own = small[(labels == k) & (light > 0)]  # the area's own colour, not the writing on it
        own_light, own_tint = float(np.median(own[:, 0])), np.median(own[:, 1:], axis=0).astype(np.float32)
        x, y, w, h = stats[k, :4]
        if not _written_on(small[y : y + h, x : x + w, 0], own_light):
            continue  # a broad stroke of pale coloured ink, not paper
        around = slice(max(0, int((y - 4) * up)), int((y + h + 4) * up) + 1), slice(max(0, int((x - 4) * up)), int((x + w + 4) * up) + 1)
        colour = channels[around][:, :, 1:].astype(np.float32)
        nearer = (near[around] == k) & (_off_tint(colour, own_tint) < _off_tint(colour, tint[around]))
        paper[around][nearer] = own_light
        tint[around][nearer] = own_tint
    return paper, tint


def _written_on(lightness: np.ndarray, own: float) -> bool:
    """Whether anything in an area's box is darker than the area (by MIN_CONTRAST; own: its
    lightness): writing on a highlighter's band (which the writing breaks into pieces) or in a
    coloured box. A broad stroke of pale coloured ink (light blue on orange paper of its
    lightness) has nothing darker round it."""
    return bool((lightness < own - MIN_CONTRAST).any())


def _off_tint(colour: np.ndarray, tint: np.ndarray) -> np.ndarray:
    """How far each pixel's chroma (float32, two channels) lies from a tint (one, or one a pixel).

    In NumPy, not cv2.magnitude, whose last bit varied from one call to the next on the same
    values: where a pixel's two distances all but tied, the same photo cleaned up twice in one
    process gave a pale area's edge another paper now and then (up to 42 grey levels at a few pixels)."""
    off = _off_tint_squared(colour, tint)
    return np.sqrt(off, out=off)


def _off_tint_squared(colour: np.ndarray, tint: np.ndarray) -> np.ndarray:
    """_off_tint squared (float32), channel by channel: summed as one (rows, columns, 2) array
    over its last axis, the same sums took three times as long (20 of a 1000x1000 photo's 130 ms)."""
    off = np.square(colour[:, :, 0] - tint[..., 0])
    off += np.square(colour[:, :, 1] - tint[..., 1])
    return off


def colour_of(image: np.ndarray) -> np.ndarray:
    """An RGB image as lightness and two chroma channels: YCrCb, its luma put through L*'s curve.

    Not CIE Lab, which the clean-up was made with: OpenCV builds Lab's tables the first time a
    process converts to it, in 0.09 s, a third of a whole `digitrec predict` of a colour photo
    (0.353 -> 0.266 s). A grey pixel keeps Lab's lightness (within one level of 255); across 19
    line readers realworld-dev read as with Lab, on average cheques +0.40 points, logbook cells
    +0.13, registers -0.24, DIDA -0.05, non-digits the same. YCrCb's own luma instead cost the
    shipped reader 4 cheques and 7 registers of 200: Lab's lightness spreads the dark greys."""
    out = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)
    out[:, :, 0] = cv2.LUT(out[:, :, 0], _LIGHTNESS)
    return out


def _lightness() -> np.ndarray:
    """CIE L* (scaled to 0-255) of each grey level, through sRGB's gamma."""
    v = np.arange(256) / 255
    luminance = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    lightness = np.where(luminance > (6 / 29) ** 3, 116 * np.cbrt(luminance) - 16, luminance * (29 / 3) ** 3)
    return np.round(lightness * 2.55).astype(np.uint8)


_LIGHTNESS = _lightness()


def lightness_of(image: np.ndarray) -> np.ndarray:
    """An image's lightness, uint8: a grey image as it is, a colour one as colour_of's L*."""
    return colour_of(image)[:, :, 0] if image.ndim == 3 else image


def shrunk(image: np.ndarray, side: int, how: int = cv2.INTER_AREA) -> np.ndarray:
    """The image at most side pixels a side (area-averaged, or as `how` says), or itself if it is no larger."""
    f = max(image.shape) / side
    if f <= 1:
        return image
    return cv2.resize(image, (max(1, round(image.shape[1] / f)), max(1, round(image.shape[0] / f))), interpolation=how)


def _paper(lightness: np.ndarray, estimate) -> np.ndarray:
    """The paper's lightness at every pixel: `estimate` over windows far wider than any stroke,
    on a copy at most COPY_SIDE pixels a side. An image under half that (MNIST's own 28x28, say)
    has no room for lighting to vary: its border is its paper.
    """
    h, w = lightness.shape
    if min(h, w) < COPY_SIDE / 2:
        border = np.concatenate([lightness[0], lightness[-1], lightness[:, 0], lightness[:, -1]])
        return np.full((h, w), np.median(border), np.float32)
    small = shrunk(lightness, COPY_SIDE)
    k = max(3, min(small.shape) // BACKGROUND_WINDOW) | 1
    paper = cv2.blur(estimate(small, k), (k // 2 | 1, k // 2 | 1))
    return cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)


def components(marks: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """cv2.connectedComponentsWithStats of a uint8 mask, 8-connected: the count, labels, stats
    and centres. By Grana's block-based algorithm (BBDT), whose labels, stats and centres are
    OpenCV's default's (Spaghetti) in a third of the time: its stats pass took 167 us for a
    drawing's 166x166 mask however empty, BBDT 49 us (1000x1000: 6.1 against 1.75 ms; OpenCV 5.0)."""
    return cv2.connectedComponentsWithStatsWithAlgorithm(marks, 8, cv2.CV_32S, cv2.CCL_BBDT)


def members_of(labels: np.ndarray, members, n: int) -> np.ndarray:
    """1 (uint8) where labels (of n components) are among members: by a lookup table, where
    np.isin sorts (a drawing's line, 115x97: 16.5 against 65.6 us)."""
    wanted = np.zeros(n, np.uint8)
    wanted[members] = 1
    return wanted[labels]


def _without_specks(mask: np.ndarray) -> np.ndarray:
    """Drop blobs too small to be, or be part of, a digit: dust, paper grain, sensor noise.

    Blobs that touch the image's edge are held to a higher bar, half the largest blob inside:
    there, a shadow's edge or the page's border shows up as "ink", while a digit cropped tight
    against the edge is the largest blob itself.

    The bar is set by the writing, never by the image's size: a floor of 0.002% of the image
    (44 pixels on an A4 scan as decoded) dropped the thin strokes of numbers written small on a
    large page, and ten such pages (benchmarks/bench_documents.py) read 46 of their 60 numbers
    whole, against 59 cropped to the writing. Without it they read 59 on the page too, and
    realworld-dev, the realistic set, the generated pages and MNIST read as before.
    """
    n, labels, stats, _ = components(mask)
    if n <= 1:
        return mask
    x, y, w, h, areas = (stats[1:, i] for i in range(5))
    edge = (x == 0) | (y == 0) | (x + w == mask.shape[1]) | (y + h == mask.shape[0])
    # The bar is set by the largest blob that could be writing: not a scan's margin (which left
    # every piece of a faint register number a speck), nor a table's grid of borders,
    # one blob that fills 5% of its box (a thin digit fills over 15% of its own), which once dropped
    # every thin digit in a table.
    solid = (areas >= 0.1 * w * h) & ~_margin(x, y, w, h, areas, mask.shape)
    smallest = max(3.0, 0.02 * (areas[solid] if solid.any() else areas).max())
    inside = areas[~edge].max() if (~edge).any() else 0
    keep = np.zeros(n, np.uint8)
    keep[1:] = (areas >= smallest) & (~edge | (areas >= 0.5 * inside))
    if (~edge).any():
        # A digit the crop cut (a cheque's first or last digit, a tall 1's top) is as tall as the
        # writing inside, stands on its row and meets the edge in a stroke; a shadow, a border or
        # the page's edge runs along the edge, and a scan margin's scraps lie above or below.
        tall = h[~edge].max()
        writing = ~edge & (h >= 0.5 * tall)
        top, bottom = y[writing].min(), (y + h)[writing].max()
        on_row = np.minimum(y + h, bottom) - np.maximum(y, top) >= 0.5 * h
        rim = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
        contact = np.bincount(rim, minlength=n)[1:]
        keep[1:] |= edge & on_row & (areas >= 0.2 * inside) & (h >= 0.5 * tall) & (np.maximum(w, h) <= 1.5 * tall) & (contact <= 0.25 * np.maximum(w, h))
    if keep[1:].all():  # the usual case for a drawing: nothing to drop, and no relabelling to pay for
        return mask
    return keep[labels]


def without_lines(strength: np.ndarray) -> np.ndarray:
    """Remove ruled or squared paper lines: straight runs across the image, past the writing they cross.

    A grey-level opening with a long thin kernel keeps only such runs, at the line's own
    strength; subtracting it leaves strokes that crossed a line intact, since ink is darker
    than the line. A run that crosses several marks of writing is a line, and so is one that
    crosses none, unless it is upright and stops short of the image's edges (a 1 nearly as tall
    as a tight crop). One that touches a single mark must reach well beyond it on both sides: a
    digit's own bar (the top of a 7, the foot of a 1) does not.

    A squared grid is looked for first down to FAINT_LINE, and its nicks bridged (SQUARED); other
    lines only down to MIN_CONTRAST / 2.
    """
    if min(strength.shape) < 32:  # MNIST's own 28x28: no room for lines, and no call to look
        return strength
    openings: dict = {}  # each direction's, made once for both looks
    squared = _lines_out(strength, FAINT_LINE, openings, grid=True)
    if squared is not None:
        return _bridged(*squared)
    plain = _lines_out(strength, MIN_CONTRAST / 2, openings)
    return strength if plain is None else plain[0]


def _bridged(strength: np.ndarray, removed: dict) -> np.ndarray:
    """The strength with each nick a squared grid's line left across a stroke bridged (NICK): the
    stroke lost the line's strength there too. Bridged from the stroke on either side of the line,
    the line's own remains left out, so that it never bridges itself; and only where ink is left
    under the line, so that two strokes either side of it stay apart."""
    for across, lines in removed.items():
        beside = np.where(lines > 0, 0, strength).astype(strength.dtype)
        bridged = cv2.morphologyEx(beside, cv2.MORPH_CLOSE, np.ones((NICK, 1) if across else (1, NICK), np.uint8))
        strength = np.where((lines > 0) & (bridged >= MIN_CONTRAST) & (strength >= INK_FLOOR), np.maximum(strength, bridged), strength)
    return strength


def _lines_out(strength: np.ndarray, faint: float, openings: dict, grid: bool = False) -> tuple[np.ndarray, dict] | None:
    """The strength without the lines whose runs stand out by faint or more (without_lines), and
    for each direction with lines taken out (True: across) their pixels; None where no row or
    column holds such a run. With grid, only a squared grid's: SQUARED lines or more each way,
    each of which need run only GRID_RUN of the image, and may stop short of its edges where it
    touches no writing (SQUARED of them are no lone 1); None where there is no such grid."""
    h, w = strength.shape
    # A ruled line across the image fills most of some row (or column) with faint ink: images
    # with no such row, most of them, skip the openings. (A digit's bar rarely fills 70%.)
    above = strength >= faint
    kernels = [(k, across) for k, across, full in (((1, w // 2), True, above.sum(axis=1).max() >= 0.7 * w), ((h // 2, 1), False, above.sum(axis=0).max() >= 0.7 * h)) if full]
    if grid and len(kernels) < 2:
        return None
    for kernel, across in kernels:
        if across not in openings:
            openings[across] = cv2.morphologyEx(strength, cv2.MORPH_OPEN, np.ones(kernel, np.uint8))
    found = {across: openings[across] for _, across in kernels}
    if not any((f >= faint).any() for f in found.values()):
        return None
    rest = _without_specks((cv2.subtract(strength, np.maximum.reduce(list(found.values()))) >= MIN_CONTRAST).astype(np.uint8))  # the writing
    if not rest.any():
        return None
    _, marks, marks_stats, _ = components(rest)
    # Each direction's runs are judged apart: a 1 standing on an underline would otherwise be one
    # run with it, across the image, and go with it.
    removed, counts = {}, []  # each direction's lines taken out, and how many
    for across, runs in found.items():
        n, labels, stats, _ = components((runs >= faint).astype(np.uint8))
        long = [i for i in range(1, n) if stats[i, 2 if across else 3] >= (GRID_RUN if grid else 0.9) * (w if across else h)]
        if not long:
            continue
        near = cv2.dilate(labels.astype(np.float32), np.ones((5, 5), np.uint8)).astype(np.int32)  # each line, 2 px wider
        ruled = np.zeros(n, np.uint8)
        for i in long:
            x, y, bw, bh = stats[i, :4]
            touched = np.unique(marks[near == i])
            touched = touched[touched > 0]
            if len(touched) != 1:  # several marks (a digit's bar is part of one), or none
                ruled[i] = len(touched) > 1 or across or grid or _edge_to_edge(y, bh, h)
            elif across:
                mx, _, mw, _ = marks_stats[touched[0], :4]
                ruled[i] = x < mx - 0.05 * w and x + bw > mx + mw + 0.05 * w
            else:
                _, my, _, mh = marks_stats[touched[0], :4]
                ruled[i] = y < my - 0.05 * h and y + bh > my + mh + 0.05 * h
        lines = cv2.dilate(ruled[labels], np.ones((3, 3), np.uint8))  # and their anti-aliased edges
        strength = np.where(lines > 0, _taken_out(strength, runs, across, grid), strength)
        removed[across] = lines
        counts.append(int(ruled.sum()))
    if grid and (len(counts) < 2 or min(counts) < SQUARED):
        return None
    return strength, removed


def _taken_out(strength: np.ndarray, runs: np.ndarray, across: bool, grid: bool) -> np.ndarray:
    """The strength with the lines (runs, from the opening) taken away. Ruled paper's and tables'
    lines at their brightest over their three rows, a fixed strength, as the line reader's
    training lines were cleaned up. A squared grid's (SQUARED) as a share of the light: a printed
    line under the ink takes a share of what the ink lets through, so what is left over the line's
    strength is scaled back by 255 / (255 - line); not what is left by less than FAINT_LINE, the
    opening's shortfall on a line that fades along its length. Each row of a line across (each
    column of one down) at its own strength, widened only along it."""
    if not grid:
        return cv2.subtract(strength, cv2.dilate(runs, np.ones((3, 3), np.uint8)))
    line = cv2.dilate(runs, np.ones((1, 3) if across else (3, 1), np.uint8)).astype(np.float32)
    left = np.maximum(strength - line, 0)
    return np.where(left >= FAINT_LINE, np.minimum(left * 255 / np.maximum(255 - line, 1), 255), left).astype(strength.dtype)


def without_dots(strength: np.ndarray) -> np.ndarray:
    """Remove a dotted grid's dots: small faint marks, all alike, at one step apart in rows and
    columns (LATTICE). The step is the commonest step from a dot to its nearest neighbours; a dot
    is the grid's where the dots one and two steps from it in one of four directions (along that
    step or across it) are there too, so that a dot beside writing, whose neighbours on that side
    the writing hides, still is. The writing's own marks are larger, or alone."""
    n, labels, stats, centres = components((strength >= MIN_CONTRAST / 2).astype(np.uint8))
    if n <= LATTICE:
        return strength
    w, h, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    compact = np.flatnonzero(np.maximum(w, h) <= 2 * np.minimum(w, h) + 2)
    if len(compact) < LATTICE:
        return strength
    dots = compact[area[compact] <= DOT_AREA * np.median(area[compact])]
    if not LATTICE <= len(dots) <= MAX_DOTS:
        return strength
    side = float(np.median(np.maximum(w[dots], h[dots])))
    at = centres[1:][dots]
    # The steps from (up to 200 of) the dots to their four nearest, folded into one half-plane.
    sample = at[:: max(1, len(at) // 200)]
    steps = at[None, :, :] - sample[:, None, :]
    apart = np.hypot(steps[..., 0], steps[..., 1])
    apart[apart == 0] = np.inf  # each sampled dot itself
    if np.median(apart.min(axis=1)) < DOT_STEP * side:  # close-set: a stroke's pieces, the digits of a number
        return strength
    nearest = np.argsort(apart, axis=1)[:, :4]
    steps = np.take_along_axis(steps, nearest[..., None], axis=1)[np.isfinite(np.take_along_axis(apart, nearest, axis=1))]
    reach = min(strength.shape) // 4
    steps = steps[np.abs(steps).max(axis=1) < reach]
    if len(steps) < LATTICE:
        return strength
    steps[(steps[:, 0] < 0) | ((steps[:, 0] == 0) & (steps[:, 1] < 0))] *= -1
    votes = np.zeros((2 * reach + 1, 2 * reach + 1), np.float32)
    np.add.at(votes, (np.round(steps[:, 1]).astype(int) + reach, np.round(steps[:, 0]).astype(int) + reach), 1)
    dy, dx = np.unravel_index(int(cv2.GaussianBlur(votes, (0, 0), 1.0).argmax()), votes.shape)
    step = np.array([dx - reach, dy - reach], np.float64)
    # Each dot's centre, grown by the slack a photo's perspective and a printer's rounding allow,
    # looked up at whole steps from each dot.
    rows, cols = strength.shape
    pitch, (xs, ys) = float(np.hypot(*step)), np.round(at).astype(int).T
    grid = np.zeros((rows, cols), np.uint8)
    grid[ys, xs] = 1
    slack = max(1, round(0.15 * pitch))
    grid = cv2.dilate(grid, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * slack + 1, 2 * slack + 1)))

    def there(points: np.ndarray) -> np.ndarray:
        i, j = np.round(points[:, 1]).astype(int), np.round(points[:, 0]).astype(int)
        inside = (i >= 0) & (i < rows) & (j >= 0) & (j < cols)
        return inside & (grid[i.clip(0, rows - 1), j.clip(0, cols - 1)] > 0)

    on = np.zeros(len(dots), bool)
    for d in (step, -step, np.array([-step[1], step[0]]), np.array([step[1], -step[0]])):
        on |= there(at + d) & there(at + 2 * d)
    # The grid runs on over bare paper, where points written in a column of amounts, as evenly
    # set, do not: LATTICE of its dots lie a step clear of anything larger.
    larger = np.zeros(n, np.uint8)
    larger[1:] = area > DOT_AREA * np.median(area[dots])
    clear = cv2.distanceTransform(1 - larger[labels], cv2.DIST_L2, 3)[ys[on], xs[on]]
    if (clear > pitch).sum() < LATTICE:
        return strength
    chosen = np.zeros(n, bool)
    chosen[dots[on] + 1] = True
    return np.where(cv2.dilate(chosen[labels].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0, 0, strength).astype(strength.dtype)


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels: 2 x area / perimeter, exact for a long even stroke."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * float(mask.sum()) / max(perimeter, 1.0)


def to_mnist(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One digit's ink (a crop of a Page) as MNIST made its digits. Raises NoDigitError if none."""
    if not mask.any():
        raise NoDigitError("no digit found")
    rows, cols = np.nonzero(mask)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    ink, mask = ink[top:bottom, left:right], mask[top:bottom, left:right]
    if max(mask.shape) > EVEN_STROKES_SIDE:  # a huge crop: even its strokes at a size that costs little
        f = EVEN_STROKES_SIDE / max(mask.shape)
        size = (max(1, round(mask.shape[1] * f)), max(1, round(mask.shape[0] * f)))
        ink = cv2.resize(ink, size, interpolation=cv2.INTER_AREA)
        mask = (cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.25).astype(np.uint8)
    ink = _even_strokes(ink, mask)

    h, w = ink.shape
    scale = DIGIT_BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # INTER_AREA averages the pixels it merges, so shrinking anti-aliases instead of dropping strokes.
    box = cv2.resize(ink, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    box = box / max(float(box.max()), 1e-6)

    canvas = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    y0, x0 = (IMAGE_SIZE - box.shape[0]) // 2, (IMAGE_SIZE - box.shape[1]) // 2
    canvas[y0 : y0 + box.shape[0], x0 : x0 + box.shape[1]] = box
    m = cv2.moments(canvas)
    shift = np.float32([[1, 0, round(CENTRE[1] - m["m10"] / m["m00"])], [0, 1, round(CENTRE[0] - m["m01"] / m["m00"])]])
    return cv2.warpAffine(canvas, shift, (IMAGE_SIZE, IMAGE_SIZE))


def _even_strokes(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Thicken hair-thin strokes and thin fat ones to MNIST's median width for the digit's size."""
    low, target, high = (f * max(mask.shape) for f in STROKE)
    width = stroke_width(mask)
    if low <= width <= high:
        return ink
    size = max(1, round(abs(target - width)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size + 1, size + 1))
    if width < low:
        return cv2.dilate(ink, kernel)
    thinner = cv2.erode(ink, kernel)
    return thinner if thinner.any() else ink


def seed(image: np.ndarray) -> np.ndarray:
    """The post's preprocessing, exactly: grayscale, resize to 28x28, invert, /255."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    small = cv2.resize(gray, (IMAGE_SIZE, IMAGE_SIZE))
    return np.invert(small).astype(np.float32) / 255.0


def prepare(image: ImageInput, mode: str = "mnist") -> np.ndarray:
    """A user's image of one digit as the model's 28x28 float32 input in [0, 1], white ink on black."""
    if mode not in MODES:
        raise ValueError(f"preprocess must be one of {MODES}, not {mode!r}")
    if mode == "seed":
        return seed(read(image))
    page = clean(image)
    return to_mnist(page.ink, page.mask)
