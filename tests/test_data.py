"""Dataset loading: the Keras .npz and the IDX files, good and broken, and the verified download."""

from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest

from digitrec import data
from digitrec.data import IDX_NAMES, DataError, download, load_idx_folder, load_mnist, load_npz, read_idx


def tiny(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 5, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 3, dtype=np.uint8),
    }


def write_idx(path, array: np.ndarray, magic_type: int = 0x08) -> None:
    header = bytes([0, 0, magic_type, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)


def assert_same(m, arrays) -> None:
    for key, value in arrays.items():
        got = getattr(m, key)
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, value)


def test_npz_round_trip(tmp_path):
    arrays = tiny()
    np.savez(tmp_path / "mnist.npz", **arrays)
    m = load_npz(tmp_path / "mnist.npz")
    assert_same(m, arrays)
    assert m.sha256 == {"mnist.npz": hashlib.sha256((tmp_path / "mnist.npz").read_bytes()).hexdigest()}
    assert_same(load_mnist(tmp_path), arrays)  # a folder holding mnist.npz


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, suffix):
    arrays = tiny(1)
    for key, name in IDX_NAMES.items():
        write_idx(tmp_path / f"{name}{suffix}", arrays[key])
    m = load_idx_folder(tmp_path)
    assert_same(m, arrays)
    assert sorted(m.sha256) == sorted(f"{n}{suffix}" for n in IDX_NAMES.values())
    assert_same(load_mnist(tmp_path), arrays)


def test_environment_variable_and_missing_data(tmp_path, monkeypatch):
    arrays = tiny(2)
    np.savez(tmp_path / "x.npz", **arrays)
    monkeypatch.setenv("DIGITREC_DATA", str(tmp_path / "x.npz"))
    assert_same(load_mnist(), arrays)

    monkeypatch.delenv("DIGITREC_DATA")
    monkeypatch.setattr(data, "cache_dir", lambda: tmp_path / "empty-cache")
    with pytest.raises(DataError, match="digitrec data download.*DIGITREC_DATA"):
        load_mnist()
    with pytest.raises(DataError, match="no such file or folder"):
        load_mnist(tmp_path / "nowhere")


def bad_npz(tmp_path, **changes):
    arrays = {**tiny(), **changes}
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(tmp_path / "bad.npz", **arrays)
    return tmp_path / "bad.npz"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"y_test": None}, r"missing arrays \['y_test'\]"),
        ({"x_train": np.zeros((5, 27, 27), np.uint8)}, r"shape \(5, 27, 27\)"),
        ({"x_train": np.zeros((5, 28, 28), np.float32)}, "expected uint8"),
        ({"y_train": np.full(5, 10, np.uint8)}, "label 10"),
        ({"y_train": np.zeros(4, np.uint8)}, "to match x_train"),
        ({"x_test": np.zeros((0, 28, 28), np.uint8), "y_test": np.zeros(0, np.uint8)}, "test split is empty"),
    ],
)
def test_npz_with_wrong_contents(tmp_path, changes, message):
    path = bad_npz(tmp_path, **changes)
    with pytest.raises(DataError, match=message) as e:
        load_npz(path)
    assert str(path) in str(e.value)


def test_truncated_and_non_zip_npz(tmp_path):
    np.savez(tmp_path / "full.npz", **tiny())
    raw = (tmp_path / "full.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "text.npz").write_text("not a zip")
    for name in ("cut.npz", "text.npz"):
        with pytest.raises(DataError, match=f"{name}: cannot read"):
            load_npz(tmp_path / name)


def test_broken_idx_files(tmp_path):
    images = np.zeros((4, 28, 28), np.uint8)
    write_idx(tmp_path / "ok", images)
    raw = (tmp_path / "ok").read_bytes()

    (tmp_path / "short").write_bytes(raw[:-10])
    with pytest.raises(DataError, match="short: .*truncated"):
        read_idx(tmp_path / "short")

    (tmp_path / "magic").write_bytes(b"\x12\x34" + raw[2:])
    with pytest.raises(DataError, match="wrong magic number 0x1234"):
        read_idx(tmp_path / "magic")

    write_idx(tmp_path / "floats", images, magic_type=0x0D)
    with pytest.raises(DataError, match="wrong magic number"):
        read_idx(tmp_path / "floats")

    packed = gzip.compress(raw)
    (tmp_path / "cut.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match="cut.gz: cannot read"):
        read_idx(tmp_path / "cut.gz")

    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(DataError, match="wrong magic number"):
        read_idx(tmp_path / "empty")


def test_idx_folder_with_a_missing_file(tmp_path):
    arrays = tiny()
    for key, name in list(IDX_NAMES.items())[:3]:
        write_idx(tmp_path / name, arrays[key])
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)


def test_download_verifies_and_saves_atomically(tmp_path):
    source = tmp_path / "served.npz"
    np.savez(source, **tiny())
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    dest = tmp_path / "cache" / "mnist.npz"

    with pytest.raises(DataError, match="SHA-256.*Nothing was saved"):
        download(source.as_uri(), "0" * 64, dest, progress=False)
    assert list(dest.parent.iterdir()) == []  # no half-written or unverified file left behind

    assert download(source.as_uri(), digest, dest, progress=False) == dest
    assert dest.read_bytes() == source.read_bytes()
    assert list(dest.parent.iterdir()) == [dest]


def test_download_offline_gives_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="could not download .*--data PATH"):
        download("https://mirror.invalid/mnist.npz", "0" * 64, tmp_path / "m.npz", progress=False)
    assert not (tmp_path / "m.npz").exists()


def test_real_mnist_npz_and_idx_agree(mnist, mnist_path):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert np.bincount(mnist.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    if (mnist_path / "t10k-images-idx3-ubyte.gz").exists():
        idx = load_idx_folder(mnist_path)
        for key in IDX_NAMES:
            np.testing.assert_array_equal(getattr(idx, key), getattr(mnist, key))
