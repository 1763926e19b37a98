"""Preprocessing: the post's pipeline reproduced exactly, and MNIST-style normalisation's invariants."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitrec import preprocess
from digitrec.constants import CENTRE, DIGIT_BOX, IMAGE_SIZE
from digitrec.errors import ImageError, NoDigitError


def strokes(points: list[tuple[float, float]], size: int, thickness: int) -> np.ndarray:
    """White strokes (0-255) through `points` (fractions of size) on a black size x size square."""
    ink = np.zeros((size, size), np.uint8)
    pts = np.array([(x * (size - 1), y * (size - 1)) for x, y in points], np.int32)
    cv2.polylines(ink, [pts], False, 255, thickness, cv2.LINE_AA)
    return ink


def compose(ink: np.ndarray, canvas: tuple[int, int], top: int, left: int, dark_on_light: bool) -> np.ndarray:
    page = np.zeros(canvas, np.uint8)
    page[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    return 255 - page if dark_on_light else page


def ink_stats(x: np.ndarray) -> tuple[tuple[float, float], tuple[int, int]]:
    m = cv2.moments(x)
    rows, cols = np.nonzero(x > 0)
    return (m["m01"] / m["m00"], m["m10"] / m["m00"]), (np.ptp(rows) + 1, np.ptp(cols) + 1)


point = st.tuples(st.floats(0.1, 0.9), st.floats(0.1, 0.9))
digit_like = st.builds(
    strokes,
    points=st.lists(point, min_size=2, max_size=5).filter(
        lambda p: np.ptp(np.array(p), axis=0).max() > 0.3  # a mark, not a dot
    ),
    size=st.integers(40, 160),
    thickness=st.integers(2, 12),
)


@settings(max_examples=60, deadline=None)
@given(
    ink=digit_like,
    extra=st.tuples(st.integers(0, 300), st.integers(0, 300)),
    where=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    dark_on_light=st.booleans(),
)
def test_any_pose_gives_a_centred_digit_that_fits_the_box(ink, extra, where, dark_on_light):
    canvas = (ink.shape[0] + extra[0], ink.shape[1] + extra[1])
    top, left = int(where[0] * extra[0]), int(where[1] * extra[1])
    x = preprocess.mnist(compose(ink, canvas, top, left, dark_on_light))

    assert x.shape == (IMAGE_SIZE, IMAGE_SIZE) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.9
    (row, col), (height, width) = ink_stats(x)
    assert max(height, width) <= DIGIT_BOX
    assert abs(row - CENTRE[0]) <= 0.5 + 1e-6 and abs(col - CENTRE[1]) <= 0.5 + 1e-6


@settings(max_examples=30, deadline=None)
@given(ink=digit_like, shift=st.tuples(st.integers(0, 200), st.integers(0, 200)))
def test_position_and_polarity_do_not_matter(ink, shift):
    canvas = (ink.shape[0] + 200, ink.shape[1] + 200)
    reference = preprocess.mnist(compose(ink, canvas, 0, 0, dark_on_light=False))
    moved = preprocess.mnist(compose(ink, canvas, shift[0], shift[1], dark_on_light=False))
    inverted = preprocess.mnist(compose(ink, canvas, shift[0], shift[1], dark_on_light=True))
    np.testing.assert_allclose(moved, reference, atol=1e-6)
    np.testing.assert_allclose(inverted, reference, atol=1e-6)


@pytest.mark.parametrize("scale", [0.5, 2.0, 4.0])
def test_scale_barely_matters(scale):
    ink = strokes([(0.3, 0.2), (0.7, 0.2), (0.4, 0.9)], 100, 9)  # a 7
    reference = preprocess.mnist(compose(ink, (300, 300), 50, 50, True))
    resized = cv2.resize(ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    page = compose(resized, (resized.shape[0] + 100, resized.shape[1] + 100), 20, 70, True)
    assert np.abs(preprocess.mnist(page) - reference).mean() < 0.05


def test_seed_mode_is_the_posts_pipeline_exactly():
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (123, 77), dtype=np.uint8)
    expected = np.invert(np.array([cv2.resize(gray, (28, 28))])) / 255  # the post's main.py
    ok, png = cv2.imencode(".png", gray)
    np.testing.assert_allclose(preprocess.prepare(png.tobytes(), "seed"), expected[0], atol=1e-7)


@pytest.mark.parametrize("gray", [np.full((50, 60), 255, np.uint8), np.full((10, 10), 0, np.uint8)])
def test_blank_images_have_no_digit(gray):
    with pytest.raises(NoDigitError, match="no digit found"):
        preprocess.mnist(gray)


def test_faint_noise_is_not_a_digit():
    noise = np.random.default_rng(1).integers(230, 256, (100, 100), dtype=np.uint8)
    with pytest.raises(NoDigitError):
        preprocess.mnist(noise)


def test_every_input_type_reads_the_same(tmp_path):
    from PIL import Image

    gray = compose(strokes([(0.5, 0.1), (0.5, 0.9)], 60, 6), (90, 80), 10, 5, True)
    path = tmp_path / "one.png"
    cv2.imwrite(str(path), gray)
    rgb = np.repeat(gray[:, :, None], 3, axis=2)
    rgba = np.dstack([rgb, np.full(gray.shape, 255, np.uint8)])
    inputs = [
        path,
        str(path),
        path.read_bytes(),
        Image.open(io.BytesIO(path.read_bytes())),
        gray,
        rgb,
        rgba,
        gray[:, :, None],
        gray.astype(np.float32) / 255,
        gray.astype(np.uint16) * 257,
    ]
    for image in inputs:
        np.testing.assert_array_equal(preprocess.read_gray(image), gray, err_msg=type(image).__name__)
    assert preprocess.read_gray(gray > 127).max() == 255


@pytest.mark.parametrize(
    "image, message",
    [
        (b"", "empty"),
        (b"this is text, not pixels", "not an image format"),
        (np.zeros((2, 3, 5)), "shape"),
        (np.zeros((0, 5)), "empty"),
        (np.full((4, 4), np.nan), "NaN"),
        (12345, "cannot read a int"),
    ],
)
def test_bad_inputs_give_clear_errors(image, message):
    with pytest.raises(ImageError, match=message):
        preprocess.read_gray(image)


def test_bad_paths_give_clear_errors(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        preprocess.read_gray(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="is a folder"):
        preprocess.read_gray(tmp_path)
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match="empty.png: the file is empty"):
        preprocess.read_gray(tmp_path / "empty.png")


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="preprocess must be one of"):
        preprocess.prepare(np.zeros((5, 5), np.uint8), "fancy")
