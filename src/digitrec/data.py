"""Loading MNIST from a local copy (Keras .npz or the original IDX files) and downloading it once.

Where the data comes from, first match wins: an explicit path, the DIGITREC_DATA environment
variable, then the per-user cache that `digitrec data download` fills.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs

from .constants import IMAGE_SIZE, NUM_CLASSES
from .errors import DataError

ENV_VAR = "DIGITREC_DATA"

# The mirror keras.datasets.mnist uses, and the SHA-256 Keras pins for it.
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

NPZ_NAME = "mnist.npz"
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
_IDX_UBYTE = 0x08  # the only IDX element type MNIST uses


@dataclass(frozen=True)
class Mnist:
    """The four MNIST arrays, uint8, plus where they came from (for the metrics JSON)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    sha256: dict[str, str]


def cache_dir() -> Path:
    return platformdirs.user_cache_path("digitrec")


def locate(path: str | os.PathLike | None = None) -> Path | None:
    """Where MNIST would be read from, or None if there is no local copy."""
    if path is not None:
        return Path(path).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    cached = cache_dir() / NPZ_NAME
    return cached if cached.is_file() else None


def load_mnist(path: str | os.PathLike | None = None) -> Mnist:
    """Load MNIST from a .npz file, or a folder holding mnist.npz or the four IDX files."""
    where = locate(path)
    if where is None:
        raise DataError(
            "MNIST not found. Run `digitrec data download`, or point at a local copy with "
            f"--data PATH or the {ENV_VAR} environment variable (a mnist.npz file or a folder "
            "of the four IDX files)."
        )
    if where.is_file():
        return load_npz(where)
    if not where.is_dir():
        raise DataError(f"{where}: no such file or folder")
    if (where / NPZ_NAME).is_file():
        return load_npz(where / NPZ_NAME)
    return load_idx_folder(where)


def load_npz(path: str | os.PathLike) -> Mnist:
    """Load the Keras layout: x_train, y_train, x_test, y_test."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in IDX_NAMES if k not in f.files]
            if missing:
                raise DataError(f"{path}: not a Keras MNIST file, missing arrays {missing}")
            arrays = {k: f[k] for k in IDX_NAMES}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"{path}: cannot read as .npz ({e}); the file may be truncated or corrupt") from e
    _check(arrays, str(path))
    return Mnist(**arrays, source=str(path), sha256={path.name: sha256_of(path)})


def load_idx_folder(folder: str | os.PathLike) -> Mnist:
    """Load the four original IDX files from a folder, gzipped or not."""
    folder = Path(folder)
    arrays, hashes = {}, {}
    for key, name in IDX_NAMES.items():
        candidates = [folder / name, folder / f"{name}.gz"]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise DataError(f"{folder}: holds neither {NPZ_NAME} nor {name}[.gz]")
        arrays[key] = read_idx(found)
        hashes[found.name] = sha256_of(found)
    _check(arrays, str(folder))
    return Mnist(**arrays, source=str(folder), sha256=hashes)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Parse one IDX file of unsigned bytes (gzipped if the name ends in .gz)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: cannot read ({e}); the file may be truncated or corrupt") from e
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] != _IDX_UBYTE:
        raise DataError(
            f"{path}: wrong magic number 0x{raw[:4].hex()}, expected 0x00000801 (labels) "
            "or 0x00000803 (images); this is not an MNIST IDX file"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated inside its header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(raw) != expected:
        raise DataError(f"{path}: {len(raw)} bytes, but its header promises {expected}; the file is truncated or corrupt")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _check(arrays: dict[str, np.ndarray], source: str) -> None:
    """Refuse anything that is not MNIST-shaped, so training never starts on bad data."""
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or y.dtype != np.uint8:
            raise DataError(f"{source}: {split} arrays are {x.dtype}/{y.dtype}, expected uint8")
        if x.ndim != 3 or x.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise DataError(f"{source}: x_{split} has shape {x.shape}, expected (N, {IMAGE_SIZE}, {IMAGE_SIZE})")
        if y.ndim != 1 or len(y) != len(x):
            raise DataError(f"{source}: y_{split} has shape {y.shape}, expected ({len(x)},) to match x_{split}")
        if len(x) == 0:
            raise DataError(f"{source}: the {split} split is empty")
        if y.max() >= NUM_CLASSES:
            raise DataError(f"{source}: y_{split} holds label {y.max()}, expected 0-9")


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    url: str = MNIST_URL,
    sha256: str = MNIST_SHA256,
    dest: str | os.PathLike | None = None,
    progress: bool | None = None,
) -> Path:
    """Fetch mnist.npz into the cache, verify it, and only then give it its final name.

    progress=None shows a bar only when stderr is a terminal.
    """
    from tqdm import tqdm  # only the download needs it

    dest = Path(dest) if dest is not None else cache_dir() / NPZ_NAME
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    tmp = tempfile.NamedTemporaryFile(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part", delete=False)
    try:
        with tmp, urllib.request.urlopen(url, timeout=30) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=None if progress is None else not progress) as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    tmp.write(block)
                    digest.update(block)
                    bar.update(len(block))
        if digest.hexdigest() != sha256:
            raise DataError(
                f"{url}: SHA-256 is {digest.hexdigest()}, expected {sha256}; the download is corrupt "
                "or the mirror changed. Nothing was saved."
            )
        os.replace(tmp.name, dest)
    except (urllib.error.URLError, OSError) as e:
        raise DataError(
            f"could not download {url} ({getattr(e, 'reason', e)}). Check the network, or use a local "
            f"copy with --data PATH or {ENV_VAR}."
        ) from e
    finally:
        Path(tmp.name).unlink(missing_ok=True)
    return dest
