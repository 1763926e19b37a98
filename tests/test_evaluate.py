"""`digitrec evaluate --realworld`: how a folder laid out like realworld-dev is scored."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from digitrec.cli import cli
from digitrec.errors import DataError, NoDigitError
from digitrec.evaluation import evaluate
from digitrec.reading.lines import Character
from digitrec.reading.runtime import Reading

LABELS = """file,kind,label,pool
a.png,number,10000,cheque
b.png,number,12.5,logbook
c.png,number,25/11,logbook
d.png,number,7,logbook
e.png,single,3,dida
f.png,nondigit,x,choice
g.png,nondigit,x,choice
h.png,nondigit,x,greek
i.png,unlabelled,,other
"""

READ = {  # what a reader makes of each file: (text, confidence), or None for "no number"
    "a.png": ("10.000", 0.99),  # the label leaves the separator out: right
    "b.png": ("125", 0.99),  # the label has its separator: wrong, and sure of it
    "c.png": ("25/11", 0.5),  # right, unsure
    "d.png": None,
    "e.png": ("3", 0.97),
    "f.png": ("4", 0.99),  # a non-digit read as a confident number: accepted
    "g.png": ("4", 0.6),
    "h.png": None,
}


class Reader:
    """Answers from READ, so the scoring is checked apart from any network."""

    reads_lines = True

    def read(self, image, mode: str = "mnist", separators: str | None = None) -> Reading:
        got = READ[Path(image).name]
        if got is None:
            raise NoDigitError("no number found")
        text, confidence = got
        return Reading(tuple(Character(c, confidence, None) for c in text), confidence, confidence < 0.95)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "labels.csv").write_text(LABELS)
    for row in LABELS.splitlines()[1:]:
        (tmp_path / row.split(",")[0]).touch()  # Reader answers from READ; the files need only be there
    return tmp_path


def test_each_pool_is_scored_exactly_with_its_sure_share(folder):
    scores = evaluate.realworld(Reader(), folder)["scores"]
    assert scores["number: cheque"] == {"exact": 1.0, "n": 1, "sure": 1.0, "right_when_sure": 1.0}
    assert scores["number: logbook"] == pytest.approx({"exact": 1 / 3, "n": 3, "sure": 1 / 3, "right_when_sure": 0.0})
    assert scores["number: all"] == {"exact": 0.5, "n": 4, "sure": 0.5, "right_when_sure": 0.5}
    assert scores["single: dida"] == {"exact": 1.0, "n": 1, "sure": 1.0, "right_when_sure": 1.0}
    assert scores["nondigit: choice"] == {"accepted": 0.5, "n": 2}
    assert scores["nondigit: greek"] == {"accepted": 0.0, "n": 1}
    assert scores["nondigit: all"] == pytest.approx({"accepted": 1 / 3, "n": 3})
    assert not any("other" in name for name in scores)  # rows of no known kind are left out


def test_a_lower_threshold_counts_more_readings_as_sure(folder):
    scores = evaluate.realworld(Reader(), folder, threshold=0.5)["scores"]
    assert scores["number: logbook"]["sure"] == pytest.approx(2 / 3)
    assert scores["number: logbook"]["right_when_sure"] == 0.5
    assert scores["nondigit: choice"]["accepted"] == 1.0


def test_the_table_gives_every_pool_and_leaves_right_when_sure_blank_where_none_is_sure(folder):
    text = evaluate.format_realworld(evaluate.realworld(Reader(), folder, threshold=1.0))
    rows = {line.split()[1]: line for line in text.splitlines()[1:]}
    assert set(rows) == {"cheque", "logbook", "all", "dida", "choice", "greek"}
    assert rows["cheque"].split()[3:] == ["100.0%", "exact", "0.0%"]  # nothing sure, so no "right when sure"
    assert "accepted" in rows["choice"]


def test_a_folder_without_labels_says_what_it_needs(tmp_path):
    with pytest.raises(DataError, match="labels.csv"):
        evaluate.realworld(Reader(), tmp_path)


@pytest.mark.parametrize(
    "labels, message",
    [
        ("a,b\n1,2\n", "its header needs the columns file, kind, label and pool; it has a, b"),
        ("file,kind,label,pool\n", "no row of kind number, single, nondigit, so nothing to score"),
        (LABELS.replace("d.png", "gone.png"), "lists images that are not in .* \\(1 of 8\\): gone.png$"),  # scored, it would count as misread
        (b"\xff\xfegarbage", "cannot read as a UTF-8 CSV"),
    ],
)
def test_labels_that_cannot_be_scored_say_why(folder, labels, message):
    (folder / "labels.csv").write_bytes(labels if isinstance(labels, bytes) else labels.encode())
    with pytest.raises(DataError, match=message):
        evaluate.realworld(Reader(), folder)


def test_the_command_scores_a_folder_with_the_shipped_reader(tmp_path):
    """End to end: real images, the shipped line reader, --json."""
    blank = np.full((60, 120), 255, np.uint8)
    ink = blank.copy()
    ink[10:50, 55:62] = 0  # one thick upright stroke: a 1
    Image.fromarray(blank).save(tmp_path / "blank.png")
    Image.fromarray(ink).save(tmp_path / "one.png")
    (tmp_path / "labels.csv").write_text("file,kind,label,pool\none.png,number,1,drawn\nblank.png,nondigit,x,empty\n")
    result = CliRunner().invoke(cli, ["evaluate", "--realworld", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)["scores"]
    assert scores["number: drawn"]["n"] == 1 and set(scores["number: drawn"]) == {"exact", "n", "sure", "right_when_sure"}
    assert scores["nondigit: empty"] == {"accepted": 0.0, "n": 1}  # a blank page is no number
    assert json.loads(result.output)["separators"] is None  # all of them
    told = CliRunner().invoke(cli, ["evaluate", "--realworld", str(tmp_path), "--separators", ""])
    assert told.exit_code == 0 and "told digits alone)" in told.output.splitlines()[0]
    told = CliRunner().invoke(cli, ["evaluate", "--realworld", str(tmp_path), "--separators", "/:", "--json"])
    assert json.loads(told.output)["separators"] == "/:"


def test_generated_pages_can_be_scored_turned(reader, mnist):
    """`evaluate --pages N --turn DEG`: the same pages photographed aslant, read as level ones are."""
    level = evaluate.pages(reader, mnist.x_test, mnist.y_test, 8, seed=0)["all"]
    turned = evaluate.pages(reader, mnist.x_test, mnist.y_test, 8, seed=0, angle=10)["all"]
    assert turned["lines"] == level["lines"] and turned["lines_exact"] >= level["lines_exact"] - 0.1


def test_turn_without_pages_is_a_usage_error():
    result = CliRunner().invoke(cli, ["evaluate", "--turn", "10"])
    assert result.exit_code == 2 and "give --pages too" in result.output


def test_part_of_a_page_is_scored_on_its_own_numbers_only(mnist):
    """pages.only keeps the numbers marked (a photo cut short, the highlighted ones) and nothing else."""
    from digitrec.evaluation import pages

    page = next(pages.pages(mnist.x_test, mnist.y_test, 1, 0))
    keep = [i % 2 == 0 for i in range(len(page.lines))]
    part = pages.only(page, keep, page.image[:10])
    assert part.lines == page.lines[::2] and part.boxes == page.boxes[::2] and part.image.shape[0] == 10
    assert pages.only(page, keep).image is page.image
