"""The line reader's training in float32 (the shipped recipe) and in mixed bfloat16, side by side.

Each trains the line recipe from the same seed for --epochs epochs of --steps batches (the whole
recipe is 40 of 300) with `digitrec train --model line --precision P`, one after the other on
this machine, and the table gives each one's seconds an epoch (the median, the first epoch left
out for its start-up), its whole fit, and the share of held-out synthetic lines read exactly
after each epoch. Whether bfloat16 pays depends on the CPU: with AVX512-BF16 or AMX it is native,
without them it is emulated.

    python benchmarks/bench_precision.py --data ../shared/data/mnist --epochs 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    flags = Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else []
    native = sorted({f for f in flags if f in ("avx512_bf16", "amx_bf16")}) or ["none"]
    print(f"CPU bfloat16 support: {', '.join(native)}; {args.epochs} epochs of {args.steps} batches each\n")
    print("| precision | seconds an epoch | fit | held-out lines exact, epoch by epoch |")
    print("|---|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for precision in ("float32", "bfloat16"):
            out = Path(tmp) / precision
            command = [str(Path(sys.executable).parent / "digitrec"), "train", "--model", "line", "--epochs", str(args.epochs), "--steps", str(args.steps)]
            command += ["--precision", precision, "--data", args.data, "--out", str(out)]
            print(f"$ {' '.join(command)}", file=sys.stderr, flush=True)
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            metrics = json.loads((out / "line.json").read_text())
            elapsed = [0.0] + [h["elapsed"] for h in metrics["history"]]
            epochs = [b - a for a, b in zip(elapsed, elapsed[1:])]
            each = statistics.median(epochs[1:] or epochs)
            exact = " / ".join(f"{h['val_exact']:.3f}" for h in metrics["history"])
            print(f"| {precision} | {each:.0f} s | {metrics['training_seconds']:.0f} s | {exact} |", flush=True)


if __name__ == "__main__":
    main()
