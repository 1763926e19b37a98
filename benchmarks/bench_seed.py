"""digitrec against the blog post's own programs, side by side in one run.

- Training: `digitrec train --model mlp` (Keras 3 on JAX) against the post's build_model.py
  (tf.keras), both the post's recipe: 3 epochs, batch 32, 10% validation, on the same data.
- Predicting one image: `digitrec predict` (ONNX Runtime), with the MLP and the CNN, against the
  post's main.py.

Each is a whole process, timed from start to exit, with its peak resident memory from wait4().
The post's programs need TensorFlow, which digitrec does not: give its interpreter with --tf-python.

    python benchmarks/bench_seed.py --data ../shared/data/mnist --tf-python .venv-seed/bin/python
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMAGE = HERE.parent / "samples" / "7-centred.png"


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB, and stdout of one run of `command`."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(command)}")
    return wall, usage.ru_maxrss / 1024, out


def repeat(command: list[str], env: dict[str, str], times: int) -> tuple[float, float, str]:
    runs = [measure(command, env) for _ in range(times)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder holding mnist.npz, or the file")
    parser.add_argument("--tf-python", required=True, help="a Python with TensorFlow, for the post's programs")
    parser.add_argument("--train-runs", type=int, default=1)
    parser.add_argument("--predict-runs", type=int, default=5)
    args = parser.parse_args()

    npz = Path(args.data) / "mnist.npz" if Path(args.data).is_dir() else Path(args.data)
    digitrec = shutil.which("digitrec", path=str(Path(sys.executable).parent)) or "digitrec"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}
    work = Path(tempfile.mkdtemp(prefix="bench-seed-"))
    post_model = work / "handwritten.keras"

    rows = []
    wall, mib, out = repeat([args.tf_python, str(HERE / "post" / "build_model.py"), str(npz), str(post_model)], env, args.train_runs)
    accuracy = float(re.findall(r"^(0\.\d+)$", out, re.M)[0])
    rows.append(("train, 3 epochs", "post build_model.py (tf.keras)", wall, mib, f"{accuracy:.2%}"))
    wall, mib, out = repeat([digitrec, "train", "--model", "mlp", "--data", str(npz), "--out", str(work / "digitrec")], env, args.train_runs)
    accuracy = float(re.search(r"test accuracy (0\.\d+), loss [\d.]+  \(", out).group(1))
    rows.append(("train, 3 epochs", "digitrec train (Keras 3 + JAX)", wall, mib, f"{accuracy:.2%}"))

    wall, mib, out = repeat([args.tf_python, str(HERE / "post" / "main.py"), str(IMAGE), str(post_model)], env, args.predict_runs)
    rows.append(("predict 1 image", "post main.py (tf.keras)", wall, mib, out.strip().splitlines()[-1]))
    for model in ("mlp", "cnn"):
        wall, mib, out = repeat([digitrec, "predict", "--model", model, str(IMAGE)], env, args.predict_runs)
        rows.append(("predict 1 image", f"digitrec predict --model {model} (ONNX Runtime)", wall, mib, out.split("  (")[0]))

    print(f"{os.cpu_count()} CPUs; train runs: {args.train_runs}, predict runs: {args.predict_runs} (median wall, max peak RSS)\n")
    print("| task | program | wall s | peak MiB | result |")
    print("|---|---|---:|---:|---|")
    for task, program, wall, mib, result in rows:
        print(f"| {task} | {program} | {wall:.2f} | {mib:.0f} | {result} |")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
