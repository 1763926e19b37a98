"""Preprocessing: the post's pipeline reproduced exactly, page clean-up, and MNIST-style normalisation's invariants."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitrec.reading import preprocess
from digitrec.constants import CENTRE, DIGIT_BOX, IMAGE_SIZE
from digitrec.errors import NoDigitError
from digitrec.reading.segment import segment


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
    """Anywhere clear of the image's edges: a straight stroke run up to them is taken for a ruled
    line or a border (preprocess._lines_out), and 11 in 40,000 tight crops of straight strokes
    (a bar across a 42-pixel image) came back as no digit; 8 pixels clear, none of 10,444."""
    clear = 8
    canvas = (ink.shape[0] + extra[0] + 2 * clear, ink.shape[1] + extra[1] + 2 * clear)
    top, left = clear + int(where[0] * extra[0]), clear + int(where[1] * extra[1])
    x = preprocess.prepare(compose(ink, canvas, top, left, dark_on_light))

    assert x.shape == (IMAGE_SIZE, IMAGE_SIZE) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.9
    (row, col), (height, width) = ink_stats(x)
    assert max(height, width) <= DIGIT_BOX
    assert abs(row - CENTRE[0]) <= 0.5 + 1e-6 and abs(col - CENTRE[1]) <= 0.5 + 1e-6


@settings(max_examples=30, deadline=None)
@given(ink=digit_like, shift=st.tuples(st.integers(0, 200), st.integers(0, 200)))
def test_position_and_polarity_do_not_matter(ink, shift):
    """Anywhere clear of the image's edge (where the paper's estimate has less paper to go on: a
    mark moved from the corner by one pixel came out up to 0.015 different)."""
    clear = 8
    canvas = (ink.shape[0] + 200 + 2 * clear, ink.shape[1] + 200 + 2 * clear)
    with pytest.MonkeyPatch.context() as patch:  # exactly, at full scale; a shrunk image is resampled
        patch.setattr(preprocess, "WORKING_STROKE", np.inf)
        reference = preprocess.prepare(compose(ink, canvas, clear, clear, dark_on_light=False))
        moved = preprocess.prepare(compose(ink, canvas, clear + shift[0], clear + shift[1], dark_on_light=False))
        inverted = preprocess.prepare(compose(ink, canvas, clear + shift[0], clear + shift[1], dark_on_light=True))
    np.testing.assert_allclose(moved, reference, atol=1e-6)
    np.testing.assert_allclose(inverted, reference, atol=1e-6)


@pytest.mark.parametrize("scale", [0.5, 2.0, 4.0])
def test_scale_barely_matters(scale):
    ink = strokes([(0.3, 0.2), (0.7, 0.2), (0.4, 0.9)], 100, 9)  # a 7
    reference = preprocess.prepare(compose(ink, (300, 300), 50, 50, True))
    resized = cv2.resize(ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    page = compose(resized, (resized.shape[0] + 100, resized.shape[1] + 100), 20, 70, True)
    assert np.abs(preprocess.prepare(page) - reference).mean() < 0.06


def test_seed_mode_is_the_posts_pipeline_exactly():
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (123, 77), dtype=np.uint8)
    expected = np.invert(np.array([cv2.resize(gray, (28, 28))])) / 255  # the post's main.py
    ok, png = cv2.imencode(".png", gray)
    np.testing.assert_allclose(preprocess.prepare(png.tobytes(), "seed"), expected[0], atol=1e-7)


@pytest.mark.parametrize("gray", [np.full((50, 60), 255, np.uint8), np.full((10, 10), 0, np.uint8)])
def test_blank_images_have_no_digit(gray):
    with pytest.raises(NoDigitError, match="no digit found"):
        preprocess.prepare(gray)


def test_faint_noise_is_not_a_digit():
    noise = np.random.default_rng(1).integers(230, 256, (100, 100), dtype=np.uint8)
    with pytest.raises(NoDigitError):
        preprocess.prepare(noise)


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="preprocess must be one of"):
        preprocess.prepare(np.zeros((5, 5), np.uint8), "fancy")


def seven(size: int = 120) -> np.ndarray:
    """A "7" in dark ink on white paper, size x size."""
    return compose(strokes([(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)], size // 2, max(2, size // 30)), (size, size), size // 4, size // 4, True)


def test_uneven_lighting_and_a_shadow_are_removed():
    page = seven(240).astype(np.float32)
    light = np.linspace(1.0, 0.45, page.shape[1])[None, :]  # the right side in shade: paper there is darker than the ink's edges
    shadow = np.ones_like(page)
    shadow[:, :70] = 0.6
    lit = np.clip(page * light * cv2.GaussianBlur(shadow, (0, 0), 5), 0, 255).astype(np.uint8)
    clean = preprocess.clean(lit)
    assert clean.mask.sum() < 1.3 * preprocess.clean(seven(240)).mask.sum()  # the shade is not ink
    assert np.abs(preprocess.prepare(lit) - preprocess.prepare(seven(240))).mean() < 0.03


@pytest.mark.parametrize("squared", [False, True])
def test_ruled_and_squared_paper_lines_are_removed(squared):
    page = cv2.cvtColor(seven(240), cv2.COLOR_GRAY2RGB)
    for y in range(10, 240, 24):
        cv2.line(page, (0, y), (239, y), (110, 150, 220), 2)
        if squared:
            cv2.line(page, (y, 0), (y, 239), (110, 150, 220), 2)
    clean = preprocess.clean(page)
    rows, cols = np.nonzero(clean.mask)
    assert cols.min() > 40 and cols.max() < 200 and rows.min() > 40 and rows.max() < 200  # only the 7 is left
    assert np.abs(preprocess.prepare(page) - preprocess.prepare(seven(240))).mean() < 0.08  # lines crossing the 7 leave small nicks


def test_ruled_lines_are_removed_when_the_writing_reaches_the_edges():
    """A number written edge to edge: the lines cannot reach past the writing, but they cross several digits."""
    ink = np.hstack([seven(240)[20:220, 90:150]] * 4)  # four 7s, the first and last 6 px from the edges
    page = cv2.cvtColor(ink, cv2.COLOR_GRAY2RGB)
    for y in range(10, 200, 24):
        cv2.line(page, (0, y), (239, y), (110, 150, 220), 2)
    clean = preprocess.clean(page)
    assert not clean.mask[8:13].any() and not clean.mask[178:183].any()  # the lines above and below the digits are gone
    assert len(segment(clean)) == 4  # four 7s, not one blob strung on lines


def test_a_digits_own_bar_is_not_taken_for_a_ruled_line():
    tight = seven(480)[150:350, 180:300]  # the 7's top bar spans 93% of the crop's width
    bar = preprocess.clean(tight).mask[20:40]
    assert bar[:, :30].any() and bar[:, 90:].any()  # both ends of the bar survive


def test_a_tall_1_standing_on_an_underline_is_kept():
    """A cheque's amount: the underline runs across the crop and the 1 stands on it, taller than
    the 0s. The 1 is a straight upright run and the underline a straight flat one; once they were
    judged as one run across the image, and the 1 went with the line."""
    page = np.full((50, 180), 235, np.uint8)
    cv2.line(page, (0, 46), (179, 46), 150, 2)  # the underline, fainter than the ink
    cv2.line(page, (15, 10), (15, 46), 30, 4)  # the 1, down to the line
    for x in (45, 80, 115, 150):  # and four 0s
        cv2.ellipse(page, (x, 28), (11, 14), 0, 0, 360, 30, 4)
    mask = preprocess.clean(page).mask
    assert mask[10:42, 13:18].mean() > 0.9  # the 1 whole
    assert not mask[45:48, 60:70].any()  # the underline gone


def test_a_1_nearly_as_tall_as_a_tight_crop_is_kept():
    """A "10" cropped tight: the 1 is a straight upright run over 90% of the crop's height that
    touches no other mark, as a ruled line crossing blank paper would; but it stops short of the
    edges, where a line across the image would be cut by them."""
    page = np.full((100, 130), 235, np.uint8)
    cv2.line(page, (30, 8), (30, 91), 30, 6)  # ink from row 5 to 94
    cv2.ellipse(page, (90, 50), (24, 32), 0, 0, 360, 30, 6)
    assert preprocess.clean(page).mask[10:90, 28:33].all()
    page[:, 30:33] = 30  # a line from edge to edge there is a line
    assert not preprocess.clean(page).mask[10:90, 28:33].any()


def test_specks_are_removed():
    page = seven(240)
    rng = np.random.default_rng(0)
    for y, x in rng.integers(0, 240, (40, 2)):
        page[y, x] = 0
    assert np.abs(preprocess.prepare(page) - preprocess.prepare(seven(240))).mean() < 0.01


@pytest.mark.parametrize("thickness", [1, 14])
def test_stroke_width_is_brought_into_mnists_range(thickness):
    low, _, high = preprocess.STROKE
    ink = strokes([(0.3, 0.15), (0.7, 0.15), (0.45, 0.9)], 200, thickness)
    page = compose(ink, (260, 260), 30, 30, True)
    x = preprocess.prepare(page)
    width = preprocess.stroke_width((x > 0.5).astype(np.uint8))
    rows = np.nonzero(x > 0.5)[0]
    assert low <= width / (np.ptp(rows) + 1) <= high * 1.2


def test_a_dark_smear_at_the_border_is_not_ink_but_a_tight_crop_is():
    page = seven(240)
    page[190:240, 0:12] = 60  # what a shadow's edge or a warped page border leaves in a corner
    assert np.abs(preprocess.prepare(page) - preprocess.prepare(seven(240))).mean() < 0.01
    assert not preprocess.clean(page).mask[:, :20].any()
    tight = seven(240)[60:180, 70:160]  # the 7 touches the crop's edges
    assert preprocess.clean(tight).mask.any()


@pytest.mark.parametrize("thickness, shrunk", [(6, False), (12, False), (22, True), (40, True)])
def test_only_thick_strokes_are_read_smaller_and_boxes_stay_in_the_image(thickness, shrunk):
    page = np.full((280, 420), 255, np.uint8)  # a 7 and a 1 drawn with a broad brush
    cv2.polylines(page, [np.int32([(60, 60), (190, 60), (110, 230)])], False, 0, thickness, cv2.LINE_AA)
    cv2.line(page, (320, 50), (320, 230), 0, thickness, cv2.LINE_AA)
    cleaned = preprocess.clean(page)
    assert (cleaned.scale < 1) == shrunk
    if shrunk:  # strokes of WORKING_STROKE pixels, give or take the estimate's error
        assert 0.6 * preprocess.WORKING_STROKE <= preprocess.stroke_width(cleaned.mask) <= 1.5 * preprocess.WORKING_STROKE
    boxes = [d.box for d in segment(cleaned)]
    ink = (255 - page) > 64
    cols = np.flatnonzero(ink.any(axis=0))
    halves = [cols[cols < 260], cols[cols >= 260]]
    assert len(boxes) == 2
    for box, half in zip(boxes, halves):
        rows = np.flatnonzero(ink[:, half.min() : half.max() + 1].any(axis=1))
        expected = (half.min(), rows.min(), half.max() - half.min() + 1, rows.max() - rows.min() + 1)
        assert np.allclose((box.x, box.y, box.w, box.h), expected, atol=4 / cleaned.scale), (box, expected)


def test_a_scans_black_margin_does_not_turn_the_paper_into_ink():
    # A register crop: a dark scan margin down the left, a strip of lighter paper beside it
    # (which stands out lighter than the paper around it), then a faint thin-penned number.
    page = np.full((208, 128), 205, np.uint8)
    page[:, :32] = 86
    page[:, 34:40] = 240
    cv2.polylines(page, [np.int32([(62, 80), (70, 70), (70, 100)]), np.int32([(78, 75), (90, 75), (80, 100)])], False, 120, 1, cv2.LINE_AA)
    ys, xs = np.nonzero(preprocess.clean(page).mask)
    assert len(xs) and xs.min() >= 55 and ys.min() >= 60 and ys.max() <= 110  # the number, not the paper


def test_a_scan_margin_half_the_crop_wide_does_not_make_the_ink_light():
    # A register crop: a dark scan margin over nearly half of it, a thin-penned number on the
    # paper. The paper beside the margin stands out lighter than the local median there, more of
    # it than the number stands out dark, but it is paper, not light ink on a dark page.
    page = np.full((160, 140), 225, np.uint8)
    page[:, :64] = 40
    cv2.polylines(page, [np.int32([(92, 60), (100, 52), (96, 100)]), np.int32([(106, 62), (118, 56), (108, 98), (122, 96)])], False, 60, 1, cv2.LINE_AA)
    ys, xs = np.nonzero(preprocess.clean(page).mask)
    assert len(xs) and xs.min() >= 85 and xs.max() <= 128 and ys.min() >= 45 and ys.max() <= 105  # the "12", dark


def test_a_scans_margin_does_not_make_a_faint_numbers_pieces_specks():
    # A register crop's ink strength with its dark margin taken for ink: the speck bar is set by
    # the largest mark that could be writing, and a margin is none, else it drops every piece of
    # a faint number written with a broken pen.
    strength = np.zeros((288, 114), np.uint8)
    strength[:, :22] = 140
    for x in (58, 70, 82):  # three upright strokes, each in three short pieces
        for y in (95, 104, 113):
            strength[y : y + 7, x : x + 2] = 80
    ys, xs = np.nonzero(preprocess.ink_mask(strength)[:, 30:])
    assert len(xs) == 9 * 14


def test_a_digit_the_crop_cut_at_its_edge_is_kept_but_a_shadow_along_the_edge_is_not():
    page = np.full((60, 150), 235, np.uint8)
    for x in (20, 55, 90):  # three 2-like digits inside
        cv2.polylines(page, [np.int32([(x, 18), (x + 20, 14), (x + 22, 26), (x, 46), (x + 24, 46)])], False, 40, 3, cv2.LINE_AA)
    cv2.line(page, (132, 50), (142, 0), 40, 2, cv2.LINE_AA)  # a tall slanted 1, its top cut by the crop
    page[:, :4] = 70  # a shadow down the left edge
    mask = preprocess.clean(page).mask
    assert mask[:, 128:].sum() > 20  # the cut 1
    assert not mask[:, :5].any()  # the shadow


def test_faint_writing_keeps_its_whole_strokes_but_not_faint_specks():
    # A pale pen in a phone photo: strokes whose cores stand out by little more than the mask's
    # floor and whose edges by less. Each stroke keeps its faint edges, joined to its core; a
    # faint smudge with no core stays out.
    strength = np.zeros((60, 120), np.float32)
    for x0 in (20, 50, 80):
        cv2.line(strength, (x0, 12), (x0 + 12, 48), 1.0, 4, cv2.LINE_AA)
    strength = cv2.GaussianBlur(strength, (0, 0), 1.5)
    strength = (strength / strength.max() * 30).astype(np.uint8)  # cores at 30 grey levels
    strength[5:9, 100:112] = 20  # a smudge as faint as the strokes' edges
    mask = preprocess.ink_mask(strength)
    floor = preprocess.INK_FLOOR
    edges = (strength > floor * preprocess.GROWN_TO) & (strength <= floor)
    edges[:, 95:] = False
    assert edges.sum() > 0 and mask[edges].all()  # the strokes' faint edges are ink
    assert not mask[:, 95:].any()  # the smudge is not


def test_a_colour_images_greys_keep_labs_lightness():
    """The clean-up reads colour as YCrCb with L*'s curve (preprocess.colour_of), not OpenCV's Lab,
    whose tables cost a process 0.09 s to build; greys must still get the lightness Lab gave."""
    greys = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    lab = cv2.cvtColor(greys, cv2.COLOR_RGB2LAB)[..., 0].astype(int)
    assert np.abs(preprocess.colour_of(greys)[..., 0].astype(int) - lab).max() <= 1
    assert (preprocess.colour_of(greys)[..., 1:] == 128).all()  # and no colour


@pytest.mark.parametrize("colour", [(1.0, 0.97, 0.45), (0.6, 1.0, 0.55), (1.0, 0.6, 0.8)])
def test_a_highlighted_number_is_read_with_the_others(reader, mnist, colour):
    """A highlighter's band over a number (yellow, green, pink) is paper of its own colour: taken
    with the page's, the band was one mark of coloured ink, and the number on it was lost."""
    from digitrec.evaluation import pages

    page = pages.page(pages.Digits(mnist.x_test, mnist.y_test), [["315"], ["2870"], ["46"]], "plain", np.random.default_rng(0))
    image = np.repeat(page.image[:, :, None], 3, axis=2).astype(np.float32)
    x, y, w, h = page.boxes[1]
    image[y - 5 : y + h + 5, x - 10 : x + w + 10] *= colour
    assert [line.number for line in reader.read(np.clip(image, 0, 255).astype(np.uint8)).lines] == ["315", "2870", "46"]


def test_a_band_hugging_its_number_is_paper_up_to_its_edges(reader, mnist):
    """A highlighter drawn close round a number leaves strips of band above and below it, and
    gaps between its digits, narrower than PALE_AREA: they were left as coloured ink, a bar over
    the number that took it ("64123" read as "2", the line above lost with it)."""
    from digitrec.evaluation import pages

    page = next(pages.pages(mnist.x_test, mnist.y_test, 1, 0))  # a plain page: "33" above "64123"
    assert page.paper == "plain" and page.lines == ("33", "64123")
    image = np.repeat(page.image[:, :, None], 3, axis=2).astype(np.float32)
    x, y, w, h = page.boxes[1]
    pad = max(2, h // 8)  # as benchmarks/bench_highlight.py draws it
    image[y - pad : y + h + pad, x - 2 * pad : x + w + 2 * pad] *= (1.0, 0.6, 0.8)  # pink
    reading = reader.read(np.clip(image, 0, 255).astype(np.uint8))
    assert [line.number for line in reading.lines] == ["33", "64123"]


@pytest.mark.parametrize("seed, corner", [(0, False), (4, False), (4, True), (9, True)])
def test_a_hard_shadows_edge_across_a_page_is_no_ink(reader, mnist, seed, corner):
    """A phone's shadow across a page, its edge hard: the paper's smooth estimate ran on across
    the edge into the shade, which stood out as a line of ink through the digits beside it
    ("33" above "64123" read as "16", "2", or nothing). Held down to the shaded paper near it
    (SHADE_SLACK), the page reads as it does unshaded."""
    from digitrec.evaluation import pages

    page = next(pages.pages(mnist.x_test, mnist.y_test, 1, 0))
    shot = pages.shadowed(page, 0.55, 0.0, np.random.default_rng(seed), corner)
    assert [line.number for line in reader.read(shot.image).lines] == ["33", "64123"]


@pytest.mark.parametrize("digits", [(4, 5, 6), (16, 17, 18)])
def test_a_bold_pencil_number_on_a_large_photo_keeps_its_whole_strokes(reader, mnist, digits):
    """Strokes too thin for the COPY_SIDE copy to measure can still be wider than NEAR at full
    size (a pencil number 600 pixels high on a 2000-pixel photo): the paper near them is looked at
    on the DETAIL_SIDE copy, where no stroke is wider than NEAR. Looked at at full size with a
    37-pixel square, these two lost the middles of their strokes to the paper and came apart,
    "414" as "4", "1", "4" on three lines."""
    ink = np.hstack([cv2.resize(mnist.x_test[k], (600, 600)) for k in digits]).astype(np.float32) / 255
    image = np.full((2000, 2000), 220, np.float32)
    image[700:1300, 100:1900] -= ink * 50  # a pencil's grey, 170
    image = np.clip(image + np.random.default_rng(0).normal(0, 3, image.shape), 0, 255).astype(np.uint8)
    assert preprocess.ink_strength(image)[1] == 1.0  # read at full size: its strokes unmeasured
    assert reader.read(image).number == "".join(str(mnist.y_test[k]) for k in digits)


@pytest.mark.parametrize("step", [0.5, 0.75, 1.0])
def test_a_dotted_grids_dots_are_no_full_stops(reader, mnist, step):
    """A bullet journal's dotted grid: its dots beside a number were read as full stops ("4.20",
    "6501.7.07"). Taken out (without_dots), nothing of the grid is left beside the writing, and the
    page reads as it does on plain paper."""
    from digitrec.evaluation import pages

    page = next(pages.pages(mnist.x_test, mnist.y_test, 1, 0))
    shot = pages.gridded(page, False, step, np.random.default_rng(1))
    writing = cv2.dilate((preprocess.ink_strength(page.image)[0] >= preprocess.MIN_CONTRAST / 2).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    left = (preprocess.ink_strength(shot.image)[0] >= preprocess.MIN_CONTRAST / 2) & ~writing
    assert left.sum() <= 20  # a dot's fringe where it touches the writing; the grid had 1,000 to 1,500 such pixels
    assert [line.number for line in reader.read(shot.image).lines] == ["33", "64123"]


def test_a_column_of_full_stops_is_no_dotted_grid():
    """Amounts written one under another in joined-up figures, their points in line (so the points
    are the only small round marks): as evenly set as a grid's dots, but each beside its figures,
    where a grid runs on over bare paper."""
    image = np.full((600, 320), 235, np.uint8)
    points = []
    wave = np.arange(0, 50, 2)
    for row, col in np.ndindex(14, 2):
        y, x = 20 + 40 * row, 20 + 140 * col
        for left in (x, x + 62):  # each group of figures one joined-up stroke, a point between
            cv2.polylines(image, [np.int32(np.c_[left + wave, y + 14 + 10 * np.sin(wave / 4)])], False, 40, 3)
        cv2.circle(image, (x + 56, y + 24), 3, 0, -1)
        points.append((y + 24, x + 56))
    strength, _ = preprocess.ink_strength(image)
    assert min(strength[p] for p in points) >= preprocess.MIN_CONTRAST


def test_strokes_cut_up_by_a_grid_are_no_dotted_grid(mnist):
    """Digits in pieces, cut at a grid's step (a squared grid's lines taken out of faint strokes):
    the pieces are alike and evenly set, but close-set (DOT_STEP), and stay."""
    ink = np.hstack([mnist.x_test[k] for k in range(12)]).repeat(2, axis=0).repeat(2, axis=1)
    ink[::7], ink[:, ::7] = 0, 0
    image = np.full((ink.shape[0] + 40, ink.shape[1] + 40), 235, np.uint8)
    image[20:-20, 20:-20] -= (ink * 0.6).astype(np.uint8)
    strength = preprocess._ink(image, True)
    assert np.array_equal(preprocess.without_dots(strength), strength)


def test_strokes_across_a_fine_squared_grid_keep_their_strength():
    """Squared paper (SQUARED): where a stroke crossed one of its lines, the line's strength taken
    away left a nick, and under a fine grid a digit came out in pieces. Bridged (NICK), the stroke
    is as strong where it crosses a line as between lines (at crossings it kept 0.6 of it)."""
    image = np.full((200, 200), 235, np.uint8)
    image[4::12], image[:, 4::12] = 175, 175  # a grid 60 grey levels darker than the paper
    strokes = np.full_like(image, 255)
    cv2.polylines(strokes, [np.int32([(50, 40), (150, 40), (90, 165)])], False, 90, 5)  # a 7
    strength, _ = preprocess.ink_strength(np.minimum(image, strokes))
    along = np.array([strength[round(40 + 125 * t), round(150 - 60 * t)] for t in np.linspace(0.05, 0.95, 60)])  # down the 7's stem
    assert along.min() >= 0.8 * np.median(along)


def test_a_bold_stroke_over_a_squared_grids_line_keeps_its_strength(monkeypatch):
    """Squared paper (SQUARED): a printed line under ink takes a share of the light the ink lets
    through. Taken away as a fixed strength, over its three rows or columns at its brightest, it
    cut a band out of a bold stroke over it, bridged only from strokes either side, and a 9's head
    that a line crossed near its edge came out cut in two ("975" read as "175"). Here the band
    keeps over 0.9 of the head's strength (0.6 before)."""
    paper = np.full((200, 200), 235.0, np.float32)
    paper[4::12], paper[:, 4::12] = 145, 145  # a grid 90 grey levels darker than the paper
    ink = np.full_like(paper, 255)
    cv2.circle(ink, (94, 80), 10, 60, -1)  # the line at column 100, 4 pixels in from its right edge
    image = cv2.GaussianBlur(paper * ink / 255, (0, 0), 0.8).astype(np.uint8)  # ink over the line darkens it further
    monkeypatch.setattr(preprocess, "WORKING_STROKE", np.inf)  # at full scale
    strength, _ = preprocess.ink_strength(image)
    band, head = strength[77:84, 98:102].min(), np.median(strength[77:84, 88:94])
    assert band >= 0.9 * head


def test_strokes_either_side_of_a_squared_grids_line_stay_apart():
    """Squared paper (SQUARED, NICK): the bridge over a nick joined two strokes that end either side
    of a line, and the open top of a 4 closed into a 6's loop. A nick is bridged only where ink is
    left under the line, so paper between two strokes stays paper."""
    image = np.full((200, 200), 235, np.uint8)
    image[4::12], image[:, 4::12] = 175, 175
    strokes = np.full_like(image, 255)
    cv2.line(strokes, (98, 40), (98, 97), 90, 3)  # ends 3 pixels above the line at row 100
    cv2.line(strokes, (98, 103), (98, 160), 90, 3)  # starts 3 pixels below it
    strength, _ = preprocess.ink_strength(np.minimum(image, strokes))
    assert strength[100, 96:101].max() < preprocess.INK_FLOOR
    assert strength[60, 96:101].max() >= preprocess.MIN_CONTRAST  # the strokes themselves are there


def test_a_faint_squared_grid_is_taken_out():
    """A squared grid fading out across a photo (its lines 10 to 40 grey levels darker than the
    paper) under a pencil 7: looked for down to MIN_CONTRAST / 2, none of its lines ran on far
    enough to be one, and where they were strongest they came out as pieces of ink. Looked for down
    to FAINT_LINE, it is taken out, and only the 7 is left."""
    image = np.full((240, 240), 235, np.float32)
    fade = np.linspace(10, 40, 240, dtype=np.float32)
    image[6::16] -= fade[None, :]  # fading out to the left
    image[:, 6::16] = np.minimum(image[:, 6::16], 235 - fade[:, None])  # and to the top
    assert _only_the_pencil_seven_is_left(image)


def test_a_squared_grid_over_part_of_a_photo_is_taken_out():
    """A squared grid printed over three quarters of the photo each way (a notebook's margin, or the
    grid washed out by the light beyond): its lines run too short for ruled lines, which cross the
    image, and came out as pieces of ink. Several each way that run over GRID_RUN of it are a grid."""
    image = np.full((240, 240), 235, np.float32)
    image[6:180:16, :180] = image[:180, 6:180:16] = 205
    assert _only_the_pencil_seven_is_left(image)


def _only_the_pencil_seven_is_left(paper: np.ndarray) -> bool:
    """Whether a pencil 7 on this paper is cleaned up to the 7 alone: no ink beside it, and at most
    a trace of strength where the paper's lines meet it."""
    pencil = (235 - 0.4 * (255 - seven(240).astype(np.float32))).astype(np.uint8)
    strength = preprocess.ink_strength(np.minimum(paper, pencil).astype(np.uint8))[0]
    beside = cv2.dilate(preprocess.ink_mask(preprocess.ink_strength(pencil)[0]), np.ones((5, 5), np.uint8)) == 0
    return not (preprocess.ink_mask(strength) & beside).any() and (strength[beside] >= preprocess.FAINT_LINE).sum() <= 150


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 80), st.integers(1, 80), st.floats(0.0, 1.0), st.booleans(), st.integers(0, 2**32 - 1))
def test_components_are_opencvs_default_labelling(rows, cols, density, thicken, seed):
    """The faster algorithm (preprocess.components) must label, count and measure exactly as
    cv2.connectedComponentsWithStats does: every step after it was tuned on the default's labels."""
    mask = (np.random.default_rng(seed).random((rows, cols)) < density).astype(np.uint8)
    if thicken:
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    ours, theirs = preprocess.components(mask), cv2.connectedComponentsWithStats(mask, connectivity=8)
    assert ours[0] == theirs[0]
    assert np.array_equal(ours[1], theirs[1]) and np.array_equal(ours[2], theirs[2])
    assert np.array_equal(ours[3], theirs[3], equal_nan=True)  # the background's centre is NaN when it has no pixels


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 40), st.integers(0, 2**32 - 1))
def test_members_of_is_isin(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n, (int(rng.integers(1, 50)), int(rng.integers(1, 50)))).astype(np.int32)
    members = rng.choice(np.arange(1, n), size=int(rng.integers(1, n)), replace=False).tolist()
    assert np.array_equal(preprocess.members_of(labels, members, n), np.isin(labels, members).astype(np.uint8))
