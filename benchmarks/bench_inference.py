"""Inference throughput: ONNX Runtime against Keras, on the same weights, side by side in one run.

For each shipped model (MLP and CNN) and batch sizes 1, 64 and 1024, images per second through
- digitrec's runtime (ONNX Runtime),
- Keras `model.predict(x)`,
- a direct Keras call `model(x, training=False)`,
on real MNIST test digits. Keras runs on the backend given by KERAS_BACKEND (default JAX).

    python benchmarks/bench_inference.py --data ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from digitrec.data import load_mnist  # noqa: E402
from digitrec.reading.runtime import ARTIFACTS, load_model  # noqa: E402


def rate(run, batch: np.ndarray, seconds: float) -> float:
    """Images per second of run(batch), repeated for about `seconds` after a warm-up call."""
    run(batch)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        run(batch)
        done += len(batch)
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="mnist.npz or a folder of IDX files (default: $DIGITREC_DATA)")
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn"])
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent on each measurement")
    args = parser.parse_args()
    images = load_mnist(args.data).x_test.astype(np.float32) / 255.0

    print(f"{os.cpu_count()} CPUs, Keras {keras.__version__} on {keras.backend.backend()}; images/s, higher is better\n")
    print("| model | batch | ONNX Runtime | Keras predict | Keras direct call | ONNX vs best Keras |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in args.models:
        onnx = load_model(name)
        net = keras.saving.load_model(ARTIFACTS / f"{name}.keras")
        for size in (1, 64, 1024):
            batch = images[:size]
            ort = rate(onnx.probabilities, batch, args.seconds)
            predict = rate(lambda b: net.predict(b, batch_size=len(b), verbose=0), batch, args.seconds)
            direct = rate(lambda b: np.asarray(net(b, training=False)), batch, args.seconds)
            print(f"| {name} | {size} | {ort:,.0f} | {predict:,.0f} | {direct:,.0f} | {ort / max(predict, direct):.1f}x |", flush=True)


if __name__ == "__main__":
    main()
