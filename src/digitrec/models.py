"""Keras architectures. Each takes a (batch, 28, 28) image in [0, 1] and returns ten logits.

Every model shares that input shape so the runtime can feed any of them the same array.
Training works on the logits and `with_softmax` adds the softmax for what ships: on the JAX
backend, a loss computed from softmax outputs clips them at 1e-7, and with the post's raw 0-255
inputs the softmax saturates and learning stalls (28.6% after 3 epochs against 93.6% from logits;
tf.keras hides this by reaching back for the logits itself).
"""

from __future__ import annotations

import os

# Training, and its ONNX export through jax2onnx, are built and measured on the JAX backend.
os.environ["KERAS_BACKEND"] = "jax"

import keras  # noqa: E402

from .constants import IMAGE_SIZE, NUM_CLASSES  # noqa: E402
from .errors import ModelError  # noqa: E402

if keras.backend.backend() != "jax":
    raise ModelError(
        f"Keras was already imported with the {keras.backend.backend()} backend; digitrec trains on JAX. "
        "Import digitrec's training before keras, or set KERAS_BACKEND=jax."
    )


def mlp() -> keras.Model:
    """The blog post's network: 784 -> 128 ReLU -> 128 ReLU -> 10 (softmax added by with_softmax)."""
    return keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(NUM_CLASSES, name="logits"),
        ],
        name="mlp",
    )


ARCHITECTURES = {"mlp": mlp}


def with_softmax(net: keras.Model) -> keras.Model:
    """The trained network as it ships: probabilities out, as the post's Dense(10, softmax)."""
    return keras.Model(net.inputs, keras.layers.Softmax()(net.outputs[0]), name=net.name)


def build(name: str) -> keras.Model:
    if name not in ARCHITECTURES:
        raise ModelError(f"unknown architecture {name!r}; choose from {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[name]()
