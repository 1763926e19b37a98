"""One line of handwriting as the line reader sees it, and its network's output read back as text.

The line reader is a convolutional network over a whole line with a CTC output (models.line),
so it needs no segmentation: touching digits, a 1 with a lead-in stroke and the separators
people write inside numbers are read in one pass. This module is the reading side of it, in
NumPy and OpenCV only: the same `line_input` shapes the synthetic training lines and a user's
image, and `decode` turns the network's per-column probabilities into characters, each with its
confidence and its box.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .decode import ImageInput
from .layout import Region, whole
from .preprocess import ink_mask, ink_strength, relative_ink

ALPHABET = "0123456789.,-/:"
"""What the line reader can write: digits and the separators people write inside numbers.
Class k + 1 of the network's output is ALPHABET[k]; class 0 is CTC's blank."""

SEPARATORS = ALPHABET[10:]

BETWEEN_DIGITS = "/:"
"""Separators that only stand between groups of digits: a date's or a fraction's slash, a
blood pressure's ("120/80"), a time's or a score's colon ("12:30", "3:1"). Read first or last in a
line, or beside a group longer than GROUP_AT_MOST, the stroke is not that separator, most often a
slanted 1: it is ruled out and the network's other classes there kept in proportion (_in_form), so
the digit it thought next likeliest, or paper, is read, at a confidence that says how much less
sure it was."""

GROUP_AT_MOST = 4
"""The most digits a group beside a slash or colon has: a year ("11/2024", "2023/24"). Chosen by
what people write, not by a benchmark. At 4, 4 more lines of the generated pages (`evaluate --pages
200 --seed 0`) read right than with only a first or last slash or colon ruled out (94.4%), and
"120/80", "3:1", "16:9" and "1/100", written as the training writes separators, read as before (18
or 19 times in 20). Held to the groups of dates and times (1-2 digits, or 4 after a slash), with an
unsure line's readings at other widths weighed under the rule too, 10 more lines read right
(95.1%), but those four were read "120180", "31", "169" and "11100" 20 times in 20, some of them
surely: a rule that reads people's numbers worse to score a benchmark of plain digits better."""

LINE_HEIGHT = 32
"""Lines are read at this height in pixels."""

INK_HEIGHT = 28
"""The ink's bounding box fills this many of LINE_HEIGHT's rows, leaving a margin above and below."""

STRIDE = 4
"""Columns of the line per output frame: the network halves the width twice."""

STRETCHES = (1.0, 0.8, 1.25, 2 / 3, 1.5)
"""A line the reader is unsure of is read again narrowed and widened by these factors: handwriting
runs wider or narrower than the synthetic lines, and CTC drops or doubles characters when it
does. Each view's reading is scored by its probability averaged over the views. The first three
were chosen on 800 held-out synthetic lines (87.6% exact at 1.0 alone, 88.6% with them, 88.0%
with 0.9 and 1.1 instead). The two further out, as far each way, are for real hands, whose
proportions stray further than the training's: with them realworld-dev read cheques 79.0 ->
81.0%, logbook cells 87.5 -> 89.0%, registers 85.5 -> 85.0%, DIDA 95.0 -> 95.4%, non-digits
accepted 2.0 -> 1.5%, and the generated pages 94.4 -> 95.1% of lines (seeds 1 and 2: 92.2 ->
92.9%, 93.0 -> 93.9%), but the held-out synthetic lines, drawn as the training draws them, 88.9
-> 88.3%. Only 1.5 added: pages better, every real pool worse (README, "Real handwriting")."""


TRAIN_WIDTH = 192
"""Training lines and words are padded (or, when longer, squeezed) to this many pixels: 48 of the
line reader's output frames. The print check, trained so, is shown a longer word squeezed to it."""

MIN_WIDTH = 16
"""Narrower lines (a lone 1) are padded to this width, so the network sees some paper beside them."""


@dataclass(frozen=True)
class LineInput:
    """A line, ready for the network, and how to map its columns back to the image."""

    pixels: np.ndarray
    """(LINE_HEIGHT, W) float32 in [0, 1], ink 1 on paper 0; W a multiple of STRIDE."""
    mask: np.ndarray = None  # type: ignore[assignment]
    """The ink mask of the crop, at the working scale, for the characters' boxes."""
    origin: tuple[float, float] = (0.0, 0.0)
    """(x, y) of the crop in the image's pixels."""
    scale: float = 1.0
    """Line pixels per image pixel."""
    pad: int = 0
    """Columns of paper added on the line's left."""
    stretch: float = 1.0
    """How much wider than the ink's own proportions the line is drawn."""
    ink: np.ndarray = None  # type: ignore[assignment]
    """The crop's ink in [0, 1] at the working scale, before scaling to the line: what a digit
    model is shown when the line holds one digit (runtime's second look)."""


@dataclass(frozen=True)
class Character:
    """One character as read: what it is, how sure the network is, and where it stands."""

    char: str
    confidence: float
    box: tuple[int, int, int, int] | None
    """(x, y, width, height) in the image."""
    uncertain: bool = False
    """The confidence is below the threshold: a person should check this character."""
    probabilities: tuple[float, ...] | None = None
    """For a digit: the ten digits' probabilities where it was read surest (for the line reader,
    that frame's, shared out among the digits alone; for a lone digit, the two networks' together)."""

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        return top(self.probabilities, k) if self.probabilities is not None else []


def top(probabilities: tuple[float, ...], k: int = 3) -> list[tuple[int, float]]:
    """The k likeliest digits, likeliest first, with their probabilities."""
    order = np.argsort(probabilities)[::-1][:k]
    return [(int(d), probabilities[d]) for d in order]


def line_input(image: ImageInput) -> LineInput:
    """A user's image (or a synthetic one) as the line reader's input: the paper removed, cropped
    to the ink and scaled so that the ink's height is INK_HEIGHT. Raises NoDigitError if blank."""
    strength, page_scale = ink_strength(image)
    return line_of(strength, whole(ink_mask(strength)), page_scale)


def squeezed(pixels: np.ndarray) -> np.ndarray:
    """A line's pixels no wider than TRAIN_WIDTH: a longer line squeezed to it, as training lines are."""
    if pixels.shape[1] <= TRAIN_WIDTH:
        return pixels
    return cv2.resize(pixels, (TRAIN_WIDTH, LINE_HEIGHT), interpolation=cv2.INTER_AREA)


def line_of(strength: np.ndarray, region: Region, page_scale: float, stretch: float = 1.0) -> LineInput:
    """One region of the page's ink strength (the layout's line, or all the ink) as the line
    reader's input: cropped tight around the region's marks, other marks and rules blanked.

    page_scale is the page's size over the image's; stretch widens (or, below 1, narrows) the
    line against its height (STRETCHES)."""
    x, y, w, h = region.box
    strength = strength[y : y + h, x : x + w].copy()
    strength[region.foreign > 0] = 0
    ink = relative_ink(strength, region.mask)
    h, w = ink.shape
    scale = INK_HEIGHT / h
    width = max(1, round(w * scale * stretch))
    how = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(ink, (width, INK_HEIGHT), interpolation=how)
    total = max(MIN_WIDTH, -(-(width + 4) // STRIDE) * STRIDE)
    pad = (total - width) // 2
    pixels = np.zeros((LINE_HEIGHT, total), np.float32)
    margin = (LINE_HEIGHT - INK_HEIGHT) // 2
    pixels[margin : margin + INK_HEIGHT, pad : pad + width] = resized
    return LineInput(
        pixels=pixels,
        mask=region.mask,
        origin=(x / page_scale, y / page_scale),
        scale=scale * page_scale,
        pad=pad,
        ink=ink,
        stretch=stretch,
    )


def decode(probabilities: np.ndarray, line: LineInput | None = None) -> tuple[list[Character], float]:
    """Best-path CTC decoding of (frames, classes) probabilities, once the separators out of form
    are ruled out (_in_form): the characters, and the line's confidence, the probability of what
    was read summed over every alignment (CTC's forward algorithm), so a doubt about where a
    character starts costs nothing, and one about what it is costs all.

    Each character's confidence is its class's highest probability over the frames it spans. Its
    box (None without the line) covers the ink between the midpoints to its neighbours' frames:
    CTC marks a character in a frame or two, not across its width.
    """
    probabilities, runs = _in_form(probabilities)
    characters = []
    for i, (k, first, last, surest) in enumerate(runs):
        box = None
        if line is not None:
            left = 0 if i == 0 else (runs[i - 1][2] + first + 1) // 2
            right = len(probabilities) - 1 if i == len(runs) - 1 else (last + runs[i + 1][1] - 1) // 2
            box = _box(line, left, max(left, right))
        digits = _digits(probabilities[surest]) if k <= 10 else None
        characters.append(Character(ALPHABET[k - 1], float(probabilities[surest, k]), box, probabilities=digits))
    return characters, labelling_probability(probabilities, [k for k, *_ in runs])


def _runs(probabilities: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The best path's characters: (class, first frame, last frame, surest frame) each."""
    best = probabilities.argmax(axis=1)
    runs = []
    t = 0
    while t < len(best):
        k, end = best[t], t
        while end + 1 < len(best) and best[end + 1] == k:
            end += 1
        if k:
            runs.append((int(k), t, end, t + int(probabilities[t : end + 1, k].argmax())))
        t = end + 1
    return runs


def _out_of_form(runs: list[tuple[int, int, int, int]]) -> list[int]:
    """Which of the runs are a slash or colon where none stands: first or last, or beside a long group."""
    text = "".join(ALPHABET[k - 1] for k, *_ in runs)
    return [i for i, c in enumerate(text) if c in BETWEEN_DIGITS and not _stands_between(text, i)]


def _in_form(probabilities: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """The network's output with each slash or colon that its best path puts out of form
    (BETWEEN_DIGITS) ruled out of its frames (_rule_out). Returns those probabilities and their
    best path's runs."""
    runs = _runs(probabilities)
    out = _out_of_form(runs)
    if out:
        probabilities = probabilities.astype(np.float64)  # a copy: the network's output stays as it was
    while out:  # a colon ruled out may leave a slash as likeliest, out of form too
        for i in out:
            k, first, last, _ = runs[i]
            _rule_out(probabilities[first : last + 1], [k])
        runs = _runs(probabilities)
        out = _out_of_form(runs)
    return probabilities, runs


def allowing(probabilities: np.ndarray, separators: str) -> np.ndarray:
    """The network's (frames, classes) output with the separators not in `separators` ruled out,
    as _in_form rules out one out of form (_rule_out). For a field the reader is told holds no
    such separator (a column of counts, digits alone): a slanted 1 it took for a slash reads as
    the 1 it thought likeliest next. The output as it is where every separator is allowed."""
    out = [ALPHABET.index(c) + 1 for c in SEPARATORS if c not in separators]
    if not out:
        return probabilities
    kept = probabilities.astype(np.float64)  # a copy: the network's output stays as it was
    _rule_out(kept, out)
    return kept


def _rule_out(frames: np.ndarray, classes: list[int]) -> None:
    """Those classes ruled out of the frames (float64, in place): their share given to the other
    classes in proportion, as if the network had been told, so that its belief in the rest (a
    digit, or paper) stays as it was, one to another. A frame that gave them everything is left
    with nothing, and the reading through it with no confidence."""
    frames /= np.maximum(1.0 - frames[:, classes].sum(axis=1), 1e-9)[:, None]
    frames[:, classes] = 0.0


def checked_separators(separators: str | None) -> str:
    """The separators asked for (None: all of them), if each is one the reader can write: a
    mistyped one would otherwise be silently never read."""
    if separators is None:
        return SEPARATORS
    if not isinstance(separators, str) or any(c not in SEPARATORS for c in separators):
        raise ValueError(f"separators are some of {' '.join(SEPARATORS)} ('' for digits alone), not {separators!r}")
    return separators


def _stands_between(text: str, i: int) -> bool:
    """Whether the slash or colon at text[i] has a group of 1 to GROUP_AT_MOST digits on each side."""
    left = len(text[:i]) - len(text[:i].rstrip("0123456789"))
    right = len(text[i + 1 :]) - len(text[i + 1 :].lstrip("0123456789"))
    return 1 <= left <= GROUP_AT_MOST and 1 <= right <= GROUP_AT_MOST


def encode(text: str) -> list[int]:
    """The network's class of each character (0 is CTC's blank)."""
    return [ALPHABET.index(c) + 1 for c in text]


def labelling_probability(probabilities: np.ndarray, labels: list[int]) -> float:
    """p(labels | line): CTC's forward algorithm over the blank-extended labels, in log space."""
    extended = [0]
    for k in labels:
        extended += [k, 0]
    log_p = np.log(np.maximum(probabilities[:, extended], 1e-30))
    n = len(extended)
    # alpha lies at held[2:], behind two states that are never reached: a step comes from the
    # state before (held[1:-1]), a skip from two before (held[:-2]) where the labels allow it
    # (skip adds 0 there, -inf elsewhere). One frame is three array operations, not seven.
    held = np.full(n + 2, -np.inf)
    alpha = held[2:]
    alpha[0] = log_p[0, 0]
    if n > 1:
        alpha[1] = log_p[0, 1]
    skip = np.array([0.0 if s >= 2 and extended[s] != 0 and extended[s] != extended[s - 2] else -np.inf for s in range(n)])
    for t in range(1, len(probabilities)):
        alpha[:] = np.logaddexp(np.logaddexp(alpha, held[1:-1]), held[:-2] + skip) + log_p[t]
    end = alpha[-1] if n == 1 else np.logaddexp(alpha[-1], alpha[-2])
    return float(min(1.0, np.exp(end)))


def _box(line: LineInput, first: int, last: int) -> tuple[int, int, int, int]:
    """The image box of the ink under frames first..last (or of those columns, if they hold none)."""
    page_per_column = line.mask.shape[0] / INK_HEIGHT / line.stretch  # crop columns per line column
    a = max(0, int((first * STRIDE - line.pad) * page_per_column))
    b = min(line.mask.shape[1], max(a + 1, int(np.ceil(((last + 1) * STRIDE - line.pad) * page_per_column))))
    rows = np.nonzero(line.mask[:, a:b].any(axis=1))[0] if a < line.mask.shape[1] else np.array([])
    top, bottom = (rows.min(), rows.max() + 1) if len(rows) else (0, line.mask.shape[0])
    cols = np.nonzero(line.mask[top:bottom, a:b].any(axis=0))[0]
    if len(cols):
        a, b = a + cols.min(), a + cols.max() + 1
    to_image = INK_HEIGHT / line.scale / line.mask.shape[0]  # image pixels per crop pixel
    x0, y0 = line.origin
    return (
        int(round(x0 + a * to_image)),
        int(round(y0 + top * to_image)),
        max(1, int(round((b - a) * to_image))),
        max(1, int(round((bottom - top) * to_image))),
    )


def best_digit(probabilities: np.ndarray, line: LineInput | None = None) -> tuple[list[Character], float]:
    """The image read as one digit: the digit most probable in any frame, with that probability."""
    digits = probabilities[:, 1:11]
    t, d = np.unravel_index(int(digits.argmax()), digits.shape)
    confidence = float(digits[t, d])
    box = _box(line, 0, len(probabilities) - 1) if line is not None else None  # the whole ink: one digit is all there is
    return [Character(str(d), confidence, box, probabilities=_digits(probabilities[t]))], confidence


def padded(lines: list[np.ndarray], width: int) -> np.ndarray:
    """Lines of any width as one (N, LINE_HEIGHT, width) batch: each centred, cut to width if wider."""
    out = np.zeros((len(lines), LINE_HEIGHT, width), np.float32)
    for i, pixels in enumerate(lines):
        pixels = pixels[:, :width]
        left = (width - pixels.shape[1]) // 2
        out[i, :, left : left + pixels.shape[1]] = pixels
    return out


def _digits(frame: np.ndarray) -> tuple[float, ...]:
    digits = frame[1:11].astype(np.float64)
    return tuple((digits / max(digits.sum(), 1e-12)).tolist())
