"""Real training on MNIST: the post's recipe learns, is reproducible, and exports a faithful ONNX model."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

import digitrec
from digitrec.training import negatives
from digitrec.cli import cli
from digitrec.data import sha256_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def one_epoch(mnist_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("mlp-1-epoch")
    result = CliRunner().invoke(cli, ["train", "--epochs", "1", "--data", str(mnist_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_one_epoch_of_the_posts_mlp_learns(one_epoch, mnist_path):
    out, log = one_epoch
    metrics = json.loads((out / "mlp.json").read_text())
    assert metrics["test_accuracy"] >= 0.95
    assert metrics["before_training"]["test_accuracy"] < 0.2  # about chance, as the post shows
    assert metrics["before_training"]["test_loss"] == pytest.approx(2.3, abs=0.3)
    assert {"epoch", "loss", "accuracy", "val_loss", "val_accuracy"} <= set(metrics["history"][0])
    assert metrics["command"] == shlex.join(["digitrec", "train", "--epochs", "1", "--data", str(mnist_path), "--out", str(out)])
    assert metrics["batch_size"] == 32 and metrics["validation_split"] == 0.1 and metrics["seed"] == 0
    assert len(next(iter(metrics["data"]["sha256"].values()))) == 64
    assert {"keras", "jax", "numpy"} <= set(metrics["versions"])
    assert set(metrics["files"]) == {"mlp.keras", "mlp.onnx", "mlp-curves.png"}
    for name, digest in metrics["files"].items():
        assert sha256_of(out / name) == digest
    assert "Before training: test accuracy" in log and "1688/1688" in log  # 54,000 images / 32, as in the post


def test_training_goes_on_from_a_saved_model(one_epoch, mnist_path, tmp_path):
    """--start-from: the saved weights, not random ones, are where training starts, and the
    metrics name the command that made them."""
    out, _ = one_epoch
    first = json.loads((out / "mlp.json").read_text())
    args = ["train", "--epochs", "1", "--learning-rate", "0.0001", "--start-from", str(out / "mlp.keras"), "--data", str(mnist_path)]
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "more")])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "more" / "mlp.json").read_text())
    assert metrics["before_training"]["test_accuracy"] == pytest.approx(first["test_accuracy"], abs=1e-4)
    assert metrics["started_from"] == {"command": first["command"], "training_seconds": first["training_seconds"], "epochs": 1}
    assert metrics["test_accuracy"] >= first["test_accuracy"] - 0.005

    wrong = CliRunner().invoke(cli, [*args, "--model", "cnn", "--out", str(tmp_path / "cnn")])
    assert wrong.exit_code != 0 and "was trained with --model mlp, not cnn" in wrong.output and "Traceback" not in wrong.output
    args[args.index("--start-from") + 1] = str(out / "mlp.onnx")
    onnx = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "onnx")])
    assert onnx.exit_code != 0 and "takes the .keras file" in onnx.output and "Traceback" not in onnx.output


def test_onnx_export_agrees_with_keras(one_epoch, mnist):
    import keras

    out, _ = one_epoch
    images = mnist.x_test[:1000] / 255.0
    expected = keras.saving.load_model(out / "mlp.keras").predict(images, verbose=0)
    got = digitrec.load_model(out / "mlp.onnx").probabilities(images)
    np.testing.assert_array_equal(got.argmax(1), expected.argmax(1))
    np.testing.assert_allclose(got, expected, atol=1e-4)


@pytest.mark.parametrize("name", ["mlp", "cnn", "line", "printed/printed"])
def test_shipped_onnx_models_agree_with_their_keras_models(name, mnist):
    """The .keras beside each shipped .onnx is what --start-from trains on: it must be the same network."""
    import keras

    from digitrec.reading.runtime import ARTIFACTS

    images = (mnist.x_test[:1000] / 255.0).astype(np.float32)
    model = digitrec.load_model(ARTIFACTS / f"{name}.onnx")
    if model.reads_lines:  # four test digits side by side a line, 32 rows high
        lines = np.pad(images.reshape(250, 4, 28, 28).transpose(0, 2, 1, 3).reshape(250, 28, 112), ((0, 0), (2, 2), (0, 0)))
        got, inputs = model.line_probabilities(lines), lines[..., None]
    else:
        got, inputs = model.probabilities(images), images
    expected = keras.saving.load_model(ARTIFACTS / f"{name}.keras").predict(inputs, verbose=0)
    np.testing.assert_array_equal(got.argmax(-1), expected.argmax(-1))
    np.testing.assert_allclose(got, expected, atol=1e-4)


@pytest.mark.parametrize("name", ["mlp", "cnn", "line", "printed/printed"])
def test_each_shipped_models_files_are_the_ones_its_metrics_name(name):
    """A model ships as four files copied from a training's folder: one left behind (as line.keras
    was for fifteen releases) no longer matches the hash its training recorded."""
    from digitrec.reading.runtime import ARTIFACTS

    path = ARTIFACTS / f"{name}.json"
    files = json.loads(path.read_text())["files"]
    stem = path.stem
    assert set(files) == {f"{stem}.keras", f"{stem}.onnx", f"{stem}-curves.png"}
    for file, digest in files.items():
        assert sha256_of(path.parent / file) == digest, f"{file} is not the file {path.name} was written with"


def test_a_line_reader_trained_in_bfloat16_ships_in_float32(mnist, mnist_path, tmp_path):
    """Mixed precision is how it trains, not what it ships: the ONNX file holds float32 weights
    and reads as its .keras does, and the JSON says how it was trained."""
    import keras
    import onnx

    args = ["train", "--model", "line", "--epochs", "1", "--steps", "3", "--precision", "bfloat16", "--data", str(mnist_path), "--out", str(tmp_path)]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert json.loads((tmp_path / "line.json").read_text())["precision"] == "bfloat16"
    weights = onnx.load(str(tmp_path / "line.onnx")).graph.initializer
    assert {w.data_type for w in weights if len(w.dims) > 1} == {onnx.TensorProto.FLOAT}
    saved = keras.saving.load_model(tmp_path / "line.keras")
    assert {layer.dtype_policy.name for layer in saved.layers} == {"float32"}
    lines = np.pad((mnist.x_test[:64] / 255.0).astype(np.float32).reshape(16, 4, 28, 28).transpose(0, 2, 1, 3).reshape(16, 28, 112), ((0, 0), (2, 2), (0, 0)))
    np.testing.assert_allclose(digitrec.load_model(tmp_path / "line.onnx").line_probabilities(lines), saved.predict(lines[..., None], verbose=0), atol=1e-4)
    wrong = CliRunner().invoke(cli, ["train", "--model", "cnn", "--precision", "bfloat16", "--out", str(tmp_path / "cnn")])
    assert wrong.exit_code != 0 and "is for a fresh --model line" in wrong.output


def small(mnist, n_train: int = 3000):
    return replace(mnist, x_train=mnist.x_train[:n_train], y_train=mnist.y_train[:n_train])


def test_same_seed_same_model_and_other_seed_differs(mnist, tmp_path):
    from digitrec.training.train import TrainConfig, train

    config = TrainConfig(epochs=1)
    first = train(config, small(mnist), tmp_path / "a")
    again = train(config, small(mnist), tmp_path / "b")
    other = train(replace(config, seed=1), small(mnist), tmp_path / "c")
    def scores(metrics):  # everything but the wall-clock seconds
        return [{k: v for k, v in h.items() if k != "elapsed"} for h in metrics["history"]]

    assert scores(first) == scores(again) and first["test_accuracy"] == again["test_accuracy"]
    images = mnist.x_test[:500] / 255.0
    a, b = (digitrec.load_model(tmp_path / d / "mlp.onnx").probabilities(images) for d in "ab")
    np.testing.assert_array_equal(a, b)
    assert scores(other) != scores(first)


def test_without_normalisation_the_runtime_feeds_raw_pixels(mnist, tmp_path):
    import keras

    from digitrec.training.train import TrainConfig, train

    metrics = train(TrainConfig(epochs=1, normalize=False), small(mnist, 10000), tmp_path)
    assert metrics["normalize"] is False
    # Raw 0-255 inputs saturate the softmax at once; training from logits must still learn.
    assert metrics["test_accuracy"] >= 0.75
    raw = mnist.x_test[:200].astype(np.float32)
    expected = keras.saving.load_model(tmp_path / "mlp.keras").predict(raw, verbose=0)
    np.testing.assert_allclose(digitrec.load_model(tmp_path).probabilities(raw / 255.0), expected, atol=1e-4)


@pytest.mark.parametrize("schedule, first_watched", [("constant", 1), ("cosine", 3)])
def test_early_stopping_keeps_the_best_validation_epoch_it_watched(mnist, tmp_path, schedule, first_watched):
    from digitrec.training.train import TrainConfig, train

    data = small(mnist, 2000)
    metrics = train(TrainConfig(epochs=4, patience=1, schedule=schedule), data, tmp_path)
    history = metrics["history"]
    watched = history[first_watched - 1 :]
    assert metrics["kept_epoch"] == max(watched, key=lambda h: h["val_accuracy"])["epoch"]
    # The saved model is that epoch's: it scores that epoch's validation accuracy.
    val_x, val_y = data.x_train[1800:] / 255.0, data.y_train[1800:]
    saved = digitrec.load_model(tmp_path / "mlp.onnx").probabilities(val_x).argmax(1)
    assert (saved == val_y).mean() == pytest.approx(history[metrics["kept_epoch"] - 1]["val_accuracy"], abs=1e-6)


def test_a_short_cnn_training_clearly_learns(mnist, tmp_path):
    from digitrec.training.train import RECIPES, train

    # 600 steps of 64 images with the CNN's own recipe: augmentation, warm-up and cosine decay.
    # Fewer is not enough: BatchNorm's moving statistics (momentum 0.99) lag the weights, and at
    # 300 steps the held-out accuracy is still near chance though training accuracy passes 95%.
    subset = replace(mnist, x_train=mnist.x_train[:7100], y_train=mnist.y_train[:7100])
    config = replace(RECIPES["cnn"], epochs=6, batch_size=64, patience=None, validation_split=0.1)
    metrics = train(config, subset, tmp_path)
    assert len(metrics["history"]) == 6
    assert metrics["history"][-1]["val_accuracy"] >= 0.90  # 710 held-out training images
    assert metrics["history"][-1]["elapsed"] > metrics["history"][0]["elapsed"] > 0
    # Trained on non-digits too, it gives unseen ones (from the held-out digits, another seed) low odds.
    unseen = negatives.make(mnist.x_train[7100:8000], mnist.y_train[7100:8000], 200, seed=99)
    top = digitrec.load_model(tmp_path / "cnn.onnx").probabilities(unseen).max(1)
    assert np.median(top) < 0.4, np.percentile(top, [25, 50, 75])


def test_an_ensemble_averages_its_members_and_resumes(mnist, tmp_path):
    from digitrec.training.train import TrainConfig, train_ensemble

    data = small(mnist, 3000)
    metrics = train_ensemble(TrainConfig(epochs=1), 2, data, tmp_path)
    assert [m["seed"] for m in metrics["members"]] == [0, 1] and metrics["model"] == "mlp-ensemble"
    images = mnist.x_test[:500] / 255.0
    members = [digitrec.load_model(tmp_path / f"seed-{s}" / "mlp.onnx").probabilities(images) for s in (0, 1)]
    combined = digitrec.load_model(tmp_path / "mlp-ensemble.onnx").probabilities(images)
    np.testing.assert_allclose(combined, (members[0] + members[1]) / 2, atol=1e-5)
    assert metrics["test_accuracy"] == pytest.approx(float((digitrec.load_model(tmp_path / "mlp-ensemble.onnx").probabilities(mnist.x_test / 255.0).argmax(1) == mnist.y_test).mean()), abs=1e-4)

    before = [(tmp_path / f"seed-{s}" / "mlp.onnx").stat().st_mtime_ns for s in (0, 1)]
    member = tmp_path / "seed-1" / "mlp.json"  # trained before --precision existed: its metrics lack it
    member.write_text(json.dumps({k: v for k, v in json.loads(member.read_text()).items() if k != "precision"}))
    again = train_ensemble(TrainConfig(epochs=1), 3, data, tmp_path)  # reuses seeds 0 and 1, trains 2
    assert [(tmp_path / f"seed-{s}" / "mlp.onnx").stat().st_mtime_ns for s in (0, 1)] == before
    assert [m["seed"] for m in again["members"]] == [0, 1, 2]


def test_a_short_print_check_training_learns(mnist, tmp_path):
    """The print check's recipe, cut short: it tells printed labels, in faces it never trained in
    where DejaVu is installed, from numbers written with MNIST's test digits."""
    from digitrec.training.printed import PRINTED_FONTS
    from digitrec.training.synthetic import installed_fonts
    from digitrec.training.train import RECIPES, train

    if not installed_fonts(PRINTED_FONTS):
        pytest.skip("no printed face of printed.PRINTED_FONTS is installed (.ci/run installs them)")
    config = replace(RECIPES["printed"], epochs=3, steps=40)
    metrics = train(config, mnist, tmp_path)
    assert len(metrics["history"]) == 3
    assert metrics["test_accuracy"] >= 0.9
    assert {f["package"] for f in metrics["fonts"]} >= {package for package, _ in installed_fonts(PRINTED_FONTS).values()}
    odds = digitrec.load_model(tmp_path / "printed.onnx").line_probabilities(np.zeros((1, 32, 40), np.float32))
    assert odds.shape == (1, 2)
