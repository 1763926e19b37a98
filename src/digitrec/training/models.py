"""Keras architectures. The digit models take a (batch, 28, 28) image in [0, 1] and return ten
logits; the line reader takes a (batch, 32, width, 1) line and returns logits for each column
of four pixels; the print check takes a word shaped as a line and returns two logits.

Every digit model shares that input shape so the runtime can feed any of them the same array.
Training works on the logits and `with_softmax` adds the softmax for what ships: on the JAX
backend, a loss computed from softmax outputs clips them at 1e-7, and with the post's raw 0-255
inputs the softmax saturates and learning stalls (28.6% after 3 epochs against 93.6% from logits;
tf.keras hides this by reaching back for the logits itself).
"""

from __future__ import annotations

import os

# Keras reads its backend once, at import. Training picks the fastest one for each model
# (constants.TRAINING_BACKENDS) before importing this module; anything else gets JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
from keras import layers  # noqa: E402

from ..constants import IMAGE_SIZE, NUM_CLASSES  # noqa: E402
from ..reading.lines import ALPHABET, LINE_HEIGHT  # noqa: E402
from ..errors import ModelError  # noqa: E402


def mlp() -> keras.Model:
    """The blog post's network: 784 -> 128 ReLU -> 128 ReLU -> 10 (softmax added by with_softmax)."""
    return keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(128, activation="relu"),
            layers.Dense(NUM_CLASSES, name="logits"),
        ],
        name="mlp",
    )


def _conv(x, filters: int, strides: int | tuple[int, int] = 1, any_width: bool = False, normalised: bool = True):
    """A 3x3 convolution, batch normalisation (or, not normalised, a bias) and ReLU. any_width:
    pad explicitly before a strided convolution, since jax2onnx cannot export "same" padding over
    a width it is not told."""
    if strides != 1 and any_width:
        x = layers.Conv2D(filters, 3, strides=strides, use_bias=not normalised)(layers.ZeroPadding2D(1)(x))
    else:
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=not normalised)(x)
    if normalised:
        x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def cnn() -> keras.Model:
    """Five 3x3 conv-BN-ReLU blocks, 28 -> 14 -> 7 by stride-2 convs, global pooling: 141k weights.

    Strided convolutions rather than max-pooling, because jax2onnx exports max-pooling in a form
    ONNX Runtime rejects. The choice among the alternatives tried is in docs/cnn-experiments.md.
    """
    inputs = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE))
    x = layers.Reshape((IMAGE_SIZE, IMAGE_SIZE, 1))(inputs)
    x = _conv(x, 32)
    x = _conv(x, 32, strides=2)
    x = _conv(x, 64)
    x = _conv(x, 64, strides=2)
    x = _conv(x, 128)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    return keras.Model(inputs, layers.Dense(NUM_CLASSES, name="logits")(x), name="cnn")


def line(width: float = 1.0) -> keras.Model:
    """The line reader: seven 3x3 conv blocks over the whole line (32 -> 16 -> 8 -> 4 rows, the
    width halved twice), the height folded into features, two width-wise convolutions for
    context, then a class per column: CTC's blank and lines.ALPHABET. About 0.5M weights;
    width scales every layer's channels (a quick test trains a quarter-width one).

    Convolutions only, no recurrent layer, so the ONNX file takes any width and the export
    stays the one that works here (jax2onnx). Each output frame sees about 50 pixels of the
    line, two digits' width.
    """
    c = lambda n: max(4, round(n * width))  # noqa: E731
    inputs = keras.Input(shape=(LINE_HEIGHT, None, 1))
    x = _conv(inputs, c(16))
    x = _conv(x, c(32), strides=2, any_width=True)
    x = _conv(x, c(32))
    x = _conv(x, c(64), strides=2, any_width=True)
    x = _conv(x, c(64))
    x = _conv(x, c(96), strides=(2, 1), any_width=True)
    x = _conv(x, c(96))
    x = layers.Conv2D(c(192), (LINE_HEIGHT // 8, 1), use_bias=False)(x)  # 4 rows -> 1: one vector per column
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Reshape((-1, c(192)))(x)
    for _ in range(2):
        x = layers.Conv1D(c(192), 3, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Dropout(0.2)(x)
    return keras.Model(inputs, layers.Dense(len(ALPHABET) + 1, name="logits", dtype="float32")(x), name="line")  # float32 logits for CTC under mixed precision


def printed() -> keras.Model:
    """The print check: is a word, shaped as the line reader shapes a line, printed letters? Five
    3x3 convolutions (32 -> 16 -> 8 rows, the width halved twice), then the strongest evidence
    anywhere along the word (a global max), and two logits: a number, or print. About 70k
    weights; any width, as the line reader. No batch normalisation: its moving statistics lag the
    weights in a short training (after 240 steps with it, 96% of a training batch right in
    training mode, 54% in inference mode), and without it 240 steps already tell 98.3% of test
    words, printed in faces never trained in."""
    inputs = keras.Input(shape=(LINE_HEIGHT, None, 1))
    x = _conv(inputs, 16, normalised=False)
    x = _conv(x, 32, strides=2, any_width=True, normalised=False)
    x = _conv(x, 32, normalised=False)
    x = _conv(x, 64, strides=2, any_width=True, normalised=False)
    x = _conv(x, 64, normalised=False)
    x = layers.GlobalMaxPooling2D()(x)
    x = layers.Dropout(0.2)(x)
    return keras.Model(inputs, layers.Dense(2, name="logits")(x), name="printed")


ARCHITECTURES = {"mlp": mlp, "cnn": cnn, "line": line, "printed": printed}


def with_softmax(net: keras.Model) -> keras.Model:
    """The trained network as it ships: probabilities out, as the post's Dense(10, softmax)."""
    return keras.Model(net.inputs, layers.Softmax()(net.outputs[0]), name=net.name)


def without_softmax(shipped: keras.Model) -> keras.Model:
    """A shipped network as it trains again, logits out: with_softmax's inverse."""
    return keras.Model(shipped.inputs, shipped.get_layer("logits").output, name=shipped.name)


def ensemble(members: list[keras.Model], name: str) -> keras.Model:
    """One model that averages the probabilities of several trained ones, for a single ONNX file."""
    inputs = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE))
    # Each member is renamed, since a model's layers need unique names and every member is "cnn".
    outputs = [keras.Model(m.inputs[0], m.outputs[0], name=f"member_{i}")(inputs) for i, m in enumerate(members)]
    return keras.Model(inputs, layers.Average()(outputs), name=name)


def build(name: str) -> keras.Model:
    if name not in ARCHITECTURES:
        raise ModelError(f"unknown architecture {name!r}; choose from {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[name]()
