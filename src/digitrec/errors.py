"""Errors a user can act on; the CLI prints them as one line instead of a traceback."""


class DigitrecError(Exception):
    """Base class: the message says what went wrong and what to do about it."""


class DataError(DigitrecError):
    """A dataset file is missing, unreadable or not what it claims to be."""


class ImageError(DigitrecError):
    """A user's image cannot be read or holds nothing to recognise."""


class ImageTooLargeError(ImageError):
    """The image has more pixels than digitrec will decode: perhaps a decompression bomb."""


class IsAFolderError(ImageError):
    """A folder was given where an image was expected."""


class NoDigitError(ImageError):
    """The image was read, but it holds no ink."""


class ModelError(DigitrecError):
    """A model cannot be found, loaded or trained as asked."""
