"""Images that hold no digit, for training a network to say so.

A network trained on digits alone has to call everything a digit, and calls a letter V a 4 at
95%. Trained also to give even odds to non-digits ("outlier exposure", Hendrycks, Mazeika and
Dietterich, ICLR 2019), its top probability stays low where there is no digit to find.

These negatives come from MNIST's training digits (mirrored, turned, two run together), letters
in Pillow's built-in font, and tangles of curves: never from realistic.py, whose non-digit
images (shapes, Hershey-font letters, random-walk scribbles, noise) measure how well this works.
Each is brought to 28x28 by augment.as_read, exactly as a reader's crop is.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .augment import as_read, enlarged
from ..constants import IMAGE_SIZE, LETTERS

KINDS = ("letter", "turned", "pair", "tangle")

MIRRORED = (3, 6, 7, 9)
"""Digits whose mirror image is no digit (a mirrored 2 is an S, read as 5 by anyone; 0, 1, 8 stay put)."""

QUARTER_TURNED = (3, 4, 5, 7, 9)
"""Digits that are no digit a quarter turn round (a turned 6 or 9 is still a 6 or 9 to some eyes)."""

CANVAS = 96


def make(x_train: np.ndarray, y_train: np.ndarray, count: int, seed: int) -> np.ndarray:
    """count 28x28 float32 non-digit images in [0, 1], the kinds in turn, the same for the same seed."""
    rng = np.random.default_rng([seed, 7])
    makers = {"letter": _letter, "turned": _turned, "pair": _pair, "tangle": _tangle}
    out = np.empty((count, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    i = 0
    while i < count:
        ink = makers[KINDS[i % len(KINDS)]](x_train, y_train, rng)
        if (ink > 64).sum() < 8:  # too little ink to be read: draw again
            continue
        out[i] = as_read(ink)
        i += 1
    return out


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size)


def _letter(x_train: np.ndarray, y_train: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    image = Image.new("L", (CANVAS, CANVAS))
    size = int(rng.integers(40, 64))
    ImageDraw.Draw(image).text(
        (CANVAS / 2, CANVAS / 2), str(rng.choice(LETTERS)), fill=255, font=_font(size), anchor="mm", stroke_width=int(rng.integers(0, 4)), stroke_fill=255
    )
    return _slanted(np.asarray(image), rng)


def _turned(x_train: np.ndarray, y_train: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.5:
        digit = _pick(x_train, y_train, MIRRORED, rng)
        return enlarged(digit[:, ::-1])
    digit = _pick(x_train, y_train, QUARTER_TURNED, rng)
    return enlarged(np.rot90(digit, 1 if rng.random() < 0.5 else -1))


def _pair(x_train: np.ndarray, y_train: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two digits run together, overlapping by up to half a digit: one crop holding two digits."""
    a, b = (x_train[j] for j in rng.integers(0, len(x_train), 2))
    cols = np.nonzero(a.max(0))[0]
    step = int(cols.max() - cols.min() + 1)
    offset = max(int(step * rng.uniform(0.55, 0.95)), 4)
    canvas = np.zeros((28, 28 + offset), np.uint8)
    canvas[:, :28] = a
    canvas[:, offset : offset + 28] = np.maximum(canvas[:, offset : offset + 28], b)
    return enlarged(canvas)


def _tangle(x_train: np.ndarray, y_train: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two to four smooth curves crossing one another."""
    ink = np.zeros((CANVAS, CANVAS), np.uint8)
    t = np.linspace(0, 1, 24)[:, None]
    for _ in range(int(rng.integers(2, 5))):
        p0, p1, p2 = rng.uniform(10, CANVAS - 10, (3, 2))
        curve = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2
        cv2.polylines(ink, [curve.astype(np.int32)], False, 255, int(rng.integers(5, 11)), cv2.LINE_AA)
    return ink


def _pick(x_train: np.ndarray, y_train: np.ndarray, digits: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    candidates = np.flatnonzero(np.isin(y_train, digits))
    return x_train[candidates[rng.integers(len(candidates))]]


def _slanted(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random slant and tilt, as handwriting leans."""
    shear, angle = rng.uniform(-0.3, 0.3), rng.uniform(-15, 15)
    matrix = cv2.getRotationMatrix2D((CANVAS / 2, CANVAS / 2), angle, 1.0)
    matrix[0, 1] += shear
    matrix[0, 2] -= shear * CANVAS / 2
    return cv2.warpAffine(ink, matrix, (CANVAS, CANVAS))
