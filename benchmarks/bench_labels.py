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

Then a printed word alone (a label, or a word of letters shaped like digits: "Oslo", "Zoo"),
printed in each DejaVu face and scanned as the forms are: the share read as a sure number (at
UNCERTAIN_BELOW) with the print check's doubt of a lone line (runtime.Recognizer._unless_printed)
and without it.

    python benchmarks/bench_labels.py --data ../shared/data/mnist
"""

from __future__ import annotations

import argparse
from pathlib import Path
from unittest import mock

import numpy as np
from PIL import Image, ImageDraw

from digitrec.constants import UNCERTAIN_BELOW
from digitrec.data import load_mnist
from digitrec.evaluation import pages
from digitrec.evaluation.evaluate import _read
from digitrec.reading.runtime import Recognizer, load_model
from baseline import with_and_without  # benchmarks/ is on the path when a script there runs

DIGIT_LIKE = ("Oslo", "Zoo", "lol", "SOS", "Bob", "Sol", "Solo", "Oil", "Soil", "Bill", "Zola", "Lisbo", "ILO", "Boss", "Gogol", "Ibis", "Lol.", "Silo", "Bogs", "Oz")
"""Words of letters that print like digits (O 0, l I 1, S 5, Z 2, B 8, g 9, G 6)."""


def printed_alone(word: str, face: str, rng: np.random.Generator) -> np.ndarray:
    """word printed alone on paper, 20 to 60 pixels a capital, scanned as pages.labelled's forms."""
    font = pages.with_capitals(face, rng.integers(20, 61))
    left, top, right, bottom = font.getbbox(word)
    margin = int(rng.integers(10, 40))
    paper = Image.new("L", (right - left + 2 * margin, bottom - top + 2 * margin), 0)
    ImageDraw.Draw(paper).text((margin - left, margin - top), word, font=font, fill=255)
    image = np.full((paper.height, paper.width), rng.uniform(200, 245), np.float32) - np.asarray(paper, np.float32) / 255 * rng.uniform(120, 190)
    return pages.scanned(image, rng)


def sure(reader, images: list[np.ndarray]) -> float:
    """The share of images read as a number at UNCERTAIN_BELOW or more."""
    readings = [_read(reader, image) for image in images]
    return float(np.mean([r is not None and r.confidence >= UNCERTAIN_BELOW for r in readings]))


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
            found, base, seconds = with_and_without(reader, shots, mock.patch.object(Recognizer, "_without_print", lambda self, way, regions, height, unruled: (way, regions)))
            print(
                f"| labels {labels}, {kind or 'all'} ({len(shots)}) | {found['lines']} | {found['lines_exact']:.1%} / {found['pages_whole']:.1%} | {base['lines_exact']:.1%} / {base['pages_whole']:.1%} | {1000 * seconds[0]:.0f} / {1000 * seconds[1]:.0f} ms |",
                flush=True,
            )
    faces = [face for face in pages.LABEL_FACES if Path(face).is_file()]
    rng = np.random.default_rng([args.seed, 64])
    print("\n| printed alone, in DejaVu | images | read as a sure number: with the doubt / without |\n|---|---:|---:|")
    for name, words in (("labels", pages.LABELS), ("words shaped like digits", DIGIT_LIKE)):
        images = [printed_alone(word, face, rng) for word in words for face in faces]
        with mock.patch.object(Recognizer, "_unless_printed", lambda self, way, readings, height, unruled, threshold: readings):
            without = sure(reader, images)
        print(f"| {name} | {len(images)} | {sure(reader, images):.1%} / {without:.1%} |", flush=True)


if __name__ == "__main__":
    main()
