"""Shared fixtures: real MNIST when it is available, and a guard that keeps every test offline."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

# Some tests import keras themselves, perhaps before digitrec does; digitrec trains on JAX.
os.environ["KERAS_BACKEND"] = "jax"

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"
HOW_TO = (
    "real MNIST not found: set DIGITREC_DATA to a mnist.npz file or a folder of the four IDX files "
    "(CI uses ../shared/data/mnist), or run `digitrec data download` and point DIGITREC_DATA at the cached file"
)


def _local(host) -> bool:
    return isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1", ""))


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No test may reach the network: anything but loopback fails as if the machine were offline."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        if not _local(host):
            raise socket.gaierror(f"tests are offline: refused to resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self, address):
        if self.family != socket.AF_UNIX and not _local(address[0]):
            raise OSError(f"tests are offline: refused to connect to {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    path = Path(os.environ["DIGITREC_DATA"]) if os.environ.get("DIGITREC_DATA") else SHARED_MNIST
    if not path.exists():
        pytest.skip(HOW_TO)
    return path


@pytest.fixture(scope="session")
def mnist(mnist_path):
    from digitrec.data import load_mnist

    return load_mnist(mnist_path)


@pytest.fixture(scope="session")
def texture():
    """A page of 5,041 short strokes: more marks than any page of numbers (constants.MAX_MARKS), so
    the line reader refuses it as texture."""
    import cv2
    import numpy as np

    image = np.full((1000, 1000), 255, np.uint8)
    for y in range(5, 995, 14):
        for x in range(5, 995, 14):
            cv2.line(image, (x, y), (x + 3, y + 10), 0, 2)
    return image


@pytest.fixture(scope="session")
def reader():
    """The shipped line reader."""
    from digitrec.reading.runtime import load_model

    return load_model("line")


@pytest.fixture(scope="session")
def digits(mnist):
    """MNIST's test digits to write pages with: the reader never saw them."""
    from digitrec.evaluation import pages

    return pages.Digits(mnist.x_test, mnist.y_test)
