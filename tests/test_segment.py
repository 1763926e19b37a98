"""Segmentation: numbers come apart into their digits, in order, with the right boxes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import digitrec
from digitrec.reading import preprocess
from digitrec.evaluation import realistic
from digitrec.reading.segment import segment


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    return w * h / (aw * ah + bw * bh - w * h)


def test_generated_numbers_give_one_box_per_digit_in_order(mnist):
    samples = list(realistic.numbers(mnist.x_test, mnist.y_test, 30, (1, 8), seed=3, conditions=("clean", "coloured", "canvas")))
    model = digitrec.load_model("cnn")
    for s in samples:
        digits = segment(preprocess.clean(s.image), classify=model.probabilities)
        assert len(digits) == len(s.number), s.number
        assert [d.box.x for d in digits] == sorted(d.box.x for d in digits)
        for got, truth in zip(digits, s.boxes):
            assert iou((got.box.x, got.box.y, got.box.w, got.box.h), truth) > 0.6, s.number


def pen(points, size=(120, 300), thickness=6) -> np.ndarray:
    page = np.full(size, 255, np.uint8)
    for stroke in points:
        cv2.polylines(page, [np.int32(stroke)], False, 0, thickness, cv2.LINE_AA)
    return page


def test_a_five_with_a_detached_top_bar_is_one_digit():
    five = pen([[(40, 30), (40, 60), (70, 58), (80, 75), (70, 95), (38, 92)], [(46, 16), (85, 16)]])
    assert cv2.connectedComponents(preprocess.clean(five).mask)[0] - 1 == 2  # two blobs...
    digits = segment(preprocess.clean(five))
    assert len(digits) == 1  # ...one digit


def test_a_dotted_seven_is_one_digit():
    dashes = [[(30 + 12 * i, 25), (36 + 12 * i, 25)] for i in range(5)] + [[(88 - 6 * i, 32 + 14 * i), (85 - 6 * i, 38 + 14 * i)] for i in range(5)]
    digits = segment(preprocess.clean(pen(dashes)))
    assert len(digits) == 1


def test_touching_digits_are_split_where_the_classifier_is_surest(mnist):
    model = digitrec.load_model("cnn")
    samples = list(realistic.numbers(mnist.x_test, mnist.y_test, 20, (2, 3), seed=5, conditions=("touching",)))
    blobs = [cv2.connectedComponents(preprocess.clean(s.image).mask)[0] - 1 for s in samples]
    assert sum(b < len(s.number) for b, s in zip(blobs, samples)) >= 8  # the set really does hold touching digits
    counts = [len(segment(preprocess.clean(s.image), classify=model.probabilities)) for s in samples]
    assert np.mean([c == len(s.number) for c, s in zip(counts, samples)]) >= 0.8


@pytest.mark.parametrize("gap", [0, 40])
def test_digits_come_out_left_to_right_however_they_sit(gap):
    page = pen([[(250, 30), (250, 95)], [(40 + gap, 60), (60 + gap, 30), (80 + gap, 60), (60 + gap, 95), (40 + gap, 60)]])
    digits = segment(preprocess.clean(page))
    assert [d.box.x for d in digits] == sorted(d.box.x for d in digits) and len(digits) == 2


def test_a_page_of_marks_is_refused_quickly_not_ground_through():
    from digitrec.errors import ImageError

    page = np.full((400, 400), 255, np.uint8)
    for y in range(10, 390, 20):
        for x in range(10, 390, 20):
            cv2.circle(page, (x, y), 4, 0, -1)
    with pytest.raises(ImageError, match="too many for a number"):
        segment(preprocess.clean(page))
