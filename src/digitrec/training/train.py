"""Fitting a model on MNIST and saving what the runtime loads: ONNX plus a metrics JSON.

Each architecture has a recipe. The MLP's is the blog post's build_model.py: Adam,
sparse categorical cross-entropy, inputs /255, 3 epochs of batch 32 with the last 10% of the
training set held out for validation. The CNN's is a modern one: augmentation, non-digit
images to say "no digit" to, a cosine schedule with warm-up, and the best epoch on validation
kept. Either way the test set is evaluated before training (as the post did) and once after
it, never used to choose.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, fields, replace
from importlib import metadata
from pathlib import Path

from . import models, negatives  # models picks the Keras backend before keras is imported below
from .augment import affine, as_read, enlarged
from ..constants import NUM_CLASSES
from ..data import Mnist, sha256_of
from ..errors import ModelError
from ..evaluation.evaluate import plot_history

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
    """Stop after this many epochs without a better validation accuracy, keeping the best epoch.

    With the cosine schedule it counts only in the second half: mid-way, while the step is still
    large, validation accuracy plateaus, and stopping there forgoes the gains of the low-rate tail
    (a first run of the CNN recipe stopped at epoch 11 of 20 that way, at 99.40% on validation).
    """
    schedule: str = "constant"
    """"constant", or "cosine": one epoch of linear warm-up to learning_rate, then cosine decay to 0."""
    augment: bool = False
    label_smoothing: float = 0.0
    outliers: float = 0.0
    """Non-digit images (negatives.py) added to each batch, as a fraction of its digits, with even
    odds over the ten classes as their target, so the network learns to give no digit a high
    probability where there is none."""
    as_read: float = 0.0
    """The share of training digits shaped as the reader shapes a crop (augment.as_read) rather
    than as MNIST shaped them; needed with outliers, which are all shaped that way."""
    steps: int = 0
    """Batches an epoch, for the line reader, whose synthetic lines never run out (0: the data's size)."""
    start_from: str | None = None
    """A .keras file this command saved: training goes on from its weights, with a fresh schedule,
    rather than from random ones."""
    buckets: int = 1
    """For the line reader: batches made together, their lines sorted by width so each batch is
    only as wide as its widest line (synthetic.LineMaker.batches); 1 pads every line to the
    training width, as the shipped reader was trained."""
    precision: str = "float32"
    """"float32", or "bfloat16" for the line reader: Keras' mixed_bfloat16 policy, the weights and
    the logits kept in float32 and the network saved in float32. On this machine's CPU (AVX512-BF16)
    an epoch took 105 s against 128 (benchmarks/bench_line_training.py); a CPU without bfloat16
    arithmetic emulates it."""


RECIPES = {
    "mlp": TrainConfig(),
    "cnn": TrainConfig(
        model="cnn",
        epochs=20,
        batch_size=128,
        learning_rate=0.003,
        patience=6,
        schedule="cosine",
        augment=True,
        outliers=0.25,
        as_read=0.5,
    ),
    "line": TrainConfig(
        model="line",
        epochs=40,
        batch_size=64,
        learning_rate=0.003,
        schedule="cosine",
        steps=300,
    ),
    "printed": TrainConfig(
        model="printed",
        epochs=10,
        batch_size=64,
        learning_rate=0.003,
        schedule="cosine",
        steps=300,
    ),
}


class _Batches(keras.utils.PyDataset):
    """Shuffled batches, freshly distorted and joined by non-digits if the recipe says so; the same for the same seed."""

    def __init__(self, x: np.ndarray, x_read: np.ndarray, y: np.ndarray, config: TrainConfig, outliers: np.ndarray):
        super().__init__()
        self.x, self.x_read, self.y, self.config, self.outliers, self.epoch = x, x_read, y, config, outliers, 0
        self.order = np.random.default_rng([config.seed, 0]).permutation(len(x))

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.config.batch_size)

    def __getitem__(self, i: int):
        idx = self.order[i * self.config.batch_size : (i + 1) * self.config.batch_size]
        rng = np.random.default_rng([self.config.seed, self.epoch, i])
        x, y = self.x[idx], self.y[idx]
        if self.config.as_read:
            x = np.where((rng.random(len(idx)) < self.config.as_read)[:, None, None], self.x_read[idx], x)
        if len(self.outliers):
            picked = self.outliers[rng.integers(0, len(self.outliers), round(len(idx) * self.config.outliers))]
            x = np.concatenate([x, picked])
            y = np.concatenate([y, np.full((len(picked), NUM_CLASSES), 1 / NUM_CLASSES, y.dtype)])
        return (affine(x, rng) if self.config.augment else x), y

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = np.random.default_rng([self.config.seed, self.epoch]).permutation(len(self.x))


class _Clock(keras.callbacks.Callback):
    """Logs wall seconds since training began at each epoch's end, for accuracy-against-time
    curves, as "elapsed" (Keras' own line already gives each epoch's time)."""

    def on_train_begin(self, logs=None) -> None:
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs["elapsed"] = time.perf_counter() - self.start


def _without_tensorflow() -> None:
    """Off TensorFlow, tell Keras that TensorFlow is absent. Keras imports it whatever the backend
    to seed it and to check a model's config as it saves, which cost the MLP's training on JAX
    2.6 s of its 13.8 s (profiled while another training shared the cores) and printed its
    start-up lines; nothing here needs it (no tf.data)."""
    if keras.backend.backend() != "tensorflow":
        from keras.src.utils import module_utils

        module_utils.tensorflow._available = False


def train(config: TrainConfig, data: Mnist, out: Path, command: str = "", workers: int = 0) -> dict:
    """Train, evaluate on the test set once, and write <model>.keras/.onnx/.json/-curves.png to out.

    workers: processes making the line reader's synthetic lines (0: two threads of this one). Not
    part of the recipe: the lines are the same either way, only the time differs."""
    if config.model == "line":
        from .train_line import train_line

        return train_line(config, data, out, command, workers)
    if config.model == "printed":
        from .train_printed import train_printed

        return train_printed(config, data, out, command)
    _without_tensorflow()
    keras.utils.set_random_seed(config.seed)
    x, x_test = _scaled(data.x_train, config), _scaled(data.x_test, config)
    y, y_test = data.y_train, data.y_test
    if config.label_smoothing or config.outliers:
        y, y_test = keras.utils.to_categorical(y, NUM_CLASSES), keras.utils.to_categorical(y_test, NUM_CLASSES)
    # The last fraction of the training set, exactly as Keras' validation_split takes it.
    cut = math.ceil(len(x) * (1 - config.validation_split))
    (x_train, y_train), validation = (x[:cut], y[:cut]), (x[cut:], y[cut:])

    model, started = network(config)
    model.compile(optimizer=keras.optimizers.Adam(_learning_rate(config, len(x_train))), loss=_loss(config), metrics=["accuracy"])
    before_loss, before_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"Before training: test accuracy {before_acc:.4f}, loss {before_loss:.4f}", flush=True)

    callbacks = [_Clock()]
    if config.patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy",
                patience=config.patience,
                restore_best_weights=True,
                start_from_epoch=_patience_starts(config),
            )
        )
    if config.augment or config.outliers or config.as_read:
        count = round(config.outliers * len(x_train))  # as many as an epoch uses, each distorted afresh
        outliers = _scaled(255 * negatives.make(data.x_train[:cut], data.y_train[:cut], count, config.seed), config)
        x_read = _scaled(255 * np.stack([as_read(enlarged(d)) for d in data.x_train[:cut]]), config) if config.as_read else x_train
        inputs = dict(x=_Batches(x_train, x_read, y_train, config, outliers))
    else:
        inputs = dict(x=x_train, y=y_train, batch_size=config.batch_size)
    start = time.perf_counter()
    fit = model.fit(
        **inputs,
        epochs=config.epochs,
        validation_data=validation,
        verbose=1 if sys.stdout.isatty() else 2,  # a live bar in a terminal, one line per epoch in logs
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - start

    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"After training:  test accuracy {test_acc:.4f}, loss {test_loss:.4f}  ({seconds:.1f} s)", flush=True)

    history = epochs(fit)
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
        **started,
        **provenance(data, command),
    }
    save(models.with_softmax(model), metrics, out)
    return metrics


def network(config: TrainConfig) -> tuple[keras.Model, dict]:
    """The recipe's network, fresh or (config.start_from) as a saved model left it, and for the
    metrics what it started from: the saved model's own command and training time, since the
    two commands together made what is shipped."""
    if not config.start_from:
        return models.build(config.model), {}
    path = Path(config.start_from)
    if path.suffix != ".keras":
        raise ModelError(f"--start-from takes the .keras file digitrec train saved ({path.stem}.keras, beside {path.stem}.onnx), not {path.name}")
    try:
        made = json.loads(path.with_suffix(".json").read_text())
    except (OSError, ValueError):
        raise ModelError(f"{path.with_suffix('.json')} is missing or unreadable: --start-from needs the metrics digitrec train saved beside {path.name}") from None
    if made.get("model") != config.model:  # before loading: the metrics alone say so
        raise ModelError(f"{path} was trained with --model {made.get('model')}, not {config.model}: go on with --model {made.get('model')}")
    try:
        saved = keras.saving.load_model(path)
    except Exception:  # Keras raises several types for a file that is no model; the user needs which file
        raise ModelError(f"{path} could not be loaded as a Keras model: give a .keras file digitrec train saved") from None
    earlier = {k: made[k] for k in ("command", "training_seconds", "epochs", "started_from") if k in made}  # the whole chain
    return models.without_softmax(saved), {"started_from": earlier}


def epochs(fit: keras.callbacks.History) -> list[dict]:
    """Each epoch's logged figures (the learning rate aside), for the metrics JSON and its curves."""
    logs = fit.history
    return [{"epoch": e + 1, **{k: float(v[e]) for k, v in logs.items() if k != "learning_rate"}} for e in range(len(logs["loss"]))]


def provenance(data: Mnist, command: str) -> dict:
    """What made a model, for its metrics JSON: backend, data, library versions and the command."""
    return {"backend": keras.backend.backend(), "data": {"source": data.source, "sha256": data.sha256}, "versions": _versions(), "command": command}


def train_ensemble(config: TrainConfig, members: int, data: Mnist, out: Path, command: str = "", workers: int = 0) -> dict:
    """Train members with seeds seed, seed + 1, ... in out/seed-K, and ship their averaged probabilities.

    A member already trained in its folder by the same recipe is reused, so an interrupted run
    resumes, and members trained one by one (say, on several machines) can be combined.
    """
    results = []
    for seed in range(config.seed, config.seed + members):
        member, folder = replace(config, seed=seed), out / f"seed-{seed}"
        done = _finished(member, folder)
        if done:
            print(f"Member seed {seed}: reusing {folder} (test accuracy {done['test_accuracy']:.4f})", flush=True)
        results.append(done or train(member, data, folder, command, workers))
    nets = [keras.saving.load_model(out / f"seed-{r['seed']}" / f"{config.model}.keras") for r in results]
    name = f"{config.model}-ensemble"
    combined = models.ensemble(nets, name)
    p = combined.predict(_scaled(data.x_test, config), verbose=0)
    accuracies = np.array([r["test_accuracy"] for r in results])
    metrics = {
        "model": name,
        "architecture": config.model,
        "test_accuracy": float((p.argmax(1) == data.y_test).mean()),
        "test_loss": float(-np.log(p[np.arange(len(p)), data.y_test] + 1e-12).mean()),
        "members": [{k: r[k] for k in ("seed", "test_accuracy", "training_seconds", "command")} for r in results],
        "member_accuracy_mean": float(accuracies.mean()),
        "member_accuracy_std": float(accuracies.std(ddof=1)),
        "parameters": int(combined.count_params()),
        "normalize": config.normalize,
        "data": {"source": data.source, "sha256": data.sha256},
        "versions": _versions(),
        "command": command,
    }
    print(
        f"Ensemble of {members}: test accuracy {metrics['test_accuracy']:.4f}; members "
        f"{metrics['member_accuracy_mean']:.4f} ± {metrics['member_accuracy_std']:.4f}",
        flush=True,
    )
    save(combined, metrics, out)
    return metrics


def _finished(config: TrainConfig, folder: Path) -> dict | None:
    """The metrics of a model already trained in folder with exactly this config, if there is one."""
    path = folder / f"{config.model}.json"
    if not (path.is_file() and path.with_suffix(".keras").is_file() and path.with_suffix(".onnx").is_file()):
        return None
    metrics = json.loads(path.read_text())
    # A setting the metrics lack did not exist when the model was trained: it was at its default.
    defaults = {f.name: f.default for f in fields(TrainConfig)}
    return metrics if all(metrics.get(k, defaults[k]) == v for k, v in asdict(config).items()) else None


def _scaled(images: np.ndarray, config: TrainConfig) -> np.ndarray:
    return images.astype(np.float32) / (255.0 if config.normalize else 1.0)


def _learning_rate(config: TrainConfig, n_train: int):
    if config.schedule == "constant":
        return config.learning_rate
    if config.schedule != "cosine":
        raise ModelError(f"unknown schedule {config.schedule!r}; use constant or cosine")
    steps = math.ceil(n_train / config.batch_size)
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=steps * max(config.epochs - 1, 1), warmup_target=config.learning_rate, warmup_steps=steps
    )


def _loss(config: TrainConfig) -> keras.losses.Loss:
    if config.label_smoothing or config.outliers:
        return keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=config.label_smoothing)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def save(model: keras.Model, metrics: dict, out: Path) -> None:
    """The .keras, the .onnx, the curves, then the metrics JSON with each file's SHA-256: a model
    is shipped by copying all four, and the hashes show when one was left behind."""
    out.mkdir(parents=True, exist_ok=True)
    stem = out / metrics["model"]
    model.save(stem.with_suffix(".keras"))  # first, so a failed export loses no training
    export_onnx(model if keras.backend.backend() == "jax" else stem.with_suffix(".keras"), stem.with_suffix(".onnx"))
    written = [stem.with_suffix(".keras"), stem.with_suffix(".onnx")]
    if "history" in metrics:  # an ensemble has no curves of its own
        title = f"{metrics['model']}: test accuracy {metrics['test_accuracy']:.2%}"
        written.append(stem.with_name(f"{stem.name}-curves.png"))
        plot_history(metrics["history"], written[-1], title)
    files = {path.name: sha256_of(path) for path in written}
    stem.with_suffix(".json").write_text(json.dumps({**metrics, "files": files}, indent=2) + "\n")


def export_onnx(model: keras.Model | Path, path: Path) -> None:
    """Write ONNX: a stack of Dense layers (the MLP) directly, anything else through jax2onnx.

    jax2onnx imports and compiles all its plugins first, 9 of the 12 seconds that training the
    post's MLP took; a Dense stack is four ONNX nodes a layer, written with onnx.helper in a
    fraction of a second. A model trained on another backend is exported from its .keras file
    by a JAX process, since a process has one Keras backend for life.
    """
    if isinstance(model, keras.Model) and _dense_stack_onnx(model, path):
        return
    if not isinstance(model, keras.Model):
        code = "import sys; from digitrec.training.train import export_onnx, keras; export_onnx(keras.saving.load_model(sys.argv[1]), sys.argv[2])"
        env = {**os.environ, "KERAS_BACKEND": "jax"}
        done = subprocess.run([sys.executable, "-c", code, str(model), str(path)], env=env, capture_output=True, text=True)
        if done.returncode:
            raise ModelError(f"ONNX export failed:\n{done.stderr[-2000:]}\nThe trained model is saved at {model}")
        return
    signature = [keras.InputSpec(shape=tuple(model.inputs[0].shape), dtype="float32")]
    try:
        model.export(str(path), format="onnx", input_signature=signature, verbose=False)
    except Exception as e:  # jax2onnx raises many types; the user needs to know the .keras is safe
        raise ModelError(f"ONNX export failed ({e}); the trained model is saved beside {path}") from e


def _dense_stack_onnx(model: keras.Model, path: Path) -> bool:
    """Write a Flatten -> Dense (ReLU or linear) ... -> Softmax network as ONNX; False if it is not one."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    kinds = (keras.layers.Flatten, keras.layers.Dense, keras.layers.Softmax)
    if not layers or not all(isinstance(layer, kinds) for layer in layers) or not isinstance(layers[0], keras.layers.Flatten):
        return False
    shape = list(model.inputs[0].shape[1:])
    nodes, weights, x = [helper.make_node("Reshape", ["input", "flat_shape"], ["x0"])], [numpy_helper.from_array(np.array([-1, int(np.prod(shape))], np.int64), "flat_shape")], "x0"
    for i, layer in enumerate(layers[1:]):
        if isinstance(layer, keras.layers.Softmax):
            nodes.append(helper.make_node("Softmax", [x], [f"s{i}"], axis=-1))
            x = f"s{i}"
            continue
        activation = keras.activations.serialize(layer.activation)
        activation = activation if isinstance(activation, str) else activation.get("config", {}).get("name", activation.get("class_name"))
        if activation not in ("relu", "linear"):
            return False
        kernel, bias = (np.asarray(w, np.float32) for w in layer.get_weights())
        weights += [numpy_helper.from_array(kernel, f"w{i}"), numpy_helper.from_array(bias, f"b{i}")]
        nodes += [helper.make_node("MatMul", [x, f"w{i}"], [f"m{i}"]), helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"])]
        x = f"a{i}"
        if activation == "relu":
            nodes.append(helper.make_node("Relu", [x], [f"r{i}"]))
            x = f"r{i}"
    nodes.append(helper.make_node("Identity", [x], ["output"]))
    graph = helper.make_graph(
        nodes,
        model.name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", *shape])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", None])],
        weights,
    )
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="digitrec")
    onnx.checker.check_model(onnx_model)
    onnx.save(onnx_model, str(path))
    return True


def _patience_starts(config: TrainConfig) -> int:
    """Epochs (counted from 0) before early stopping starts to watch; see TrainConfig.patience."""
    return config.epochs // 2 if config.schedule == "cosine" else 0


def _kept_epoch(history: list[dict], config: TrainConfig) -> int:
    """The epoch whose weights were saved: the last, or with early stopping the best it watched."""
    if not config.patience:
        return len(history)
    watched = history[_patience_starts(config) :] or history
    return max(watched, key=lambda h: h["val_accuracy"])["epoch"]


def _versions() -> dict[str, str]:
    names = ["digitrec", "keras", "jax", "jaxlib", "jax2onnx", "onnx", "tensorflow-cpu", "tensorflow", "numpy"]
    versions = {"python": platform.python_version()}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions

