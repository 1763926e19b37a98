"""Non-digit training images: reproducible, MNIST-like in form, and never a digit the way they are drawn."""

from __future__ import annotations

import numpy as np
import pytest

from digitrec.training import negatives
from digitrec.constants import CENTRE, IMAGE_SIZE


@pytest.fixture(scope="module")
def digits():
    """Synthetic stand-ins for MNIST's training set: a bar per image, labels 0-9 in turn."""
    x = np.zeros((50, 28, 28), np.uint8)
    for i in range(50):
        x[i, 6:22, 10 + i % 5 : 14 + i % 5] = 255
        x[i, 6:10, 8:20] = 255  # a top bar, so mirrored and turned copies differ from the original
    return x, np.arange(50) % 10


def test_same_seed_same_images_and_other_seed_differs(digits):
    a = negatives.make(*digits, 40, seed=1)
    b = negatives.make(*digits, 40, seed=1)
    c = negatives.make(*digits, 40, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == (40, IMAGE_SIZE, IMAGE_SIZE) and a.dtype == np.float32


def test_every_image_is_shaped_as_the_reader_shapes_a_crop(digits):
    images = negatives.make(*digits, 24, seed=0)
    assert images.min() >= 0 and images.max() <= 1
    for image in images:
        assert image.max() == pytest.approx(1.0, abs=0.05)  # ink scaled to full strength
        rows, cols = np.nonzero(image > 0.1)
        assert max(np.ptp(rows), np.ptp(cols)) <= 21  # fitted in MNIST's 20x20 box
        ys, xs = np.nonzero(image)
        centre = np.average(ys, weights=image[ys, xs]), np.average(xs, weights=image[ys, xs])
        assert np.allclose(centre, CENTRE, atol=1.0)  # centred by mass


def test_digits_are_only_turned_where_the_result_is_no_digit():
    x = np.arange(50, dtype=np.uint8)[:, None, None] * np.ones((1, 28, 28), np.uint8)  # each image holds its index
    y = np.arange(50) % 10
    rng = np.random.default_rng(0)
    for kept in (negatives.MIRRORED, negatives.QUARTER_TURNED):
        labels = {int(y[negatives._pick(x, y, kept, rng)[0, 0]]) for _ in range(40)}
        assert labels == set(kept) and not labels & {0, 1, 8}
