"""digitrec: recognise handwritten digits and numbers in your own images.

    >>> import digitrec
    >>> model = digitrec.load_model()                       # the line reader: nothing to train or download
    >>> r = model.read("samples/number-8405-photo.jpg")     # a path, bytes, a NumPy array or a PIL image
    >>> r.number, r.confidence, [(c.char, c.box) for c in r.characters]
"""

from .errors import DataError, DigitrecError, ImageError, ModelError, NoDigitError

_RUNTIME = ("load_model", "available_models", "Recognizer", "Prediction", "Reading")

__all__ = [*_RUNTIME, "DigitrecError", "DataError", "ImageError", "NoDigitError", "ModelError"]


def __getattr__(name: str):
    # The runtime loads ONNX Runtime and OpenCV; import it on first use so that
    # `digitrec --help` and training don't pay for it.
    if name in _RUNTIME:
        from .reading import runtime

        return getattr(runtime, name)
    raise AttributeError(f"module 'digitrec' has no attribute {name!r}")
