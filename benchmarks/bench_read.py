"""Reading speed: one image in process, and a whole `digitrec predict` process, per model, side by side.

For each model (the line reader, and the digit CNN and MLP as baselines) it reads a 7 drawn on
the web page's 280x280 canvas (strokes 22 px wide) and the photo-like sample number, in this
process after a warm-up (median of --repeat reads), then times whole `digitrec predict --model M
IMAGE` processes of each (median of --runs, after an untimed first run), start-up, imports and
model loading included, digitrec's bytecode compiled as an installed package's is. With
--baseline COMMIT it also times that commit's whole `digitrec predict` (from a git worktree),
each run alternating with one of this tree's, so a busy machine slows both alike. With --steps it
instead times the steps of reading the drawing's PNG with the line reader, as a server's reader
does (one thread): the mean milliseconds a read spends in each (a step's time includes the
steps it calls; the timers themselves add a little).

    python benchmarks/bench_read.py
    python benchmarks/bench_read.py --models line --baseline 6b1678b
    python benchmarks/bench_read.py --steps
"""

from __future__ import annotations

import argparse
import collections
import functools
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import cv2
import numpy as np

from baseline import REPO, checkout, running
from digitrec.reading.runtime import load_model


def drawing() -> np.ndarray:
    canvas = np.full((280, 280), 255, np.uint8)
    cv2.polylines(canvas, [np.int32([(70, 60), (210, 60), (120, 230)])], False, 0, 22, cv2.LINE_AA)
    return canvas


def in_process(read: Callable[[], object], repeat: int) -> float:
    """Milliseconds one call of read takes in this process: the median of repeat, after a warm-up."""
    read()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        read()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def whole_process(model: str, path: Path, trees: list[Path], runs: int) -> list[float]:
    """Seconds a whole `digitrec predict` of path takes with each tree's code: the median of runs,
    the trees taking turns."""
    times: list[list[float]] = [[] for _ in trees]
    for tree in trees:  # a first run each, untimed: it compiles the tree's bytecode (baseline.running)
        subprocess.run([sys.executable, "-m", "digitrec", "predict", "--model", model, str(path)], check=True, capture_output=True, env=running(tree / "src"))
    for _ in range(runs):
        for tree, taken in zip(trees, times):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "digitrec", "predict", "--model", model, str(path)], check=True, capture_output=True, env=running(tree / "src"))
            taken.append(time.perf_counter() - start)
    return [statistics.median(taken) for taken in times]


STEPS = {
    "decode": ("reading.decode", "pages"),
    "the sheet step": ("reading.sheet", "find"),
    "the clean-up (ink, mask, form boxes, ways)": ("reading.runtime", "_cleaned"),
    "the layout: text height": ("reading.layout", "text_height"),
    "the layout: lines": ("reading.layout", "find_lines"),
    "the lines read (inputs, networks, decoding)": ("reading.runtime", "Recognizer._read_regions"),
    "of which the line reader's network": ("reading.runtime", "Recognizer.line_probabilities"),
    "of which the second look (the CNN and its input)": ("reading.runtime", "Recognizer._looked_again"),
}
"""The steps --steps times: a label, and the function's module (under digitrec) and name there."""


def steps(repeat: int) -> None:
    """The mean time a read of the drawing's PNG spends in each of STEPS, as a server's reader reads it."""
    import importlib

    from digitrec.reading.runtime import load_worker_model

    spent: collections.Counter = collections.Counter()
    for label, (module, name) in STEPS.items():
        *path, name = name.split(".")
        owner = importlib.import_module(f"digitrec.{module}")
        for part in path:
            owner = getattr(owner, part)
        f = getattr(owner, name)

        def timed(*args, _f=f, _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                spent[_label] += time.perf_counter() - start

        setattr(owner, name, functools.wraps(f)(timed))
    reader, png = load_worker_model("line"), cv2.imencode(".png", drawing())[1].tobytes()
    for _ in range(20):
        reader.read(png)
    spent.clear()
    start = time.perf_counter()
    for _ in range(repeat):
        reader.read(png)
    total = time.perf_counter() - start
    print(f"A 280x280 drawing's PNG read {repeat} times by the line reader, on one thread\n")
    print("| step | ms a read |\n|---|---:|")
    for label in STEPS:
        print(f"| {label} | {1000 * spent[label] / repeat:.2f} |")
    print(f"| the whole read | {1000 * total / repeat:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["line", "cnn", "mlp"])
    parser.add_argument("--repeat", type=int, default=200, help="reads in process, per image")
    parser.add_argument("--runs", type=int, default=5, help="whole processes, per image and tree")
    parser.add_argument("--baseline", help="a commit whose whole `digitrec predict` to time beside this tree's")
    parser.add_argument("--steps", action="store_true", help="instead, time each step of reading the drawing, as a server's reader does")
    args = parser.parse_args()
    if args.steps:
        steps(max(args.repeat, 500))
        return
    photo = REPO / "samples" / "number-8405-photo.jpg"
    with tempfile.TemporaryDirectory() as tmp, checkout(args.baseline) if args.baseline else nullcontext() as baseline:
        trees = [REPO, baseline] if baseline else [REPO]
        drawn = Path(tmp) / "drawing.png"
        cv2.imwrite(str(drawn), drawing())
        print("| model | 280x280 drawing, in process | photo of a number, in process | whole `digitrec predict`: drawing | photo |")
        print("|---|---:|---:|---:|---:|")
        for name in args.models:
            model = load_model(name)
            drawn_image, photo_image = drawing(), cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
            a = in_process(lambda: model.read(drawn_image), args.repeat)
            b = in_process(lambda: model.read(photo_image), args.repeat)
            whole = [whole_process(name, image, trees, args.runs) for image in (drawn, photo)]
            print(f"| {name} | {a:.2f} ms | {b:.2f} ms | {whole[0][0]:.3f} s | {whole[1][0]:.3f} s |", flush=True)
            if args.baseline:
                print(f"| {name} at {args.baseline} | | | {whole[0][1]:.3f} s | {whole[1][1]:.3f} s |", flush=True)


if __name__ == "__main__":
    main()
