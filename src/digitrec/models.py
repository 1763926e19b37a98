"""Keras architectures. Each takes a (batch, 28, 28) image in [0, 1] and returns ten probabilities.

Every model shares that input shape so the runtime can feed any of them the same array.
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
    """The blog post's network: 784 -> 128 ReLU -> 128 ReLU -> 10 softmax."""
    return keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mlp",
    )


ARCHITECTURES = {"mlp": mlp}


def build(name: str) -> keras.Model:
    if name not in ARCHITECTURES:
        raise ModelError(f"unknown architecture {name!r}; choose from {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[name]()
