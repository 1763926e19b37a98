"""Synthetic pages of several numbers, for measuring the layout step (and the reader behind it).

A page holds 2 to 6 lines, each a number of 1 to 8 digits, written with MNIST test digits (never
the training set) as the realistic set writes its numbers, on paper that may be ruled, squared
into table cells or photographed under uneven light. (Not by the training's line maker: the
benchmark must stay put while the training recipe changes.) Each number's box is known, so a
reading can be scored line by line: is every line found, none invented, and each read exactly.
Also a form's field of character boxes, a number written one digit to a box (boxed). The same
seed gives the same pages.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator

import cv2
import numpy as np

from . import realistic

HANDS = ("clean", "thin", "thick", "touching", "broken")
"""How each number is written, one drawn at random: see realistic.written."""

PAPERS = ("plain", "ruled", "table", "photo")
"""Every page has one: blank paper, a ruled notebook, a table with each number in a bordered
cell, or a photo of plain paper (uneven light, blur, noise, JPEG)."""


@dataclass(frozen=True)
class PageSample:
    image: np.ndarray
    """uint8 grey."""
    lines: tuple[str, ...]
    """The numbers, top to bottom, and those on one row left to right."""
    boxes: tuple[tuple[int, int, int, int], ...]
    """(x, y, width, height) of each number's ink."""
    paper: str


class Digits:
    """MNIST digits (x: (N, 28, 28) uint8, y: (N,)) to write numbers with: give it the test set."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x = x
        self.by_digit = [np.nonzero(y == d)[0] for d in range(10)]

    def ink(self, text: str, height: int, rng: np.random.Generator) -> np.ndarray:
        """The number as ink coverage (float32, 0-1) cropped to the ink, its digits height pixels tall."""
        hand = str(rng.choice(HANDS)) if len(text) > 1 else str(rng.choice([h for h in HANDS if h != "touching"]))
        ink, _ = realistic.written([self.x[rng.choice(self.by_digit[int(c)])] for c in text], height, hand, rng)
        rows, cols = np.nonzero(ink > 25)
        ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].astype(np.float32) / 255
        f = height / ink.shape[0]
        return cv2.resize(ink, (max(1, round(ink.shape[1] * f)), height), interpolation=cv2.INTER_AREA)


def pages(x: np.ndarray, y: np.ndarray, count: int, seed: int, angle: float = 0.0) -> Iterator[PageSample]:
    """count pages of 2 to 6 numbers, one to a line, the papers in turn; each turned by angle
    degrees if given (the same pages as level ones otherwise)."""
    rng = np.random.default_rng([seed, 31])
    digits = Digits(x, y)
    for i in range(count):
        texts = ["".join(str(d) for d in rng.integers(0, 10, int(rng.integers(1, 9)))) for _ in range(int(rng.integers(2, 7)))]
        yield page(digits, [[t] for t in texts], PAPERS[i % len(PAPERS)], rng, angle)


def page(digits: Digits, rows: list[list[str]], paper: str, rng: np.random.Generator, angle: float = 0.0) -> PageSample:
    """The rows of numbers written down a page, each row's numbers side by side; photographed
    turned by angle degrees (counter-clockwise) where one is given, the paper filling the photo
    (what reading.skew levels)."""
    height = int(rng.integers(28, 56))  # the digits' height in pixels
    row_pitch = int(height * rng.uniform(1.8, 2.6))
    inks = [[digits.ink(text, height, rng) for text in row] for row in rows]
    cell = max(ink.shape[1] for row in inks for ink in row) + height  # table cells fit the widest number
    column = cell if paper == "table" else int(cell * rng.uniform(1.0, 1.4))
    margin = int(height * rng.uniform(1.0, 2.0))
    width = 2 * margin + column * max(len(row) for row in rows)
    page_height = 2 * margin + row_pitch * len(rows)
    canvas = np.zeros((page_height, width), np.float32)
    lines, boxes = [], []
    for r, row in enumerate(inks):
        for c, ink in enumerate(row):
            slack = column - ink.shape[1]
            x0 = margin + c * column + (slack // 2 if paper == "table" else int(rng.integers(0, max(1, slack - height // 2))))
            y0 = margin + r * row_pitch + (row_pitch - ink.shape[0]) // 2 + int(rng.integers(-height // 8, height // 8 + 1))
            region = canvas[y0 : y0 + ink.shape[0], x0 : x0 + ink.shape[1]]
            np.maximum(region, ink[: region.shape[0], : region.shape[1]], out=region)
            ys, xs = np.nonzero(ink > 0.3)
            boxes.append((x0 + int(xs.min()), y0 + int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)))
            lines.append(rows[r][c])
    rules = np.zeros_like(canvas)
    if paper == "ruled":  # a notebook's lines, each under a row of writing, and its margin line
        for r in range(len(rows) + 1):
            yy = margin + r * row_pitch + int(row_pitch * 0.5 + height * 0.55)
            cv2.line(rules, (0, yy), (width, yy), 0.5, 1)
        cv2.line(rules, (margin // 2, 0), (margin // 2, page_height), 0.6, 2)
    elif paper == "table":
        for r in range(len(rows) + 1):
            cv2.line(rules, (margin, margin + r * row_pitch), (width - margin, margin + r * row_pitch), 0.9, 2)
        for c in range(max(len(row) for row in rows) + 1):
            cv2.line(rules, (margin + c * column, margin), (margin + c * column, page_height - margin), 0.9, 2)
    level = canvas.shape  # the noise is drawn for the page held level: its pages are the same turned or not
    if angle:
        canvas, rules, boxes = _turned(canvas, rules, boxes, angle)
        page_height, width = canvas.shape
    image = np.full(canvas.shape, rng.uniform(200, 245), np.float32)
    image -= np.maximum(canvas * rng.uniform(120, 190), rules * rng.uniform(60, 140))
    if paper == "photo":
        yy, xx = np.mgrid[0 : image.shape[0], 0 : image.shape[1]].astype(np.float32)
        ramp = np.cos(rng.uniform(0, 6.3)) * xx / width + np.sin(rng.uniform(0, 6.3)) * yy / page_height
        image *= 1 - 0.35 * (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.5, 1.2))
        noise = rng.normal(0, 4, level).astype(np.float32)
        reach = ((0, max(0, image.shape[0] - level[0])), (0, max(0, image.shape[1] - level[1])))  # a page turned past 45 degrees is narrower one way
        image += np.pad(noise, reach, mode="symmetric")[: image.shape[0], : image.shape[1]]
        image = cv2.imdecode(cv2.imencode(".jpg", np.clip(image, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 70])[1], cv2.IMREAD_GRAYSCALE)
    return PageSample(np.clip(image, 0, 255).astype(np.uint8), tuple(lines), tuple(boxes), paper)


FIELDS = ("boxes", "apart", "comb", "groups")
"""A form's field of character boxes: boxes side by side, sharing their sides, or printed apart;
or a comb, a base line with a short tick rising between each two boxes (the end ticks often
taller) and no top; or boxes side by side in groups, as a date's (DD MM YYYY), a slash printed
between the groups half the time."""


def boxed(digits: Digits, text: str, field: str, rng: np.random.Generator, angle: float = 0.0) -> PageSample:
    """A number written on a form one digit to a box (an account number, a date, a postcode): a
    printed row of character boxes (or a comb: their base and a tick a quarter to half their
    height between each two, the end ticks half of the time up to the box's height; or groups of
    two, two and the rest, 0.3 to 0.8 of a box apart), one to three of them left empty after the
    number (none in groups), each digit written in its own box, the box 1.15 to 1.7 times as
    tall as the writing; scanned or photographed flat (noise and JPEG); turned by angle degrees
    where one is given, as a form scanned or photographed a little off level. The line's text
    holds the printed slashes, which belong in the date (runtime reads them back)."""
    height = int(rng.integers(28, 56))  # the digits' height in pixels
    side = int(height * rng.uniform(1.15, 1.7))
    gap = int(side * rng.uniform(0.1, 0.35)) if field == "apart" else 0
    grouped = field == "groups"
    count = len(text) if grouped else len(text) + int(rng.integers(1, 4))  # a date's boxes are all written in
    spacing, slashed = (int(side * rng.uniform(0.3, 0.8)), rng.random() < 0.5) if grouped else (0, False)
    group = [min(k // 2, 2, (count - 2) // 2) if grouped else 0 for k in range(count)]  # DD MM YYYY: two boxes, two, and the rest (none alone)
    slash = [slashed and k > 0 and group[k] != group[k - 1] for k in range(count)]  # printed in the gap before box k
    margin = int(height * rng.uniform(0.5, 1.5))
    width, page_height = 2 * margin + count * side + (count - 1) * gap + group[-1] * spacing, 2 * margin + side
    canvas, rules = np.zeros((page_height, width), np.float32), np.zeros((page_height, width), np.float32)
    pen, shade = int(rng.integers(1, 3)), rng.uniform(0.5, 0.9)
    inked = []
    tick = int(side * rng.uniform(0.25, 0.5)) if field == "comb" else 0
    end = int(side * rng.uniform(0.5, 1.0)) if field == "comb" and rng.random() < 0.5 else tick  # a comb's end ticks, often taller
    for k in range(count):
        left = margin + k * (side + gap) + group[k] * spacing
        if slash[k]:  # clear of the frames
            middle, lean = left - spacing // 2, min(side // 6, spacing // 4)
            cv2.line(rules, (middle + lean, margin + side // 6), (middle - lean, margin + side - side // 6), shade, pen)
        if field == "comb":
            cv2.line(rules, (left, margin + side), (left + side, margin + side), shade, pen)
            for x, rise in ((left, end if k == 0 else tick), (left + side, end if k == count - 1 else tick)):
                cv2.line(rules, (x, margin + side), (x, margin + side - rise), shade, pen)
        else:
            cv2.rectangle(rules, (left, margin), (left + side, margin + side), shade, pen)
        if k >= len(text):
            continue
        ink = digits.ink(text[k], int(height * rng.uniform(0.85, 1.05)), rng)
        ink = ink[:, : side - 2 * pen - 2]
        x0 = left + (side - ink.shape[1]) // 2 + int(rng.integers(-height // 10, height // 10 + 1))
        y0 = margin + (side - ink.shape[0]) // 2 + int(rng.integers(-height // 10, height // 10 + 1))
        x0, y0 = min(max(x0, left + pen + 1), left + side - pen - 1 - ink.shape[1]), min(max(y0, margin + pen + 1), margin + side - pen - 1 - ink.shape[0])
        region = canvas[y0 : y0 + ink.shape[0], x0 : x0 + ink.shape[1]]
        np.maximum(region, ink, out=region)
        ys, xs = np.nonzero(ink > 0.3)
        inked.append((x0 + xs.min(), y0 + ys.min(), x0 + xs.max() + 1, y0 + ys.max() + 1))
    (x0, y0), (x1, y1) = np.min([b[:2] for b in inked], axis=0), np.max([b[2:] for b in inked], axis=0)
    box = (int(x0), int(y0), int(x1 - x0), int(y1 - y0))
    if angle:
        canvas, rules, (box,) = _turned(canvas, rules, [box], angle)
    image = np.full(canvas.shape, rng.uniform(200, 245), np.float32)
    image -= np.maximum(canvas * rng.uniform(120, 190), rules * rng.uniform(100, 160))
    image = scanned(image, rng, blur=0.9)
    written = "".join("/" * slash[k] + c for k, c in enumerate(text))  # the printed slashes read back
    return PageSample(image, (written,), (box,), field)


LABELS = ("Amount", "Total:", "Date", "Name", "Age", "Weight (kg)", "Height", "Score", "Room", "Qty", "Price",
          "No.", "Invoice total", "Balance", "Phone", "Account", "Order", "Tel:", "Page", "Pulse", "Temp.",
          "Reading", "Meter", "Hours", "Count", "Ref.", "Paid", "Due", "Seat", "Floor")
"""A form's printed labels, in English: real words, where the print check trained on made-up ones."""

LABEL_FACES = tuple(f"/usr/share/fonts/truetype/dejavu/DejaVu{face}.ttf" for face in ("Sans", "Serif", "SansMono", "Sans-Bold", "Serif-Bold"))
"""The labels' typefaces: DejaVu (fonts-dejavu-core), which the print check never trained in."""

HANDWRITTEN_LABEL_FACES = {
    "Comic Neue": tuple(f"/usr/share/fonts/opentype/comic-neue/ComicNeue-{style}.otf" for style in ("Regular", "Bold", "Italic")),
    "Kristi": ("/usr/share/fonts/truetype/kristi/Kristi.ttf",),
}
"""Handwriting faces for labels written by hand (fonts-comic-neue, fonts-kristi; SIL OFL): a
print-like hand and a cursive one, neither of which the print check trained in."""


def labelled(digits: Digits, rng: np.random.Generator, faces: tuple[str, ...] = LABEL_FACES, written: bool = False) -> PageSample:
    """A filled-in form: 2 to 5 rows, each a label (LABELS) in one of the faces, printed or, where
    written, in the numbers' ink (HANDWRITTEN_LABEL_FACES), its capitals 0.4 to 1.0 times as tall
    as the writing; and, 0.6 to 2 times the writing's height after it (after the label, or, half
    of the time, after the longest label, the numbers in a column), a number of 1 to 6 MNIST test
    digits handwritten, half of the time on a printed field line; scanned or photographed flat
    (blur, noise, JPEG). The numbers are the lines to read; a label read as a line is one invented."""
    from PIL import Image, ImageDraw

    height = int(rng.integers(28, 56))  # the digits' height in pixels
    rows = int(rng.integers(2, 6))
    texts = ["".join(str(d) for d in rng.integers(0, 10, int(rng.integers(1, 7)))) for _ in range(rows)]
    inks = [digits.ink(text, height, rng) for text in texts]
    font = with_capitals(str(rng.choice(faces)), height * rng.uniform(0.4, 1.0))
    labels = [str(rng.choice(LABELS)) for _ in range(rows)]
    label_width = max(int(font.getlength(label)) for label in labels)
    gap = int(height * rng.uniform(0.6, 2.0))
    margin, pitch = int(height * rng.uniform(1.0, 2.0)), int(height * rng.uniform(1.8, 2.6))
    width = 2 * margin + label_width + gap + max(ink.shape[1] for ink in inks) + height
    page_height = 2 * margin + pitch * rows
    print_layer = Image.new("L", (width, page_height), 0)
    label_layer = Image.new("L", (width, page_height), 0) if written else print_layer
    draw, writing = ImageDraw.Draw(print_layer), ImageDraw.Draw(label_layer)
    canvas = np.zeros((page_height, width), np.float32)
    lined, column = rng.random() < 0.5, rng.random() < 0.5
    boxes = []
    for r, (label, ink) in enumerate(zip(labels, inks)):
        baseline = margin + r * pitch + pitch // 2 + height // 2
        writing.text((margin, baseline), label, font=font, fill=255, anchor="ls")
        x0, y0 = margin + (label_width if column else int(font.getlength(label))) + gap, baseline - ink.shape[0] + int(rng.integers(-height // 8, height // 8 + 1))
        if lined:
            draw.line((x0 - height // 4, baseline + height // 6, width - margin, baseline + height // 6), fill=200, width=max(1, height // 28))
        region = canvas[y0 : y0 + ink.shape[0], x0 : x0 + ink.shape[1]]
        np.maximum(region, ink[: region.shape[0], : region.shape[1]], out=region)
        ys, xs = np.nonzero(ink > 0.3)
        boxes.append((x0 + int(xs.min()), y0 + int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)))
    printed = np.asarray(print_layer, np.float32) / 255
    if written:  # the labels in the numbers' ink; the field lines still printed
        np.maximum(canvas, np.asarray(label_layer, np.float32) / 255, out=canvas)
    image = np.full(canvas.shape, rng.uniform(200, 245), np.float32)
    image -= np.maximum(canvas * rng.uniform(120, 190), printed * rng.uniform(120, 190))
    return PageSample(scanned(image, rng), tuple(texts), tuple(boxes), "lined form" if lined else "form")


def scanned(image: np.ndarray, rng: np.random.Generator, blur: float = 1.0) -> np.ndarray:
    """A page's lightness (float32) as a flatbed scanner gives it back, uint8: blurred by 0.4 to
    blur pixels, noisy, saved as a JPEG of quality 80."""
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, blur)) + rng.normal(0, 3, image.shape).astype(np.float32)
    return cv2.imdecode(cv2.imencode(".jpg", np.clip(image, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 80])[1], cv2.IMREAD_GRAYSCALE)


def with_capitals(face: str, pixels: float):
    """The face (a font file) at the size whose capitals stand pixels tall (PIL's FreeTypeFont)."""
    from PIL import ImageFont

    _, top, _, bottom = ImageFont.truetype(face, 100).getbbox("H")
    return ImageFont.truetype(face, int(pixels / ((bottom - top) / 100)))


def _turned(canvas: np.ndarray, rules: np.ndarray, boxes: list, angle: float) -> tuple[np.ndarray, np.ndarray, list]:
    """The page's ink and rules turned by angle degrees in a frame large enough to hold them, the
    numbers' boxes the boxes round them there."""
    h, w = canvas.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    width, height = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[:, 2] += ((width - w) / 2, (height - h) / 2)
    turned = [cv2.warpAffine(layer, matrix, (width, height), flags=cv2.INTER_LINEAR) for layer in (canvas, rules)]
    return turned[0], turned[1], _placed(boxes, np.vstack([matrix, (0, 0, 1)]))


def _placed(boxes, matrix: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Each (x, y, width, height) box as the box round its corners carried through a 3x3 homography."""
    placed = []
    for x, y, bw, bh in boxes:
        corners = cv2.perspectiveTransform(np.float32([[[x, y], [x + bw, y], [x, y + bh], [x + bw, y + bh]]]), matrix)[0]
        (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
        placed.append((int(x0), int(y0), int(x1 - x0) + 1, int(y1 - y0) + 1))
    return placed


def score(samples: list[PageSample], readings: list) -> dict:
    """Line by line: each number is matched to the line read whose box centre lies in its box.

    Returns the share of numbers read exactly, and the share of pages where every number was
    found and no line invented (a line read that matches no number).
    """
    exact, whole = [], []
    for sample, reading in zip(samples, readings):
        found = (reading.lines or (reading,)) if reading else ()
        used = set()
        for text, box in zip(sample.lines, sample.boxes):
            match = next((i for i, line in enumerate(found) if line.box and i not in used and centred_in(line.box, box)), None)
            if match is not None:
                used.add(match)
            exact.append(match is not None and found[match].number == text)
        whole.append(len(used) == len(sample.lines) == len(found))
    return {"lines_exact": float(np.mean(exact)), "pages_whole": float(np.mean(whole)), "lines": len(exact), "pages": len(whole)}


def only(sample: PageSample, keep: list[bool], image: np.ndarray | None = None) -> PageSample:
    """The sample with only the numbers keep marks, and another image of it if given: part of a
    page to score (a photo cut short, the numbers a highlighter ran over)."""
    kept = [(text, box) for text, box, k in zip(sample.lines, sample.boxes, keep) if k]
    return PageSample(sample.image if image is None else image, tuple(t for t, _ in kept), tuple(b for _, b in kept), sample.paper)


def centred_in(box: tuple[int, int, int, int], truth: tuple[int, int, int, int]) -> bool:
    """Whether a box read has its centre within the true box: the line read is that number's."""
    x, y, w, h = truth
    return x <= box[0] + box[2] / 2 <= x + w and y <= box[1] + box[3] / 2 <= y + h


def on_desk(
    sample: PageSample,
    desk: float | tuple[float, float, float],
    angle: float,
    grain: bool,
    rng: np.random.Generator,
    slant: float = 0.0,
    paper: tuple[float, float, float] | None = None,
    lit: bool = True,
) -> PageSample:
    """The page photographed lying on a desk, turned by angle degrees, seen at a slant (its far
    edge narrower by that share: a phone held over it, not square above it), with or without wood
    grain, light falling off across the photo: what reading.sheet cuts out. The desk is a grey
    level, or an RGB colour; the page's paper may be coloured too (a sticky note: its RGB, for
    white), and then the photo is RGB. The numbers' boxes are the boxes round them in the photo.
    lit=False leaves the light even (for beside, which lets it fall off across both sheets)."""
    h, w = sample.image.shape
    height, width = int(h * 1.7), int(w * 1.9)
    colour = paper is not None or not np.isscalar(desk)
    photo = np.zeros((height, width, 3 if colour else 1), np.float32) + np.float32(desk)
    if grain:
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        photo += (18 * np.sin(xx / 7 + 3 * np.sin(yy / 40)) + rng.normal(0, 4, (height, width)))[:, :, None]
    page_corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    seen = page_corners + np.float32([[slant * w / 2, 0], [-slant * w / 2, 0], [0, 0], [0, 0]])
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    turn[:, 2] += ((width - w) / 2, (height - h) / 2)
    placed = cv2.getPerspectiveTransform(page_corners, (seen @ turn[:, :2].T + turn[:, 2]).astype(np.float32))
    cover = cv2.warpPerspective(np.ones((h, w), np.float32), placed, (width, height))[:, :, None]
    page = cv2.warpPerspective(sample.image.astype(np.float32), placed, (width, height))[:, :, None]
    if paper is not None:
        page = page * np.float32(paper) / 255
    photo = photo * (1 - cover) + page * cover
    if lit:
        photo = _falling_off(photo)
    image = np.clip(photo, 0, 255).astype(np.uint8)
    return PageSample(image if colour else image[:, :, 0], sample.lines, tuple(_placed(sample.boxes, placed)), "desk")


def darker(sample: PageSample, paper: float, chalk: bool = False) -> PageSample:
    """The page on paper of that grey: kraft card or a slate written on in pencil (the ink as dark
    as on white), or a chalkboard written on in chalk (the ink lighter than the board, most of the
    way to white). For on_desk, on a desk lighter than the paper."""
    ink = 1 - sample.image.astype(np.float32) / 255
    image = paper + 0.85 * (255 - paper) * ink if chalk else paper * (1 - ink)
    return replace(sample, image=np.clip(image, 0, 255).astype(np.uint8))


def shadowed(sample: PageSample, depth: float, soft: float, rng: np.random.Generator, corner: bool = False) -> PageSample:
    """The page with a shadow across it (a phone's or a hand's, the light from one side): the
    shaded paper keeps depth of the light. Its edge is a straight line at a random angle through
    the page's middle half, or, with corner, the shadow is a band reaching in from one side with
    an end (a phone held over it); blurred over soft of the page's longer side."""
    h, w = sample.image.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    across = np.cos(angle) * (xx - w * rng.uniform(0.25, 0.75)) + np.sin(angle) * (yy - h * rng.uniform(0.25, 0.75))
    shade = across > 0
    if corner:
        along = -np.sin(angle) * (xx - w / 2) + np.cos(angle) * (yy - h / 2)
        shade &= along > rng.uniform(-0.3, 0.3) * max(h, w)
    light = np.where(shade, np.float32(depth), np.float32(1.0))
    light = cv2.GaussianBlur(light, (0, 0), max(0.8, soft * max(h, w)))
    return replace(sample, image=np.clip(sample.image * light, 0, 255).astype(np.uint8))


def gridded(sample: PageSample, squared: bool, step: float, rng: np.random.Generator) -> PageSample:
    """The page printed with a grid under the writing, a dotted one (a bullet journal's) or a
    squared one (a maths exercise book's), step text heights apart, from 30 to 90 grey levels
    darker than the paper, its lines a pixel wide and its dots three across."""
    image = sample.image.astype(np.float32)
    h, w = image.shape
    pitch = step * float(np.median([box[3] for box in sample.boxes]))
    x0, y0 = rng.uniform(0, pitch, 2)
    xs, ys = np.arange(x0, w, pitch).astype(int), np.arange(y0, h, pitch).astype(int)
    grid = np.zeros_like(image)
    if squared:
        grid[ys, :] = grid[:, xs] = 1.0
    else:
        grid[np.ix_(ys, xs)] = 1.0
        grid = cv2.dilate(grid, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    grid = np.clip(1.5 * cv2.GaussianBlur(grid, (0, 0), 0.6), 0, 1)
    paper = float(np.percentile(image, 90))
    return replace(sample, image=np.clip(np.minimum(image, paper - rng.uniform(30, 90) * grid), 0, 255).astype(np.uint8))


def _falling_off(photo: np.ndarray) -> np.ndarray:
    """The light falling off across a float (rows, columns, channels) photo, from 1.05 to 0.8."""
    return photo * np.linspace(0.8, 1.05, photo.shape[1], dtype=np.float32)[None, :, None]


def beside(left: PageSample, right: PageSample, desk: float, angles: tuple[float, float], rng: np.random.Generator) -> PageSample:
    """Two pages photographed lying side by side on one desk (each as on_desk lays it, turned by
    its angle), the light falling off across both. The left page's numbers come first."""
    shots = [on_desk(sample, desk, angle, False, rng, lit=False) for sample, angle in zip((left, right), angles)]
    height = max(shot.image.shape[0] for shot in shots)
    grown = [np.pad(shot.image, ((0, height - shot.image.shape[0]), (0, 0)), mode="edge") for shot in shots]
    photo = _falling_off(np.hstack(grown).astype(np.float32)[:, :, None])[:, :, 0]
    shift = shots[0].image.shape[1]
    boxes = shots[0].boxes + tuple((x + shift, y, w, h) for x, y, w, h in shots[1].boxes)
    return PageSample(np.clip(photo, 0, 255).astype(np.uint8), left.lines + right.lines, boxes, "desk")

