"""Synthetic lines of handwritten numbers, for training the line reader.

No labelled set of real handwritten numbers may be trained on here, so the lines are made: MNIST
training digits and glyphs of openly licensed handwriting-style fonts, written with the habits
real numbers have (touching and overlapping digits, uneven size, baseline and slant, a 1 with a
lead-in stroke, crossed 7s, separators inside the number) on paper with the defects of real
captures (security patterns, ruled lines, underlines, cell borders, uneven light, blur, noise,
JPEG), from crops 14 pixels high to large ones. Non-digit lines (letters, symbols, mirrored
digits) teach the reader to write nothing. Every line goes through lines.line_input, exactly as
a user's image does. The same seed gives the same lines.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..constants import LETTERS
from ..errors import NoDigitError
from ..reading.lines import ALPHABET, LINE_HEIGHT, TRAIN_WIDTH, encode, line_input, squeezed
from .negatives import MIRRORED, QUARTER_TURNED

FONTS = {
    "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf": ("fonts-humor-sans", "OFL-1.1"),
    "/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf": ("fonts-klee", "OFL-1.1"),
    "/usr/share/fonts/truetype/klee/KleeOne-SemiBold.ttf": ("fonts-klee", "OFL-1.1"),
    "/usr/share/fonts/truetype/yusei-magic/YuseiMagic-Regular.ttf": ("fonts-yusei-magic", "OFL-1.1"),
    **{
        f"/usr/share/fonts/opentype/bwht/BecauseWe{name}-Regular.otf": ("fonts-bwht", "OFL-1.1")
        for name in ("Build", "Connect", "Create", "Learn", "Mentor", "Organize")
    },
}
"""Handwriting-style fonts under the SIL Open Font License, from Debian's packages
(`apt-get install fonts-humor-sans fonts-klee fonts-yusei-magic fonts-bwht`). Those installed
are used; the model's JSON records which, with their licences."""

BUCKET_STEP = 16
"""A bucketed batch's width is a multiple of this: four output frames."""

MAX_LABEL = 16
"""The longest text a training line holds."""

FONT_SHARE = 0.3
"""The share of digits drawn from a font rather than taken from MNIST."""

NEGATIVE_SHARE = 0.05
"""The share of lines that hold no number: letters, symbols, mirrored or turned digits."""


def installed_fonts(fonts: dict[str, tuple[str, str]] = FONTS) -> dict[str, tuple[str, str]]:
    """Those of the fonts (path: (package, licence)) installed here: the handwriting fonts by default."""
    return {path: source for path, source in fonts.items() if Path(path).is_file()}


@dataclass
class LineMaker:
    """Makes lines from MNIST training digits (x: (N, 28, 28) uint8, y: (N,)) and the installed fonts."""

    x: np.ndarray
    y: np.ndarray
    fonts: tuple[str, ...] = ()
    plain: bool = False
    """Plain lines only: digits spaced apart on clean paper, for a quick check that a network learns."""

    def __post_init__(self) -> None:
        self.by_digit = [np.nonzero(self.y == d)[0] for d in range(10)]

    def line(self, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        """One line: (LINE_HEIGHT, W) float32 pixels as the reader sees them, and its text."""
        while True:
            text = _digits(rng, int(rng.integers(1, 5))) if self.plain else _text(rng)
            try:
                return line_input(self.image(text, rng)).pixels, text
            except NoDigitError:  # the ink came out too faint to see: draw another
                continue

    def image(self, text: str, rng: np.random.Generator) -> np.ndarray:
        """The text handwritten on paper, as a uint8 grey image ("" writes something that is no number)."""
        ink = self.ink(text, rng)
        return _clean_paper(ink) if self.plain else _on_paper(ink, rng)

    def batch(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """size lines padded to TRAIN_WIDTH, (size, LINE_HEIGHT, TRAIN_WIDTH, 1), and their
        labels as class indices padded with CTC's blank, (size, MAX_LABEL)."""
        return self.batches(rng, size, 1)[0]

    def batches(self, rng: np.random.Generator, size: int, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """count batches of size lines, as batch makes them. With count over 1 the lines are
        sorted by width across the batches, each batch padded only to its widest line (rounded
        up to BUCKET_STEP), and the batches shuffled: the network's work follows the lines'
        width (TrainConfig.buckets). One batch alone keeps TRAIN_WIDTH, the recipe's lines exactly."""
        drawn = []
        for _ in range(size * count):
            line, text = self.line(rng)
            line = squeezed(line)
            drawn.append((line, text, int(rng.integers(0, TRAIN_WIDTH - line.shape[1] + 1))))
        if count > 1:
            drawn.sort(key=lambda d: d[0].shape[1])
        out = []
        for group in (drawn[k * size : (k + 1) * size] for k in range(count)):
            widest = max(line.shape[1] for line, _, _ in group)
            width = TRAIN_WIDTH if count == 1 else min(TRAIN_WIDTH, -(-widest // BUCKET_STEP) * BUCKET_STEP)
            pixels = np.zeros((len(group), LINE_HEIGHT, width, 1), np.float32)
            labels = np.zeros((len(group), MAX_LABEL), np.int32)
            for i, (line, text, left) in enumerate(group):
                if width < TRAIN_WIDTH:  # the same place in the narrower batch, in proportion
                    left = left * (width - line.shape[1]) // max(1, TRAIN_WIDTH - line.shape[1])
                pixels[i, :, left : left + line.shape[1], 0] = line
                labels[i, : len(text)] = encode(text)
            out.append((pixels, labels))
        return [out[k] for k in rng.permutation(count)] if count > 1 else out

    def ink(self, text: str, rng: np.random.Generator) -> np.ndarray:
        """The text written as ink coverage (float32, 0-1) on a blank canvas."""
        height = int(rng.integers(28, 64))
        font = str(rng.choice(self.fonts)) if self.fonts and rng.random() < 0.5 else None
        if not text:
            glyphs = [self._non_digit(height, rng) for _ in range(int(rng.integers(1, 4)))]
        else:
            glyphs = [self._glyph(c, height, font if rng.random() < 2 * FONT_SHARE else None, rng) for c in text]
        stroke = max(1, round(height * rng.uniform(0.07, 0.14)))
        canvas = np.zeros((2 * height, sum(g.shape[1] for g in glyphs if g is not None) + height * (len(glyphs) + 2)), np.float32)
        x = int(height * rng.uniform(0.2, 0.5))
        baseline = int(1.5 * height)
        touching = rng.random() < 0.25 and not self.plain
        for c, g in zip(text or " " * len(glyphs), glyphs):
            if g is None:  # a separator, drawn at the pen's own width
                x += _separator(canvas, c, x, baseline, height, stroke, rng)
            else:
                top = baseline - g.shape[0] + int(rng.normal(0, 0.04) * height)
                top = max(0, top)
                region = canvas[top : top + g.shape[0], x : x + g.shape[1]]
                np.maximum(region, g[: region.shape[0], : region.shape[1]], out=region)
                x += g.shape[1]
            x += int(height * (rng.uniform(-0.15, 0.05) if touching else rng.uniform(0.0, 0.35)))
        canvas = canvas[:, : x + int(height * 0.3)]
        return canvas if self.plain else _slanted(canvas, rng)

    def _glyph(self, c: str, height: int, font: str | None, rng: np.random.Generator) -> np.ndarray | None:
        """A digit's ink scaled to about height, or None for a separator."""
        if not c.isdigit():
            return None
        if font:
            ink = _font_glyph(font, c)
        else:
            ink = self.x[rng.choice(self.by_digit[int(c)])].astype(np.float32) / 255
            ink = _styled(cropped(ink), int(c), rng)
        tall = c == "1" and not self.plain and rng.random() < 0.3  # a 1 towering over its neighbours, as on cheques
        h = height * (rng.uniform(1.1, 1.4) if tall else rng.uniform(0.8, 1.1))
        w = ink.shape[1] * h / ink.shape[0] * rng.uniform(0.8, 1.2)
        return _pen(cv2.resize(ink, (max(2, round(w)), max(2, round(h))), interpolation=cv2.INTER_LINEAR), rng)

    def _non_digit(self, height: int, rng: np.random.Generator) -> np.ndarray:
        """Something that is no digit: a letter, a symbol, or a digit mirrored or turned."""
        kind = rng.random()
        if kind < 0.4 and self.fonts:
            ink = _font_glyph(str(rng.choice(self.fonts)), str(rng.choice(LETTERS)))
        elif kind < 0.7:
            ink = _symbol(str(rng.choice(list("+=x"))), rng)
        else:
            d = int(rng.choice(MIRRORED + QUARTER_TURNED))
            ink = self.x[rng.choice(self.by_digit[d])].astype(np.float32) / 255
            ink = cropped(np.fliplr(ink) if d in MIRRORED and rng.random() < 0.5 or d not in QUARTER_TURNED else np.rot90(ink, int(rng.choice([1, 3]))))
        scale = height * rng.uniform(0.6, 1.0) / ink.shape[0]
        return cv2.resize(np.ascontiguousarray(ink), (max(2, round(ink.shape[1] * scale)), max(2, round(ink.shape[0] * scale))))


class LinePool:
    """LineMaker.batches in worker processes, for a machine with cores to spare (a GPU's host,
    where two threads making lines keep the GPU idle most of the time). Batch for batch, the same
    lines as LineMaker.batches with the same seed."""

    def __init__(self, maker: LineMaker, workers: int):
        # Spawned, not forked: the trainer's process holds Keras' and its backend's threads.
        context = multiprocessing.get_context("spawn")
        self.executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_serve, initargs=(maker,))

    def batches(self, seed: list[int], size: int, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
        return self.executor.submit(_batches, seed, size, count).result()

    def close(self) -> None:
        self.executor.shutdown(cancel_futures=True)


_served: LineMaker | None = None
"""A LinePool worker's LineMaker, set once as the worker starts."""


def _serve(maker: LineMaker) -> None:
    global _served
    _served = maker


def _batches(seed: list[int], size: int, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return _served.batches(np.random.default_rng(seed), size, count)


def text_of(label: np.ndarray) -> str:
    """A label row back as text: encode's inverse, the blank padding dropped."""
    return "".join(ALPHABET[k - 1] for k in label if k)


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def _text(rng: np.random.Generator) -> str:
    """A number as people write them: plain, with thousands or decimal separators, a date, a time,
    or a cheque's trailing dash; or, now and then, nothing (a non-digit line)."""

    r = rng.random()
    if r < NEGATIVE_SHARE:
        return ""
    if r < 0.5:
        return _digits(rng, int(rng.choice([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8])))
    if r < 0.68:  # thousands: 12.500, 1,000, 148.535
        mark = "." if rng.random() < 0.6 else ","
        text = _digits(rng, int(rng.integers(1, 4))) + mark + _digits(rng, 3)
        if rng.random() < 0.15:
            text = _digits(rng, int(rng.integers(1, 3))) + mark + text
        return text + (rng.choice([".-", "-", "."]) if rng.random() < 0.15 else "")
    if r < 0.8:  # decimals: 12.5, 0,75
        return _digits(rng, int(rng.integers(1, 5))) + ("." if rng.random() < 0.6 else ",") + _digits(rng, int(rng.integers(1, 3)))
    if r < 0.9:  # dates: 25/11, 3/4/22, 12-05-2024
        mark = "/" if rng.random() < 0.7 else "-"
        parts = [_digits(rng, int(rng.integers(1, 3))), _digits(rng, int(rng.integers(1, 3)))]
        if rng.random() < 0.4:
            parts.append(_digits(rng, int(rng.choice([2, 4]))))
        return mark.join(parts)
    if r < 0.95:  # times and ratios: 12:30
        return _digits(rng, int(rng.integers(1, 3))) + ":" + _digits(rng, 2)
    return ("-" + _digits(rng, int(rng.integers(1, 5)))) if rng.random() < 0.5 else _digits(rng, int(rng.integers(2, 6))) + "-"


def cropped(ink: np.ndarray) -> np.ndarray:
    """Ink coverage cut to the box of its visible ink (over 0.1)."""
    rows, cols = np.nonzero(ink > 0.1)
    return ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def _pen(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The pen and the paper: a hairline pen, a marker, or a stroke broken where the ink skipped."""
    r = rng.random()
    k = max(1, ink.shape[0] // 16)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k + 1, k + 1))
    if r < 0.12:
        thin = cv2.erode(ink, disc)
        ink = thin if thin.max() > 0.5 else ink
    elif r < 0.24:
        ink = cv2.dilate(ink, disc)
    elif r < 0.32:
        y = int(rng.uniform(0.25, 0.75) * ink.shape[0])
        ink = ink.copy()
        ink[y : y + max(1, ink.shape[0] // 14)] = 0
    return ink


def _styled(ink: np.ndarray, digit: int, rng: np.random.Generator) -> np.ndarray:
    """Styles MNIST's American hands seldom have: a 1 with a long lead-in stroke (half of all 1s),
    a 1 that is one plain stroke, a crossed 7."""
    if digit not in (1, 7) or rng.random() > 0.5:
        return ink
    h, w = ink.shape
    if digit == 1 and rng.random() < 0.3:  # one stroke, upright or leaning a little
        lean = int(h * rng.uniform(0.0, 0.3))
        stroke = np.zeros((h, lean + max(2, h // 8) + 2), np.float32)
        cv2.line(stroke, (1, h - 1), (1 + lean, 0), 1.0, max(1, round(h * rng.uniform(0.08, 0.14))), cv2.LINE_AA)
        return cropped(stroke)
    pad = 3 * h // 4
    big = np.zeros((h, w + pad), np.float32)
    big[:, pad:] = ink
    cols = np.nonzero(ink[: max(1, h // 6)].max(axis=0) > 0.3)[0]
    thickness = max(1, round(h * 0.1))
    if digit == 1:  # from the top of the stem, down and to the left: a flag, or an up-stroke from the line
        x = pad + int(cols.mean()) if len(cols) else pad + w // 2
        end = (x - int(h * rng.uniform(0.2, 0.7)), int(h * rng.uniform(0.3, 1.0)))
        cv2.line(big, (x, 0), end, 1.0, thickness, cv2.LINE_AA)
    else:  # a bar across the stem, half-way down
        y = int(h * rng.uniform(0.45, 0.6))
        row = np.nonzero(ink[y] > 0.3)[0]
        x = pad + int(row.mean()) if len(row) else pad + w // 2
        half = int(h * rng.uniform(0.15, 0.3))
        cv2.line(big, (x - half, y), (x + half, y + int(rng.normal(0, 0.03) * h)), 1.0, thickness, cv2.LINE_AA)
    return cropped(big)


@lru_cache(maxsize=4096)
def _font_glyph(font: str, c: str) -> np.ndarray:
    """A character in a font, as ink coverage cropped to its box (rendered once, at 64 px)."""
    image = Image.new("L", (160, 160))
    ImageDraw.Draw(image).text((80, 80), c, fill=255, font=ImageFont.truetype(font, 64), anchor="mm")
    return cropped(np.asarray(image, np.float32) / 255)


def _symbol(c: str, rng: np.random.Generator) -> np.ndarray:
    """A hand-drawn plus, equals or times sign."""
    ink = np.zeros((40, 40), np.float32)
    t = int(rng.integers(2, 5))
    j = lambda: int(rng.integers(-3, 4))  # noqa: E731  (the hand's wobble)
    if c == "+":
        cv2.line(ink, (6 + j(), 20 + j()), (34 + j(), 20 + j()), 1.0, t)
        cv2.line(ink, (20 + j(), 6 + j()), (20 + j(), 34 + j()), 1.0, t)
    elif c == "=":
        cv2.line(ink, (6 + j(), 14 + j()), (34 + j(), 14 + j()), 1.0, t)
        cv2.line(ink, (6 + j(), 27 + j()), (34 + j(), 27 + j()), 1.0, t)
    else:
        cv2.line(ink, (8 + j(), 8 + j()), (32 + j(), 32 + j()), 1.0, t)
        cv2.line(ink, (32 + j(), 8 + j()), (8 + j(), 32 + j()), 1.0, t)
    return cropped(ink)


def _separator(canvas: np.ndarray, c: str, x: int, baseline: int, height: int, stroke: int, rng: np.random.Generator) -> int:
    """Draw a separator with its left edge at x; returns the width it took."""
    dot = max(1, round(stroke * rng.uniform(0.5, 0.9)))
    if c == ".":
        cv2.circle(canvas, (x + dot, baseline - dot), dot, 1.0, -1, cv2.LINE_AA)
        return 2 * dot + 1
    if c == ",":
        length = int(height * rng.uniform(0.15, 0.3))
        cv2.line(canvas, (x + length // 2, baseline - dot), (x, baseline + length), 1.0, stroke, cv2.LINE_AA)
        return length // 2 + stroke
    if c == ":":
        cv2.circle(canvas, (x + dot, baseline - dot), dot, 1.0, -1, cv2.LINE_AA)
        cv2.circle(canvas, (x + dot, baseline - int(height * rng.uniform(0.45, 0.65))), dot, 1.0, -1, cv2.LINE_AA)
        return 2 * dot + 1
    if c == "-":
        length = int(height * rng.uniform(0.25, 0.6))
        y = baseline - int(height * rng.uniform(0.35, 0.55))
        cv2.line(canvas, (x, y), (x + length, y + int(rng.normal(0, 0.04) * height)), 1.0, stroke, cv2.LINE_AA)
        return length + stroke
    # "/": a tall stroke leaning well over, further than a 1 leans, often below the baseline
    lean = int(height * rng.uniform(0.5, 0.9))
    below = int(height * rng.uniform(0.0, 0.2))
    cv2.line(canvas, (x, baseline + below), (x + lean, baseline - int(height * rng.uniform(0.95, 1.2))), 1.0, stroke, cv2.LINE_AA)
    return lean + stroke


def _slanted(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The whole line slanted and tilted a little, as a hand writes it."""
    h, w = ink.shape
    slant, tilt = rng.uniform(-0.35, 0.35), np.radians(rng.uniform(-3, 3))
    matrix = np.float32([[np.cos(tilt), -np.sin(tilt) - slant, slant * h], [np.sin(tilt), np.cos(tilt), 0]])
    return cv2.warpAffine(ink, matrix, (w + int(abs(slant) * h) + 2, h))


def _clean_paper(ink: np.ndarray) -> np.ndarray:
    return (255 - 255 * np.pad(ink, 8)).astype(np.uint8)


def _on_paper(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The ink cropped with a margin and laid on paper with a capture's defects, as uint8 grey."""
    rows, cols = np.nonzero(ink > 0.1)
    height = rows.max() - rows.min() + 1
    margins = (rng.uniform(0.05, 0.6, 2) * height).astype(int), (rng.uniform(0.05, 0.8, 2) * height).astype(int)
    ink = np.pad(ink, ((max(0, margins[0][0] - rows.min()), margins[0][1]), (max(0, margins[1][0] - cols.min()), margins[1][1])))
    rows, cols = np.nonzero(ink > 0.1)
    ink = ink[max(0, rows.min() - margins[0][0]) : rows.max() + 1 + margins[0][1], max(0, cols.min() - margins[1][0]) : cols.max() + 1 + margins[1][1]]
    h, w = ink.shape
    paper = rng.uniform(110, 250)
    contrast = rng.uniform(45, paper) if rng.random() < 0.85 else rng.uniform(30, 60)
    image = np.full((h, w), paper, np.float32)
    yy, xx = np.arange(h, dtype=np.float32)[:, None], np.arange(w, dtype=np.float32)[None, :]  # broadcast, not made whole: np.mgrid took an eighth of this function
    if rng.random() < 0.4:  # a cheque's security pattern: fine wavy lines, or their moire
        period, wave = rng.uniform(3, 9), rng.uniform(0.02, 0.15)
        angle = rng.uniform(0, np.pi)
        phase = np.cos(angle) * xx + np.sin(angle) * yy + rng.uniform(2, 8) * np.sin(wave * xx + rng.uniform(0, 6))
        image -= rng.uniform(5, 35) * (0.5 + 0.5 * np.sin(2 * np.pi * phase / period))
    if rng.random() < 0.5:  # uneven light
        ramp = (np.cos(rng.uniform(0, 6.3)) * xx / w + np.sin(rng.uniform(0, 6.3)) * yy / h)
        image *= 1 - rng.uniform(0, 0.3) * (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    lines = np.zeros((h, w), np.float32)
    if rng.random() < 0.3:  # an underline, or the line written on
        y = int(h - (rng.uniform(0.0, 0.6) * (h - rows.max() + rows.min())) - 1) if h > 4 else h - 1
        cv2.line(lines, (0, y), (w, y + int(rng.integers(-2, 3))), rng.uniform(0.3, 1.0), int(rng.integers(1, 3)))
    if rng.random() < 0.45:  # a table cell's borders, some of them
        for side in range(4):
            if rng.random() < 0.5:
                t, at = int(rng.integers(1, 4)), int(rng.integers(0, 3))
                ends = [((0, at), (w, at + int(rng.integers(-1, 2)))), ((0, h - 1 - at), (w, h - 1 - at)), ((at, 0), (at, h)), ((w - 1 - at, 0), (w - 1 - at + int(rng.integers(-1, 2)), h))][side]
                cv2.line(lines, *ends, rng.uniform(0.3, 1.0), t)
    image -= np.maximum(ink, lines * rng.uniform(0.3, 0.9)) * contrast
    if rng.random() < 0.7:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 1.2) * max(1.0, height / 40))
    image += rng.normal(0, rng.uniform(0, 8), image.shape)
    if rng.random() < 0.5:  # seen small: the ink's height comes down to 12-40 pixels
        f = min(1.0, rng.uniform(12, 40) / height)
        image = cv2.resize(image, (max(2, round(w * f)), max(2, round(h * f))), interpolation=cv2.INTER_AREA)
    image = np.clip(image, 0, 255).astype(np.uint8)
    if rng.random() < 0.05:
        image = 255 - image  # chalk on a board, a negative scan
    if rng.random() < 0.5:
        image = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 95))])[1], cv2.IMREAD_GRAYSCALE)
    return image
