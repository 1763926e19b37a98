"""The shipped model through ONNX Runtime: accuracy on real MNIST, the Python API, load errors."""

from __future__ import annotations

import io

import numpy as np
import pytest

import digitrec
from conftest import SAMPLES
from digitrec.evaluate import report

SAMPLE_FILES = sorted(SAMPLES.glob("*.png"))


@pytest.fixture(scope="module")
def mlp():
    return digitrec.load_model("mlp")


def test_shipped_mlp_meets_its_target_and_its_metrics_file_is_true(mlp, mnist):
    r = report(mlp.probabilities(mnist.x_test / 255.0), mnist.y_test)
    assert r.accuracy >= 0.975
    # The JSON shipped beside the model was written by `digitrec train`; it must match what the model does.
    assert r.accuracy == pytest.approx(mlp.info["test_accuracy"], abs=1e-4)
    assert mlp.info["command"].startswith("digitrec train --model mlp")
    assert mlp.info["data"]["sha256"]


def test_bundled_samples_are_read_correctly(mlp):
    assert len(SAMPLE_FILES) >= 5
    for path in SAMPLE_FILES:
        assert mlp.predict(path).digit == int(path.name[0]), path.name


def test_mnist_preprocessing_fixes_the_posts_far_right_one(mlp):
    far_right = SAMPLES / "1-far-right.png"
    assert mlp.predict(far_right, "mnist").digit == 1
    assert mlp.predict(far_right, "seed").digit != 1  # the post's failure, reproduced


def test_prediction_api(mlp):
    from PIL import Image

    path = SAMPLES / "7-centred.png"
    results = [
        mlp.predict(path),
        mlp.predict(str(path)),
        mlp.predict(path.read_bytes()),
        mlp.predict(Image.open(io.BytesIO(path.read_bytes()))),
        mlp.predict(np.asarray(Image.open(path))),
    ]
    for p in results:
        assert p == results[0]
    p = results[0]
    assert isinstance(p.digit, int) and p.digit == 7
    assert len(p.probabilities) == 10 and sum(p.probabilities) == pytest.approx(1.0, abs=1e-5)
    assert p.confidence == max(p.probabilities)
    top = p.top(3)
    assert top[0] == (7, p.confidence) and top[0][1] >= top[1][1] >= top[2][1]
    assert p.input.shape == (28, 28)


def test_blank_image_says_no_digit(mlp):
    with pytest.raises(digitrec.NoDigitError):
        mlp.predict(np.full((100, 100), 255, np.uint8))


def test_load_errors(tmp_path):
    assert "mlp" in digitrec.available_models()
    with pytest.raises(digitrec.ModelError, match="no model 'nope'.*mlp"):
        digitrec.load_model("nope")
    (tmp_path / "broken.onnx").write_bytes(b"not onnx")
    with pytest.raises(digitrec.ModelError, match="broken.onnx: cannot load"):
        digitrec.load_model(tmp_path / "broken.onnx")
    with pytest.raises(digitrec.ModelError, match="found 0"):
        digitrec.load_model(tmp_path / "..")
