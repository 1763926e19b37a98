"""The print check's recipe: a small convolutional network that tells a printed word from a number.

Its words (printed.WordMaker) are made once, before training: config.steps batches of
config.batch_size, shuffled every epoch. Validation words are made the same way from MNIST's unseen
training tail; the test words from MNIST's test digits, with print in the faces the training
never saw (printed.HELD_OUT_FONTS) where they are installed.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict

import keras
import numpy as np

from . import models
from ..data import Mnist
from .printed import HELD_OUT_FONTS, PRINTED_FONTS, WordMaker
from .synthetic import LineMaker, installed_fonts
from .train import TrainConfig, _Batches, _Clock, _learning_rate, epochs, network, provenance, save

CHECK_WORDS = 1000
"""Words in the validation set, and in the test set."""


def train_printed(config: TrainConfig, data: Mnist, out, command: str = "") -> dict:
    keras.utils.set_random_seed(config.seed)
    cut = int(len(data.x_train) * (1 - config.validation_split))  # MNIST's tail stays unseen, as for the other models
    hands, faces = tuple(sorted(installed_fonts())), tuple(sorted(installed_fonts(PRINTED_FONTS)))
    if not faces:
        raise SystemExit("The print check needs printed faces to learn from: apt-get install fonts-liberation2 fonts-croscore (printed.PRINTED_FONTS).")
    held_out = tuple(sorted(installed_fonts(HELD_OUT_FONTS))) or faces
    maker = WordMaker(LineMaker(data.x_train[:cut], data.y_train[:cut], hands), faces)
    pixels, labels = maker.batch(np.random.default_rng([config.seed, 1]), config.steps * config.batch_size)
    validation = WordMaker(LineMaker(data.x_train[cut:], data.y_train[cut:], hands), faces).batch(np.random.default_rng([config.seed, 2]), CHECK_WORDS)
    test = WordMaker(LineMaker(data.x_test, data.y_test, hands), held_out).batch(np.random.default_rng([config.seed, 3]), CHECK_WORDS)
    print(f"Print check: {len(faces)} printed faces, {len(hands)} handwriting fonts, {len(labels)} words", flush=True)

    model, started = network(config)
    model.compile(
        optimizer=keras.optimizers.Adam(_learning_rate(config, len(labels))),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    # The digit models' shuffled batches, a fresh order every epoch, with nothing added to them.
    words = _Batches(pixels, pixels, labels, config, outliers=np.empty(0, np.float32))
    fit = model.fit(words, epochs=config.epochs, validation_data=validation, verbose=1 if sys.stdout.isatty() else 2, callbacks=[_Clock()])
    seconds = time.perf_counter() - start
    _, test_acc = model.evaluate(*test, verbose=0)
    print(f"After training: test words {test_acc:.4f} (print in {len(held_out)} faces {'never seen' if held_out != faces else 'seen'})  ({seconds:.1f} s)", flush=True)
    history = epochs(fit)
    metrics = {
        "model": "printed",
        "test_accuracy": float(test_acc),
        "history": history,
        "training_seconds": round(seconds, 2),
        "kept_epoch": len(history),
        "parameters": int(model.count_params()),
        **asdict(config),
        **started,
        "fonts": [{"file": path, "package": package, "licence": licence} for path, (package, licence) in sorted({**installed_fonts(), **installed_fonts(PRINTED_FONTS)}.items())],
        "test_fonts": list(held_out),
        **provenance(data, command),
    }
    save(models.with_softmax(model), metrics, out)
    return metrics
