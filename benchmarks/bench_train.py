"""Training speed: validation accuracy against wall seconds, side by side in one run.

By default it trains the CNN recipe on TensorFlow (digitrec's choice) and on JAX, one after the
other on the same data, and the post's MLP for reference; then it prints the seconds each took
to reach 99.0% and 99.5% validation accuracy and plots the curves.

    python benchmarks/bench_train.py --data ../shared/data/mnist --epochs 8 --plot runs/bench-train.png
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TARGETS = (0.99, 0.995)


def run(label: str, args: list[str], data: str, work: Path) -> dict:
    out = work / label.replace(" ", "-")
    command = [str(Path(sys.executable).parent / "digitrec"), "train", *args, "--data", data, "--out", str(out)]
    print(f"$ {' '.join(command)}", file=sys.stderr, flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads(next(out.glob("*.json")).read_text())


def first_reaching(history: list[dict], target: float) -> str:
    hit = next((h for h in history if h["val_accuracy"] >= target), None)
    return f"{hit['seconds']:.0f} s (epoch {hit['epoch']})" if hit else "not reached"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=8, help="epochs for each CNN run")
    parser.add_argument("--plot", type=Path, default=Path("runs/bench-train.png"))
    args = parser.parse_args()

    cnn = ["--model", "cnn", "--epochs", str(args.epochs), "--early-stopping", str(args.epochs)]
    runs = {
        "cnn on tensorflow": cnn + ["--backend", "tensorflow"],
        "cnn on jax": cnn + ["--backend", "jax"],
        "mlp (the post's recipe) on jax": ["--model", "mlp"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        results = {label: run(label, a, args.data, Path(tmp)) for label, a in runs.items()}

    print("| run | epochs | s/epoch | best val accuracy | to 99.0% val | to 99.5% val | test accuracy |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, m in results.items():
        h = m["history"]
        best = max(x["val_accuracy"] for x in h)
        cells = [label, len(h), f"{h[-1]['seconds'] / len(h):.1f}", f"{best:.2%}", *(first_reaching(h, t) for t in TARGETS)]
        print("| " + " | ".join(map(str, cells)) + f" | {m['test_accuracy']:.2%} |")

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, m in results.items():
        ax.plot([0] + [x["seconds"] for x in m["history"]], [10] + [100 * x["val_accuracy"] for x in m["history"]], "o-", label=label)
    for t in TARGETS:
        ax.axhline(100 * t, color="grey", lw=0.8, ls=":")
    ax.set(xlabel="wall seconds of training (2 CPU cores)", ylabel="validation accuracy (%)", ylim=(97, 100), title="Accuracy against time")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    args.plot.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.plot, dpi=110)
    print(f"\nWrote {args.plot}")


if __name__ == "__main__":
    main()
