"""The line reader's training, the shipped recipe against variants of it, side by side.

Each variant trains the line recipe from the same seed for --epochs epochs of --steps batches
(the whole recipe is 40 of 300) with `digitrec train --model line` and the variant's options,
one after the other on this machine, and the table gives each one's seconds an epoch (the
median, the first epoch left out for its start-up), its whole fit, and the share of held-out
synthetic lines read exactly after each epoch. By default: the recipe, `--buckets 4` (batches
only as wide as their lines) and `--precision bfloat16` (whether that pays depends on the CPU:
with AVX512-BF16 or AMX it is native, without them it is emulated).

    python benchmarks/bench_line_training.py --data ../shared/data/mnist --epochs 3
    python benchmarks/bench_line_training.py --data ../shared/data/mnist --variant "" --variant "--buckets 8"
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

VARIANTS = ("", "--buckets 4", "--precision bfloat16")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--variant", action="append", help='options added to the recipe ("" for the recipe itself); repeat for several')
    args = parser.parse_args()
    flags = Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else []
    native = sorted({f for f in flags if f in ("avx512_bf16", "amx_bf16")}) or ["none"]
    print(f"CPU bfloat16 support: {', '.join(native)}; {args.epochs} epochs of {args.steps} batches each\n")
    print("| variant | seconds an epoch | fit | held-out lines exact, epoch by epoch |")
    print("|---|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for i, variant in enumerate(args.variant or VARIANTS):
            out = Path(tmp) / str(i)
            command = [str(Path(sys.executable).parent / "digitrec"), "train", "--model", "line", "--epochs", str(args.epochs), "--steps", str(args.steps)]
            command += [*shlex.split(variant), "--data", args.data, "--out", str(out)]
            print(f"$ {shlex.join(command)}", file=sys.stderr, flush=True)
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            metrics = json.loads((out / "line.json").read_text())
            elapsed = [0.0] + [h["elapsed"] for h in metrics["history"]]
            epochs = [b - a for a, b in zip(elapsed, elapsed[1:])]
            each = statistics.median(epochs[1:] or epochs)
            exact = " / ".join(f"{h['val_exact']:.3f}" for h in metrics["history"])
            print(f"| {variant or 'the recipe'} | {each:.0f} s | {metrics['training_seconds']:.0f} s | {exact} |", flush=True)


if __name__ == "__main__":
    main()
