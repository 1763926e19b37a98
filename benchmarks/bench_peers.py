"""digitrec beside general-purpose OCR on real handwriting, side by side in one run.

Reads every image of a folder laid out like realworld-dev (labels.csv) with
- digitrec, each model given (default: the line reader and the CNN),
- RapidOCR (PP-OCR models shipped in its wheel), recognition alone on the whole image, and
  with its text detector first (its boxes' texts joined left to right),
- Tesseract (LSTM, one line, digits and separators only), if pytesseract and the tesseract
  binary are installed,
and prints the share read exactly per pool (digits compared, as `digitrec evaluate --realworld`
does), the non-digits that digitrec accepts as a confident number, and the mean time an image.
Peers are benchmark dependencies only (pip install rapidocr pytesseract; apt-get install
tesseract-ocr), never digitrec's.

    python benchmarks/bench_peers.py ../shared/data/realworld-dev
"""

from __future__ import annotations

import argparse
import csv
import shutil
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from digitrec.constants import UNCERTAIN_BELOW
from digitrec.errors import ImageError
from digitrec.evaluation.evaluate import as_labelled, sureness
from digitrec.reading.decode import read
from digitrec.reading.runtime import load_model


def digitrec_reader(name: str):
    recognizer = load_model(name)

    def run(image: np.ndarray) -> tuple[str, float]:
        try:
            reading = recognizer.read(image)
        except ImageError:
            return "", 0.0
        return reading.number, sureness(reading)

    return run


def rapidocr_readers() -> dict:
    try:
        from rapidocr import RapidOCR
    except ImportError:
        print("RapidOCR is not installed (pip install rapidocr): left out")
        return {}
    engine = RapidOCR(params={"Global.log_level": "critical"})

    def recognise(image: np.ndarray) -> tuple[str, float]:
        out = engine(_bgr(image), use_det=False, use_cls=False, use_rec=True)
        return "".join(out.txts or ()), float(min(out.scores or (0.0,)))

    def detect(image: np.ndarray) -> tuple[str, float]:
        out = engine(_bgr(image), use_det=True, use_cls=True, use_rec=True)
        if out.txts is None:
            return "", 0.0
        order = np.argsort([float(np.mean(np.asarray(b)[:, 0])) for b in out.boxes])
        return "".join(out.txts[i] for i in order), float(min(out.scores))

    return {"RapidOCR, no detector": recognise, "RapidOCR, with detector": detect}


def tesseract_reader() -> dict:
    try:
        import pytesseract
    except ImportError:
        pytesseract = None
    if pytesseract is None or shutil.which("tesseract") is None:
        print("Tesseract is not installed (pip install pytesseract; apt-get install tesseract-ocr): left out")
        return {}
    config = "--psm 7 -c tessedit_char_whitelist=0123456789.,-/:"

    def run(image: np.ndarray) -> tuple[str, float]:
        return pytesseract.image_to_string(image, config=config).strip(), 1.0

    return {"Tesseract 5, one line": run}


def _bgr(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder laid out like realworld-dev")
    parser.add_argument("--models", nargs="+", default=["line", "cnn"], help="digitrec models to run")
    parser.add_argument("--limit", type=int, help="read only the first N images of each pool")
    parser.add_argument("--threshold", type=float, default=UNCERTAIN_BELOW, help="digitrec's confidence for a sure reading")
    args = parser.parse_args()

    readers = {f"digitrec {m}": digitrec_reader(m) for m in args.models}
    readers |= rapidocr_readers() | tesseract_reader()
    with open(args.folder / "labels.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_pool = defaultdict(list)
    for row in rows:
        by_pool[(row["kind"], row["pool"])].append(row)
    exact: dict = defaultdict(lambda: defaultdict(list))
    seconds: dict = defaultdict(float)
    count = 0
    for (kind, pool), members in sorted(by_pool.items()):
        for row in members[: args.limit]:
            image = read(args.folder / row["file"])
            count += 1
            for name, reader in readers.items():
                start = time.perf_counter()
                text, sure = reader(image)
                seconds[name] += time.perf_counter() - start
                if kind == "nondigit":
                    exact[name][f"non-digits accepted ({pool})"].append(bool(as_labelled(text, "0")) and sure >= args.threshold)
                else:
                    exact[name][f"{kind}: {pool}"].append(as_labelled(text, row["label"]) == row["label"])

    names = list(readers)
    print(f"\n{args.folder}: {count} images; exact matches (non-digits: accepted as a confident number, digitrec at >= {args.threshold:g})\n")
    print("| pool | n | " + " | ".join(names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    for key in exact[names[0]]:
        n = len(exact[names[0]][key])
        cells = [f"{np.mean(exact[name][key]):.1%}" if not key.startswith("non-digits") or name.startswith("digitrec") else "" for name in names]
        print(f"| {key} | {n} | " + " | ".join(cells) + " |")
    print("| ms an image | | " + " | ".join(f"{1000 * seconds[name] / count:.1f}" for name in names) + " |")


if __name__ == "__main__":
    main()
