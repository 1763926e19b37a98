"""Whether a change moved any reading: every reading of a fixed set, by this tree and a baseline's.

A change meant to leave the reading alone (a speed-up, a refactoring, a new option not asked for)
is checked here, reading for reading: realworld-dev's images (every kind), the realistic set's
numbers and non-digits at seed 0, generated pages level and turned 10 degrees, and MNIST's first
test digits, each read with the default model as `digitrec predict` reads it. A reading's
fingerprint is its number, its confidence to six places, and every character's and line's box;
a refused image is its error's type. With --baseline COMMIT the same set is read by that commit
(a git worktree, in a process of its own) and the two compared, group by group.

    python benchmarks/fingerprints.py --data ../shared/data/mnist --realworld ../shared/data/realworld-dev --baseline ce6aed3
    python benchmarks/fingerprints.py --data ../shared/data/mnist --realworld ../shared/data/realworld-dev --out now.json
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from baseline import checkout, running

GROUPS = ("realworld", "realistic", "non-digit", "page", "mnist")


def fingerprints(data: str, realworld: str, mnist_count: int, pages: int) -> dict[str, list]:
    """Every reading of the set, by the digitrec this process imports."""
    import digitrec
    from digitrec.data import load_mnist
    from digitrec.evaluation import pages as generated
    from digitrec.evaluation import realistic
    from digitrec.evaluation.evaluate import REALISTIC_SETS

    reader = digitrec.load_model()

    def of(image) -> list:
        try:
            r = reader.read(image)
        except digitrec.ImageError as e:
            return ["refused", type(e).__name__]
        return [r.number, round(float(r.confidence), 6), [list(c.box) if c.box else None for c in r.characters], [list(line.box) if line.box else None for line in r.lines]]

    out = {}
    root = Path(realworld)
    with open(root / "labels.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[f"realworld/{row['file']}"] = of(root / row["file"])
    mnist = load_mnist(data)
    for name, lengths in REALISTIC_SETS.items():
        for k, sample in enumerate(realistic.numbers(mnist.x_test, mnist.y_test, 300, lengths, 0)):
            out[f"realistic/{name}/{k}"] = of(sample.image)
    for k, sample in enumerate(realistic.non_digits(300, 0)):
        out[f"non-digit/{k}"] = of(sample.image)
    for angle in (0.0, 10.0):
        for k, sample in enumerate(generated.pages(mnist.x_test, mnist.y_test, pages, 0, angle)):
            out[f"page/{angle:g}/{k}"] = of(sample.image)
    for k in range(mnist_count):
        out[f"mnist/{k}"] = of(mnist.x_test[k])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST: mnist.npz or its folder")
    parser.add_argument("--realworld", required=True, help="a folder laid out like realworld-dev")
    parser.add_argument("--mnist", type=int, default=2000, help="MNIST test digits read (the first N)")
    parser.add_argument("--pages", type=int, default=60, help="generated pages, each read level and turned")
    parser.add_argument("--out", type=Path, help="write this tree's fingerprints here (JSON)")
    parser.add_argument("--baseline", help="a commit whose readings this tree's are compared with")
    args = parser.parse_args()
    now = fingerprints(args.data, args.realworld, args.mnist, args.pages)
    if args.out:
        args.out.write_text(json.dumps(now))
    if not args.baseline:
        print(f"{len(now)} readings" + (f", written to {args.out}" if args.out else ""))
        return
    with checkout(args.baseline) as tree, tempfile.TemporaryDirectory() as tmp:
        theirs = Path(tmp) / "baseline.json"
        own = [sys.executable, str(Path(__file__).resolve()), "--data", args.data, "--realworld", args.realworld]
        own += ["--mnist", str(args.mnist), "--pages", str(args.pages), "--out", str(theirs)]
        subprocess.run(own, check=True, env=running(tree / "src"), stdout=subprocess.DEVNULL)
        before = json.loads(theirs.read_text())
    differ = [k for k in now if now[k] != before.get(k)]
    print(f"| readings | {args.baseline} | this tree | differ |")
    print("|---|---:|---:|---:|")
    for group in GROUPS:
        keys = [k for k in now if k.split("/")[0] == group]
        print(f"| {group} | {sum(k in before for k in keys)} | {len(keys)} | {sum(now[k] != before.get(k) for k in keys)} |")
    print(f"| all | {len(before)} | {len(now)} | {len(differ)} |")
    for k in differ[:20]:
        print(f"\n{k}\n  {args.baseline}: {before.get(k)}\n  this tree: {now[k]}")


if __name__ == "__main__":
    main()
