"""A sheet of paper photographed lying on a darker surface, cut out and turned upright.

A phone photo of a note or a page often shows the desk around it. The clean-up judges the ink
against the paper around it, and a light sheet on a dark desk looks to it like one big light mark:
the whole sheet was taken for light ink, and a page of six numbers on a desk of grey level 160 or
darker read "no number found" (benchmarks/bench_desk.py: 0-9% of numbers). So before the
clean-up, a sheet on a darker surround, clear of the image's edges (or, within limits, cut by
one: CLEAR_OF_EDGES), is cut out through its four corners, turned as its edges run (the writing
runs along its sheet) and squared (a sheet seen at a slant), and read as a photo of that sheet
alone; the boxes found in it are carried back into the photo's pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .preprocess import COPY_SIDE, MIN_CONTRAST, ink_is_dark, lightness_of, shrunk

CLEAR_OF_EDGES = 3
"""Pixels of the clean-up's copy (COPY_SIDE) between a sheet and an edge of the image for the edge to be clear. A sheet
clear of every edge is one lying on something; one that reaches an edge may be the paper the
whole image is of (a scan, a tight crop, a table cell). So a sheet cut by the photo's edge is
taken only with a corner in view (two adjacent edges clear), and, where it runs off two edges,
only where the clean-up would take its ink for light, the sheet for the ink. Asking two edges
clear, with neither condition, took 180 of realworld-dev's 200 register crops (paper between a
scan's black margins) for sheets and read 48.0% of them; with the corner alone, one register
(paper in a strip between the margin and a rule, "21" read "2"); with both, none. A sheet
running off one edge alone, three clear, is no scan's paper between margins, and is taken
whichever way the ink goes: the photos of bench_desk.py cut by the photo's edge read 81.4 / 73.9 /
64.3% of their numbers on desks of 170 / 120 / 60, against 64.1 / 52.4 / 51.7% asking the ink to
be taken for light there too; realworld-dev still has none."""

LEAST_AREA = 0.1
"""The sheet covers at least this share of the image; a smaller light patch is a mark on it."""

SOLID = 0.8
"""A sheet fills at least this share of its own (turned) rectangle: writing on it leaves holes,
but its outline is a sheet's."""


@dataclass(frozen=True)
class Sheet:
    image: np.ndarray
    """The sheet upright and square, cut a pixel of the copy inside its edges."""
    matrix: np.ndarray
    """3x3 homography: the sheet's pixels to the photo's."""


def find(image: np.ndarray) -> Sheet | None:
    """The sheet in a photo of one lying on a darker surface (uint8, grey or RGB), or None: the
    largest light area of Otsu's split, clear of the edges (CLEAR_OF_EDGES), solid, and
    MIN_CONTRAST lighter than what surrounds it."""
    lightness = lightness_of(shrunk(image, COPY_SIDE))
    if min(lightness.shape) < COPY_SIDE // 2:
        return None
    lightness = _levelled(lightness)
    level = cv2.threshold(lightness, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0]
    contours, _ = cv2.findContours((lightness > level).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    outline = max(contours, key=cv2.contourArea)
    x, y, w, h = cv2.boundingRect(outline)
    rows, cols = lightness.shape
    left, top, right, bottom = (gap >= CLEAR_OF_EDGES for gap in (x, y, cols - x - w, rows - y - h))
    if not ((left or right) and (top or bottom)):  # no corner of the sheet in view
        return None
    rectangle = cv2.minAreaRect(outline)
    if np.prod(rectangle[1]) < LEAST_AREA * lightness.size or cv2.contourArea(outline) < SOLID * np.prod(rectangle[1]):
        return None
    inside = np.zeros(lightness.shape, np.uint8)
    cv2.drawContours(inside, [outline], -1, 1, -1)
    if lightness[inside > 0].mean() - lightness[inside == 0].mean() < MIN_CONTRAST:
        return None
    if sum((left, top, right, bottom)) == 2 and ink_is_dark(image):  # last: the clean-up's whole glance
        return None
    corners = _corners(outline, rectangle) * (image.shape[0] / rows)
    edges = [np.linalg.norm(corners[(k + 1) % 4] - corners[k]) for k in range(4)]  # top, right, bottom, left
    size = max(1, int(max(edges[0], edges[2]))), max(1, int(max(edges[1], edges[3])))
    square = np.float32([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]])
    matrix = cv2.getPerspectiveTransform(square, corners.astype(np.float32))
    upright = cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    return Sheet(upright, matrix)


def _corners(outline: np.ndarray, rectangle: tuple) -> np.ndarray:
    """The sheet's four corners on the copy, a pixel inside its edges, clockwise from the one
    whose top edge runs nearest to level (the smallest turn to upright): the outline's own
    quadrilateral where it is one (a sheet seen at a slant), else its turned rectangle."""
    polygon = cv2.approxPolyDP(outline, 0.04 * cv2.arcLength(outline, True), True)[:, 0].astype(np.float32)
    corners = polygon if len(polygon) == 4 and cv2.isContourConvex(polygon) else cv2.boxPoints(rectangle)
    centre = corners.mean(axis=0)
    corners = corners[np.argsort(np.arctan2(*(corners - centre).T[::-1]))]  # clockwise on screen, from the upper left
    level = [abs(np.arctan2(*(corners[(k + 1) % 4] - corners[k])[::-1])) for k in range(4)]
    corners = np.roll(corners, -int(np.argmin(level)), axis=0)
    return centre + (corners - centre) * (1 - 1.5 / max(1.0, min(rectangle[1])))


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
