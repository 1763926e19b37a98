"""`digitrec batch`: inputs, output formats, bad files, engines that agree, and resuming after a kill."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SAMPLES
from digitrec.service.batch import COLUMNS, Journal, Settings, collect, read_output
from digitrec.cli import cli
from digitrec.constants import UNCERTAIN_BELOW
from digitrec.errors import DigitrecError

SAMPLE_FILES = sorted(SAMPLES.glob("*.png")) + sorted(SAMPLES.glob("*.jpg"))


def batch(*args: str):
    return CliRunner().invoke(cli, ["batch", *map(str, args)])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The samples (single digits and two 4-digit numbers), a subfolder, and four bad files."""
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    for f in SAMPLE_FILES:
        shutil.copy(f, root / f.name)
    shutil.copy(SAMPLES / "7-centred.png", root / "sub" / "7-again.png")
    (root / "sub" / "corrupt.png").write_bytes(SAMPLE_FILES[0].read_bytes()[:300])  # cut short
    (root / "sub" / "text.png").write_text("a text file with an image's name")
    (root / "empty.jpg").write_bytes(b"")
    (root / "notes.md").write_text("not an image, and not looked at")
    os.mkfifo(root / "pipe.png")  # a named pipe: read, it would wait for a writer until the time budget ran out
    return root


EXPECTED_ERRORS = {"empty.jpg": "the file is empty", "corrupt.png": "corrupt or truncated", "text.png": "not an image", "pipe.png": "not a file but a named pipe"}


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {Path(r["path"]).name: r for r in rows}


# ---------------------------------------------------------------- inputs


def test_collect_folders_globs_manifests_each_file_once(folder: Path, tmp_path: Path):
    files = collect([str(folder)])
    assert [Path(f).name for f in files][-3:] == ["7-again.png", "corrupt.png", "text.png"]  # sorted, subfolders after files
    assert "notes.md" not in {Path(f).name for f in files} and len(files) == len(SAMPLE_FILES) + 5

    (tmp_path / "list.txt").write_text("# scanned on Monday\nin/7-centred.png\n\nin/missing.png\n")
    (tmp_path / "list.csv").write_text("id,path\n1,in/1-far-right.png\n2,in/7-centred.png\n")
    got = collect([str(tmp_path / "list.txt"), str(tmp_path / "list.csv"), str(folder / "sub" / "*.png"), str(folder / "1-far-right.png")])
    assert got == [str(tmp_path / "in/7-centred.png"), str(tmp_path / "in/missing.png"), str(tmp_path / "in/1-far-right.png"),
                   str(folder / "sub/7-again.png"), str(folder / "sub/corrupt.png"), str(folder / "sub/text.png")]  # fmt: skip  (1-far-right.png, named again, is not repeated)

    assert collect([str(folder / "1-far-right.png"), f"{folder}/./sub/../1-far-right.png"]) == [str(folder / "1-far-right.png")]

    (tmp_path / "plain.csv").write_text("in/2-rotated.png,first\nin/3-light-on-dark.png,second\n")
    assert collect([str(tmp_path / "plain.csv")]) == [str(tmp_path / "in/2-rotated.png"), str(tmp_path / "in/3-light-on-dark.png")]


@pytest.mark.parametrize(
    "inputs, message",
    [
        (["nowhere"], "no such file or folder"),
        (["nothing*.png"], "matches no files"),
        (["EMPTY"], "no images in"),
        (["latin1.txt"], "latin1.txt: cannot read it as a list of images .* a list is UTF-8 text"),
    ],
)
def test_collect_says_what_is_wrong(tmp_path: Path, inputs, message):
    (tmp_path / "EMPTY").mkdir()
    (tmp_path / "latin1.txt").write_bytes("scans/caf\u00e9.png\n".encode("latin-1"))  # a list saved in another encoding
    with pytest.raises(DigitrecError, match=message):
        collect([str(tmp_path / i) for i in inputs])


# ---------------------------------------------------------------- rows and formats


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_one_row_per_file_with_errors_as_rows(folder: Path, tmp_path: Path, suffix: str):
    out = tmp_path / f"out{suffix}"
    result = batch(folder, "--out", out, "-j", "1")
    assert result.exit_code == 0, result.output
    assert "could not be read" in result.stderr and not (tmp_path / f"out{suffix}.parts").exists()
    rows = read_output(out)
    assert [r["path"] for r in rows] == collect([str(folder)])
    assert all(set(r) == set(COLUMNS) for r in rows)
    named = by_name(rows)
    for name, fragment in EXPECTED_ERRORS.items():
        assert fragment in named[name]["error"] and named[name]["number"] is None
    assert named["number-8405-photo.jpg"]["number"] == "8405" and named["number-7801-ruled.jpg"]["number"] == "7801"
    for f in SAMPLE_FILES[:6]:  # the single digits, named after what they hold
        row = named[f.name]
        assert row["number"] == f.name[0] and row["error"] is None and row["no_digit"] is False
        assert 0 < row["confidence"] <= min(c["confidence"] for c in row["characters"]) + 1e-9
        assert row["uncertain"] == (row["confidence"] < UNCERTAIN_BELOW or any(c["uncertain"] for c in row["characters"]))
        assert len(row["characters"][0]["box"]) == 4


def test_blank_image_is_a_no_digit_row(tmp_path: Path):
    import cv2
    import numpy as np

    cv2.imwrite(str(tmp_path / "blank.png"), np.full((60, 60), 255, np.uint8))
    assert batch(tmp_path / "blank.png", "--out", tmp_path / "o.jsonl", "-j", "1").exit_code == 0
    (row,) = read_output(tmp_path / "o.jsonl")
    assert row["no_digit"] is True and row["number"] == "" and row["error"] is None and row["characters"] is None


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_a_phones_heic_and_avif_photos_and_a_scanners_pdfs_are_found_and_read(tmp_path: Path, suffix: str):
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    seven = Image.open(SAMPLES / "7-centred.png").convert("RGB")
    seven.save(tmp_path / "IMG_0001.HEIC", "HEIF", quality=95)
    seven.save(tmp_path / "IMG_0002.avif", "AVIF", quality=95)
    seven.save(tmp_path / "scan.pdf", "PDF", quality=95)
    seven.save(tmp_path / "two pages.pdf", "PDF", save_all=True, append_images=[seven])
    out = tmp_path / "rows" / f"o{suffix}"
    assert batch(tmp_path, "--out", out, "-j", "1").exit_code == 0
    rows = by_name(read_output(out))
    assert set(rows) == {"IMG_0001.HEIC", "IMG_0002.avif", "scan.pdf", "two pages.pdf"}
    assert all(rows[f]["error"] is None and rows[f]["number"] == "7" for f in ("IMG_0001.HEIC", "IMG_0002.avif", "scan.pdf"))
    pages = rows["two pages.pdf"]  # one row, every page's lines in it
    assert pages["error"] is None and pages["number"] == "7\n7" and [line["page"] for line in pages["lines"]] == [1, 2]


def test_a_documents_page_of_marks_is_in_the_error_and_its_other_pages_in_the_row(tmp_path: Path, texture):
    from PIL import Image

    seven = Image.open(SAMPLES / "7-centred.png").convert("L")
    seven.save(tmp_path / "scan.tiff", save_all=True, append_images=[Image.fromarray(texture)])
    out = tmp_path / "rows" / "o.jsonl"
    batch(tmp_path, "--out", out, "-j", "1")
    (row,) = read_output(out)
    assert row["number"] == "7" and [line["page"] for line in row["lines"]] == [1]
    assert row["error"].startswith("page 2 not read: too many separate marks")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads every file, so none is unreadable")
def test_unreadable_file_is_an_error_row(tmp_path: Path):
    f = tmp_path / "locked.png"
    shutil.copy(SAMPLE_FILES[0], f)
    f.chmod(0)
    assert batch(f, "--out", tmp_path / "o.csv", "-j", "1").exit_code == 0
    assert "cannot read" in read_output(tmp_path / "o.csv")[0]["error"]


def test_bad_arguments_fail_before_any_work(folder: Path, tmp_path: Path):
    for args, message in [
        (["--out", tmp_path / "o.txt"], "name the output .csv, .jsonl or .parquet"),
        (["--out", tmp_path / "o.csv", "-m", "nope"], "no model 'nope'"),
        (["--out", tmp_path / "o.csv", "--ray-address", "auto"], "--ray-address needs --engine ray"),
        (["--out", tmp_path / "o.csv", "-j", str(4 * os.cpu_count() + 1)], "processes a core"),  # a mistyped -j 80: gigabytes, no faster
        (["--out", folder / "notes.md" / "o.csv"], "notes.md/o.csv: cannot write there (File exists); no file has been read"),  # nothing read, so no chunks kept
    ]:
        result = batch(folder, *args)
        assert result.exit_code == 2 if "ray-address" in message or "-j" in args else 1
        assert message in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == [folder]


def test_a_finished_output_is_kept_unless_overwrite(folder: Path, tmp_path: Path):
    out = tmp_path / "o.csv"
    assert batch(folder / "1-far-right.png", "--out", out, "-j", "1").exit_code == 0
    result = batch(folder, "--out", out, "-j", "1")
    assert result.exit_code == 1 and "already exists; add --overwrite" in result.output
    assert len(read_output(out)) == 1
    assert batch(folder, "--out", out, "-j", "1", "--overwrite").exit_code == 0
    assert len(read_output(out)) == len(collect([str(folder)]))


def test_an_interrupted_run_is_resumed_only_with_the_same_inputs_and_settings(folder: Path, tmp_path: Path):
    files = collect([str(folder)])
    Journal(tmp_path / "o.csv", files, Settings(), chunk_size=4)  # as if killed before any chunk
    with pytest.raises(DigitrecError, match="interrupted run with other inputs or settings"):
        Journal(tmp_path / "o.csv", files, Settings(model="mlp"))
    with pytest.raises(DigitrecError, match="interrupted run"):
        Journal(tmp_path / "o.csv", files[1:], Settings())
    assert Journal(tmp_path / "o.csv", files, Settings(), chunk_size=99).chunk_size == 4  # the run's own chunking
    with pytest.raises(DigitrecError, match="interrupted run"):
        Journal(tmp_path / "o.csv", files, Settings(separators=""))


def test_a_run_interrupted_before_a_setting_was_added_resumes_with_its_default(folder: Path, tmp_path: Path):
    files = collect([str(folder)])
    Journal(tmp_path / "o.csv", files, Settings(), chunk_size=4).close()
    job = tmp_path / "o.csv.parts" / "job.json"
    written = json.loads(job.read_text())
    del written["settings"]["separators"]  # as an earlier digitrec wrote it
    job.write_text(json.dumps(written))
    assert Journal(tmp_path / "o.csv", files, Settings(), chunk_size=99).chunk_size == 4


# ---------------------------------------------------------------- engines agree


def test_the_process_pool_gives_the_same_rows_as_one_process(folder: Path, tmp_path: Path):
    assert batch(folder, "--out", tmp_path / "one.jsonl", "-j", "1").exit_code == 0
    assert batch(folder, "--out", tmp_path / "pool.jsonl", "-j", "2", "--chunk-size", "3").exit_code == 0
    assert read_output(tmp_path / "pool.jsonl") == read_output(tmp_path / "one.jsonl")


def test_ray_gives_the_same_rows_and_parquet(folder: Path, tmp_path: Path):
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'digitrec[ray]' to test --engine ray")
    (tmp_path / "list.txt").write_text(f"{folder}/2-rotated.png\n{folder}/missing.png\n{folder}/sub\n")  # sub: a folder, unreadable as a file
    inputs = [folder, tmp_path / "list.txt"]
    assert batch(*inputs, "--out", tmp_path / "one.jsonl", "-j", "1").exit_code == 0
    result = batch(*inputs, "--out", tmp_path / "ray.parquet", "--engine", "ray", "-j", "2", "--chunk-size", "4")
    assert result.exit_code == 0, result.output
    rows = read_output(tmp_path / "ray.parquet")
    assert rows == read_output(tmp_path / "one.jsonl")
    assert by_name(rows)["missing.png"]["error"] == "no such file"
    assert by_name(rows)["sub"]["error"] == "is a folder, not an image"


# ---------------------------------------------------------------- killed and resumed


def start(inputs: list[str], out: Path, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "digitrec", "batch", *inputs, "--out", str(out), *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_chunks(parts: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while len(list(parts.glob("chunk-*.jsonl"))) < count:
        assert process.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.fixture
def many(tmp_path: Path) -> Path:
    """300 copies of the samples: enough that a run can be stopped half-way."""
    root = tmp_path / "many"
    root.mkdir()
    for i in range(300):
        shutil.copy(SAMPLE_FILES[i % len(SAMPLE_FILES)], root / f"{i:03d}{SAMPLE_FILES[i % len(SAMPLE_FILES)].suffix}")
    return root


@pytest.mark.parametrize("how, workers", [(signal.SIGKILL, "1"), (signal.SIGINT, "2")])
def test_a_killed_run_resumes_with_every_input_exactly_once(many: Path, tmp_path: Path, how, workers):
    out = tmp_path / "o.csv"
    parts = tmp_path / "o.csv.parts"
    for _ in range(3):
        process = start([str(many)], out, "-j", workers, "--chunk-size", "10")
        wait_for_chunks(parts, 3, process)
        process.send_signal(how)
        _, stderr = process.communicate(timeout=60)
        if not out.exists():
            break
        # Every file was read before the signal landed: on a loaded machine this test's polling can
        # lag the run by the seconds it takes. Start afresh; an interrupt that never stops a run fails below.
        shutil.rmtree(parts, ignore_errors=True)
        out.unlink()
    else:  # (the last run's output is gone by now, so its absence says nothing: this says what happened)
        pytest.fail(f"three runs finished (the last with exit {process.returncode}) before the interrupt stopped them: {stderr[-2000:]}")
    if how == signal.SIGINT:  # Ctrl-C: a clear message and no traceback
        assert process.returncode == 130 and "run the same command to go on" in stderr and "Traceback" not in stderr
    done = len(list(parts.glob("chunk-*.jsonl")))
    assert 3 <= done < 30

    resumed = start([str(many)], out, "-j", "2", "--chunk-size", "50")  # a different chunk size must not matter
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert f"Resuming: {done * 10} of 300 files already read" in stderr
    rows = read_output(out)
    assert [r["path"] for r in rows] == collect([str(many)])  # every input once, in order
    assert not parts.exists()

    fresh = tmp_path / "fresh.csv"
    assert batch(many, "--out", fresh, "-j", "2").exit_code == 0
    assert rows == read_output(fresh)


def test_ray_engine_without_ray_says_how_to_install_it(folder: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    result = batch(folder, "--out", tmp_path / "o.csv", "--engine", "ray")
    assert result.exit_code == 1 and "pip install 'digitrec[ray]'" in result.output and "Traceback" not in result.output
