"""Printed words and numbers, for training the print check: is a word beside a number print?

A form's printed label ("Amount", "Total:", "Date of birth") stands beside the number written in
its field, and the line reader, which knows digits and separators alone, reads its letters as
digits ("Amount 4070" was read "17704174070", unsure). The print check (models.printed) is shown
one word at a time, shaped as the reader shapes a line (lines.line_input), and says whether it is
printed letters. Its printed words are drawn in the installed PRINTED_FONTS; its other words are
the line reader's own synthetic lines (handwritten numbers, their separators, their paper) and
numbers printed in the same fonts, so that print is told by its letters, not by its type: a
printed number is still a number to read. The same seed gives the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..errors import NoDigitError
from ..reading.lines import LINE_HEIGHT, TRAIN_WIDTH, line_input, squeezed
from .synthetic import LineMaker, _text

PRINTED_FONTS = {
    **{f"/usr/share/fonts/truetype/liberation2/Liberation{face}-{style}.ttf": ("fonts-liberation2", "OFL-1.1") for face in ("Sans", "Serif", "Mono") for style in ("Regular", "Bold", "Italic")},
    **{f"/usr/share/fonts/truetype/croscore/{face}-{style}.ttf": ("fonts-croscore", "Apache-2.0") for face in ("Arimo", "Tinos", "Cousine") for style in ("Regular", "Bold", "Italic")},
    **{f"/usr/share/fonts/truetype/crosextra/Carlito-{style}.ttf": ("fonts-crosextra-carlito", "OFL-1.1") for style in ("Regular", "Bold", "Italic")},
    **{f"/usr/share/fonts/truetype/crosextra/Caladea-{style}.ttf": ("fonts-crosextra-caladea", "Apache-2.0") for style in ("Regular", "Bold", "Italic")},
    **{f"/usr/share/fonts/truetype/freefont/Free{face}.ttf": ("fonts-freefont-ttf", "GPL-3.0-or-later WITH Font-exception-2.0") for face in ("Sans", "Serif", "Mono", "SansBold", "SerifItalic")},
}
"""Printed typefaces under open licences, from Debian's packages (`apt-get install fonts-liberation2
fonts-croscore fonts-crosextra-carlito fonts-crosextra-caladea fonts-freefont-ttf`): the faces
forms are set in (Arial's, Times', Courier's, Calibri's and Cambria's metric twins among them).
Those installed are used; the model's JSON records which, with their licences. DejaVu is left
out on purpose: the benchmark's labels are set in it, a face the check never saw."""

PRINTED_SHARE = 0.45
"""The share of words that are printed letters; the rest are marks and numbers, handwritten or printed."""

MARK_SHARE = 0.15
"""The share of words that are marks (_mark): blots, strokes, crosses, border pieces."""

PRINTED_NUMBERS = 0.3
"""Of the numbers, the share printed in a font rather than handwritten."""

VOWELS, CONSONANTS = "aeiouy", "bcdfghjklmnprstvwz"


HELD_OUT_FONTS = {
    f"/usr/share/fonts/truetype/dejavu/DejaVu{face}.ttf": ("fonts-dejavu-core", "Bitstream-Vera")
    for face in ("Sans", "Serif", "SansMono", "Sans-Bold", "Serif-Bold")
}
"""Faces the check is tested in and never trained in (DejaVu, which CI installs): what it makes of
a face it never saw is what a user's form will get."""


@dataclass
class WordMaker:
    """Words as the print check sees them: printed labels, and numbers written or printed."""

    lines: LineMaker
    """The line reader's line maker, for handwritten numbers (MNIST training digits, handwriting fonts)."""
    fonts: tuple[str, ...]

    def word(self, rng: np.random.Generator) -> tuple[np.ndarray, int]:
        """One word: (LINE_HEIGHT, W) float32 pixels as the reader sees them, and 1 if it is printed letters."""
        while True:
            r = rng.random()
            try:
                if r < PRINTED_SHARE:
                    return line_input(self.image(_label(rng), rng)).pixels, 1
                if r < PRINTED_SHARE + MARK_SHARE:
                    return line_input(_on_paper(_mark(rng), rng)).pixels, 0
                if rng.random() < PRINTED_NUMBERS:
                    return line_input(self.image(_number(rng), rng)).pixels, 0
                return self.lines.line(rng)[0], 0  # its non-digit lines too: letters in handwriting fonts, symbols, mirrored digits
            except NoDigitError:  # too faint or too small to see: draw another
                continue

    def image(self, text: str, rng: np.random.Generator) -> np.ndarray:
        """The text printed on paper, as a uint8 grey image: a scan or a photo of a form."""
        size = int(rng.integers(12, 64))
        font = _font(str(rng.choice(self.fonts)), size)
        left, top, right, bottom = font.getbbox(text)
        layer = Image.new("L", (right - left + size, bottom - top + size), 0)
        ImageDraw.Draw(layer).text((size // 2 - left, size // 2 - top), text, font=font, fill=255)
        return _on_paper(np.asarray(layer, np.float32) / 255, rng)

    def batch(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """size words, (size, LINE_HEIGHT, TRAIN_WIDTH, 1), and their labels (size,): each word at a
        random place on a line TRAIN_WIDTH wide (squeezed to it if wider, as the runtime shows the
        check a longer word), as the line reader trains."""
        pixels = np.zeros((size, LINE_HEIGHT, TRAIN_WIDTH, 1), np.float32)
        labels = np.zeros(size, np.int32)
        for i in range(size):
            word, labels[i] = self.word(rng)
            word = squeezed(word)
            left = int(rng.integers(0, TRAIN_WIDTH - word.shape[1] + 1))
            pixels[i, :, left : left + word.shape[1], 0] = word
        return pixels, labels


def _on_paper(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink coverage (float32, 0-1) on paper with a margin, as a uint8 grey scan or photo of a form."""
    margin = int(rng.integers(4, 24))
    ink = np.pad(ink, margin)
    image = rng.uniform(190, 256) - ink * rng.uniform(150, 250)
    if rng.random() < 0.5:  # a page not quite level
        turn = cv2.getRotationMatrix2D((image.shape[1] / 2, image.shape[0] / 2), rng.uniform(-3, 3), 1.0)
        image = cv2.warpAffine(image, turn, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.5:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 1.2))
    image = np.clip(image + rng.normal(0, rng.uniform(0, 8), image.shape), 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        image = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 90))])[1], cv2.IMREAD_GRAYSCALE)
    return image


def _mark(rng: np.random.Generator) -> np.ndarray:
    """A mark that is neither print nor a number, as the layout leaves them on a line: a blot or a
    smear, a stroke, a cross or a tick after a number, a piece of a cell's border or of a scan's
    shadowed edge (ink coverage, float32 0-1). The first print check, trained without them, took
    such marks in realworld-dev's logbook cells and registers for print."""
    h = int(rng.integers(12, 64))
    w = int(h * rng.uniform(0.3, 5.0))
    ink = np.zeros((h + 8, w + 8), np.float32)
    t = max(1, round(h * rng.uniform(0.04, 0.3)))
    kind = int(rng.integers(0, 5))
    if kind == 0:  # a blot, or a smear fading along its length
        cv2.ellipse(ink, (w // 2 + 4, h // 2 + 4), (max(1, w // 2), max(1, h // 2)), rng.uniform(-20, 20), 0, 360, 1.0, -1)
        if rng.random() < 0.5:
            ink *= np.linspace(rng.uniform(0.2, 1), rng.uniform(0.2, 1), ink.shape[1], dtype=np.float32)[None]
    elif kind == 1:  # strokes: one, or crossed (+, x), or a tick
        for _ in range(int(rng.integers(1, 3))):
            cv2.line(ink, (int(rng.integers(0, w + 8)), int(rng.integers(0, h + 8))), (int(rng.integers(0, w + 8)), int(rng.integers(0, h + 8))), 1.0, t, cv2.LINE_AA)
    elif kind == 2:  # a piece of a border: a corner, or a bar along an edge
        cv2.line(ink, (4, 4), (4, h + 4), 1.0, t)
        if rng.random() < 0.5:
            cv2.line(ink, (4, h + 4), (w + 4, h + 4), 1.0, t)
    elif kind == 3:  # a band of shadow or a scan's dark edge
        ink[:] = np.linspace(rng.uniform(0.3, 1), rng.uniform(0.3, 1), ink.shape[1], dtype=np.float32)[None]
    else:  # specks and dots
        for _ in range(int(rng.integers(2, 8))):
            cv2.circle(ink, (int(rng.integers(0, w + 8)), int(rng.integers(0, h + 8))), max(1, t // 2), 1.0, -1, cv2.LINE_AA)
    return cv2.GaussianBlur(ink, (0, 0), rng.uniform(0.3, 1.5)) if rng.random() < 0.5 else ink


@lru_cache(maxsize=256)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _word(rng: np.random.Generator) -> str:
    """A word-like run of letters: consonants and vowels taking turns now and then, as in most languages' words."""
    n = int(rng.integers(2, 10))
    letters = [str(rng.choice(list(VOWELS if (i % 2 == 1) != (rng.random() < 0.25) else CONSONANTS))) for i in range(n)]
    word = "".join(letters)
    style = rng.random()
    return word.upper() if style < 0.15 else word.capitalize() if style < 0.7 else word


def _label(rng: np.random.Generator) -> str:
    """A form's printed label: a word or two, often ending in a colon or a full stop, now and then a unit in brackets."""
    text = _word(rng) if rng.random() < 0.7 else f"{_word(rng)} {_word(rng).lower()}"
    r = rng.random()
    if r < 0.3:
        text += ":"
    elif r < 0.4:
        text += "."
    elif r < 0.5:
        text += f" ({_word(rng).lower()[:3]})"
    return text


def _number(rng: np.random.Generator) -> str:
    """A number as the line reader's lines write them (never empty)."""
    while not (text := _text(rng)):
        pass
    return text
