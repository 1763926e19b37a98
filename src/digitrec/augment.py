"""Random distortions of training digits, so a model learns shapes rather than exact pixels.

Done with OpenCV in the input pipeline, not with Keras layers inside the model: one warpAffine
on a 28x28 image costs microseconds, while Keras' random layers doubled a CNN's step on JAX.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .constants import CENTRE, IMAGE_SIZE


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
