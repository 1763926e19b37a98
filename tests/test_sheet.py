"""A sheet of paper photographed on a desk: cut out, turned upright, read, its boxes in the photo."""

from __future__ import annotations

import numpy as np
import pytest

from digitrec.evaluation import pages
from digitrec.reading import sheet
from digitrec.reading.lines import Character
from digitrec.reading.runtime import Reading


@pytest.fixture(scope="module")
def page(mnist):
    digits = pages.Digits(mnist.x_test, mnist.y_test)  # test digits: the reader never saw them
    return pages.page(digits, [["315"], ["2870"], ["46"]], "plain", np.random.default_rng(0))


@pytest.mark.parametrize("desk, angle, grain, slant", [(120, 8, True, 0.0), (60, -15, False, 0.0), (170, 0, True, 0.0), (120, -8, True, 0.3), (90, 10, False, 0.3)])
def test_a_page_on_a_desk_reads_every_number_with_its_box_in_the_photo(reader, page, desk, angle, grain, slant):
    """On a desk darker than the page the clean-up once took the whole sheet for light ink ("no
    number found"); cut out, turned upright and squared, it reads as the page alone does."""
    photo = pages.on_desk(page, desk, angle, grain, np.random.default_rng(1), slant)
    assert sheet.find(photo.image) is not None
    reading = reader.read(photo.image)
    assert [line.number for line in reading.lines] == ["315", "2870", "46"]
    assert all(pages.centred_in(line.box, truth) for line, truth in zip(reading.lines, photo.boxes))


@pytest.mark.parametrize("desk, keep", [(120, (1.0, 0.7)), (60, (1.0, 0.7)), (60, (0.75, 1.0))])
def test_a_page_running_off_the_photo_is_cut_out_where_its_ink_would_be_taken_for_light(reader, page, desk, keep):
    """Cut by the photo's edge, a sheet with a corner in view is still taken for one where the
    clean-up would take the ink for light (the sheet for light ink), and only there: a register's
    paper between black scan margins is taken for dark ink, and stays as it is."""
    photo = pages.on_desk(page, desk, 0, False, np.random.default_rng(1))
    height, width = (int(side * share) for side, share in zip(photo.image.shape, keep))
    assert [line.number for line in reader.read(photo.image[:height, :width]).lines] == ["315", "2870", "46"]


@pytest.mark.parametrize("keep", [(0.75, 1.0), (1.0, 0.7)])
def test_a_page_running_off_one_edge_is_cut_out_whichever_way_its_ink_goes(reader, page, keep):
    """On a wood-grained desk the clean-up takes the ink for dark, and with the desk round three
    sides read a 7, or nothing; a sheet running off one edge alone (three clear) is no scan's
    paper between its margins, and is cut out whichever way the ink is taken."""
    photo = pages.on_desk(page, 120, 0, True, np.random.default_rng(1))
    height, width = (int(side * share) for side, share in zip(photo.image.shape, keep))
    assert sheet.find(photo.image[:height, :width]) is not None
    assert [line.number for line in reader.read(photo.image[:height, :width]).lines] == ["315", "2870", "46"]


def test_an_image_that_is_all_paper_is_left_as_it_is(page, mnist):
    """A sheet reaching the image's edge is the paper the image is of: a page, a table, a scan
    with its black margin."""
    table = pages.page(pages.Digits(mnist.x_test, mnist.y_test), [["12"], ["7"]], "table", np.random.default_rng(2))
    margin = page.image.copy()
    margin[:, : margin.shape[1] // 6] = 20  # a scan's black margin down one side
    for image in (page.image, table.image, margin):
        assert sheet.find(image) is None


def test_a_sheets_boxes_go_back_to_the_photo_through_its_turn():
    quarter_turn = np.float32([[0, -1, 50], [1, 0, 20], [0, 0, 1]])  # then moved
    line = Reading((Character("7", 0.9, (2, 3, 4, 5)),), 0.9, False, box=(2, 3, 4, 5))
    read = Reading.of_lines([line, line]).mapped(quarter_turn)
    assert read.box == read.lines[1].box == read.characters[0].box == (42, 22, 5, 4)
