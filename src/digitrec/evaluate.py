"""Metrics and plots: how good a model is, and where it goes wrong."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .constants import NUM_CLASSES

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
