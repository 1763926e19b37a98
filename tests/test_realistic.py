"""The generated realistic set: reproducible, as described, and read well enough by the default pipeline."""

from __future__ import annotations

import numpy as np
import pytest

import digitrec
from digitrec.evaluation import evaluate, realistic


def test_the_same_seed_gives_the_same_set(mnist):
    a = list(realistic.numbers(mnist.x_test, mnist.y_test, 12, (1, 10), seed=3))
    b = list(realistic.numbers(mnist.x_test, mnist.y_test, 12, (1, 10), seed=3))
    c = list(realistic.numbers(mnist.x_test, mnist.y_test, 12, (1, 10), seed=4))
    assert all(np.array_equal(x.image, y.image) and x.number == y.number for x, y in zip(a, b))
    assert [x.number for x in a] != [x.number for x in c]
    assert {len(s.number) for s in a} <= set(range(1, 11)) and len({len(s.number) for s in a}) > 3


def test_every_condition_appears_with_boxes_inside_the_image(mnist):
    samples = list(realistic.numbers(mnist.x_test, mnist.y_test, 30, (2, 4), seed=0)) + list(
        realistic.numbers(mnist.x_test, mnist.y_test, 20, (1, 1), seed=0)
    )
    assert {s.condition for s in samples} == set(realistic.CONDITIONS)
    for s in samples:
        h, w = s.image.shape[:2]
        assert s.image.dtype == np.uint8 and s.image.shape[2] == (4 if s.condition == "canvas" else 3)
        assert len(s.boxes) == len(s.number)
        assert all(0 <= x and 0 <= y and x + bw <= w and y + bh <= h for x, y, bw, bh in s.boxes)
    kinds = [s.condition for s in realistic.non_digits(8, seed=0)]
    assert set(kinds) == set(realistic.NON_DIGITS)


def test_edit_distance():
    assert [evaluate._edit_distance(a, "1234") for a in ("1234", "124", "12345", "1324", "", "9999")] == [0, 1, 1, 2, 4, 4]


@pytest.fixture(scope="module")
def report(mnist):
    return evaluate.realistic(digitrec.load_model(), mnist.x_test, mnist.y_test, count=60, seed=11)


def test_a_slice_of_the_realistic_set_is_read_well(report):
    # The shipped line reader read this slice (seed 11, 60 images of each kind): 100% single digits,
    # 98.3% 4-digit numbers, 97.2% of the digits of longer numbers right, and no non-digit as a
    # confident number (2 of 60 before a lone digit got the CNN's second look). The guards leave
    # two or three images of room for a platform's rounding; the README measures the issue's
    # targets on 300 images.
    every = report["accuracy"]["all"]
    assert every["single digits, default"] >= 0.96
    assert every["4-digit numbers, default"] >= 0.93
    assert every["1-10 digits, digits right, default"] >= 0.95
    assert report["non-digits"]["all"]["confident digit, default"] <= 1 / 60


def test_the_default_pipeline_is_far_better_than_the_posts(mnist):
    every = evaluate.realistic(digitrec.load_model("cnn"), mnist.x_test, mnist.y_test, count=20, seed=11)["accuracy"]["all"]
    assert every["single digits, default"] > every["single digits, seed"] + 0.5
    assert every["4-digit numbers, default"] > every["4-digit numbers, seed"] + 0.5


def test_blank_and_non_digit_images_are_not_confident_digits(report):
    from digitrec.errors import ImageError, NoDigitError

    model = digitrec.load_model()
    with pytest.raises(NoDigitError):
        model.read(np.full((200, 300, 3), 240, np.uint8))
    for sample in realistic.non_digits(8, seed=1):
        if sample.condition == "noise":  # refused (blank, or too many marks), or flagged
            try:
                assert model.read(sample.image).uncertain
            except ImageError:
                pass
