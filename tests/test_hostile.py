"""Hostile input: images whose content once cost minutes or gigabytes, formats nobody documented,
batch jobs that collide, odd file names and full disks. Each image here is made by the test."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import SAMPLES
from digitrec.reading import preprocess, segment
from digitrec.service.batch import Journal, Settings, read_output
from digitrec.cli import cli
from digitrec.reading.decode import read
from digitrec.errors import DigitrecError, ImageError


def _png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


def test_a_long_flat_bar_is_cut_a_bounded_number_of_ways():
    """A solid bar 16 px tall and 112 px long once grew the cut search exponentially."""
    image = np.full((40, 140), 255, np.uint8)
    image[12:28, 14:126] = 0
    page = preprocess.clean(read(_png(image)))
    calls = []

    def classify(batch: np.ndarray) -> np.ndarray:
        calls.append(len(batch))
        return np.full((len(batch), 10), 0.1)

    segment.segment(page, classify)
    assert len(calls) <= 3 * segment.MAX_READINGS + 1


def test_a_long_run_of_touching_digits_is_never_cut_into_more_than_max_pieces():
    image = np.full((40, 2000), 255, np.uint8)
    image[12:28, 10:1990] = 0  # 124 digit-heights long
    page = preprocess.clean(read(_png(image)))
    calls = []
    digits = segment.segment(page, lambda b: calls.append(len(b)) or np.full((len(b), 10), 0.1))
    assert len(digits) == 1 and calls == []  # read whole, not searched


def test_a_huge_thin_ring_is_evened_at_a_bounded_size(monkeypatch):
    """A thin ring on a 2048x2048 canvas once took 41 s dilating at full size."""
    image = np.full((2048, 2048), 255, np.uint8)
    cv2.circle(image, (1024, 1024), 900, 0, 3)
    seen = []
    real = preprocess._even_strokes
    monkeypatch.setattr(preprocess, "_even_strokes", lambda ink, mask: seen.append(mask.shape) or real(ink, mask))
    x = preprocess.prepare(_png(image))
    assert x.shape == (28, 28) and x.max() > 0
    assert seen and max(max(s) for s in seen) <= preprocess.EVEN_STROKES_SIDE


@pytest.mark.parametrize("fmt", ["TGA", "ICO", "EPS", "DDS"])
def test_formats_digitrec_does_not_document_are_refused(fmt, tmp_path):
    if fmt == "EPS":  # Pillow would run Ghostscript on it
        data = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    elif fmt == "DDS":  # a header Pillow's DDS plugin reads, then fails on with NotImplementedError
        data = b"DDS " + (124).to_bytes(4, "little") + b"\x07\x10\x0a\x00" + (8).to_bytes(4, "little") * 2 + bytes(100)
    else:
        buffer = io.BytesIO()
        Image.new("L", (16, 16), 255).save(buffer, fmt)
        data = buffer.getvalue()
    with pytest.raises(ImageError, match="not an image, or a format"):
        read(data)
    path = tmp_path / f"x.{fmt.lower()}"
    path.write_bytes(data)
    done = CliRunner().invoke(cli, ["predict", str(path)])
    assert done.exit_code == 1 and "Traceback" not in done.output and "format" in done.output


@pytest.mark.parametrize(
    "limit, value, message",
    [("PDF_SECONDS", 0.01, "the PDF took over 0.01 s to draw; refused"), ("PDF_MEMORY", 20 << 20, "PDFium failed on the PDF")],
)
def test_a_pdf_is_drawn_under_a_time_and_a_memory_limit(limit, value, message, monkeypatch, tmp_path):
    """PDFium cannot be stopped inside a call, and a PDF's cost is not its size (491 KB of lines
    took 14 s to draw): a child process draws it, killed past either limit, here set too low for
    any PDF."""
    from digitrec.reading import pdf

    buffer = io.BytesIO()
    Image.open(SAMPLES / "7-centred.png").convert("RGB").save(buffer, "PDF")
    assert read(buffer.getvalue()).shape[2] == 3  # the limits as shipped let it through
    monkeypatch.setattr(pdf, limit, value)
    with pytest.raises(ImageError, match=message):
        read(buffer.getvalue())


def test_two_batches_on_one_out_cannot_both_run(tmp_path):
    out = tmp_path / "rows.csv"
    holder = Journal(out, [str(SAMPLES / "7-centred.png")], Settings())
    try:
        with pytest.raises(DigitrecError, match="another digitrec batch is writing"):
            Journal(out, [str(SAMPLES / "7-centred.png")], Settings())
        done = subprocess.run(
            [sys.executable, "-m", "digitrec", "batch", str(SAMPLES / "7-centred.png"), "--out", str(out), "-j", "1"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 1 and "another digitrec batch is writing" in done.stderr and "Traceback" not in done.stderr
    finally:
        holder.close()
    assert CliRunner().invoke(cli, ["batch", str(SAMPLES / "7-centred.png"), "--out", str(out), "-j", "1"]).exit_code == 0
    assert [r["number"] for r in read_output(out)] == ["7"]
    assert not out.with_name("rows.csv.lock").exists()


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_a_file_name_that_is_not_utf8_gets_its_row(tmp_path, suffix):
    folder = tmp_path / "in"
    folder.mkdir()
    odd = os.path.join(os.fsencode(folder), b"seven\xff.png")
    with open(odd, "wb") as f:
        f.write((SAMPLES / "7-centred.png").read_bytes())
    (folder / "one.png").write_bytes((SAMPLES / "1-far-right.png").read_bytes())
    out = tmp_path / f"rows{suffix}"
    done = CliRunner().invoke(cli, ["batch", str(folder), "--out", str(out), "-j", "1"])
    assert done.exit_code == 0, done.output
    rows = read_output(out)
    assert [r["number"] for r in rows] == ["1", "7"]
    assert rows[1]["path"].endswith("seven\\xff.png")


def test_a_full_disk_is_one_clear_line_and_leaves_no_tmp(tmp_path, monkeypatch):
    out = tmp_path / "rows.csv"

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    done = CliRunner().invoke(cli, ["batch", str(SAMPLES / "7-centred.png"), "--out", str(out), "-j", "1"])
    assert done.exit_code == 1
    assert "No space left on device" in done.output and "run the same command again" in done.output
    assert not isinstance(done.exception, OSError) or done.exception is None or isinstance(done.exception, SystemExit)
    assert not list(tmp_path.rglob("*.tmp"))
    monkeypatch.undo()
    assert CliRunner().invoke(cli, ["batch", str(SAMPLES / "7-centred.png"), "--out", str(out), "-j", "1"]).exit_code == 0
    assert Path(out).is_file()


def test_an_image_over_its_time_budget_is_a_clear_error(monkeypatch):
    import time

    from digitrec.limits import OverBudget, time_budget

    with pytest.raises(OverBudget, match="over 0.05 s"):
        with time_budget(0.05):
            time.sleep(1)
    import digitrec.reading.runtime as runtime

    monkeypatch.setattr(runtime.Recognizer, "read_pages", lambda self, *a, **k: time.sleep(2))
    monkeypatch.setattr("digitrec.limits.IMAGE_BUDGET", 0.1)
    done = CliRunner().invoke(cli, ["predict", str(SAMPLES / "7-centred.png")])
    assert done.exit_code == 1 and "the limit for one image" in done.output and "Traceback" not in done.output


def test_a_texture_of_thousands_of_marks_is_refused_not_ground_through(texture):
    """The layout groups marks into lines; past MAX_MARKS marks an image is texture, not numbers."""
    from digitrec.constants import MAX_MARKS
    from digitrec.reading.runtime import load_model

    with pytest.raises(ImageError, match="too many separate marks"):
        load_model("line").read(texture)
    assert 71 * 71 > MAX_MARKS
