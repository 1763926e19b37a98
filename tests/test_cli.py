"""The command line end to end, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from conftest import SAMPLES
from digitrec.cli import cli
from digitrec.constants import DEFAULT_MODEL
from digitrec.reading import decode

SAMPLE_FILES = sorted(str(p) for p in SAMPLES.glob("*.png"))


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_help_lists_every_command_with_a_summary():
    out = run("--help").output
    for command in ("predict", "serve", "batch", "train", "evaluate", "data", "models"):
        line = next(l for l in out.splitlines() if l.strip().startswith(command + " "))
        assert len(line.split(None, 1)[1]) > 10 and not line.endswith("...")


def test_predict_prints_the_posts_line_for_each_sample():
    result = run("predict", *SAMPLE_FILES)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(SAMPLE_FILES)
    for file, line in zip(SAMPLE_FILES, lines):
        digit = file.rsplit("/", 1)[1][0]
        assert line.startswith(f"{file}: This digit is probably a {digit}  (")
        assert "% sure" in line and "top 3: " in line


def test_predict_json():
    result = run("predict", "--json", *SAMPLE_FILES)
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in records] == SAMPLE_FILES
    for r in records:
        assert isinstance(r["digit"], int) and 0 <= r["digit"] <= 9 and r["number"] == str(r["digit"])
        assert len(r["probabilities"]) == 10 and sum(r["probabilities"]) == pytest.approx(1, abs=1e-5)
        assert r["digit"] == max(range(10), key=lambda d: r["probabilities"][d])
        assert 0 < r["confidence"] <= r["characters"][0]["confidence"] + 1e-9
        assert r["model"] == DEFAULT_MODEL and r["preprocess"] == "mnist"


def test_bad_files_are_reported_and_the_rest_still_predicted(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not an image")
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((50, 50), 255, np.uint8))
    files = [str(tmp_path / n) for n in ("missing.png", "empty.png", "notes.txt", "blank.png")]
    result = run("predict", files[0], SAMPLE_FILES[0], *files[1:])
    assert result.exit_code == 1
    assert "This digit is probably a" in result.stdout
    errors = result.stderr.splitlines()
    assert len(errors) == 4 and "Traceback" not in result.stderr
    assert errors[0] == f"{files[0]}: error: no such file"
    assert errors[1] == f"{files[1]}: error: the file is empty"
    assert "not an image" in errors[2] and "no digit found" in errors[3]

    as_json = run("predict", "--json", files[0], SAMPLE_FILES[0])
    first, second = (json.loads(l) for l in as_json.stdout.splitlines())
    assert as_json.exit_code == 1 and first == {"file": files[0], "error": "no such file"}
    assert "digit" in second


def test_quoted_globs_are_expanded_and_unmatched_ones_reported():
    result = run("predict", str(SAMPLES / "*.png"), str(SAMPLES / "*.nothing"))
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == len(SAMPLE_FILES)
    assert "*.nothing: error: no such file" in result.stderr


def test_seed_preprocessing_option():
    result = run("predict", "--json", "--model", "cnn", "--preprocess", "seed", str(SAMPLES / "7-centred.png"))
    assert json.loads(result.stdout)["preprocess"] == "seed"
    line = run("predict", "--preprocess", "seed", str(SAMPLES / "7-centred.png"))  # the line reader has its own clean-up
    assert line.exit_code == 1 and "--preprocess seed is for the digit models" in line.output and "Traceback" not in line.output


def test_a_folder_points_to_batch(tmp_path):
    result = run("predict", str(tmp_path))
    assert result.exit_code == 1 and "is a folder, not an image" in result.output and "digitrec batch" in result.output


def test_standard_input():
    result = run("predict", "-", input=(SAMPLES / "3-light-on-dark.png").read_bytes())
    assert result.exit_code == 0 and "probably a 3" in result.stdout


def test_standard_input_that_runs_past_the_size_limit_is_refused(monkeypatch):
    image = (SAMPLES / "3-light-on-dark.png").read_bytes()
    monkeypatch.setattr(decode, "MAX_FILE_BYTES", len(image) - 1)
    result = run("predict", "-", input=image)
    assert result.exit_code == 1 and "standard input: refused, over the" in result.output and "Traceback" not in result.output


def test_preview_files(tmp_path):
    one = tmp_path / "one.png"
    assert run("predict", "--model", "cnn", "--preview", str(one), SAMPLE_FILES[0]).exit_code == 0
    image = cv2.imread(str(one), cv2.IMREAD_GRAYSCALE)
    assert image.shape == (280, 280) and image.max() == 255 and image[0, 0] == 0
    line = tmp_path / "line.png"
    assert run("predict", "--preview", str(line), SAMPLE_FILES[0]).exit_code == 0  # the line reader's 32-pixel-high line
    image = cv2.imread(str(line), cv2.IMREAD_GRAYSCALE)
    assert image.shape[0] == 320 and image.shape[1] % 40 == 0 and image.max() == 255 and image[0, 0] == 0

    bad = run("predict", "--preview", str(tmp_path / "one.xyz"), SAMPLE_FILES[0])
    assert bad.exit_code == 1 and "one.xyz: cannot write an image of that kind (use a .png name)" in bad.output and "Traceback" not in bad.output
    (tmp_path / "a-file").write_text("")
    nowhere = run("predict", "--boxes", str(tmp_path / "a-file" / "boxes.png"), SAMPLE_FILES[0])  # a folder that cannot be made
    assert nowhere.exit_code == 1 and "boxes.png: cannot write the image (" in nowhere.output and "Traceback" not in nowhere.output

    folder = tmp_path / "previews"
    assert run("predict", "--preview", str(folder), *SAMPLE_FILES).exit_code == 0
    assert len(list(folder.glob("*.png"))) == len(SAMPLE_FILES)


def test_show_without_a_display_says_what_to_do(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    result = run("predict", "--show", SAMPLE_FILES[0])
    assert result.exit_code == 2 and "--preview" in result.output


def test_unknown_model_is_a_clean_error():
    result = run("predict", "--model", "nope", SAMPLE_FILES[0])
    assert result.exit_code == 1 and "Error: no model 'nope'" in result.output and "Traceback" not in result.output


def test_predict_never_imports_keras_jax_or_tensorflow():
    """Nor libheif's binding or PDFium's, which only a HEIC photo or a PDF needs (decode)."""
    code = (
        "import sys\n"
        "from digitrec.cli import cli\n"
        f"try: cli(['predict', {SAMPLE_FILES[0]!r}])\n"
        "except SystemExit as e: assert e.code == 0, e.code\n"
        "print(sorted(m for m in ('keras', 'jax', 'tensorflow', 'torch', 'pillow_heif', 'pypdfium2') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "This digit is probably a" in out
    assert out.strip().endswith("[]")


def test_models_lists_the_shipped_models():
    lines = run("models").output.splitlines()
    assert [line.split()[0] for line in lines] == ["cnn", "line", "mlp"]
    assert not any("--out" in line or "--data" in line for line in lines)  # commands a user can run
    assert all("made by: digitrec train --model" in line for line in lines)


def test_evaluate_writes_report_and_plots(tmp_path, mnist_path):
    result = run("evaluate", "mlp", "--data", str(mnist_path), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "confusion matrix" in result.stdout and "precision" in result.stdout
    for png in ("mlp-confusion.png", "mlp-mistakes.png"):
        assert cv2.imread(str(tmp_path / png)) is not None
    report = json.loads(run("evaluate", "mlp", "--json", "--data", str(mnist_path), "--out", str(tmp_path)).stdout)
    assert report["accuracy"] >= 0.975 and report["count"] == 10000
    assert sum(map(sum, report["confusion"])) == 10000
    line = json.loads(run("evaluate", "--json", "--data", str(mnist_path), "--out", str(tmp_path)).stdout)  # the default: the line reader
    assert line["model"] == "line" and line["mnist_test"]["read_exactly"] >= 0.98


def test_data_commands(mnist_path, tmp_path):
    result = run("data", "info", "--data", str(mnist_path))
    assert result.exit_code == 0 and "60000 images, test 10000" in result.output
    bad = run("data", "info", "--data", str(tmp_path / "nothing-here"))
    assert bad.exit_code == 1 and "no such file or folder" in bad.output and "Traceback" not in bad.output
    assert run("data", "download", "--url", "file:///x").exit_code == 2  # a mirror needs its checksum


def test_train_with_broken_data_is_a_clean_error(tmp_path):
    (tmp_path / "mnist.npz").write_text("garbage")
    result = run("train", "--data", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and "cannot read as .npz" in result.output
    assert "Traceback" not in result.output


def test_train_and_evaluate_refuse_an_output_folder_they_cannot_write_before_any_work(tmp_path):
    (tmp_path / "a-file").write_text("")
    for command in (["train", "--model", "mlp", "--epochs", "1"], ["evaluate", "mlp"]):
        result = run(*command, "--out", str(tmp_path / "a-file" / "runs"))
        assert result.exit_code == 1 and "a-file/runs: cannot write there (Not a directory); choose another --out" in result.output
        assert "test accuracy" not in result.output and "Traceback" not in result.output  # no training, no scoring


def test_train_workers_are_for_the_line_reader_only(tmp_path):
    result = run("train", "--model", "cnn", "--workers", "4", "--out", str(tmp_path))
    assert result.exit_code == 2 and "--workers is for --model line" in result.output
    assert not any(tmp_path.iterdir())  # refused before anything was loaded or written
    assert "Traceback" not in result.output
    result = run("train", "--model", "mlp", "--buckets", "4", "--out", str(tmp_path))
    assert result.exit_code == 2 and "--buckets is for --model line" in result.output


@pytest.fixture(scope="module")
def number_png(mnist, tmp_path_factory):
    from digitrec.evaluation import realistic

    sample = next(realistic.numbers(mnist.x_test, mnist.y_test, 1, (4, 4), seed=11, conditions=("photo",)))
    path = tmp_path_factory.mktemp("number") / "number.png"
    cv2.imwrite(str(path), cv2.cvtColor(sample.image, cv2.COLOR_RGB2BGR))
    return path, sample


def test_predict_reads_a_whole_number(number_png, tmp_path):
    path, sample = number_png
    result = run("predict", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"This number is probably {sample.number}")
    assert result.stdout.count("%") == 5  # the reading's confidence, and each digit's

    record = json.loads(run("predict", "--json", str(path)).stdout)
    assert record["number"] == sample.number and record["digit"] is None and record["probabilities"] is None
    assert [c["char"] for c in record["characters"]] == list(sample.number)
    assert all(len(c["box"]) == 4 and 0 < c["confidence"] <= 1 for c in record["characters"])
    assert 0 < record["confidence"] <= min(c["confidence"] for c in record["characters"]) + 1e-9

    boxes = tmp_path / "boxes.png"
    assert run("predict", "--boxes", str(boxes), str(path)).exit_code == 0
    drawn = cv2.imread(str(boxes))
    assert drawn.shape[:2] == sample.image.shape[:2] and (drawn != cv2.cvtColor(sample.image, cv2.COLOR_RGB2BGR)).any()


def test_predict_reads_every_page_of_a_document(number_png, tmp_path):
    """A TIFF of two pages, the number on the first and a 7 on the second: each line names its page,
    and --boxes draws each page in a file of its own."""
    from PIL import Image

    path, sample = number_png
    seven = Image.open(SAMPLES / "7-centred.png").convert("RGB")
    scan = tmp_path / "scan.tiff"
    Image.fromarray(sample.image).save(scan, save_all=True, append_images=[seven])
    result = run("predict", str(scan), "--boxes", str(tmp_path / "boxes.png"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2 lines on 2 pages, page by page, top to bottom:")
    assert f"1. page 1: {sample.number}" in result.stdout and "2. page 2: 7" in result.stdout
    assert cv2.imread(str(tmp_path / "boxes-page1.png")).shape[:2] == sample.image.shape[:2]
    assert cv2.imread(str(tmp_path / "boxes-page2.png")).shape[:2] == (280, 280)
    record = json.loads(run("predict", "--json", str(scan)).stdout)
    assert record["pages"] == 2 and [(line["number"], line["page"]) for line in record["lines"]] == [(sample.number, 1), ("7", 2)]


def test_predict_names_a_page_it_could_not_read_and_reads_the_rest(texture, tmp_path):
    from PIL import Image

    seven = Image.open(SAMPLES / "7-centred.png").convert("L")
    scan = tmp_path / "scan.tiff"
    seven.save(scan, save_all=True, append_images=[Image.fromarray(texture)])
    result = run("predict", str(scan))
    assert result.exit_code == 1 and "1. page 1: 7" in result.stdout
    assert "page 2 not read: too many separate marks" in result.stdout and "Traceback" not in result.output
    record = json.loads(run("predict", "--json", str(scan)).stdout)
    assert record["number"] == "7" and [page["page"] for page in record["unread_pages"]] == [2]


def test_single_and_threshold_options(number_png):
    path, _ = number_png
    single = json.loads(run("predict", "--json", "--single", str(path)).stdout)
    assert len(single["characters"]) == 1 and len(single["probabilities"]) == 10
    strict = json.loads(run("predict", "--json", "--threshold", "1", str(path)).stdout)
    assert strict["uncertain"] and all(c["uncertain"] for c in strict["characters"])
    lax = json.loads(run("predict", "--json", "--threshold", "0", str(path)).stdout)
    assert not lax["uncertain"]
    assert run("predict", "--boxes", "x.png", "--preprocess", "seed", str(path)).exit_code == 2


def test_separators_reach_the_reader_and_one_it_cannot_write_is_refused(number_png, monkeypatch):
    from digitrec.reading.runtime import Recognizer

    asked, real = [], Recognizer.read_pages
    monkeypatch.setattr(Recognizer, "read_pages", lambda self, pages, *args: asked.append(args[-1]) or real(self, pages, *args))
    path, _ = number_png
    assert run("predict", "--separators", "", str(path)).exit_code == 0
    assert run("predict", "--separators", "./", str(path)).exit_code == 0
    assert run("predict", str(path)).exit_code == 0
    assert asked == ["", "./", None]  # None: all of them
    refused = run("predict", "--separators", "#", str(path))
    assert refused.exit_code == 2 and "Invalid value for '--separators': separators are some of . , - / :" in refused.output and not asked[3:]


def test_evaluate_realistic(mnist_path, tmp_path):
    result = run("evaluate", "cnn", "--realistic", "12", "--data", str(mnist_path), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    for heading in ("| condition | single digits, default | single digits, seed", "| kind | confident digit, default"):
        assert heading in result.stdout
    assert cv2.imread(str(tmp_path / "cnn-threshold.png")) is not None


def test_serve_on_a_port_in_use_says_so_before_it_starts():
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = run("serve", "--port", str(port), "--workers", "0")
    assert result.exit_code == 1 and f"cannot serve on 127.0.0.1:{port}: Address already in use" in result.output
    assert "the page is at" not in result.output and "Traceback" not in result.output
