"""A reading-path change judged across many line readers: realworld-dev read with each, by a baseline commit's code and by this tree's.

One network's gain on 200 images can be its own luck: a second look at each unsure digit lifted
the shipped reader's logbook cells and lost them on nine other networks of ten (release 13). So a
change to the clean-up, the layout or the decoding is read with every reader at hand (the shipped
one, other trainings of the recipe, short ones), each by `digitrec evaluate MODEL --realworld
--json` in a fresh process, once with the baseline's code (a git worktree) and once with this
tree's. Prints each reader's exact share per pool before and after, the mean, and how many
readers went up and how many down.

    python benchmarks/bench_readers.py ../shared/data/realworld-dev line runs/line28 runs/dev29/r/* --baseline 9339710
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from baseline import REPO, checkout, running


def scores(src: Path, model: str, folder: str) -> dict[str, float]:
    """Each pool's share read exactly (non-digits: accepted), as `digitrec evaluate --realworld` gives it."""
    command = [sys.executable, "-m", "digitrec", "evaluate", model, "--realworld", folder, "--json"]
    done = subprocess.run(command, env=running(src), capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.splitlines()[-1])["scores"]
    return {pool: r.get("exact", r.get("accepted")) for pool, r in result.items() if not pool.endswith(": all") or pool == "nondigit: all"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="a folder laid out like realworld-dev (labels.csv)")
    parser.add_argument("models", nargs="+", help="shipped names, .onnx files or their folders")
    parser.add_argument("--baseline", required=True, help="the commit to compare with")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="readers read at once")
    args = parser.parse_args()
    with checkout(args.baseline) as baseline, ThreadPoolExecutor(args.jobs) as pool:
        runs = {(m, when): pool.submit(scores, src, m, args.folder) for m in args.models for when, src in (("before", baseline / "src"), ("after", REPO / "src"))}
        results = {key: run.result() for key, run in runs.items()}
    pools = [p for p in results[(args.models[0], "before")] if p != "nondigit: all"] + ["nondigit: all"]
    print(f"{args.folder}, {len(args.models)} readers; baseline {args.baseline}; exact (non-digits: accepted), before -> after\n")
    print("| reader | " + " | ".join(pools) + " |")
    print("|---|" + "---:|" * len(pools))
    for m in args.models:
        before, after = results[(m, "before")], results[(m, "after")]
        print(f"| {m} | " + " | ".join(f"{100 * before[p]:.1f} -> {100 * after[p]:.1f}" for p in pools) + " |")
    means = {when: {p: 100 * sum(results[(m, when)][p] for m in args.models) / len(args.models) for p in pools} for when in ("before", "after")}
    print("| mean | " + " | ".join(f"{means['before'][p]:.2f} -> {means['after'][p]:.2f}" for p in pools) + " |")
    moved = [[results[(m, "after")][p] - results[(m, "before")][p] for m in args.models] for p in pools]
    print("| readers up / down | " + " | ".join(f"{sum(d > 1e-9 for d in ds)} / {sum(d < -1e-9 for d in ds)}" for ds in moved) + " |")


if __name__ == "__main__":
    main()
