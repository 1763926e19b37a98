"""Numbers that define the MNIST format, and choices that rest on a measurement, kept in one place."""

IMAGE_SIZE = 28
"""MNIST images are IMAGE_SIZE x IMAGE_SIZE pixels."""

DIGIT_BOX = 20
"""MNIST scaled each digit to fit a DIGIT_BOX x DIGIT_BOX box, keeping its aspect ratio."""

CENTRE = (14.0, 14.0)
"""Where MNIST puts a digit's centre of mass, as (row, column) pixel indices (measured: 13.99, 14.00)."""

NUM_CLASSES = 10

DEFAULT_MODEL = "line"
"""The shipped model that predict, the API and the web page use unless told otherwise: the line
reader, which reads real handwritten numbers far better than segmentation and a digit model
(README, "Real handwriting")."""

TRAINING_BACKENDS = {"mlp": "jax", "cnn": "tensorflow", "line": "tensorflow", "printed": "tensorflow"}
"""The fastest Keras backend for each architecture on a 2-core CPU (README, "Choosing the backend")."""

SECOND_LOOK = "cnn"
"""The shipped digit model that reads a line again where the line reader found a lone digit
(runtime.Recognizer._looked_again). Chosen on MNIST's unseen training tail (the last 3,000
digits, through predict): the line reader alone 98.93%, with the CNN's second look 99.20%
(geometric mean of the probabilities; their average 99.13%); on the realistic set's non-digits
(seeds 11 and 12) confident readings fell from 1.7 and 2.3% to 0.0 and 0.3%, with the line
reader shipped then (docs/line-reader-history.md, "Single digits: a second look")."""

GUESS_AT_LEAST = 0.5
"""Where the line reader reads an image as nothing, its likeliest digit (with the second look) is
still given, flagged uncertain, when the two networks together give it this probability: more
likely than every other digit together. Chosen on MNIST's unseen training tail (last 6,000,
through predict): "nothing" for 20 digits at 0.95, 12 at 0.8, 3 at 0.5 (99.25% -> 99.50% read
right). Non-digits are then more often an uncertain digit than "no number" (realworld-dev's: 137
-> 108 of 200 answered "no number"); none more is read as a confident one."""

GUESS_MARKS = 3
"""That guess (GUESS_AT_LEAST) is made only where the ink is at most this many separate marks: a
digit, or one broken in two or three; a grid of dots stays "no number"."""

MAX_SIDE = 2048
"""Larger images are shrunk to this many pixels a side while decoding: a digit needs far fewer."""

MAX_MARKS = 4000
"""More separate marks than this is no page of numbers (noise, a photo of texture): refused by the
layout, not ground through (the skew step and the form boxes skip it alike)."""

MAX_PIXELS = 64_000_000
"""Images with more pixels than this (a 48-megapixel phone photo has 48M) are refused before decoding."""

MAX_FILE_BYTES = 256 * 1024 * 1024
"""Files (and standard input) larger than this are refused before they are read: MAX_PIXELS
uncompressed at 4 bytes a pixel (8-bit RGBA, a BMP or a TIFF saved plain) fits, and a file that
never ends (a log still growing, /dev/zero through a pipe) stops here instead of filling memory."""

UNCERTAIN_BELOW = 0.95
"""A digit read with less confidence than this is flagged as uncertain. Chosen for the shipped
CNN on the realistic sets with seeds 11 and 12 (never seed 0, which the README reports): there it
flags 7.0% of right digits, about as many as the previous CNN did at 0.8, and lets through 3.2%
of misread digits and 0.7% of non-digits (README, "Real-world images")."""

LOOKALIKES = set("OoDIlijSsZzBbGgqT")
"""Letters a person would also read as a digit (O as 0, l as 1, S as 5, g as 9...): left out of the
non-digit images, in evaluation and in training, since reading them as digits is no mistake."""

LETTERS = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in LOOKALIKES]
"""The letters that non-digit images are drawn from."""
