"""Turning a user's image into the 28x28 input an MNIST model expects.

Two pipelines:
- "seed" is the blog post's, step for step: grayscale, resize to 28x28, invert, /255.
  It assumes dark ink on light paper filling the frame, as MNIST's digits fill theirs.
- "mnist" (the default) redoes what MNIST's makers did to NIST's scans: find the ink,
  crop to it, scale it to fit 20x20 keeping its aspect ratio, and centre it by mass in 28x28.
  That is what stops a "1" on the far right of the page being read as a "4".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union

import cv2
import numpy as np

from .constants import CENTRE, DIGIT_BOX, IMAGE_SIZE
from .errors import ImageError, NoDigitError

ImageInput = Union[str, os.PathLike, bytes, np.ndarray, Any]  # Any: a PIL image, duck-typed
MODES = ("mnist", "seed")

MIN_CONTRAST = 32
"""Ink must differ from the background by this many grey levels (of 255), else the image is blank."""


def read_gray(image: ImageInput) -> np.ndarray:
    """Any supported input as a 2-D uint8 grayscale array."""
    if isinstance(image, (str, os.PathLike)):
        return _decode(_read_bytes(Path(image)), str(image))
    if isinstance(image, (bytes, bytearray, memoryview)):
        return _decode(bytes(image), "image bytes")
    if isinstance(image, np.ndarray):
        return _array_to_gray(image)
    if hasattr(image, "convert") and type(image).__module__.startswith("PIL"):
        return np.asarray(image.convert("L"))
    raise ImageError(f"cannot read a {type(image).__name__}: pass a path, bytes, a NumPy array or a PIL image")


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImageError(f"{path}: is a folder, not an image") from None
    except OSError as e:
        raise ImageError(f"{path}: cannot read ({e.strerror or e})") from None
    return data


def _decode(data: bytes, name: str) -> np.ndarray:
    if not data:
        raise ImageError(f"{name}: the file is empty")
    gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if gray is None or gray.size == 0:
        raise ImageError(f"{name}: not an image format OpenCV can read (PNG, JPEG, BMP, TIFF, WebP, ...)")
    return gray


def _array_to_gray(a: np.ndarray) -> np.ndarray:
    """Arrays are taken as PIL and matplotlib give them: (H, W), (H, W, 1), RGB or RGBA."""
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 3 and a.shape[2] in (3, 4):
        a = a[:, :, :3]
    elif a.ndim != 2:
        raise ImageError(f"an image array must be (H, W), (H, W, 3) or (H, W, 4); got shape {a.shape}")
    if a.size == 0:
        raise ImageError("the image array is empty")
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    elif a.dtype == np.uint16:
        a = (a // 257).astype(np.uint8)
    elif a.dtype != np.uint8:
        a = np.asarray(a, dtype=np.float32)
        if not np.isfinite(a).all():
            raise ImageError("the image array holds NaN or infinite values")
        scale = 255.0 if a.max() <= 1.0 else 1.0  # floats in [0, 1] or in [0, 255]
        a = np.clip(np.rint(a * scale), 0, 255).astype(np.uint8)
    if a.ndim == 3:
        a = cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_RGB2GRAY)
    return a


def seed(gray: np.ndarray) -> np.ndarray:
    """The post's preprocessing, exactly: resize to 28x28, invert, /255."""
    small = cv2.resize(gray, (IMAGE_SIZE, IMAGE_SIZE))
    return np.invert(small).astype(np.float32) / 255.0


def mnist(gray: np.ndarray) -> np.ndarray:
    """MNIST's own normalisation, applied to a user's image. Raises NoDigitError if blank."""
    ink = _ink(gray)
    rows, cols = np.nonzero(ink > cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0])
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]

    h, w = ink.shape
    scale = DIGIT_BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # INTER_AREA averages the pixels it merges, so shrinking anti-aliases instead of dropping strokes.
    box = cv2.resize(ink, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    box = box.astype(np.float32) / max(float(box.max()), 1.0)

    canvas = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    top, left = (IMAGE_SIZE - box.shape[0]) // 2, (IMAGE_SIZE - box.shape[1]) // 2
    canvas[top : top + box.shape[0], left : left + box.shape[1]] = box
    m = cv2.moments(canvas)
    shift = np.float32([[1, 0, round(CENTRE[1] - m["m10"] / m["m00"])], [0, 1, round(CENTRE[0] - m["m01"] / m["m00"])]])
    return cv2.warpAffine(canvas, shift, (IMAGE_SIZE, IMAGE_SIZE))


def _ink(gray: np.ndarray) -> np.ndarray:
    """How far each pixel is from the background, as uint8, whichever way round the image is.

    The background is taken as the median of the border: paper dominates the edges of any
    reasonable photo, scan or canvas, whether it is lighter or darker than the ink.
    """
    g = gray.astype(np.int16)
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    background = int(np.median(border))
    ink = background - g if background >= 128 else g - background
    ink = np.clip(ink, 0, 255).astype(np.uint8)
    if ink.max() < MIN_CONTRAST:
        raise NoDigitError("no digit found: the image is blank (nothing stands out from the background)")
    return ink


def prepare(image: ImageInput, mode: str = "mnist") -> np.ndarray:
    """A user's image as the model's 28x28 float32 input in [0, 1], white ink on black."""
    if mode not in MODES:
        raise ValueError(f"preprocess must be one of {MODES}, not {mode!r}")
    gray = read_gray(image)
    return seed(gray) if mode == "seed" else mnist(gray)
