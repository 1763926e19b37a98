"""Make the bundled sample images from MNIST *test* digits, in poses that trip up naive pipelines.

Each file is named <true digit>-<pose>.png. The digit used for each is the first test image
of that class, so nothing is hand-picked. Two photo-like numbers come from the generated
realistic set (digitrec.evaluation.realistic), named number-<true number>-<condition>.jpg, with the
first image of seeds 0 and 1 taken as it comes. Run from the repository root:

    python samples/make_samples.py --data ../shared/data/mnist
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from digitrec.evaluation import realistic
from digitrec.data import load_mnist


def first_of(digit: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return x[np.flatnonzero(y == digit)[0]]


def place(ink: np.ndarray, canvas: tuple[int, int], size: int, centre: tuple[int, int]) -> np.ndarray:
    """Scale a 28x28 digit to size x size and paste its ink (0-255) centred at (row, col)."""
    big = cv2.resize(ink, (size, size), interpolation=cv2.INTER_CUBIC)
    out = np.zeros(canvas, np.uint8)
    top, left = centre[0] - size // 2, centre[1] - size // 2
    out[top : top + size, left : left + size] = big
    return out


def on_paper(ink: np.ndarray, paper: int, pen: int) -> np.ndarray:
    """Ink strength 0-255 drawn in colour `pen` on a background of colour `paper`."""
    a = ink.astype(np.float32) / 255.0
    return np.clip(paper * (1 - a) + pen * a, 0, 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="mnist.npz or a folder of IDX files (default: $DIGITREC_DATA)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    m = load_mnist(args.data)
    x, y = m.x_test, m.y_test

    samples = {
        # Filling the frame, dark on white: what the post's pipeline expects.
        "7-centred.png": on_paper(place(first_of(7, x, y), (280, 280), 280, (140, 140)), 255, 20),
        # The post's own failure: a 1 on the far right of the page.
        "1-far-right.png": on_paper(place(first_of(1, x, y), (280, 280), 140, (140, 205)), 255, 20),
        # Small, in the corner of a wide page.
        "4-small-corner.png": on_paper(place(first_of(4, x, y), (300, 400), 84, (60, 60)), 250, 30),
        # Chalk on a blackboard: light ink on dark.
        "3-light-on-dark.png": on_paper(place(first_of(3, x, y), (320, 320), 224, (150, 170)), 35, 235),
        # Grey paper, off-centre, a little rotated.
        "2-rotated.png": on_paper(
            cv2.warpAffine(
                place(first_of(2, x, y), (300, 300), 180, (130, 160)),
                cv2.getRotationMatrix2D((160, 130), 15, 1.0),
                (300, 300),
            ),
            200,
            40,
        ),
        # Large canvas, digit in the lower left, light on dark.
        "9-lower-left-dark.png": on_paper(place(first_of(9, x, y), (400, 400), 120, (300, 90)), 10, 250),
    }
    for seed, condition in enumerate(("photo", "ruled")):
        number = next(realistic.numbers(x, y, 1, (4, 4), seed=seed, conditions=(condition,)))
        samples[f"number-{number.number}-{condition}.jpg"] = cv2.cvtColor(number.image, cv2.COLOR_RGB2BGR)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, image in samples.items():
        cv2.imwrite(str(args.out / name), image, [cv2.IMWRITE_JPEG_QUALITY, 90] if name.endswith(".jpg") else [])
        print(args.out / name)


if __name__ == "__main__":
    main()
