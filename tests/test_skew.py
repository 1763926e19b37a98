"""Writing photographed aslant: turned level, read, its boxes carried back into the photo."""

from __future__ import annotations

from unittest import mock

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitrec.evaluation import pages
from digitrec.reading import preprocess, runtime, skew
from digitrec.reading.runtime import load_model

NUMBERS = ["315", "2870", "46", "90517"]


def _turn(image: np.ndarray) -> skew.Turn | None:
    strength = preprocess.ink_strength(image)[0]
    return skew.ways(strength, preprocess.ink_mask(strength))[0]


@pytest.mark.parametrize("paper, angle", [("ruled", 6), ("table", -10), ("plain", 15), ("photo", -20)])
def test_a_page_held_aslant_reads_as_it_does_level(reader, digits, paper, angle):
    """Turned a few degrees, a ruled or squared page's lines no longer ran level, were not lifted,
    and took the numbers with them; turned further, rows of digits ran into each other. Levelled,
    the page reads as it does held square, each box on its number in the photo."""
    page = pages.page(digits, [[n] for n in NUMBERS], paper, np.random.default_rng(3))
    assert [line.number for line in reader.read(page.image).lines] == NUMBERS
    photo = pages.page(digits, [[n] for n in NUMBERS], paper, np.random.default_rng(3), angle)
    reading = reader.read(photo.image)
    assert [line.number for line in reading.lines] == NUMBERS
    assert all(pages.centred_in(line.box, truth) for line, truth in zip(reading.lines, photo.boxes))


@pytest.mark.parametrize("paper, angle", [("plain", 90), ("ruled", -90), ("table", 135), ("photo", -50)])
def test_a_page_turned_far_or_sideways_reads_as_it_does_level(reader, digits, paper, angle):
    """A page photographed sideways (with no EXIF to say so) or turned further than a slope: its
    rows run steeply or up and down. Turned level both ways up, it is read the way up whose
    characters are likelier, each box on its number in the photo."""
    photo = pages.page(digits, [[n] for n in NUMBERS], paper, np.random.default_rng(3), angle)
    strength = preprocess.ink_strength(photo.image)[0]
    assert len(skew.ways(strength, preprocess.ink_mask(strength))) == 3  # as the slope has it, and turned far both ways up
    reading = reader.read(photo.image)
    assert [line.number for line in reading.lines] == NUMBERS
    assert all(pages.centred_in(line.box, truth) for line, truth in zip(reading.lines, photo.boxes))


@pytest.mark.parametrize("paper, angle", [("plain", 180), ("table", 176), ("ruled", -177)])
def test_a_page_upside_down_reads_as_it_does_level(reader, digits, paper, angle):
    """Fed into a scanner head first, or photographed from across the desk: its rows run level, so
    the skew step had no way up to doubt, and the page was read as digits turned over (4.6% of
    the generated pages' numbers right). Read turned over as well, the likelier way wins, each box
    on its number in the photo."""
    photo = pages.page(digits, [[n] for n in NUMBERS], paper, np.random.default_rng(3), angle)
    reading = reader.read(photo.image)
    assert [line.number for line in reading.lines] == NUMBERS
    assert all(pages.centred_in(line.box, truth) for line, truth in zip(reading.lines, photo.boxes))


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_a_page_held_square_is_not_turned_over(reader, digits, seed):
    """The upside-down reading loses to the page as it lies: read as if no page could be upside
    down, it reads the same, right or wrong."""
    photo = pages.page(digits, [[n] for n in NUMBERS], ("plain", "ruled", "table", "photo")[seed % 4], np.random.default_rng(seed))
    with mock.patch.object(runtime, "UPSIDE_DOWN_LINES", 10**6):
        never = reader.read(photo.image)
    assert reader.read(photo.image) == never


def test_half_round_stands_the_levelled_map_on_its_head(digits):
    photo = pages.page(digits, [[n] for n in NUMBERS], "plain", np.random.default_rng(3), 90)
    strength = preprocess.ink_strength(photo.image)[0]
    turn = skew._far(strength, skew._marks(preprocess.ink_mask(strength)))
    upright, flipped = turn.level(strength), turn.half_round().level(strength)
    assert flipped.shape == upright.shape
    assert np.abs(flipped.astype(int) - np.rot90(upright, 2)).mean() < 1


def test_a_ruled_line_in_pieces_is_not_a_row_of_characters():
    """A register's ruled line, broken by the scan into dashes of about a character's length,
    lines its pieces up like a sideways row; but they lie along it, where characters stand across."""
    mask = np.zeros((400, 200), np.uint8)
    for i in range(12):
        mask[20 + 30 * i : 42 + 30 * i, 100:103] = 1  # dashes down the page
    mask[180:200, 20:32] = 1  # and a mark beside them
    assert skew._far_rows(skew._marks(mask)) is None
    assert skew.ways(mask * 200, mask) == [None]


@pytest.mark.parametrize("rows", [[["7"]], [["408"]], [["6"], ["29"]]])
def test_too_few_characters_turned_sideways_are_left_as_they_are(digits, rows):
    """A lone digit, a short number or two have too few neighbours to say their rows run up and
    down: a digit's own shape would decide it, and a 1 stands as a sideways 1 lies."""
    photo = pages.page(digits, rows, "plain", np.random.default_rng(8), 90)
    strength = preprocess.ink_strength(photo.image)[0]
    assert skew.ways(strength, preprocess.ink_mask(strength)) == [None]


def test_writing_with_no_slope_to_trust_is_left_as_it_is(digits):
    """A lone digit, or a number too short for its characters to agree on a slope, has no row to
    level by: turning it by its own shape would only misread it. A page held square stays so."""
    rng = np.random.default_rng(4)
    lone = pages.page(digits, [["7"]], "plain", rng, 15)
    short = pages.page(digits, [["408"]], "plain", rng, 12)
    level = pages.page(digits, [[n] for n in NUMBERS], "ruled", rng)
    for image in (lone.image, short.image, level.image):
        assert _turn(image) is None


@pytest.mark.parametrize("angle", [-12, 4, 20])
def test_the_turn_found_is_the_pages_own(digits, angle):
    """Ruled lines fix the slope closely: they must come out level for the clean-up to lift them."""
    found = _turn(pages.page(digits, [[n] for n in NUMBERS], "ruled", np.random.default_rng(5), angle).image)
    assert found is not None
    turned_by = np.degrees(np.arctan2(found.matrix[0, 1], found.matrix[0, 0]))
    assert turned_by == pytest.approx(-angle, abs=0.15)


@pytest.mark.parametrize("field", ["boxes", "groups"])
@pytest.mark.parametrize("angle", [3.0, -3.0])
def test_a_field_of_two_or_three_boxes_is_levelled_by_its_frame(digits, angle, field):
    """Two digits in a form's boxes are too few to show a slope, and the field too short for a
    form's line (skew.FORM_LINE); its frame's top and bottom, the ink's first and last rows, set
    it (skew.FRAME_LINE). Before release 30, such fields were read as they lay; before release
    31, a frame of just two boxes (a date's DD, written full) was too."""
    rng = np.random.default_rng(11)
    for _ in range(6):
        sample = pages.boxed(digits, "".join(str(d) for d in rng.integers(0, 10, 2)), field, rng, angle)
        found = _turn(sample.image)
        assert found is not None
        # A frame of two boxes is shorter, its slope found less finely.
        assert np.degrees(np.arctan2(found.matrix[0, 1], found.matrix[0, 0])) == pytest.approx(-angle, abs=0.3 if field == "boxes" else 0.5)


@pytest.mark.parametrize("angle", [4.0, -4.0])
def test_a_bold_frame_levels_its_field(angle):
    """A frame printed bold, or blurred by the scan, holds as much ink four rows off its top's
    fullest row as half that row: it was judged no line (skew._thin), and a field of two boxes
    turned 4 degrees was read as it lay, each side a 1 ("92" as "912")."""
    ink = np.zeros((120, 200), np.float32)
    cv2.rectangle(ink, (30, 30), (170, 90), 1.0, 5)  # two boxes, 70 by 60 pixels, the frame 5 thick
    ink[30:91, 98:103] = 1.0
    for centre in (65, 135):
        cv2.ellipse(ink, (centre, 60), (14, 20), 0, 0, 360, 1.0, 5)  # a bold 0 in each
    turned = cv2.warpAffine(ink, cv2.getRotationMatrix2D((100, 60), angle, 1.0), (200, 120))
    found = _turn(np.round(255 - 200 * turned).astype(np.uint8))  # dark print on white paper
    assert found is not None
    assert np.degrees(np.arctan2(found.matrix[0, 1], found.matrix[0, 0])) == pytest.approx(-angle, abs=0.5)


@pytest.mark.parametrize("angle, rise", [(3.0, 3), (-3.0, 3), (3.0, -3), (-3.0, -3)])
def test_a_long_field_is_levelled_by_its_frame_not_its_digits(angle, rise):
    """Eight digits in a form's boxes are enough to show a slope, but their centres wander, here
    rising 3 pixels a box: levelled by them, the field stood 0.5-0.75 degrees off, its frame's
    sides aslant (a field of seven digits read "6191715191218"). Its frame sets the slope."""
    ink = np.zeros((160, 620), np.float32)
    cv2.rectangle(ink, (30, 40), (590, 110), 1.0, 2)  # eight boxes, 70 by 70 pixels
    for k in range(1, 8):
        ink[40:111, 30 + 70 * k : 32 + 70 * k] = 1.0
    for k in range(8):
        cv2.ellipse(ink, (65 + 70 * k, 75 + round(rise * (k - 3.5))), (12, 20), 0, 0, 360, 1.0, 6)
    turned = cv2.warpAffine(ink, cv2.getRotationMatrix2D((310, 75), angle, 1.0), (620, 160))
    found = _turn(np.round(255 - 200 * turned).astype(np.uint8))
    assert found is not None
    assert np.degrees(np.arctan2(found.matrix[0, 1], found.matrix[0, 0])) == pytest.approx(-angle, abs=0.2)


def test_a_small_levelled_map_keeps_its_ink_clear_of_the_layouts_rim(digits):
    """The levelled map is cut round the ink; on a small one (a sticky note's), 2% was under the
    layout's RIM, which took the last line for the tail of one the photo cut, and dropped it."""
    page = pages.page(digits, [["33"], ["64123"]], "plain", np.random.default_rng(9), 6)
    strength = preprocess.ink_strength(cv2.resize(page.image, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA))[0]
    found = skew.ways(strength, preprocess.ink_mask(strength))[0]
    assert found is not None
    ys, xs = np.nonzero(found.level(strength) >= preprocess.INK_FLOOR)
    assert min(ys.min(), xs.min(), found.shape[0] - 1 - ys.max(), found.shape[1] - 1 - xs.max()) > preprocess.RIM


def test_texture_is_not_weighed_pair_by_pair():
    """Past the layout's MAX_MARKS the marks are texture, refused by the layout: measuring each
    against all the others (n squared) would only hold the reader up first."""
    from digitrec.constants import MAX_MARKS

    mask = np.zeros((260, 260), np.uint8)
    for dy in (0, 1):
        for dx in (0, 1):
            mask[dy::4, dx::4] = 1  # 65 x 65 dots of 2 x 2 pixels, 4 apart: each the next one's neighbour
    assert 65 * 65 > MAX_MARKS and skew._neighbour_slopes(skew._marks(mask)).size == 0
    assert skew._neighbour_slopes(skew._marks(mask[:120, :120])).size > 0  # fewer marks are weighed


def test_a_ruled_page_whose_characters_disagree_is_levelled_by_its_rules(reader, mnist):
    """Turned, a notebook's hairline rules break into pieces among the digits, and the
    characters' slopes spread too far to trust; a rule across half the ink's width fixes it."""
    page = next(p for p in pages.pages(mnist.x_test, mnist.y_test, 80, 0, 5) if p.lines[0] == "54")
    strength = preprocess.ink_strength(page.image)[0]
    slopes = skew._neighbour_slopes(skew._marks(preprocess.ink_mask(strength)))
    along = np.median(slopes)
    error = 1.4826 * np.median(np.abs(slopes - along)) / np.sqrt(len(slopes))
    assert error > skew.SURE_WITHIN and abs(along) < skew.SIGNIFICANT * error  # the characters alone are not sure
    found = _turn(page.image)
    assert found is not None and np.degrees(np.arctan2(found.matrix[0, 1], found.matrix[0, 0])) == pytest.approx(-5, abs=0.15)
    assert [line.number for line in reader.read(page.image).lines] == list(page.lines)


def test_a_ruled_page_on_a_large_map_is_levelled_by_its_hairline_rules(mnist):
    """The same page in the corner of a large photo's map, which the rough look steps over every
    few pixels: the rules' one-pixel rows must still be counted whole."""
    page = next(p for p in pages.pages(mnist.x_test, mnist.y_test, 80, 0, 5) if p.lines[0] == "54")
    strength = np.zeros((2000, 2000), np.uint8)
    small = preprocess.ink_strength(page.image)[0]
    strength[: small.shape[0], : small.shape[1]] = small
    found = skew.ways(strength, preprocess.ink_mask(strength))[0]
    assert found is not None and np.degrees(np.arctan2(found.matrix[0, 1], found.matrix[0, 0])) == pytest.approx(-5, abs=0.15)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 120), st.integers(1, 120)),
    marks=st.lists(st.tuples(st.integers(0, 119), st.integers(0, 119), st.integers(1, 30), st.integers(1, 30)), max_size=40),
    level=st.integers(0, 255),
)
def test_any_ink_gives_a_turn_or_none_never_an_error(shape, marks, level):
    """Whatever the clean-up hands it (no ink, one pixel, bars, a filled map), the step answers."""
    strength = np.zeros(shape, np.uint8)
    for x, y, w, h in marks:
        strength[y : y + h, x : x + w] = level
    found = skew.ways(strength, (strength >= preprocess.INK_FLOOR).astype(np.uint8))[0]
    if found is not None:
        assert found.level(strength).shape == found.shape


def test_hairlines_on_a_large_map_are_not_stepped_over():
    """A large map is first looked at every few pixels: eight hairline strokes in odd columns fell
    between the steps, and the step failed on no ink at all."""
    strength = np.zeros((1000, 1000), np.uint8)
    for i in range(8):
        strength[100 + 5 * i : 130 + 5 * i, 101 + 40 * i] = 200  # a row of 1s, sloping down
    found = skew.ways(strength, (strength > 0).astype(np.uint8))[0]
    assert found is not None and found.level(strength).max() > 0


def test_the_digit_models_read_levelled_writing_with_its_boxes_in_the_photo(digits):
    """The CNN segments the levelled ink too, one pipeline for every model; its digits' boxes come
    back on the number in the photo, not where the levelled map held them."""
    photo = pages.page(digits, [["31502874"]], "plain", np.random.default_rng(1), 15)
    assert _turn(photo.image) is not None
    reading = load_model("cnn").read(photo.image)
    assert reading.number == "31502874"
    assert all(pages.centred_in(c.box, photo.boxes[0]) for c in reading.characters)


def test_marks_are_every_outer_outline_at_any_depth_as_the_hierarchy_gives_them():
    """skew._marks tells outer outlines from holes' by the way round they run, not by OpenCV's
    hierarchy (whose cost grows as the square of one mark's holes): the same outlines, in order."""
    mask = np.zeros((300, 400), np.uint8)
    for r in range(4, 120, 10):  # rings within rings
        cv2.rectangle(mask, (r, r), (290 - r, 290 - r), 1, 2)
    cv2.circle(mask, (145, 145), 3, 1, -1)  # a dot in the innermost hole
    cv2.rectangle(mask, (310, 20), (390, 120), 1, 1)  # a box with a digit in it
    cv2.putText(mask, "8", (330, 100), cv2.FONT_HERSHEY_SIMPLEX, 2, 1, 3)
    mask[200, 350] = mask[210:240, 360] = mask[260, 300:380] = 1  # a pixel, a stroke a pixel wide each way
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    expected = [c for c, (_, _, _, parent) in zip(contours, hierarchy[0]) if parent < 0]
    outer, boxes = skew._marks(mask)
    assert len(outer) == len(expected) == 18  # 12 rings, the dot, the box, the 8, the pixel and the two strokes
    assert all(np.array_equal(a, b) for a, b in zip(outer, expected))
    assert boxes.tolist() == [list(cv2.boundingRect(c)) for c in expected]
