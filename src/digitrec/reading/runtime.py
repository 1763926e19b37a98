"""Inference with ONNX Runtime: loads a trained model and reads digits, without Keras or JAX.

A model is an ONNX file plus, beside it, the metrics JSON that `digitrec train` wrote
(same name, .json). The JSON says how inputs were scaled and how well the model scored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from . import decode, forms, layout, lines, preprocess, segment, sheet, skew
from ..constants import DEFAULT_MODEL, GUESS_AT_LEAST, GUESS_MARKS, IMAGE_SIZE, SECOND_LOOK, UNCERTAIN_BELOW
from .decode import ImageInput
from ..errors import ImageError, ModelError, NoDigitError
from .lines import Character

ARTIFACTS = Path(__file__).parent.parent / "artifacts"


@dataclass(frozen=True)
class Prediction:
    """One digit as read: the most likely class, how sure the model is, and where it was."""

    digit: int
    confidence: float
    probabilities: tuple[float, ...]
    input: np.ndarray = field(repr=False, compare=False)
    """The 28x28 image the model saw, white ink on black, in [0, 1]."""
    box: tuple[int, int, int, int] | None = None
    """(x, y, width, height) in the image, after EXIF rotation and any shrinking of huge photos."""
    uncertain: bool = False
    """The confidence is below the threshold: a person should check this digit."""

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        return lines.top(self.probabilities, k)


@dataclass(frozen=True)
class Reading:
    """What was written, character by character, left to right, with the reading's confidence.

    The line reader gives characters (digits and separators) and the CTC probability of what it
    read; the digit models give a character per digit, and the lowest digit's confidence. An image
    with several lines of writing gives a Reading per line in `lines`, top to bottom; the whole
    then holds all their characters, the least confidence, and each line's text on a line of its own.
    A document of several pages gives every page's lines, page by page, each with its `page`.
    """

    characters: tuple[Character, ...]
    confidence: float
    uncertain: bool
    seen: tuple[np.ndarray, ...] = field(default=(), repr=False, compare=False)
    """What the network saw: each line, or each digit's 28x28 image; white ink on black in [0, 1]."""
    box: tuple[int, int, int, int] | None = None
    """(x, y, width, height) of the line's ink in the image, as characters' boxes are given."""
    lines: tuple[Reading, ...] = ()
    """Each line read, top to bottom, where the image holds more than one; else empty."""
    page: int | None = None
    """For a line of a document of several pages: the page it is on, from 1 (its box is in that page's pixels)."""
    pages: int = 1
    """How many pages were read: more than 1 for a document (a PDF, a multi-page TIFF)."""
    unread: tuple[tuple[int, str], ...] = ()
    """For a document: the pages that could not be read as numbers (a page of marks), each with
    why, from 1; its other pages are read all the same."""

    @property
    def number(self) -> str:
        if self.lines:
            return "\n".join(line.number for line in self.lines)
        return "".join(c.char for c in self.characters)

    @classmethod
    def of_digits(cls, predictions: tuple[Prediction, ...]) -> Reading:
        characters = tuple(Character(str(p.digit), p.confidence, p.box, p.uncertain, p.probabilities) for p in predictions)
        return cls(characters, min(p.confidence for p in predictions), any(p.uncertain for p in predictions), tuple(p.input for p in predictions))

    @classmethod
    def of_lines(cls, lines: list[Reading]) -> Reading:
        boxes = [line.box for line in lines if line.box]
        box = None
        if boxes:
            x, y = min(b[0] for b in boxes), min(b[1] for b in boxes)
            box = (x, y, max(b[0] + b[2] for b in boxes) - x, max(b[1] + b[3] for b in boxes) - y)
        return cls(
            tuple(c for line in lines for c in line.characters),
            min(line.confidence for line in lines),
            any(line.uncertain for line in lines),
            tuple(s for line in lines for s in line.seen),
            box,
            tuple(lines),
        )

    @classmethod
    def of_pages(cls, pages: list[tuple[int, Reading]], count: int, unread: tuple[tuple[int, str], ...] = ()) -> Reading:
        """A document's reading from its pages' (page number, reading) pairs, pages with no number
        left out: every line, page by page, each with its page. No box: the pages' pixels differ."""
        lines = [replace(line, page=k) for k, reading in pages for line in (reading.lines or (reading,))]
        return replace(cls.of_lines(lines), box=None, pages=count, unread=unread)

    def mapped(self, matrix: np.ndarray) -> Reading:
        """The reading with every box carried through a 3x3 homography into another image's
        pixels (a sheet's into its photo's, levelled writing's into the image's): each box
        becomes the box round its corners there."""
        move = lambda box: _through(matrix, box) if box else None  # noqa: E731
        return replace(
            self,
            characters=tuple(replace(c, box=move(c.box)) for c in self.characters),
            box=move(self.box),
            lines=tuple(line.mapped(matrix) for line in self.lines),
        )

    def to_dict(self) -> dict:
        """JSON-ready. One line keeps one shape (digit and probabilities describe a lone digit);
        several add "lines", each line's own number, confidence, box and characters; a document
        of several pages adds "pages", each line its "page", and any page not read "unread_pages"."""
        lone = self.characters[0] if len(self.characters) == 1 and self.characters[0].probabilities else None
        out = {
            "number": self.number,
            "digit": int(lone.char) if lone else None,
            "confidence": self.confidence,
            "probabilities": list(lone.probabilities) if lone else None,
            "uncertain": self.uncertain,
            "box": _listed(self.box),
            "characters": [_character(c) for c in self.characters],
        }
        if self.lines:
            out["lines"] = [
                {"number": line.number, "confidence": line.confidence, "uncertain": line.uncertain, "box": _listed(line.box), "characters": [_character(c) for c in line.characters]}
                | ({"page": line.page} if line.page else {})
                for line in self.lines
            ]
        if self.pages > 1:
            out["pages"] = self.pages
        if self.unread:
            out["unread_pages"] = [{"page": k, "error": why} for k, why in self.unread]
        return out


def _with_printed(characters: tuple[Character, ...], printed: list, box: tuple[int, int, int, int], page_scale: float) -> tuple[Character, ...]:
    """The line's characters with the separators printed between a form's groups of boxes
    (forms.printed_separators, on the page's pixels) that stand within the line's box (on the page's too)
    put back between the two digits they stand between: a date written in groups of boxes reads
    "21/08/2016", as it stands on the form, not "21082016". Printed, they are sure (1.0)."""
    if not printed or any(c.box is None for c in characters):  # most lines: no form's print to put back
        return characters
    x0, y0, w0, h0 = box
    out = list(characters)
    for char, (x, y, w, h) in printed:
        if not x0 <= x + w / 2 < x0 + w0 or not y0 <= y + h / 2 < y0 + h0:
            continue
        at = (x + w / 2) / page_scale
        k = sum(c.box[0] + c.box[2] / 2 < at for c in out)
        if 0 < k < len(out) and out[k - 1].char.isdigit() and out[k].char.isdigit():
            shown = (round(x / page_scale), round(y / page_scale), max(1, round(w / page_scale)), max(1, round(h / page_scale)))
            out.insert(k, Character(char, 1.0, shown))
    return tuple(out)


def _character(c: Character) -> dict:
    return {"char": c.char, "confidence": c.confidence, "box": _listed(c.box), "uncertain": c.uncertain}


@dataclass(frozen=True)
class _Cleaned:
    """The clean-up's ink strength, ink mask and scale, and the turn that levelled them, if any."""

    strength: np.ndarray
    mask: np.ndarray
    scale: float
    turn: skew.Turn | None = None
    unboxed: tuple[np.ndarray, np.ndarray] | None = None
    """_unboxed(strength, mask): found for every way the layout reads (_cleaned with level, and
    turned_over); None only for an image read as one digit, which the layout never sees."""

    def turned_over(self) -> _Cleaned:
        """The same ink turned half round: the page upside down, its turn to the image's pixels kept."""
        turn = (self.turn or skew.Turn.none(self.strength.shape)).half_round()
        strength, mask = np.rot90(self.strength, 2).copy(), np.rot90(self.mask, 2).copy()
        return _Cleaned(strength, mask, self.scale, turn, unboxed=_unboxed(strength, mask))


def _cleaned(image: ImageInput, level: bool = True) -> list[_Cleaned]:
    """The clean-up's ink, each way the writing may stand (skew.ways) where level is asked for:
    as it lies, or turned level with its ruled lines lifted now they run level; and each way's
    form boxes (_unboxed)."""
    strength, scale = preprocess.ink_strength(image)
    mask = preprocess.ink_mask(strength)
    cleaned = []
    unboxed = _unboxed(strength, mask) if level else None
    for turn in skew.ways(strength, forms.without_combs(mask, unboxed[1])) if level else [None]:
        if turn is None:
            cleaned.append(_Cleaned(strength, mask, scale, unboxed=unboxed))
            continue
        turned = turn.level(strength)
        levelled = preprocess.without_lines(turned)
        levelled_mask = preprocess.ink_mask(levelled)
        # A form's frames, levelled, have their tops and bottoms lifted with the ruled lines, and
        # its sides, thinned by the levelling, are too broken to stand alone: they are looked for
        # with the lines as well, and fainter (LEVELLED_FLOOR), the more boxes found kept.
        looks = ((levelled, preprocess.INK_FLOOR), (turned, preprocess.INK_FLOOR), (turned, LEVELLED_FLOOR * preprocess.INK_FLOOR))
        unboxed = max((_unboxed(s, levelled_mask, floor) for s, floor in looks), key=lambda u: int(u[1].max()))
        cleaned.append(_Cleaned(levelled, levelled_mask, scale, turn, unboxed=unboxed))
    return cleaned


LEVELLED_FLOOR = 0.5
"""Levelling by linear interpolation spreads a printed hairline over two rows of pixels at as
little as half its strength each, and a light form's frame came out in dots: in a levelled way
the frames are looked for over this share of INK_FLOOR too. bench_boxes.py's fields turned 2-4
degrees, seeds 0 / 1, exact: printed apart 85 -> 89% / 89 -> 96%, a date's groups 87 -> 91% /
88 -> 90%, boxes side by side 91 -> 92% / 88 -> 91%, combs 97% / 93 -> 94%; level fields
as before but one date more at seed 0; realworld-dev, the realistic set, and pages level and
turned 10 degrees, as before, reading for reading."""


def _unboxed(strength: np.ndarray, mask: np.ndarray, floor: float = preprocess.INK_FLOOR) -> tuple[np.ndarray, np.ndarray]:
    """forms.without_boxes of the mask, the frames looked for in all the ink over the floor
    (INK_FLOOR): a form printed lighter than its writing lies under the writing's threshold.
    bench_boxes.py's fields printed apart read 90.0% exactly against 88.0% with the frames looked
    for in the mask (84.0 -> 88.0% at --seed 1), every other image read as before
    (docs/line-reader-history.md, release 30)."""
    return forms.without_boxes(mask, cv2.threshold(strength, floor, 1, cv2.THRESH_BINARY)[1])  # strength over the floor, in one pass


UPSIDE_DOWN_LINES, UPSIDE_DOWN_CHARACTERS = 2, 6
"""A reading of this many lines and characters or more is read upside down as well; a shorter one
is left as it is: turned over, real crops of one short number (realworld-dev's cheques, logbook
cells, registers) read likelier than as they lie 83 times in 600, while none of its 600 numbers is
read as several lines and characters this many."""

UPSIDE_DOWN_MARGIN = 1.05
"""The page is taken for upside down where, turned over, its digits' confidences sum to this many
times theirs as it lies, and some digit as it lies is unsure (under UNCERTAIN_BELOW). Of 300
generated level pages (`--pages`, seeds 0-2, 100 each), the 288 with enough lines and characters
summed more turned over 3 times, over 1.02 times as much never; the same pages
upside down, turned back, summed over 1.05 times as much 272 times in 277, 267 of them with some
digit unsure as they lay. Without that last test, one of 60 shadowed level pages, every digit read
sure, was turned over: a shadow's edge read as two more digits outweighed its nine."""


PRINT_CHECK = "printed"
"""The print check's folder and name under ARTIFACTS: a part of the line reader, not a model to read with."""

PRINTED_MARKS, PRINTED_WIDE = 2, 1.5
"""A word of fewer marks, no wider than PRINTED_WIDE times its height, is never shown to the print
check (_may_be_print): print is letters apart, and a lone mark is most often a digit (two of
bench_boxes.py's fields each lost a digit alone in its box, taken for print at 0.98 and 0.99). A
mark that wide is letters or digits run together: a small label scanned soft ("Seat" one mark,
43x16 pixels) was read as digits before the number ("Seat 75971" read "56875971"). Of MNIST's
test digits 0.39% are that wide (at 1.2, 3.2%). bench_labels.py, labels printed / in Comic Neue /
in Kristi, exact and whole: 96.1 / 95.5, 91.8 / 74.0, 63.5 / 26.0% without it; 96.2 / 96.5, 93.6 /
78.5, 64.1 / 27.0% with it; fingerprints.py's 4,620 readings as before."""

PRINT_BATCH = 64
"""Words shown to the print check in one run. A page of 150 long printed words, shown at once at
full width, took 1,154 MiB (243 MiB before the check)."""

PRINTED_AT = 0.97
"""A word the print check (models.printed) finds this likely to be printed letters is set aside
(Recognizer._without_print). On the first 100 of benchmarks/bench_labels.py's forms, 0.9 and 0.97
read alike (a draft of the check: 94.6% of numbers exact, 96% of forms whole; 0.8 and 0.99 within
0.6 points of them on an earlier one); of realworld-dev's handwriting, never print, the word
likeliest print was a cheque's cursive "000," at 0.94: at 0.97 it stays (a ruled line's remnant
under a register's number, 1.0, goes, and nothing read changes)."""


def _may_be_print(mask: np.ndarray) -> bool:
    """Whether ink (a word's mask, cropped to it, or an image's) may be print: PRINTED_MARKS marks
    or more, or wider than PRINTED_WIDE times its height."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    wide = len(rows) and cols[-1] - cols[0] + 1 >= PRINTED_WIDE * (rows[-1] - rows[0] + 1)
    return bool(wide) or cv2.connectedComponents(mask)[0] - 1 >= PRINTED_MARKS


def _likelier(readings: list[Reading]) -> Reading:
    """Of the readings of one page stood different ways, the one expected to hold the most
    characters read right: the sum of their confidences. The lines' mean confidence instead takes
    a way that reads one line surely and loses the rest: of 468 generated pages read three ways
    (MNIST's training tail, seeds 5 and 6, turned 0 to 150 degrees), it kept a way with fewer
    numbers right 9 times, the sum once (on 500 of `--pages`' own: 12 times and 3)."""
    return max(readings, key=lambda r: sum(c.confidence for c in r.characters))


def _digits_sure(characters) -> float:
    """The digits' confidences summed (UPSIDE_DOWN_MARGIN): the same ink turned over holds as many
    digits, but a squared grid left on the page reads as runs of confident dashes, and once
    outweighed the page's digits as it lay."""
    return sum(c.confidence for c in characters if c.char.isdigit())


def _through(matrix: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """A box carried through a 3x3 homography: the box round its four corners."""
    x, y, w, h = box
    corners = cv2.perspectiveTransform(np.float32([[[x, y], [x + w, y], [x, y + h], [x + w, y + h]]]), np.asarray(matrix, np.float64))[0]
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    return int(round(x0)), int(round(y0)), max(1, int(round(x1 - x0))), max(1, int(round(y1 - y0)))


def _listed(box: tuple[int, ...] | None) -> list[int] | None:
    return list(box) if box else None


class Recognizer:
    """One loaded model. Create it once and reuse it: loading costs more than predicting."""

    def __init__(self, path: str | os.PathLike, threads: int | None = None):
        """threads: ONNX Runtime's threads for one call; None uses every core. A server that
        runs many calls at once wants 1, so that its calls, not one call's threads, share the cores."""
        self.path = Path(path)
        self.name = self.path.stem
        self._threads = threads
        self.info = _read_info(self.path)
        # A model trained with --no-normalize expects raw 0-255 pixels, as the post's comparison did.
        self._scale = np.float32(1.0 if self.info.get("normalize", True) else 255.0)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = options.inter_op_num_threads = threads
        try:
            self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as e:  # ONNX Runtime raises its own unrelated exception types
            raise ModelError(f"{self.path}: cannot load as an ONNX model ({e})") from e
        self._input = self._session.get_inputs()[0].name
        self.reads_lines = len(self._session.get_inputs()[0].shape) == 4
        """A line reader (models.line) rather than a digit model."""

    @cached_property
    def print_check(self) -> Recognizer:
        """The network that tells a form's printed words from the numbers written beside them
        (models.printed), for the line reader: loaded when first needed, so an image of one digit, or of a number read unsure, never pays for it."""
        return Recognizer(ARTIFACTS / PRINT_CHECK / f"{PRINT_CHECK}.onnx", self._threads)

    @cached_property
    def second_look(self) -> Recognizer:
        """The digit model that reads a line again where the line reader found one digit in it:
        loaded when first needed, so reading a longer number never pays for it."""
        return Recognizer(ARTIFACTS / f"{SECOND_LOOK}.onnx", self._threads)

    def __repr__(self) -> str:
        return f"Recognizer({str(self.path)!r})"

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities for a batch of MNIST-format images, shape (N, 28, 28), in [0, 1]."""
        if self.reads_lines:
            raise ModelError("a line reader takes lines, not 28x28 digits: use line_probabilities, or read(image)")
        batch = np.asarray(images, dtype=np.float32)
        if batch.shape[-2:] != (IMAGE_SIZE, IMAGE_SIZE) or batch.ndim not in (2, 3):
            raise ValueError(f"probabilities takes (N, {IMAGE_SIZE}, {IMAGE_SIZE}) MNIST-format images, not shape {batch.shape}: use read(image) or predict(image) for a picture")
        batch = batch.reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
        return self._session.run(None, {self._input: batch * self._scale})[0]

    def predict(self, image: ImageInput, preprocess_mode: str = "mnist", threshold: float = UNCERTAIN_BELOW) -> Prediction:
        """Read one digit: the image is taken as a single digit, whatever it holds.

        The image is a path, bytes, a NumPy array or a PIL image. Raises NoDigitError if blank.
        """
        if self.reads_lines:
            raise ModelError("a line reader reads numbers: use read(image, single=True) for one digit")
        x = preprocess.prepare(image, preprocess_mode)
        return self._predictions([x], [None], _checked(threshold))[0]

    def read(self, image: ImageInput, preprocess_mode: str = "mnist", threshold: float = UNCERTAIN_BELOW, single: bool = False, separators: str | None = None) -> Reading:
        """Read a whole number, digit by digit. Raises NoDigitError if the image holds no ink.

        With single=True, or preprocess_mode="seed" (as the blog post took it), the image is one
        digit. A document of several pages (a PDF, a multi-page TIFF) is read page by page.
        separators: those of . , - / : a number may hold ("" for digits alone; None, all of
        them); the line reader reads no other (lines.allowing). The digit models read digits alone.
        """
        return self.read_pages(decode.pages(image), preprocess_mode, threshold, single, separators)

    def read_pages(self, pages: list[ImageInput], preprocess_mode: str = "mnist", threshold: float = UNCERTAIN_BELOW, single: bool = False, separators: str | None = None) -> Reading:
        """A document's pages (decode.pages) read one by one: a page of one reads as read() reads an
        image; of several, every page's lines in one Reading (Reading.of_pages), blank pages left
        out, and a page that cannot be read as numbers (a page of marks) named in Reading.unread
        while the others are read. Raises NoDigitError only if no page holds a number, ImageError
        if no page could be read."""
        threshold, separators = _checked(threshold), lines.checked_separators(separators)
        if len(pages) == 1:
            return self._read_page(pages[0], preprocess_mode, threshold, single, separators)
        read, unread = [], []
        for k, page in enumerate(pages, 1):
            try:
                read.append((k, self._read_page(page, preprocess_mode, threshold, single, separators)))
            except NoDigitError:
                continue
            except ImageError as e:  # a page read, but not as numbers (a page of marks): the others still count
                unread.append((k, str(e)))
        if unread and not read:
            raise ImageError("no page could be read as numbers: " + "; ".join(f"page {k}: {why}" for k, why in unread))
        if not read:
            raise NoDigitError(f"no number found on any of the {len(pages)} pages")
        return Reading.of_pages(read, len(pages), tuple(unread))

    def _read_page(self, image: ImageInput, preprocess_mode: str, threshold: float, single: bool, separators: str) -> Reading:
        """One image: a sheet photographed on a darker surface (sheet.find) is read cut out and
        upright, its boxes carried back into the photo; several sheets, each so, their lines sheet
        by sheet (a sheet with no number left out). The post's pipeline takes images as they are."""
        if preprocess_mode == "seed":
            return self._read_image(image, preprocess_mode, threshold, single, separators)
        pixels = decode.read(image)
        found = sheet.find(pixels)
        if not found:
            return self._read_image(pixels, preprocess_mode, threshold, single, separators)
        if len(found) == 1 or single:
            return self._read_image(found[0].image, preprocess_mode, threshold, single, separators).mapped(found[0].matrix)
        lines = []
        for cut in found:
            try:
                reading = self._read_image(cut.image, preprocess_mode, threshold, single, separators).mapped(cut.matrix)
            except NoDigitError:
                continue
            lines.extend(reading.lines or (reading,))
        if not lines:
            raise NoDigitError(f"no number found on any of the {len(found)} sheets")
        return lines[0] if len(lines) == 1 else Reading.of_lines(lines)

    def _read_image(self, image: ImageInput, preprocess_mode: str, threshold: float, single: bool, separators: str) -> Reading:
        if self.reads_lines:
            if preprocess_mode == "seed":
                raise ModelError("the line reader has its own clean-up; --preprocess seed is for the digit models (--model cnn or mlp)")
            return self._read_lines(image, threshold, single, separators)
        if single or preprocess_mode == "seed":
            return Reading.of_digits((self.predict(image, preprocess_mode, threshold),))
        readings = []
        for way in _cleaned(image):
            digits = segment.segment(layout.unruled(preprocess.page_of(way.strength, way.mask, way.scale)), classify=self.probabilities)
            reading = Reading.of_digits(tuple(self._predictions([d.input for d in digits], [d.box for d in digits], threshold)))
            readings.append(reading.mapped(way.turn.back(way.scale)) if way.turn else reading)
        return _likelier(readings)

    def line_probabilities(self, lines_batch: np.ndarray) -> np.ndarray:
        """The line reader's (N, frames, classes) probabilities for (N, 32, W) lines of equal width."""
        if not self.reads_lines:
            raise ModelError(f"{self.name} reads 28x28 digits, not lines: use probabilities, or load the line reader")
        batch = np.asarray(lines_batch, dtype=np.float32)
        if batch.ndim != 3 or batch.shape[1] != lines.LINE_HEIGHT or batch.shape[2] < 1:
            raise ValueError(f"line_probabilities takes (N, {lines.LINE_HEIGHT}, W) lines (lines.line_input), not shape {batch.shape}: use read(image) for a picture")
        return self._session.run(None, {self._input: batch[..., None]})[0]

    def _read_lines(self, image: ImageInput, threshold: float, single: bool, separators: str) -> Reading:
        readings, missing = [], ""
        ways = _cleaned(image, level=not single)
        for way in ways:
            try:
                reading, regions = self._read_way(way, threshold, single, separators)
            except NoDigitError as e:
                # Its message, not the error: an error kept here holds this frame through its
                # traceback, and this frame holds it, a cycle that kept each page's arrays until
                # Python's cycle collector ran (140 MB a page of scribble, 1.6 GB for ten).
                missing = str(e)
                continue
            readings.append(reading.mapped(way.turn.back(way.scale)) if way.turn else reading)
        if not readings:
            raise NoDigitError(missing)
        best = _likelier(readings)
        if not single and len(ways) == 1 and len(best.lines) >= UPSIDE_DOWN_LINES and len(best.characters) >= UPSIDE_DOWN_CHARACTERS:
            return self._upside_down(ways[0], regions, best, threshold, separators) or best
        return best

    def _upside_down(self, way: _Cleaned, regions: list[layout.Region], reading: Reading, threshold: float, separators: str) -> Reading | None:
        """The page read turned over, where that is likelier (UPSIDE_DOWN_MARGIN): a page of numbers
        upside down (fed into a scanner so, or photographed from across the desk) has level rows,
        and is read as confidently as digits turned over can be. First each line's first look,
        turned over (a read of the whole page costs as much again); None where that is no likelier,
        or where every digit was read sure as the page lies."""
        if all(c.confidence >= UNCERTAIN_BELOW for c in reading.characters if c.char.isdigit()):
            return None
        over = way.turned_over()
        views = _Views(self, separators)
        glance = _digits_sure(c for r in regions for c in self._read_line(over.strength, r.turned_over(way.mask.shape), way.scale, lines.decode, views, again=False)[2])
        held = _digits_sure(reading.characters)
        if glance <= UPSIDE_DOWN_MARGIN * held:
            return None
        try:
            turned, _ = self._read_way(over, threshold, False, separators)
        except NoDigitError:
            return None
        return turned.mapped(over.turn.back(way.scale)) if _digits_sure(turned.characters) > UPSIDE_DOWN_MARGIN * held else None

    def _read_way(self, way: _Cleaned, threshold: float, single: bool, separators: str) -> tuple[Reading, list[layout.Region]]:
        """The lines of the clean-up's ink as it stands (the layout's, or the whole ink as one),
        and the layout's regions. (Turned over, the ink is checked for print afresh: one of
        bench_skew.py's pages upside down lost a number when the words set aside as it lay were
        left out turned over too.)"""
        views = _Views(self, separators)  # each region's, read once however many ways it is decoded
        if single:  # the whole ink is one digit, whatever the layout: the likeliest digit in any frame
            regions = [layout.whole(way.mask)]
            readings = self._read_regions(way.strength, regions, way.scale, threshold, lines.best_digit, views)
        else:
            height = layout.text_height(way.unboxed[0])  # once, for the layout and the print check
            ruled = layout.without_rules(way.unboxed[0], height)  # once too: the lines' marks, and the check's words
            regions = layout.find_lines(way.mask, way.unboxed, height, ruled)
            # One line without a gap in it (a drawing, a crop of one number) has no label beside a
            # number to set aside: it is read, and only doubted if it reads sure (_unless_printed).
            lone = len(regions) < 2 and not any(layout.gapped(region) for region in regions)
            checked, kept = (way, regions) if lone else self._without_print(way, regions, height, ruled[0])
            readings = self._read_ink(checked, kept, threshold, views)
            if checked is not way and not readings:
                # What is left beside the words set aside reads as no number: they were the number,
                # taken for print (a cheque's cursive "000,"), and the ink is read as it stands.
                readings = self._read_ink(way, regions, threshold, views)
            else:
                regions = kept
            if lone:
                readings = self._unless_printed(way, readings, height, ruled[0], threshold)
        if not readings:
            raise NoDigitError("no number found: what is there does not read as digits")
        return (readings[0] if len(readings) == 1 else Reading.of_lines(readings)), regions

    def _read_ink(self, way: _Cleaned, regions: list[layout.Region], threshold: float, views: _Views) -> list[Reading]:
        """The layout's lines read, or the whole ink as one line where that is likelier, or the
        likeliest digit where nothing else reads. The way's form boxes are found (_read_way)."""
        strength, mask, page_scale = way.strength, way.mask, way.scale
        printed = forms.printed_separators(way.unboxed[1])
        readings = self._read_regions(strength, regions, page_scale, threshold, lines.decode, views, printed)
        kept, total = sum(int(r.mask.sum()) for r in regions), int(mask.sum())
        kept_all = len(regions) == 1 and kept == total  # the whole ink is that region
        if not readings or (layout.may_be_one_number(regions) and not kept_all) or (len(readings) == 1 and kept < total / 2):
            # Marks side by side may be one number the layout cut (a wide gap, pattern between
            # the digits) or several; a lone line from less than half the ink may be a scrap of
            # a number the layout took for a rule: whichever reading is likelier wins, the
            # layout's if they agree. (Where the layout's one region is all the ink, it is the
            # whole ink, already read.)
            everything = regions[0] if kept_all else layout.whole(mask)
            whole = self._read_regions(strength, [everything], page_scale, threshold, lines.decode, views, printed)
            alike = "".join(r.number for r in readings) == (whole[0].number if whole else None)
            if whole and not alike and (not readings or whole[0].confidence > float(np.prod([r.confidence for r in readings]))):
                readings = whole
        if not readings and cv2.connectedComponents(mask)[0] - 1 <= GUESS_MARKS:
            # The line reader wrote nothing (a lone stroke it took for paper): its likeliest digit
            # anywhere, looked at again, is the answer where the two networks together find it
            # likelier than all others (constants.GUESS_AT_LEAST); it stays uncertain, at the
            # line reader's own low confidence. A page of dots or specks is no digit to guess.
            # (No readings: the whole ink was read above, and its views are in `views`.)
            guess = self._read_regions(strength, [everything], page_scale, threshold, lines.best_digit, views)
            readings = [r for r in guess if max(r.characters[0].probabilities) >= GUESS_AT_LEAST]
        return readings

    def _without_print(self, way: _Cleaned, regions: list[layout.Region], height: float, unruled: np.ndarray) -> tuple[_Cleaned, list[layout.Region]]:
        """The ink without the printed words that stand beside its numbers (a form's labels:
        "Amount", "Date of birth:"), and its lines found again; as it was where there are none.
        height: the text's (layout.text_height); unruled: the form's ink without its ruled lines
        (layout.without_rules)."""
        words, odds = self._print_odds(way, height, unruled)
        printed = [word for word, p in zip(words, odds) if p >= PRINTED_AT]
        if not printed:
            return way, regions
        gone = np.zeros_like(way.mask)
        for word in printed:
            x, y, w, h = word.box
            gone[y : y + h, x : x + w] |= word.mask
        mask = way.mask & (1 - gone)
        if not mask.any():
            raise NoDigitError("no number found: only printed words, nothing handwritten beside them")
        # The words' anti-aliased fringe goes with them; the ink of the marks kept stays whole.
        strength = np.where(cv2.dilate(gone, np.ones((3, 3), np.uint8)) & (1 - mask) > 0, 0, way.strength).astype(way.strength.dtype)
        unboxed = (way.unboxed[0] & (1 - gone), way.unboxed[1])
        way = replace(way, strength=strength, mask=mask, unboxed=unboxed)
        return way, layout.find_lines(mask, unboxed)

    def _unless_printed(self, way: _Cleaned, readings: list[Reading], height: float, unruled: np.ndarray, threshold: float) -> list[Reading]:
        """A lone line read sure, the print check taking a word of it for printed letters
        (PRINTED_AT), is read but never sure: it and its characters at most as sure as the check
        is that it is no print. A printed word photographed alone ("Oslo" read "0510" at 0.998,
        "Zoo" "200" at 0.98, "No." "0." at 0.99) came back a confident number. Not set aside as a
        label beside a number is: nothing else here is the number, and a real number wrongly
        taken for print stays read. A line read unsure, or one mark (most drawings), is not
        checked: the check would change nothing, and costs its network. (A lone line's ink is
        read as one reading at most: the line's, or all the ink's.)"""
        if len(readings) != 1 or readings[0].uncertain or not _may_be_print(way.mask):
            return readings
        reading = readings[0]
        x, y, w, h = (v * way.scale for v in reading.box)  # the reading's box, back in the clean-up's pixels
        words, odds = self._print_odds(way, height, unruled)
        printed = max((p for word, p in zip(words, odds) if x <= word.box[0] + word.box[2] / 2 < x + w and y <= word.box[1] + word.box[3] / 2 < y + h), default=0.0)
        if printed < PRINTED_AT:
            return readings
        cap = 1.0 - float(printed)
        characters = tuple(replace(c, confidence=min(c.confidence, cap), uncertain=min(c.confidence, cap) < threshold) for c in reading.characters)
        confidence = min(reading.confidence, cap)
        return [replace(reading, characters=characters, confidence=confidence, uncertain=confidence < threshold)]

    def _print_odds(self, way: _Cleaned, height: float, unruled: np.ndarray) -> tuple[list[layout.Region], np.ndarray]:
        """The words of the ink (layout.words, in unruled: the form's ink without its ruled
        lines) and the print check's odds that each is printed letters (models.printed)."""
        # A form's boxes out: they would join its digits into one word; and its ruled lines: a
        # field's line running from its label under the number joined the two into one word.
        words = layout.words(unruled, height, ink=way.unboxed[0])
        words = [word for word in words if _may_be_print(word.mask)]
        if not words:
            return [], np.zeros(0)
        # As the check trained: a longer word squeezed to TRAIN_WIDTH; and PRINT_BATCH words a run,
        # so that a page of print costs memory in proportion to itself, not to its longest word.
        shown = [lines.squeezed(lines.line_of(way.strength, word, way.scale).pixels) for word in words]
        runs = (shown[k : k + PRINT_BATCH] for k in range(0, len(shown), PRINT_BATCH))
        return words, np.concatenate([self.print_check.line_probabilities(lines.padded(run, max(p.shape[1] for p in run)))[:, 1] for run in runs])

    def _read_regions(self, strength: np.ndarray, regions: list, page_scale: float, threshold: float, decode, views: _Views, printed: list = ()) -> list[Reading]:
        """Each region read as a line, with the form's printed separators in it (forms.printed_separators);
        those that hold no digit (a tick, a dash, a letter) left out."""
        readings = []
        for region in regions:
            line, probabilities, characters, confidence = self._read_line(strength, region, page_scale, decode, views)
            if not any(c.char.isdigit() for c in characters):
                continue
            if len(characters) == 1:
                characters, confidence = self._looked_again(probabilities, line, characters[0], confidence)
            characters = tuple(replace(c, uncertain=c.confidence < threshold) for c in characters)
            characters = _with_printed(characters, printed, region.box, page_scale)
            # CTC's sum over alignments can pass a character's surest frame, and the views'
            # average can pass the chosen view's characters: a reading is no surer than its least sure character.
            confidence = min(confidence, *(c.confidence for c in characters))
            box = tuple(int(round(v / page_scale)) for v in region.box)
            readings.append(Reading(characters, confidence, confidence < threshold, seen=(line.pixels,), box=box))
        return readings

    def _read_line(self, strength: np.ndarray, region: layout.Region, page_scale: float, decode, views: _Views, again: bool = True):
        """A region read as one line: again narrowed and widened (lines.STRETCHES) if the reader
        is unsure of it and again is asked, the likeliest reading kept. Returns the line, the network's output,
        the characters and the confidence. `views` keeps each (region, stretch)'s line and network
        output, for a region decoded again another way."""
        def view(stretch: float):
            line, probabilities = views.of(strength, region, page_scale, stretch)
            return (line, probabilities, *decode(probabilities, line))

        first = view(lines.STRETCHES[0])
        if first[3] >= UNCERTAIN_BELOW or not again:
            return first
        looks = [first, *(view(stretch) for stretch in lines.STRETCHES[1:])]
        # Each view's reading scored by its probability in every view, averaged: a reading only
        # one view makes is no surer than the others allow. (Views often agree: each distinct
        # reading is scored once.)
        texts = ["".join(c.char for c in characters) for _, _, characters, _ in looks]
        agreed = {text: float(np.mean([lines.labelling_probability(p, lines.encode(text)) for _, p, _, _ in looks])) for text in set(texts)}
        scores = [agreed[text] for text in texts]
        line, probabilities, characters, _ = looks[int(np.argmax(scores))]
        return line, probabilities, characters, max(scores)

    def _looked_again(self, probabilities: np.ndarray, line: lines.LineInput, read: Character, confidence: float) -> tuple[list[Character], float]:
        """A lone digit read by both networks: the digit likeliest to both (the geometric mean of
        their probabilities), at the lower of their confidences in it. Two networks trained on
        different inputs seldom agree by chance on a scribble or a letter (constants.SECOND_LOOK)."""
        looked = self.second_look.probabilities(preprocess.to_mnist(preprocess.within_marks(line.ink, line.mask), line.mask)[None])[0].astype(np.float64)
        own = probabilities[:, 1:11].max(axis=0).astype(np.float64)  # the line reader's probability of each digit, where surest
        both = np.sqrt(own * looked)
        both /= both.sum()
        d = int(both.argmax())
        mine = confidence * own[d] / own[int(read.char)]  # the line's confidence, moved to d where the two differ
        agreed = replace(read, char=str(d), confidence=float(min(own[d], looked[d])), probabilities=tuple(both.tolist()))
        return [agreed], float(min(mine, looked[d]))

    def _predictions(self, inputs: list[np.ndarray], boxes: list, threshold: float) -> list[Prediction]:
        probabilities = self.probabilities(np.stack(inputs)).astype(float)
        predictions = []
        for x, box, p in zip(inputs, boxes, probabilities):
            digit = int(p.argmax())
            box = (box.x, box.y, box.w, box.h) if box else None
            predictions.append(Prediction(digit, float(p[digit]), tuple(p.tolist()), x, box, bool(p[digit] < threshold)))
        return predictions


class _Views:
    """Each region's lines (one a stretch) and the line reader's output for them, made once
    however many ways the region is decoded, the separators not asked for ruled out
    (lines.allowing). Each region is held with its views: a region made for one look and let go
    could leave its id to the next, and that one would be given the first one's views."""

    def __init__(self, reader: Recognizer, separators: str):
        self.reader, self.separators, self.made = reader, separators, {}

    def of(self, strength: np.ndarray, region: layout.Region, page_scale: float, stretch: float) -> tuple[lines.LineInput, np.ndarray]:
        key = (id(region), stretch)
        if key not in self.made:
            line = lines.line_of(strength, region, page_scale, stretch)
            self.made[key] = region, line, lines.allowing(self.reader.line_probabilities(line.pixels[None])[0], self.separators)
        return self.made[key][1:]


def _checked(threshold: float) -> float:
    """The threshold, if it is a confidence: a mistyped one would otherwise flag everything or nothing."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating, np.integer)) or not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be a confidence from 0 to 1, not {threshold!r}")
    return float(threshold)


def _read_info(onnx_path: Path) -> dict:
    """The metrics JSON that `digitrec train` wrote beside the model, or {} if there is none."""
    info_path = onnx_path.with_suffix(".json")
    return json.loads(info_path.read_text()) if info_path.is_file() else {}


def available_models() -> list[str]:
    return sorted(p.stem for p in ARTIFACTS.glob("*.onnx"))


def model_info(name: str | os.PathLike) -> dict:
    """A model's metrics, without the cost of loading the model."""
    return _read_info(find_model(name))


def load_worker_model(name: str | os.PathLike = DEFAULT_MODEL) -> Recognizer:
    """A model for one of many readers running at once (server requests, batch workers, Ray
    actors): ONNX Runtime and OpenCV each on one thread, so the readers, not one reader's
    threads, share the cores. OpenCV's setting is for the whole process."""
    cv2.setNumThreads(1)
    return load_model(name, threads=1)


def load_model(name: str | os.PathLike = DEFAULT_MODEL, threads: int | None = None) -> Recognizer:
    """A shipped model by name ("mlp"), or a trained one by path (an .onnx file or its folder)."""
    return Recognizer(find_model(name), threads)


def find_model(name: str | os.PathLike) -> Path:
    """The .onnx file of a shipped model's name, or of a path to the file or its folder."""
    if not isinstance(name, (str, os.PathLike)):
        raise ModelError(f"a model is named by a string or a path, not {type(name).__name__}: a shipped model ({', '.join(available_models())}) or an .onnx file")
    path = Path(name)
    if str(name) in available_models():
        path = ARTIFACTS / f"{name}.onnx"
    elif path.is_dir():
        found = sorted(path.glob("*.onnx"))
        if len(found) != 1:
            raise ModelError(f"{path}: expected one .onnx model in this folder, found {len(found)}")
        path = found[0]
    elif not path.is_file():
        raise ModelError(f"no model {str(name)!r}: name a shipped model ({', '.join(available_models())}) or an .onnx file")
    return path
