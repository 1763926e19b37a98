"""Metrics and plots: how good a model is, and where it goes wrong."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from ..constants import CENTRE, IMAGE_SIZE, NUM_CLASSES
from ..errors import DataError, ImageError, NoDigitError
from ..reading.lines import SEPARATORS

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
    right_metric = "accuracy" if any("accuracy" in h for h in history) else "exact"  # the line reader's lines read exactly
    for ax, metric in ((left, "loss"), (right, right_metric)):
        for prefix, style in (("", "o-"), ("val_", "s--")):
            points = [(e, h[prefix + metric]) for e, h in zip(epochs, history) if prefix + metric in h]
            if points:
                ax.plot(*zip(*points), style, label=("validation " if prefix else "train ") + metric)
        ax.set(xlabel="epoch", ylabel=metric)
        ax.xaxis.get_major_locator().set_params(integer=True)  # whole epochs
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
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
    """Accuracy under each distortion, for each model, as is and after the default preprocessing
    (the clean-up and MNIST-style re-centring of preprocess.prepare).

    models maps a name to anything with .probabilities(batch); images are uint8 MNIST digits.
    Returns {distortion: {"<model>" or "<model> + re-centring": accuracy}}.
    """
    from ..reading.preprocess import prepare

    table = {}
    for name, distort in DISTORTIONS.items():
        moved = np.stack([distort(image, i) for i, image in enumerate(images)])
        centred, found = [], []
        for image in moved:
            try:
                centred.append(prepare(image))
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


def format_table(table: dict[str, dict[str, float]], label: str = "distortion") -> str:
    """A markdown table of percentages; a missing cell is shown as a dash."""
    columns = list(dict.fromkeys(c for row in table.values() for c in row))
    lines = [f"| {label} | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    cell = lambda row, c: f"{row[c]:.1%}" if c in row else "–"  # noqa: E731
    lines += [f"| {name} | " + " | ".join(cell(row, c) for c in columns) + " |" for name, row in table.items()]
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


# ---------------------------------------------------------------- the realistic set

REALISTIC_SETS = {"single digits": (1, 1), "4-digit numbers": (4, 4), "1-10 digits": (1, 10)}


def realistic(recognizer, x_test: np.ndarray, y_test: np.ndarray, count: int, seed: int = 0, threshold: float | None = None, separators: str | None = None) -> dict:
    """Read the generated realistic set with both pipelines; see digitrec.evaluation.realistic.

    Returns {"accuracy": {condition: {column: rate}}, "non-digits": {kind: {column: rate}},
    "confidences": {...}} where a column is "<set>, <pipeline>", the rate of images read exactly
    right, or "<set>, digits right, <pipeline>", the share of digits right (by edit distance).
    Non-digit rates are of images reported as a confident number.
    """
    from . import realistic as synth
    from ..constants import UNCERTAIN_BELOW

    threshold = UNCERTAIN_BELOW if threshold is None else threshold
    accuracy: dict[str, dict[str, float]] = {}
    confidences = {"digit right": [], "digit wrong": [], "non-digit": []}
    modes = ("mnist",) if recognizer.reads_lines else ("mnist", "seed")  # the line reader has no seed clean-up
    for set_name, lengths in REALISTIC_SETS.items():
        samples = list(synth.numbers(x_test, y_test, count, lengths, seed))
        for mode in modes:
            pipeline = "default" if mode == "mnist" else "seed"
            scores: dict[str, dict[str, list[float]]] = {}  # column -> condition -> scores
            for sample in samples:
                reading = _read(recognizer, sample.image, mode, separators)
                characters = reading.characters if reading else ()
                read = reading.number if reading else ""
                scores.setdefault(f"{set_name}, {pipeline}", {}).setdefault(sample.condition, []).append(read == sample.number)
                if lengths[1] > 1:  # digits right, for numbers: 1 - edit distance / length
                    right = 1 - min(_edit_distance(read, sample.number), len(sample.number)) / len(sample.number)
                    scores.setdefault(f"{set_name}, digits right, {pipeline}", {}).setdefault(sample.condition, []).append(right)
                if mode == "mnist" and len(characters) == len(sample.number):
                    for c, truth in zip(characters, sample.number):
                        confidences["digit right" if c.char == truth else "digit wrong"].append(c.confidence)
            for column, by_condition in scores.items():
                for condition, values in by_condition.items():
                    accuracy.setdefault(condition, {})[column] = float(np.mean(values))
                accuracy.setdefault("all", {})[column] = float(np.mean([v for values in by_condition.values() for v in values]))
    accuracy = {c: accuracy[c] for c in (*synth.CONDITIONS, "all") if c in accuracy}
    non_digits: dict[str, dict[str, float]] = {}
    for mode in modes:
        column = "confident digit, " + ("default" if mode == "mnist" else "seed")
        accepted: dict[str, list[bool]] = {}
        for sample in synth.non_digits(count, seed):
            reading = _read(recognizer, sample.image, mode, separators)
            sure = sureness(reading)
            if mode == "mnist":
                confidences["non-digit"].append(sure)
            accepted.setdefault(sample.condition, []).append(sure >= threshold)
        for kind, a in accepted.items():
            non_digits.setdefault(kind, {})[column] = float(np.mean(a))
        non_digits.setdefault("all", {})[column] = float(np.mean([x for a in accepted.values() for x in a]))
    return {"accuracy": accuracy, "non-digits": non_digits, "confidences": confidences, "threshold": threshold}


def pages(recognizer, x_test: np.ndarray, y_test: np.ndarray, count: int, seed: int = 0, angle: float = 0.0, separators: str | None = None) -> dict:
    """Read generated pages of several numbers (see digitrec.evaluation.pages), photographed
    turned by angle degrees if given, scored line by line, for all pages and for each kind of paper."""
    from . import pages as generated

    samples = list(generated.pages(x_test, y_test, count, seed, angle))
    readings = [_read(recognizer, s.image, separators=separators) for s in samples]
    table = {}
    for paper in (*generated.PAPERS, "all"):
        chosen = [i for i, s in enumerate(samples) if paper in ("all", s.paper)]
        table[paper] = generated.score([samples[i] for i in chosen], [readings[i] for i in chosen])
    return table


def format_pages(result: dict) -> str:
    lines = [f"{'paper':<8}{'pages':>6}{'lines':>7}  lines exact  pages whole (every line found, none invented)"]
    for paper, r in result.items():
        lines.append(f"{paper:<8}{r['pages']:>6}{r['lines']:>7}  {r['lines_exact']:11.1%}  {r['pages_whole']:11.1%}")
    return "\n".join(lines)


def sureness(reading) -> float:
    """How sure a reading is of itself: the lower of its own confidence and its least sure
    character (0 for no reading). A reading at or over the threshold is a confident number."""
    if reading is None:
        return 0.0
    return min([reading.confidence, *(c.confidence for c in reading.characters)])


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: digits missed, added or misread."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def _read(recognizer, image, mode: str = "mnist", separators: str | None = None):
    """The reading, or None where the image is refused (blank, no number, or a page of marks)."""
    try:
        return recognizer.read(image, mode, separators=separators)
    except ImageError:
        return None


def read_mnist(recognizer, images: np.ndarray, labels: np.ndarray, separators: str | None = None) -> dict:
    """MNIST's test digits read as `digitrec predict` reads an image (the default pipeline): the
    share read exactly as their label, and how the rest went wrong."""
    read = [_read(recognizer, image, separators=separators) for image in images]
    texts = [r.number if r else "" for r in read]
    right = np.array([t == str(y) for t, y in zip(texts, labels)])
    return {
        "read_exactly": float(right.mean()),
        "read_as_several": int(sum(len(t) > 1 for t in texts)),
        "read_as_nothing": int(sum(t == "" for t in texts)),
        "misread": int(sum(len(t) == 1 and not ok for t, ok in zip(texts, right))),
    }


REALWORLD_KINDS = ("number", "single", "nondigit")


def realworld(recognizer, folder: Path, threshold: float | None = None, separators: str | None = None) -> dict:
    """Score a folder laid out as realworld-dev (labels.csv with file, kind, label, pool).

    Numbers and single digits: the share read exactly, per pool, and how far the confidence can
    be trusted: the share read at or over the threshold ("sure") and, of those, the share right.
    Labels without separators are compared with the digits read (a cheque's "10.000" against its
    label 10000); labels with separators are compared whole. Non-digits: the share accepted as a
    confident number.
    """
    import csv

    from ..constants import UNCERTAIN_BELOW

    threshold = UNCERTAIN_BELOW if threshold is None else threshold
    folder = Path(folder)
    labels = folder / "labels.csv"
    if not labels.is_file():
        raise DataError(f"{folder}: no labels.csv here; give a folder laid out like realworld-dev (labels.csv with file, kind, label, pool)")
    try:
        with open(labels, newline="", encoding="utf-8-sig") as f:
            table = csv.DictReader(f)
            lacking = [c for c in ("file", "kind", "label", "pool") if c not in (table.fieldnames or [])]
            rows = [r for r in table if r.get("kind") in REALWORLD_KINDS]
    except (UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{labels}: cannot read as a UTF-8 CSV ({e})") from None
    if lacking:
        raise DataError(f"{labels}: its header needs the columns file, kind, label and pool; it has {', '.join(table.fieldnames or []) or 'none'}")
    if not rows:
        raise DataError(f"{labels}: no row of kind {', '.join(REALWORLD_KINDS)}, so nothing to score")
    missing = [r["file"] for r in rows if not (folder / r["file"]).is_file()]
    if missing:  # scored, they would count as read wrong
        raise DataError(f"{labels} lists images that are not in {folder} ({len(missing)} of {len(rows)}): {', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}")
    scores: dict[str, dict[str, list[tuple[bool, bool]]]] = {}  # kind -> pool -> (right, sure) per image
    for row in rows:
        reading = _read(recognizer, folder / row["file"], separators=separators)
        right = as_labelled(reading.number if reading else "", row["label"]) == row["label"]
        scores.setdefault(row["kind"], {}).setdefault(row["pool"], []).append((right, sureness(reading) >= threshold))
    table = {}
    for kind, pools in scores.items():
        for pool, results in [*sorted(pools.items()), ("all", [r for results in pools.values() for r in results])]:
            right, sure = np.array(results).T
            if kind == "nondigit":
                table[f"{kind}: {pool}"] = {"accepted": float(sure.mean()), "n": len(sure)}
            else:
                table[f"{kind}: {pool}"] = {"exact": float(right.mean()), "n": len(right), "sure": float(sure.mean()), "right_when_sure": float(right[sure].mean()) if sure.any() else None}
    return {"scores": table, "threshold": threshold}


def as_labelled(read: str, label: str) -> str:
    """What is compared with a label: the digits read, or everything read where the label has
    separators (realworld-dev's cheque labels leave theirs out)."""
    return read if any(c in label for c in SEPARATORS) else "".join(c for c in read if c.isdigit())


def format_realworld(result: dict) -> str:
    lines = [f"{'kind: pool':<22}{'n':>6}  score            sure  right when sure"]
    for name, r in result["scores"].items():
        if "accepted" in r:
            lines.append(f"{name:<22}{r['n']:>6}  {r['accepted']:6.1%} accepted")
        else:
            trusted = "" if r["right_when_sure"] is None else f"{r['right_when_sure']:15.1%}"
            lines.append(f"{name:<22}{r['n']:>6}  {r['exact']:6.1%} exact   {r['sure']:6.1%}  {trusted}")
    return "\n".join(lines)


def threshold_curve(confidences: dict[str, list[float]], thresholds: np.ndarray) -> dict[str, list[float]]:
    """For each threshold: right digits flagged uncertain, wrong digits let through, non-digits accepted."""
    right, wrong, other = (np.array(confidences[k]) for k in ("digit right", "digit wrong", "non-digit"))
    rate = lambda values, keep: [float(keep(values, t).mean()) if len(values) else 0.0 for t in thresholds]  # noqa: E731
    return {
        "threshold": [float(t) for t in thresholds],
        "right digits flagged": rate(right, lambda v, t: v < t),
        "wrong digits accepted": rate(wrong, lambda v, t: v >= t),
        "non-digits accepted": rate(other, lambda v, t: v >= t),
    }


def plot_threshold_curve(curve: dict[str, list[float]], chosen: float, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, values in curve.items():
        if name != "threshold":
            ax.plot(curve["threshold"], np.array(values) * 100, label=name)
    ax.axvline(chosen, color="grey", linestyle="--", label=f"default {chosen:g}")
    ax.set_xlabel("confidence threshold")
    ax.set_ylabel("% of each group")
    ax.set_title("Uncertainty threshold on the realistic set")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
