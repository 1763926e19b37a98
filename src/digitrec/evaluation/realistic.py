"""A realistic evaluation set, generated from MNIST test digits: numbers on paper, photos, canvases.

Nobody has a labelled set of phone photos of handwritten numbers to hand, so digitrec makes one
from the MNIST test set (never the training set): digits are scaled, slanted, spaced (touching
or broken, at times) and laid on paper with the defects of real captures. The same seed gives
the same set. Also here: non-digit images (shapes, letters, scribbles, noise), to measure how
often digitrec reports a confident digit where there is none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import cv2
import numpy as np

from ..constants import LETTERS

CONDITIONS = ("clean", "photo", "ruled", "light-on-dark", "coloured", "thin", "thick", "canvas", "off-centre", "touching", "broken")
"""Every image has one condition; off-centre is for single digits, touching and broken for numbers."""

NON_DIGITS = ("shape", "letter", "scribble", "noise")



@dataclass(frozen=True)
class Sample:
    image: np.ndarray  # uint8 RGB, or RGBA for a canvas export
    number: str  # "" for a non-digit image
    boxes: tuple[tuple[int, int, int, int], ...]  # (x, y, w, h) of each digit, left to right
    condition: str


def numbers(
    x: np.ndarray, y: np.ndarray, count: int, lengths: tuple[int, int], seed: int, conditions: tuple[str, ...] | None = None
) -> Iterator[Sample]:
    """count images of numbers whose digit count lies in lengths (inclusive), conditions in turn.

    x and y should be MNIST's test set: a model has seen every training digit.
    """
    rng = np.random.default_rng([seed, lengths[0], lengths[1]])
    if conditions:
        usable = list(conditions)
    elif lengths == (1, 1):
        usable = [c for c in CONDITIONS if c not in ("touching", "broken")]
    else:
        usable = [c for c in CONDITIONS if c != "off-centre"]
    for i in range(count):
        condition = usable[i % len(usable)]
        n = int(rng.integers(lengths[0], lengths[1] + 1))
        picks = rng.integers(0, len(x), n)
        yield _render([x[j] for j in picks], "".join(str(int(y[j])) for j in picks), condition, rng)


def non_digits(count: int, seed: int) -> Iterator[Sample]:
    """Images that hold no digit: shapes, letters from fonts, scribbles and noise, in turn."""
    rng = np.random.default_rng([seed, 99])
    for i in range(count):
        kind = NON_DIGITS[i % len(NON_DIGITS)]
        ink = np.zeros((120, 120), np.uint8)
        if kind == "shape":
            _shape(ink, rng)
        elif kind == "letter":
            font = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX][i % 4]
            cv2.putText(ink, str(rng.choice(LETTERS)), (25, 92), font, 2.8, 255, int(rng.integers(4, 10)), cv2.LINE_AA)
        elif kind == "scribble":
            points = np.cumsum(rng.normal(0, 14, (int(rng.integers(6, 14)), 2)), axis=0) + 60
            cv2.polylines(ink, [np.clip(points, 8, 112).astype(np.int32)], False, 255, int(rng.integers(3, 8)), cv2.LINE_AA)
        else:
            ink = (rng.random((120, 120)) < rng.uniform(0.02, 0.3)).astype(np.uint8) * 255
        yield Sample(_on_paper(ink, rng, light_on_dark=False), "", (), kind)


def _shape(ink: np.ndarray, rng: np.random.Generator) -> None:
    thickness = int(rng.integers(4, 9))
    kind = int(rng.integers(0, 5))
    if kind == 0:
        cv2.rectangle(ink, (25, 30), (95, 90), 255, thickness)
    elif kind == 1:
        cv2.polylines(ink, [np.int32([[60, 15], [105, 100], [15, 100]])], True, 255, thickness, cv2.LINE_AA)
    elif kind == 2:  # a star
        angles = np.linspace(0, 4 * np.pi, 6)[:5] + rng.uniform(0, 1)
        cv2.polylines(ink, [np.int32(np.c_[60 + 45 * np.cos(angles), 60 + 45 * np.sin(angles)])], True, 255, thickness, cv2.LINE_AA)
    elif kind == 3:  # a plus sign and a cross
        cv2.line(ink, (60, 15), (60, 105), 255, thickness)
        cv2.line(ink, (15, 60), (105, 60), 255, thickness)
        cv2.line(ink, (25, 25), (95, 95), 255, thickness)
    else:  # a heart-like blob
        cv2.ellipse(ink, (45, 50), (25, 22), 0, 0, 360, 255, -1)
        cv2.ellipse(ink, (75, 50), (25, 22), 0, 0, 360, 255, -1)
        cv2.fillPoly(ink, [np.int32([[22, 58], [98, 58], [60, 105]])], 255)


def _render(digits: list[np.ndarray], number: str, condition: str, rng: np.random.Generator) -> Sample:
    height = int(rng.integers(24, 40)) if condition == "off-centre" else int(rng.integers(30, 80))
    ink, boxes = written(digits, height, condition, rng)
    if condition == "off-centre":
        big = np.zeros((int(rng.integers(300, 600)), int(rng.integers(400, 800))), np.uint8)
        oy, ox = int(rng.integers(0, big.shape[0] - ink.shape[0])), int(rng.integers(0, big.shape[1] - ink.shape[1]))
        big[oy : oy + ink.shape[0], ox : ox + ink.shape[1]] = ink
        ink, boxes = big, [(bx + ox, by + oy, bw, bh) for bx, by, bw, bh in boxes]
    if condition == "canvas":
        rgba = np.zeros((*ink.shape, 4), np.uint8)
        rgba[:, :, 3] = ink  # black strokes on a transparent canvas
        return Sample(rgba, number, tuple(boxes), condition)
    image = _on_paper(ink, rng, light_on_dark=condition == "light-on-dark", condition=condition)
    return Sample(image, number, tuple(boxes), condition)


def written(digits: list[np.ndarray], height: int, condition: str, rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """MNIST digits written side by side, about height pixels tall, as uint8 ink coverage with a
    margin, and each digit's box: slanted alike, spaced (or touching), thinned, thickened or
    broken as the condition says."""
    slant = rng.uniform(-0.25, 0.25)
    pieces = [_digit(d, height, slant, condition, rng) for d in digits]
    if condition == "touching":
        gaps = [-int(rng.uniform(0.0, 0.1) * height) for _ in pieces]
    else:
        gaps = [int(rng.uniform(0.08, 0.45) * height) for _ in pieces]
    margin = int(rng.uniform(0.3, 0.8) * height)
    width = sum(p.shape[1] for p in pieces) + sum(gaps[1:]) + 2 * margin
    canvas_h = height * 2 + 2 * margin
    ink = np.zeros((canvas_h, max(width, height + 2 * margin)), np.uint8)
    boxes, x = [], margin
    for piece, gap in zip(pieces, gaps):
        top = margin + height // 2 + int(rng.uniform(-0.08, 0.08) * height)
        region = ink[top : top + piece.shape[0], x : x + piece.shape[1]]
        np.maximum(region, piece[: region.shape[0], : region.shape[1]], out=region)
        rows, cols = np.nonzero(piece)
        boxes.append((x + int(cols.min()), top + int(rows.min()), int(cols.max() - cols.min() + 1), int(rows.max() - rows.min() + 1)))
        x += piece.shape[1] + gap
    return ink, boxes


def _digit(digit: np.ndarray, height: int, slant: float, condition: str, rng: np.random.Generator) -> np.ndarray:
    """One MNIST digit cropped, scaled to height, slanted, and thinned, thickened or broken."""
    rows, cols = np.nonzero(digit > 30)
    crop = digit[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = height * rng.uniform(0.9, 1.1) / crop.shape[0]
    w, h = max(2, round(crop.shape[1] * scale)), max(2, round(crop.shape[0] * scale))
    big = cv2.resize(crop, (w, h), interpolation=cv2.INTER_CUBIC)
    pad = int(abs(slant) * h) + 4
    big = cv2.copyMakeBorder(big, 4, 4, pad, pad, cv2.BORDER_CONSTANT, value=0)
    shear = np.float32([[1, -slant, slant * big.shape[0] / 2], [0, 1, 0]])
    big = cv2.warpAffine(big, shear, (big.shape[1], big.shape[0]), flags=cv2.INTER_LINEAR)
    k = max(1, height // 20)
    if condition == "thin":  # a fine pen: full-strength hairlines
        big = cv2.erode((big > 128).astype(np.uint8) * 255, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k + 1, k + 1)))
    elif condition == "thick":  # a marker
        big = cv2.dilate(big, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1)))
    elif condition == "broken":
        y = int(rng.uniform(0.25, 0.75) * big.shape[0])
        big[y : y + max(2, height // 16)] = 0
    rows, cols = np.nonzero(big > 30)
    return big[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] if len(rows) else big


def _on_paper(ink: np.ndarray, rng: np.random.Generator, light_on_dark: bool, condition: str = "clean") -> np.ndarray:
    """Lay ink (0-255 coverage) on paper, with the capture defects its condition calls for."""
    h, w = ink.shape
    alpha = (ink.astype(np.float32) / 255.0)[:, :, None]
    if light_on_dark:
        paper, colour = rng.uniform(15, 70, 3), rng.uniform(200, 255, 3)
    elif condition == "coloured":
        paper = np.array([[250, 230, 120], [190, 230, 250], [255, 200, 210], [200, 240, 190]][int(rng.integers(0, 4))], float)
        colour = np.array([[30, 60, 190], [190, 30, 40], [20, 120, 50], [110, 40, 140]][int(rng.integers(0, 4))], float)
    else:
        paper, colour = rng.uniform(215, 255, 3), rng.uniform(0, 70, 3)
    image = np.ones((h, w, 3), np.float32) * paper
    if condition == "ruled":
        spacing = int(rng.integers(18, 40))
        for y in range(int(rng.integers(0, spacing)), h, spacing):
            cv2.line(image, (0, y), (w, y), (120, 160, 220), int(rng.integers(1, 3)))
        if rng.random() < 0.5:  # squared paper
            for x in range(int(rng.integers(0, spacing)), w, spacing):
                cv2.line(image, (x, 0), (x, h), (120, 160, 220), 1)
    image = image * (1 - alpha) + colour * alpha
    if condition == "photo":
        image = _photo(image, rng)
    image = np.clip(image + rng.normal(0, 2.0, image.shape), 0, 255).astype(np.uint8)
    if condition == "photo":
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 70))])
        image = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
    return image


def _photo(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A phone's view: uneven light, a shadow, blur, sensor noise and a slight tilt of the page."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
    light = 1.0 - rng.uniform(0.2, 0.45) * (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    shadow = np.ones((h, w), np.float32)
    corner = np.int32([[0, 0], [int(rng.uniform(0.2, 0.6) * w), 0], [int(rng.uniform(0.1, 0.4) * w), h], [0, h]])
    cv2.fillPoly(shadow, [corner], float(rng.uniform(0.55, 0.8)))
    shadow = cv2.GaussianBlur(shadow, (0, 0), max(2.0, 0.02 * w))
    image = image * (light * shadow)[:, :, None]
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 1.1))
    image = image + rng.normal(0, rng.uniform(3, 8), image.shape)
    jitter = rng.uniform(-0.04, 0.04, (4, 2)) * [w, h]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    warp = cv2.getPerspectiveTransform(src, np.float32(src + jitter))
    return cv2.warpPerspective(image, warp, (w, h), borderMode=cv2.BORDER_REPLICATE)
