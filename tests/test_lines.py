"""The line reader's parts: its input, CTC decoding, the synthetic lines it learns from, and a short
training run that must learn."""

from __future__ import annotations

import numpy as np
import pytest

from digitrec.reading.lines import ALPHABET, INK_HEIGHT, LINE_HEIGHT, STRIDE, best_digit, decode, line_input


def one_hot_frames(classes: list[int], sure: float = 0.9) -> np.ndarray:
    p = np.full((len(classes), len(ALPHABET) + 1), (1 - sure) / len(ALPHABET), np.float32)
    p[np.arange(len(classes)), classes] = sure
    return p


def test_decode_collapses_repeats_and_drops_blanks_but_never_a_separator():
    c = {ch: ALPHABET.index(ch) + 1 for ch in ALPHABET}
    frames = [0, c["1"], c["1"], 0, c["2"], 0, c["."], 0, 0, c["5"], c["5"], 0, c["5"], 0]
    characters, confidence = decode(one_hot_frames(frames))
    assert "".join(ch.char for ch in characters) == "12.55"  # a blank between two 5s keeps both
    assert all(abs(ch.confidence - 0.9) < 1e-6 for ch in characters)
    assert 0.9 ** len(frames) < confidence < 1  # every alignment of "12.55", not just the best path


def test_the_lines_confidence_is_the_ctc_probability_of_what_was_read():
    """Checked against the sum over every path of frames that collapses to the labels."""
    import itertools

    from digitrec.reading.lines import labelling_probability

    rng = np.random.default_rng(0)
    p = rng.random((5, 3))
    p /= p.sum(axis=1, keepdims=True)

    def collapse(path):
        out, previous = [], None
        for k in path:
            if k != previous and k:
                out.append(k)
            previous = k
        return out

    for labels in ([], [1], [1, 2], [1, 1], [2, 1, 2]):
        brute = sum(np.prod(p[np.arange(5), path]) for path in itertools.product(range(3), repeat=5) if collapse(path) == labels)
        assert labelling_probability(p, labels) == pytest.approx(brute, rel=1e-9)


def frames_of(text: str) -> np.ndarray:
    """Sure frames writing text, a blank between characters."""
    classes = [0]
    for ch in text:
        classes += [ALPHABET.index(ch) + 1, 0]
    return one_hot_frames(classes, sure=0.95)


@pytest.mark.parametrize("text", ["25/11", "3/4/22", "11/2024", "2023/24", "1/2", "120/80", "12:30", "7:05", "3:1", "16:9"])
def test_dates_fractions_readings_times_and_scores_keep_their_separators(text):
    assert "".join(ch.char for ch in decode(frames_of(text))[0]) == text


@pytest.mark.parametrize("text, read", [("40/51954", "40151954"), ("/5", "15"), ("5/", "51"), ("12345/6", "1234516"), ("1:57731", "1157731")])
def test_a_slash_or_colon_first_last_or_beside_a_long_group_is_the_digit_likeliest_next(text, read):
    """A slanted 1 the network took for a slash: ruled out, the 1 it thought likeliest next is read,
    only as sure as its share of what is left."""
    p = frames_of(text)
    at = 2 * next(i for i, ch in enumerate(text) if ch in "/:") + 1
    p[at] = 0.01
    p[at, ALPHABET.index(text[at // 2]) + 1] = 0.75
    p[at, ALPHABET.index("1") + 1] = 0.11
    characters, confidence = decode(p)
    assert "".join(ch.char for ch in characters) == read
    assert characters[at // 2].confidence == pytest.approx(0.11 / 0.25)
    assert confidence < 0.11 / 0.25


def test_a_separator_not_asked_for_is_ruled_out_and_the_class_likeliest_next_read():
    """Told which separators a number may hold (lines.allowing), the reader shares the others'
    probability among the rest in proportion: a slash it was sure of is the 1 it thought next."""
    from digitrec.reading.lines import SEPARATORS, allowing

    p = frames_of("25/11")
    slash = 5  # blank, 2, blank, 5, blank, /
    p[slash, ALPHABET.index("1") + 1] = 0.03
    p[slash] /= p[slash].sum()
    before = p.copy()
    read = lambda q: "".join(ch.char for ch in decode(q)[0])  # noqa: E731
    assert allowing(p, SEPARATORS) is p and read(p) == "25/11"
    assert read(allowing(p, "/")) == "25/11"
    kept = allowing(p, ".,")
    assert read(kept) == "25111"
    assert np.allclose(kept.sum(axis=1), 1) and not kept[:, [ALPHABET.index(c) + 1 for c in "-/:"]].any()
    assert kept[slash, 2] / kept[slash, 0] == pytest.approx(p[slash, 2] / p[slash, 0])  # the rest as they were, to each other
    assert np.array_equal(p, before)  # the network's output as it was
    sure = frames_of("2/5")
    sure[3] = 0.0
    sure[3, ALPHABET.index("/") + 1] = 1.0  # nothing left once the slash is ruled out
    characters, confidence = decode(allowing(sure, ""))
    assert "".join(ch.char for ch in characters) == "25" and confidence < 1e-20  # what it was sure of ruled out: no confidence


@pytest.mark.parametrize("bad", ["#", "12", " ", ".;", "..x", 5])
def test_separators_the_reader_cannot_write_are_refused_naming_those_it_can(bad):
    from digitrec.reading.lines import checked_separators

    with pytest.raises(ValueError, match=r"some of \. , - / : \('' for digits alone\)"):
        checked_separators(bad)
    assert checked_separators(None) == ".,-/:" and checked_separators("") == "" and checked_separators("/:") == "/:"


def test_a_colon_out_of_place_that_the_network_thought_likelier_paper_is_left_out():
    p = frames_of("1:57731")
    p[3] = 0.1 / 14
    p[3, 0], p[3, ALPHABET.index(":") + 1] = 0.3, 0.6
    assert "".join(ch.char for ch in decode(p)[0]) == "157731"


def test_decode_of_only_blanks_is_empty():
    characters, path = decode(one_hot_frames([0] * 8, sure=0.99))
    assert characters == [] and path > 0.9


def test_line_input_crops_to_the_ink_and_boxes_map_back():
    image = np.full((200, 400), 230, np.uint8)
    image[60:120, 100:130] = 20  # one bar
    image[60:120, 200:240] = 20  # another
    line = line_input(image)
    assert line.pixels.shape[0] == LINE_HEIGHT and line.pixels.shape[1] % STRIDE == 0
    assert line.pixels.dtype == np.float32 and 0 <= line.pixels.min() and line.pixels.max() <= 1
    ink_rows = np.nonzero(line.pixels.max(axis=1) > 0.5)[0]
    assert ink_rows.max() - ink_rows.min() + 1 in range(INK_HEIGHT - 1, INK_HEIGHT + 2)
    # a character over the frames of each bar gets that bar's box in the image
    frames = line.pixels.shape[1] // STRIDE
    ink = np.nonzero(line.pixels.max(axis=0) > 0.5)[0]
    middle = line.pixels.shape[1] / 2
    first, second = int(np.median(ink[ink < middle])) // STRIDE, int(np.median(ink[ink > middle])) // STRIDE
    classes = [ALPHABET.index("1") + 1 if t == first else ALPHABET.index("7") + 1 if t == second else 0 for t in range(frames)]
    characters, _ = decode(one_hot_frames(classes), line)
    assert [c.char for c in characters] == ["1", "7"]
    for (x, y, w, h), (left, right) in zip([c.box for c in characters], [(100, 130), (200, 240)]):
        assert abs(x - left) <= 2 and abs(x + w - right) <= 2 and abs(y - 60) <= 2 and abs(h - 60) <= 2
    (only,), _ = best_digit(one_hot_frames(classes), line)
    assert only.char in "17" and abs(only.box[0] - 100) <= 2 and abs(only.box[0] + only.box[2] - 240) <= 2


def test_synthetic_lines_are_the_same_for_the_same_seed(mnist):
    from digitrec.training.synthetic import LineMaker, installed_fonts

    maker = LineMaker(mnist.x_train[:2000], mnist.y_train[:2000], tuple(installed_fonts()))
    a = maker.batch(np.random.default_rng(5), 16)
    b = maker.batch(np.random.default_rng(5), 16)
    c = maker.batch(np.random.default_rng(6), 16)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and not np.array_equal(a[0], c[0])
    assert a[0].shape == (16, LINE_HEIGHT, 192, 1)


def test_worker_processes_make_the_same_lines_as_the_trainer_would(mnist):
    """`digitrec train --workers N`: the lines are the seed's, whichever process makes them."""
    from digitrec.training.synthetic import LineMaker, LinePool, installed_fonts

    maker = LineMaker(mnist.x_train[:2000], mnist.y_train[:2000], tuple(installed_fonts()))
    pool = LinePool(maker, 2)
    try:
        made = [pool.batches([0, 1, i], 8, 1 + i % 2) for i in range(3)]
    finally:
        pool.close()
    for i, batches in enumerate(made):
        here = maker.batches(np.random.default_rng([0, 1, i]), 8, 1 + i % 2)
        assert len(batches) == len(here) == 1 + i % 2
        for (pixels, labels), (pixels_here, labels_here) in zip(batches, here):
            assert np.array_equal(pixels, pixels_here) and np.array_equal(labels, labels_here)
    assert not np.array_equal(made[0][0][0], made[2][0][0])


def test_bucketed_batches_hold_the_same_lines_each_only_as_wide_as_its_widest(mnist):
    """`digitrec train --buckets N`: the lines batch would make, sorted by width into N batches."""
    from digitrec.training.synthetic import BUCKET_STEP, TRAIN_WIDTH, LineMaker, installed_fonts, text_of

    maker = LineMaker(mnist.x_train[:2000], mnist.y_train[:2000], tuple(installed_fonts()))
    whole = maker.batch(np.random.default_rng(7), 64)
    bucketed = maker.batches(np.random.default_rng(7), 16, 4)
    assert sorted(text_of(row) for row in whole[1]) == sorted(text_of(row) for _, labels in bucketed for row in labels)
    assert sum(pixels.sum() for pixels, _ in bucketed) == pytest.approx(whole[0].sum(), rel=1e-5)  # every line whole
    widths = [pixels.shape[2] for pixels, _ in bucketed]
    assert all(w % BUCKET_STEP == 0 and w <= TRAIN_WIDTH for w in widths) and min(widths) < TRAIN_WIDTH


def test_the_trainer_takes_each_bucketed_batch_once_whichever_thread_asks(mnist):
    """Keras asks for batches from two threads; a group is made once and handed out batch by batch."""
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    from digitrec.training.synthetic import LineMaker
    from digitrec.training.train import RECIPES
    from digitrec.training.train_line import _Lines

    maker = LineMaker(mnist.x_train[:2000], mnist.y_train[:2000])
    lines = _Lines(maker, replace(RECIPES["line"], steps=6, batch_size=8, buckets=4, seed=3), workers=0)
    with ThreadPoolExecutor(2) as threads:
        got = list(threads.map(lines.__getitem__, range(6)))
    expected = maker.batches(np.random.default_rng([3, 1, 0]), 8, 4) + maker.batches(np.random.default_rng([3, 1, 1]), 8, 2)
    for (pixels, labels), (pixels_expected, labels_expected) in zip(got, expected, strict=True):
        assert np.array_equal(pixels, pixels_expected) and np.array_equal(labels, labels_expected)
    assert not lines.groups  # every group handed out whole, and let go


def test_synthetic_texts_hold_separators_and_non_digit_lines(mnist):
    from digitrec.training.synthetic import LineMaker, text_of

    maker = LineMaker(mnist.x_train[:2000], mnist.y_train[:2000])
    _, labels = maker.batch(np.random.default_rng(0), 300)
    texts = [text_of(row) for row in labels]
    assert any(t == "" for t in texts)  # lines that hold no number
    for mark in ".,-/:":
        assert any(mark in t for t in texts)
    assert all(t[0] in "0123456789-" for t in texts if t)


STEPS = 1000


@pytest.mark.slow
def test_a_short_run_learns_to_read_plain_lines(mnist, tmp_path):
    """A quarter-width reader, a few hundred steps: plain lines of 1-4 MNIST digits, read whole."""
    import keras

    from digitrec.training import models
    from digitrec.training.synthetic import LineMaker, text_of
    from digitrec.training.train_line import ctc_loss, texts

    keras.utils.set_random_seed(0)
    maker = LineMaker(mnist.x_train[:50000], mnist.y_train[:50000], plain=True)
    held_out = LineMaker(mnist.x_train[50000:], mnist.y_train[50000:], plain=True)
    net = models.line(width=0.25)
    net.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(0.006, STEPS)), loss=ctc_loss)
    rng = np.random.default_rng(0)
    for step in range(STEPS):
        net.train_on_batch(*maker.batch(rng, 32))
    x, labels = held_out.batch(np.random.default_rng(1), 200)
    truth = [text_of(row) for row in labels]
    read = texts(np.asarray(keras.ops.softmax(net.predict(x, verbose=0))))
    assert np.mean([a == b for a, b in zip(read, truth)]) >= 0.9


@pytest.mark.parametrize("text", ["12.5", "25/11", "1.000", "3,75", "12-05", "120/80", "3:1"])
def test_the_shipped_reader_keeps_separators(mnist, text):
    """Numbers written with separators, in MNIST *test* digits on photo-like paper, come back with
    them; a reading that drops one or reads it as a 1 is almost never a sure one."""
    import digitrec
    from digitrec.training.synthetic import LineMaker

    reader = digitrec.load_model("line")
    maker = LineMaker(mnist.x_test, mnist.y_test)
    readings = [reader.read(maker.image(text, np.random.default_rng([7, i]))) for i in range(40)]
    # Measured with the shipped reader, through the layout, reading an unsure line at five widths
    # (lines.STRETCHES): 80% (12.5), 75% (25/11), 87.5% (1.000; 90% at three widths), 90% (3,75),
    # 95% (12-05), 90% (120/80, a blood pressure), 90% (3:1, a score) read exactly;
    # its misreadings mostly drop a leading 1. None of the 280 was sure (>= 0.95) with the
    # separator dropped or read as a 1. (Decoding that held slashes and colons to dates and times
    # read none of 120/80 or 3:1: lines.GROUP_AT_MOST.) These images
    # are drawn with the training lines' hands, so they change with them: since three 1s in ten
    # tower over their neighbours, "25/11" is harder (the previous reader also reads 72.5% of it).
    assert np.mean([r.number == text for r in readings]) >= 0.7
    dropped = "".join(c for c in text if c.isdigit())
    as_a_one = "".join(c if c.isdigit() else "1" for c in text)
    assert sum(not r.uncertain and r.number in (dropped, as_a_one) for r in readings) <= 1
