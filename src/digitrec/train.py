"""Fitting a model on MNIST and saving what the runtime loads: ONNX plus a metrics JSON.

The defaults are the blog post's build_model.py: Adam, sparse categorical cross-entropy,
inputs /255, an evaluation before training, 3 epochs of batch 32 with 10% held out for
validation, and a final evaluation on the test set.
"""

from __future__ import annotations

import contextlib
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from . import models  # sets the JAX backend before keras is imported below
from .constants import IMAGE_SIZE
from .data import Mnist
from .errors import ModelError
from .evaluate import plot_history

import keras  # noqa: E402  (after models, which picks the backend)
import numpy as np  # noqa: E402


@dataclass(frozen=True)
class TrainConfig:
    model: str = "mlp"
    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 0.001  # Adam's default, which the post used
    seed: int = 0
    validation_split: float = 0.1
    normalize: bool = True
    patience: int | None = None
    """Stop after this many epochs without a better validation accuracy, keeping the best epoch."""


def train(config: TrainConfig, data: Mnist, out: Path, command: str = "") -> dict:
    """Train, evaluate on the test set once, and write <model>.keras/.onnx/.json/-curves.png to out."""
    keras.utils.set_random_seed(config.seed)
    scale = 255.0 if config.normalize else 1.0
    x_train = data.x_train.astype(np.float32) / scale
    x_test = data.x_test.astype(np.float32) / scale

    model = models.build(config.model)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    before_loss, before_acc = model.evaluate(x_test, data.y_test, verbose=0)
    print(f"Before training: test accuracy {before_acc:.4f}, loss {before_loss:.4f}", flush=True)

    callbacks = []
    if config.patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=config.patience, restore_best_weights=True)
        )
    start = time.perf_counter()
    fit = model.fit(
        x_train,
        data.y_train,
        epochs=config.epochs,
        batch_size=config.batch_size,
        validation_split=config.validation_split,
        verbose=1 if sys.stdout.isatty() else 2,  # a live bar in a terminal, one line per epoch in logs
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - start

    test_loss, test_acc = model.evaluate(x_test, data.y_test, verbose=0)
    print(f"After training:  test accuracy {test_acc:.4f}, loss {test_loss:.4f}  ({seconds:.1f} s)", flush=True)

    history = [
        {"epoch": e + 1, **{k: float(v[e]) for k, v in fit.history.items()}} for e in range(len(fit.history["loss"]))
    ]
    metrics = {
        "model": config.model,
        "test_accuracy": float(test_acc),
        "test_loss": float(test_loss),
        "before_training": {"test_accuracy": float(before_acc), "test_loss": float(before_loss)},
        "history": history,
        "training_seconds": round(seconds, 2),
        "kept_epoch": _kept_epoch(history, config),
        "parameters": int(model.count_params()),
        **asdict(config),
        "data": {"source": data.source, "sha256": data.sha256},
        "versions": _versions(),
        "command": command,
    }
    save(models.with_softmax(model), metrics, out)
    return metrics


def save(model: keras.Model, metrics: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stem = out / metrics["model"]
    model.save(stem.with_suffix(".keras"))  # first, so a failed export loses no training
    signature = [keras.InputSpec(shape=(None, IMAGE_SIZE, IMAGE_SIZE), dtype="float32")]
    try:
        model.export(str(stem.with_suffix(".onnx")), format="onnx", input_signature=signature, verbose=False)
    except Exception as e:  # jax2onnx raises many types; the user needs to know the .keras is safe
        raise ModelError(f"ONNX export failed ({e}); the trained model is saved at {stem.with_suffix('.keras')}") from e
    stem.with_suffix(".json").write_text(json.dumps(metrics, indent=2) + "\n")
    title = f"{metrics['model']}: test accuracy {metrics['test_accuracy']:.2%}"
    plot_history(metrics["history"], stem.with_name(f"{stem.name}-curves.png"), title)


def _kept_epoch(history: list[dict], config: TrainConfig) -> int:
    """The epoch whose weights were saved: the last, or with early stopping the best on validation."""
    if not config.patience:
        return len(history)
    return max(history, key=lambda h: h["val_accuracy"])["epoch"]


def _versions() -> dict[str, str]:
    names = ["digitrec", "keras", "jax", "jaxlib", "jax2onnx", "onnx", "numpy"]
    versions = {"python": platform.python_version()}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions
