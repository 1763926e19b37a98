"""digitrec: recognise handwritten digits in your own images.

    >>> import digitrec
    >>> model = digitrec.load_model()            # the shipped model; no training, no download
    >>> p = model.predict("samples/7-centred.png")  # a path, bytes, a NumPy array or a PIL image
    >>> p.digit, p.confidence, p.probabilities
"""

from .errors import DataError, DigitrecError, ImageError, ModelError, NoDigitError
from .runtime import Prediction, Recognizer, available_models, load_model

__all__ = [
    "load_model",
    "available_models",
    "Recognizer",
    "Prediction",
    "DigitrecError",
    "DataError",
    "ImageError",
    "NoDigitError",
    "ModelError",
]
