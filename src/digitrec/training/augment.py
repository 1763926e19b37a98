"""Random distortions of training digits, so a model learns shapes rather than exact pixels.

Done with OpenCV in the input pipeline, not with Keras layers inside the model: one warpAffine
on a 28x28 image costs microseconds, while Keras' random layers doubled a CNN's step on JAX.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..constants import CENTRE, IMAGE_SIZE
from ..reading.preprocess import to_mnist

ENLARGE = 3
"""MNIST images are enlarged this much before as_read shrinks them again, as a reader's crop is shrunk."""


@dataclass(frozen=True)
class Distortion:
    """Ranges of the random affine transform, each drawn uniformly from [-x, x] (zoom: 1 +- x)."""

    rotate_degrees: float = 12.0
    shift_pixels: float = 2.5
    zoom: float = 0.12
    shear: float = 0.2


def affine(batch: np.ndarray, rng: np.random.Generator, d: Distortion = Distortion()) -> np.ndarray:
    """A randomly rotated, zoomed, sheared and shifted copy of each (28, 28) image in batch."""
    n = len(batch)
    angle = np.radians(rng.uniform(-d.rotate_degrees, d.rotate_degrees, n))
    zoom = rng.uniform(1 - d.zoom, 1 + d.zoom, n)
    shear = rng.uniform(-d.shear, d.shear, n)
    shift = rng.uniform(-d.shift_pixels, d.shift_pixels, (n, 2))
    out = np.empty_like(batch)
    cy, cx = CENTRE
    for i in range(n):
        c, s = math.cos(angle[i]) * zoom[i], math.sin(angle[i]) * zoom[i]
        linear = np.array([[c, -s], [s, c]]) @ np.array([[1.0, shear[i]], [0.0, 1.0]])
        # Transform about the centre of mass, then shift.
        offset = np.array([cx, cy]) - linear @ np.array([cx, cy]) + shift[i]
        matrix = np.hstack([linear, offset[:, None]]).astype(np.float32)
        out[i] = cv2.warpAffine(batch[i], matrix, (IMAGE_SIZE, IMAGE_SIZE), flags=cv2.INTER_LINEAR)
    return out


def as_read(ink: np.ndarray) -> np.ndarray:
    """A uint8 image of white ink as the reader shapes a crop: preprocess.to_mnist's stroke width,
    scaling and centring. A network trained only on MNIST's own 28x28 images, and on non-digits
    shaped this way, learns that the reader's look means "no digit": with half its digits
    shaped this way too, it cannot."""
    return to_mnist(ink.astype(np.float32) / 255.0, ink > 64)


def enlarged(image: np.ndarray) -> np.ndarray:
    return cv2.resize(np.ascontiguousarray(image), None, fx=ENLARGE, fy=ENLARGE, interpolation=cv2.INTER_LINEAR)
