"""Training-time distortions: reproducible, label-preserving in kind, and a no-op when switched off."""

from __future__ import annotations

import numpy as np

from digitrec.training.augment import Distortion, affine


def digits(n: int = 16) -> np.ndarray:
    x = np.zeros((n, 28, 28), np.float32)
    x[:, 8:20, 12:16] = 1.0  # a bar in the middle, like a 1
    return x


def test_same_seed_same_distortion_and_different_seed_differs():
    a = affine(digits(), np.random.default_rng(7))
    b = affine(digits(), np.random.default_rng(7))
    c = affine(digits(), np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == (16, 28, 28) and a.dtype == np.float32


def test_zero_ranges_leave_images_unchanged():
    none = Distortion(rotate_degrees=0, shift_pixels=0, zoom=0, shear=0)
    np.testing.assert_allclose(affine(digits(), np.random.default_rng(0), none), digits(), atol=1e-6)


def test_distortions_move_ink_but_keep_it_in_frame():
    out = affine(digits(64), np.random.default_rng(1))
    assert not np.allclose(out, digits(64))
    ink = out.sum(axis=(1, 2))
    assert (ink > 0.6 * digits(1).sum()).all()  # zoom changes the area a little; nothing falls off
