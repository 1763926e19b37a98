"""The line reader's recipe: a convolutional network with a CTC output, trained on synthetic lines.

The lines are made afresh for every batch (synthetic.LineMaker, the same for the same seed) from
MNIST's training digits and the installed handwriting fonts, in two threads beside the
training. An epoch is a fixed number of batches, since the lines never run out. Progress is
judged on a fixed set of synthetic validation lines, read whole (exactly right or not); MNIST's
test digits, each read as a one-digit line, are evaluated once at the end, never used to choose.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import asdict, dataclass, field

import keras
import numpy as np
from keras import ops

from . import models
from ..data import Mnist
from ..reading.lines import ALPHABET, decode, line_input, padded
from .synthetic import LineMaker, LinePool, installed_fonts, text_of
from .train import TrainConfig, _Clock, _learning_rate, epochs, network, provenance, save

VALIDATION_LINES = 1000


def ctc_loss(y_true, y_pred):
    """CTC over every output frame, labels padded with the blank (class 0)."""
    y_true = ops.cast(y_true, "int32")
    lengths = ops.sum(ops.cast(y_true > 0, "int32"), axis=1)
    frames = ops.full((ops.shape(y_pred)[0],), ops.shape(y_pred)[1], "int32")
    return ops.ctc_loss(y_true, y_pred, lengths, frames, mask_index=0)


def texts(probabilities: np.ndarray) -> list[str]:
    """The best-path reading of each line in a batch of (N, frames, classes) outputs."""
    return ["".join(c.char for c in decode(p)[0]) for p in probabilities]


class _Lines(keras.utils.PyDataset):
    """Batches of fresh synthetic lines, made config.buckets at a time (LineMaker.batches); batch
    i of epoch e is the same for the same seed, made by two threads here or by that many worker
    processes. A thread that asks for a batch of a group being made waits for it."""

    def __init__(self, maker: LineMaker, config: TrainConfig, workers: int):
        threads = max(2, workers)  # with workers, each thread waits on one batch being made
        super().__init__(workers=threads, use_multiprocessing=False, max_queue_size=max(10, 2 * threads))
        self.maker, self.config, self.epoch = maker, config, 0
        self.pool = LinePool(maker, workers) if workers else None
        self.groups: dict[tuple[int, int], _Group] = {}
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return self.config.steps

    def __getitem__(self, i: int):
        n, k = divmod(i, self.config.buckets)
        key = (self.epoch, n)
        with self.lock:
            group = self.groups.setdefault(key, _Group())
        with group.lock:
            if not group.batches:
                seed, size = [self.config.seed, 1 + self.epoch, n], self.config.batch_size
                count = min(self.config.buckets, self.config.steps - n * self.config.buckets)
                group.batches = self.pool.batches(seed, size, count) if self.pool else self.maker.batches(np.random.default_rng(seed), size, count)
            group.taken += 1
            if group.taken == len(group.batches):
                with self.lock:
                    del self.groups[key]
            return group.batches[k]

    def on_epoch_end(self) -> None:
        self.epoch += 1


@dataclass
class _Group:
    batches: list = field(default_factory=list)
    taken: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _ExactLines(keras.callbacks.Callback):
    """Logs the share of validation lines read exactly right, as val_exact."""

    def __init__(self, pixels: np.ndarray, labels: list[str]):
        super().__init__()
        self.pixels, self.labels = pixels, labels

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        read = texts(np.asarray(ops.softmax(self.model.predict(self.pixels, verbose=0, batch_size=256))))
        logs["val_exact"] = float(np.mean([a == b for a, b in zip(read, self.labels)]))


def mnist_as_lines(images: np.ndarray, width: int = 64) -> np.ndarray:
    """MNIST digits as the line reader sees them, each a one-digit line padded to width."""
    return padded([line_input(image).pixels for image in images], width)[..., None]


def train_line(config: TrainConfig, data: Mnist, out, command: str = "", workers: int = 0) -> dict:
    keras.utils.set_random_seed(config.seed)
    cut = int(len(data.x_train) * (1 - config.validation_split))  # MNIST's tail stays unseen, as for the digit models
    fonts = installed_fonts()
    maker = LineMaker(data.x_train[:cut], data.y_train[:cut], tuple(sorted(fonts)))
    held_out = LineMaker(data.x_train[cut:], data.y_train[cut:], tuple(sorted(fonts)))
    val_pixels, val_labels = held_out.batch(np.random.default_rng([config.seed, 0]), VALIDATION_LINES)
    val_texts = [text_of(row) for row in val_labels]
    print(f"Line reader: {len(fonts)} fonts, {config.steps} batches of {config.batch_size} lines an epoch", flush=True)

    keras.mixed_precision.set_global_policy("mixed_bfloat16" if config.precision == "bfloat16" else "float32")
    lines = _Lines(maker, config, workers)
    try:
        model, started = network(config)
        n_lines = config.steps * config.batch_size
        model.compile(optimizer=keras.optimizers.Adam(_learning_rate(config, n_lines), clipnorm=5.0), loss=ctc_loss)
        start = time.perf_counter()
        fit = model.fit(
            lines,
            epochs=config.epochs,
            validation_data=(val_pixels, val_labels),
            verbose=1 if sys.stdout.isatty() else 2,
            callbacks=[_Clock(), _ExactLines(val_pixels, val_texts)],
        )
        seconds = time.perf_counter() - start
    finally:
        keras.mixed_precision.set_global_policy("float32")
        if lines.pool:
            lines.pool.close()
    if config.precision != "float32":  # the trained weights in a float32 network, as it ships
        trained, model = model, models.build(config.model)
        model.set_weights(trained.get_weights())

    shipped = models.with_softmax(model)
    test_read = texts(shipped.predict(mnist_as_lines(data.x_test), verbose=0, batch_size=256))
    test_acc = float(np.mean([r == str(y) for r, y in zip(test_read, data.y_test)]))
    print(f"After training: MNIST test digits read as lines {test_acc:.4f}; validation lines exact {fit.history['val_exact'][-1]:.4f}  ({seconds:.1f} s)", flush=True)
    history = epochs(fit)
    metrics = {
        "model": "line",
        "test_accuracy": test_acc,
        "validation_exact": fit.history["val_exact"][-1],
        "history": history,
        "training_seconds": round(seconds, 2),
        "kept_epoch": len(history),
        "parameters": int(model.count_params()),
        **asdict(config),
        **started,
        "alphabet": ALPHABET,
        "fonts": [{"file": path, "package": package, "licence": licence} for path, (package, licence) in sorted(fonts.items())],
        **provenance(data, command),
    }
    save(shipped, metrics, out)
    return metrics

