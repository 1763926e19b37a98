"""Metrics and plots: how good a model is, and where it goes wrong."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from .constants import CENTRE, IMAGE_SIZE, NUM_CLASSES
from .errors import NoDigitError

_EPS = 1e-7  # the clip Keras applies before log in cross-entropy, so losses compare


@dataclass(frozen=True)
class Report:
    accuracy: float
    loss: float
    precision: list[float]
    recall: list[float]
    confusion: list[list[int]]
    """confusion[true][predicted]"""
    count: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def report(probabilities: np.ndarray, labels: np.ndarray) -> Report:
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    hits = np.diag(confusion).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.nan_to_num(hits / confusion.sum(axis=0))
        recall = np.nan_to_num(hits / confusion.sum(axis=1))
    picked = probabilities[np.arange(len(labels)), labels]
    return Report(
        accuracy=float((predicted == labels).mean()),
        loss=float(-np.log(np.clip(picked, _EPS, 1.0)).mean()),
        precision=[round(float(p), 6) for p in precision],
        recall=[round(float(r), 6) for r in recall],
        confusion=confusion.tolist(),
        count=int(len(labels)),
    )


def format_report(r: Report) -> str:
    lines = [f"accuracy {r.accuracy:.2%}   loss {r.loss:.4f}   ({r.count} images)", "", "digit  precision  recall"]
    lines += [f"{d:>5}  {p:>9.2%}  {q:>6.2%}" for d, (p, q) in enumerate(zip(r.precision, r.recall))]
    lines += ["", "confusion matrix (rows: true digit, columns: predicted)", "      " + "".join(f"{d:>6}" for d in range(NUM_CLASSES))]
    lines += [f"{d:>6}" + "".join(f"{n:>6}" for n in row) for d, row in enumerate(r.confusion)]
    return "\n".join(lines)


def _pyplot():
    """matplotlib with a file-only backend: imported late, because predicting never plots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(r: Report, path: Path, title: str = "") -> None:
    plt = _pyplot()
    cm = np.array(r.confusion)
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    im = ax.imshow(np.log1p(cm), cmap="Blues")
    for (i, j), n in np.ndenumerate(cm):
        ax.text(j, i, str(n), ha="center", va="center", fontsize=7, color="white" if i == j else "black")
    ax.set(xticks=range(NUM_CLASSES), yticks=range(NUM_CLASSES), xlabel="predicted", ylabel="true")
    ax.set_title(f"{title} accuracy {r.accuracy:.2%}".strip())
    fig.colorbar(im, ax=ax, label="log(1 + count)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_mistakes(images: np.ndarray, labels: np.ndarray, probabilities: np.ndarray, path: Path, count: int = 36) -> int:
    """A gallery of the most confident mistakes; returns how many it shows."""
    plt = _pyplot()
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    worst = wrong[np.argsort(-probabilities[wrong, predicted[wrong]])][:count]
    cols = 6
    rows = max(1, -(-len(worst) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.6, rows * 1.9), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, worst):
        ax.imshow(images[i], cmap="gray_r")
        ax.set_title(f"true {labels[i]}, said {predicted[i]}\n{probabilities[i, predicted[i]]:.1%} sure", fontsize=8)
    fig.suptitle("Most confident mistakes" if len(worst) else "No mistakes")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return len(worst)


def plot_history(history: list[dict], path: Path, title: str = "") -> None:
    """Loss and accuracy per epoch, train and validation."""
    plt = _pyplot()
    epochs = [h["epoch"] for h in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric in ((left, "loss"), (right, "accuracy")):
        for prefix, style in (("", "o-"), ("val_", "s--")):
            points = [(e, h[prefix + metric]) for e, h in zip(epochs, history) if prefix + metric in h]
            if points:
                ax.plot(*zip(*points), style, label=("validation " if prefix else "train ") + metric)
        ax.set(xlabel="epoch", ylabel=metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------- robustness


def _shift(pixels: int) -> Callable[[np.ndarray, int], np.ndarray]:
    """Move by `pixels`, in turn right, left, down and up across the images."""
    directions = [(1, 0), (-1, 0), (0, 1), (0, -1)]

    def move(image: np.ndarray, i: int) -> np.ndarray:
        dx, dy = directions[i % 4]
        matrix = np.float32([[1, 0, dx * pixels], [0, 1, dy * pixels]])
        return cv2.warpAffine(image, matrix, (IMAGE_SIZE, IMAGE_SIZE))

    return move


def _rotate(degrees: float) -> Callable[[np.ndarray, int], np.ndarray]:
    """Rotate about MNIST's centre, alternately clockwise and anticlockwise."""

    def turn(image: np.ndarray, i: int) -> np.ndarray:
        matrix = cv2.getRotationMatrix2D((CENTRE[1], CENTRE[0]), degrees if i % 2 else -degrees, 1.0)
        return cv2.warpAffine(image, matrix, (IMAGE_SIZE, IMAGE_SIZE), flags=cv2.INTER_LINEAR)

    return turn


_KERNEL = np.ones((2, 2), np.uint8)
DISTORTIONS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "original": lambda image, i: image,
    "shift 2 px": _shift(2),
    "shift 4 px": _shift(4),
    "shift 6 px": _shift(6),
    "rotate 15°": _rotate(15),
    "rotate 30°": _rotate(30),
    "thinner (erode 2x2)": lambda image, i: cv2.erode(image, _KERNEL),
    "thicker (dilate 2x2)": lambda image, i: cv2.dilate(image, _KERNEL),
}


def robustness(models: dict, images: np.ndarray, labels: np.ndarray) -> dict[str, dict[str, float]]:
    """Accuracy under each distortion, for each model, as is and after MNIST-style re-centring.

    models maps a name to anything with .probabilities(batch); images are uint8 MNIST digits.
    Returns {distortion: {"<model>" or "<model> + re-centring": accuracy}}.
    """
    from .preprocess import mnist as recentre

    table = {}
    for name, distort in DISTORTIONS.items():
        moved = np.stack([distort(image, i) for i, image in enumerate(images)])
        centred, found = [], []
        for image in moved:
            try:
                centred.append(recentre(image))
                found.append(True)
            except NoDigitError:  # a stroke eroded away: counts as a miss
                centred.append(np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32))
                found.append(False)
        row = {}
        for model_name, model in models.items():
            row[model_name] = float((model.probabilities(moved / 255.0).argmax(1) == labels).mean())
            hits = model.probabilities(np.stack(centred)).argmax(1) == labels
            row[f"{model_name} + re-centring"] = float((hits & np.array(found)).mean())
        table[name] = row
    return table


def format_table(table: dict[str, dict[str, float]]) -> str:
    columns = list(next(iter(table.values())))
    lines = ["| distortion | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    lines += [f"| {name} | " + " | ".join(f"{row[c]:.2%}" for c in columns) + " |" for name, row in table.items()]
    return "\n".join(lines)


def plot_robustness(table: dict[str, dict[str, float]], path: Path) -> None:
    plt = _pyplot()
    names, columns = list(table), list(next(iter(table.values())))
    width = 0.8 / len(columns)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    for k, column in enumerate(columns):
        xs = np.arange(len(names)) + (k - (len(columns) - 1) / 2) * width
        ax.bar(xs, [100 * table[n][column] for n in names], width, label=column, hatch="//" if "re-centring" in column else None)
    ax.set_xticks(range(len(names)), names, rotation=20, ha="right")
    ax.set(ylabel="test accuracy (%)", ylim=(0, 100), title="Accuracy on distorted MNIST test digits")
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
