"""A filled-in form: numbers handwritten beside labels ("Amount", "Weight (kg)", "Tel:"), printed
or written by hand, read with the print check setting the labels aside
(runtime.Recognizer._without_print) and without it (the baseline, as release 35 read such
forms), in one run.

Each image is evaluation.pages.labelled: 2 to 5 rows of a label and a number of 1 to 6 MNIST test
digits written after it, 0.6 to 2 times the writing's height away, the labels 0.4 to 1.0 times as
tall as the writing, on a printed field line half of the time; scanned (blur, noise, JPEG). The
labels are real words (the print check trained on made-up ones), printed in DejaVu, or written
in the numbers' ink in Comic Neue (a print-like hand) or Kristi (a cursive one): faces the check
never trained in. Scored as `digitrec evaluate --pages` scores pages: the numbers read exactly,
and the forms read with every number found and nothing more (a label read as a line is invented).

    python benchmarks/bench_labels.py --data ../shared/data/mnist
"""

from __future__ import annotations

import argparse
from pathlib import Path
from unittest import mock

import numpy as np

from digitrec.data import load_mnist
from digitrec.evaluation import pages
from digitrec.reading.runtime import Recognizer, load_model
from baseline import with_and_without  # benchmarks/ is on the path when a script there runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST (mnist.npz or the IDX folder): its test digits write the numbers")
    parser.add_argument("--forms", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    mnist = load_mnist(args.data)
    reader, digits = load_model("line"), pages.Digits(mnist.x_test, mnist.y_test)
    print("| forms | numbers | print check: exact / forms whole | baseline: exact / forms whole | time a form, print check / baseline |")
    print("|---|---:|---:|---:|---:|")
    groups = [("printed in DejaVu", pages.LABEL_FACES, False), *((f"written in {name}", faces, True) for name, faces in pages.HANDWRITTEN_LABEL_FACES.items())]
    for stream, (labels, faces, written) in enumerate(groups, 61):
        if not all(Path(face).is_file() for face in faces):
            print(f"| labels {labels}: not installed ({', '.join(faces)}) | | | | |")
            continue
        rng = np.random.default_rng([args.seed, stream])
        forms = [pages.labelled(digits, rng, faces, written) for _ in range(args.forms)]
        for kind in ("form", "lined form", None):
            shots = [f for f in forms if kind in (None, f.paper)]
            found, base, seconds = with_and_without(reader, shots, mock.patch.object(Recognizer, "_without_print", lambda self, way, regions, height: (way, regions)))
            print(
                f"| labels {labels}, {kind or 'all'} ({len(shots)}) | {found['lines']} | {found['lines_exact']:.1%} / {found['pages_whole']:.1%} | {base['lines_exact']:.1%} / {base['pages_whole']:.1%} | {1000 * seconds[0]:.0f} / {1000 * seconds[1]:.0f} ms |",
                flush=True,
            )


if __name__ == "__main__":
    main()
