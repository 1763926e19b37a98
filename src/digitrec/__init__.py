"""digitrec: recognise handwritten digits in your own images.

    >>> import digitrec
    >>> model = digitrec.load_model()                       # the shipped model: nothing to train or download
    >>> p = model.predict("samples/7-centred.png")          # a path, bytes, a NumPy array or a PIL image
    >>> p.digit, p.confidence, p.probabilities
"""

from .errors import DataError, DigitrecError, ImageError, ModelError, NoDigitError

_RUNTIME = ("load_model", "available_models", "Recognizer", "Prediction")

__all__ = [*_RUNTIME, "DigitrecError", "DataError", "ImageError", "NoDigitError", "ModelError"]


def __getattr__(name: str):
    # The runtime loads ONNX Runtime and OpenCV; import it on first use so that
    # `digitrec --help` and training don't pay for it.
    if name in _RUNTIME:
        from .reading import runtime

        return getattr(runtime, name)
    raise AttributeError(f"module 'digitrec' has no attribute {name!r}")
