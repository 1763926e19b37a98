"""Reading a user's image, in whatever form it comes, into a plain 8-bit array, safely.

Pillow does the decoding: it reads every format people have (PNG, JPEG, WebP, BMP, TIFF,
GIF, AVIF, and through pillow-heif the HEIC photos phones take; pdf.py draws a scanned PDF's
pages), applies EXIF orientation, and reads an image's size before its pixels, so absurd
dimensions are refused before a byte of them is decompressed. Large photos are shrunk while
decoding (JPEG's own reduced-size decoding), since a digit needs far fewer pixels than a phone
takes.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..constants import MAX_FILE_BYTES, MAX_PIXELS, MAX_SIDE
from ..errors import ImageError, ImageTooLargeError, IsAFolderError

FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF", "AVIF")
"""The formats Pillow decodes for digitrec. Pillow opens more (DDS, TGA, ICO, EPS through
Ghostscript...), and some of those raise what no reader expects or run another program: they
are refused."""

HEIF = "HEIF"
"""HEIC and HEIF, an iPhone's photos: pillow-heif's plugin, registered only when an image that is
none of FORMATS is an ISO media file (a 'ftyp' box at byte 4), so that other images never load
libheif (its import takes 50 ms)."""

NAMES = "PNG, JPEG, WebP, BMP, TIFF, GIF, AVIF, HEIC/HEIF, PDF"

MAX_PAGES = 10
"""The most pages of a document (a PDF, a multi-page TIFF) read from one file: a form, or a few
pages of a logbook, at about a third of a second a page (the drawing, the clean-up and the
layout of a 2048-pixel page). A longer document is refused with how to split it, so that a file
never holds more than MAX_PAGES pages' pixels or time."""

ImageInput = Union[str, os.PathLike, bytes, np.ndarray, Any]  # Any: a PIL image, duck-typed


def read(image: ImageInput, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Any supported input as uint8, (H, W) grayscale or (H, W, 3) RGB, at most MAX_SIDE a side.

    Images of more than max_pixels are refused with an ImageError, before decoding; so is a
    document of several pages (pages() reads those).
    """
    if isinstance(image, (str, os.PathLike, bytes, bytearray, memoryview)):
        name, (first, *rest) = _pages(image, max_pixels)
        if rest:
            raise ImageError(f"{name}: a document of {1 + len(rest)} pages, where one image was wanted; read every page with Recognizer.read or `digitrec predict`")
        return first
    if isinstance(image, np.ndarray):
        return _from_array(image, max_pixels)
    if isinstance(image, Image.Image):
        image.seek(0)  # the first frame of an animation (a file opens at it, a HEIF at its primary picture)
        return _from_pil(image, "the image", max_pixels)
    raise ImageError(f"cannot read a {type(image).__name__}: pass a path, bytes, a NumPy array or a PIL image")


def pages(image: ImageInput, max_pixels: int = MAX_PIXELS) -> list[np.ndarray]:
    """Each page of a document (a PDF, a multi-page TIFF) as read() gives an image, first to last;
    any other input, an animation included (its first frame), as a page of one. A document of
    more than MAX_PAGES pages is refused with an ImageError."""
    if isinstance(image, (str, os.PathLike, bytes, bytearray, memoryview)):
        return _pages(image, max_pixels)[1]
    return [read(image, max_pixels)]


def _pages(image: str | os.PathLike | bytes | bytearray | memoryview, max_pixels: int) -> tuple[str, list[np.ndarray]]:
    """A file's or a buffer's name (as its errors give it) and its pages."""
    if isinstance(image, (str, os.PathLike)):
        data, name = _read_bytes(Path(image)), str(image)
    else:
        data, name = bytes(image), "image bytes"
    if not data:
        raise ImageError(f"{name}: the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")  # "Corrupt EXIF data" and the like: the image is read, or refused, all the same
            return name, [_from_pil(im, name, max_pixels) for im in _opened(data, name, max_pixels)]
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image, or a format digitrec cannot read ({NAMES})") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageTooLargeError(f"{name}: refused, too many pixels to decode safely ({e})") from None
    except (OSError, ValueError, SyntaxError, EOFError, NotImplementedError, struct.error, IndexError, TypeError, KeyError, RuntimeError) as e:
        # Pillow's ways of saying "corrupt": TypeError and KeyError from a TIFF's later page, RuntimeError
        # from the AVIF and HEIF decoders (found by mutating images of every format, tests/test_decode.py)
        raise ImageError(f"{name}: the image is corrupt or truncated ({type(e).__name__}: {str(e).strip()})") from None


def _read_bytes(path: Path) -> bytes:
    """A file's bytes, where it is a plain file of at most MAX_FILE_BYTES. A named pipe would hold
    the read until something wrote to it, and a device (/dev/zero) never ends: both are refused
    before a byte is read. Opened without blocking, so that opening a pipe does not wait either."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as f:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError
            if not stat.S_ISREG(info.st_mode):
                raise ImageError(f"{path}: not a file but {_KINDS.get(stat.S_IFMT(info.st_mode), 'a special file')}; save the image to a file first")
            if info.st_size > MAX_FILE_BYTES:
                raise ImageTooLargeError(f"{path}: refused, the file is {info.st_size / 2**20:,.0f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB digitrec reads; shrink or compress it first")
            return bounded(f, str(path))
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise IsAFolderError(f"{path}: is a folder, not an image") from None
    except OSError as e:
        raise ImageError(f"{path}: cannot read ({e.strerror or e})") from None


_KINDS = {stat.S_IFIFO: "a named pipe", stat.S_IFCHR: "a device", stat.S_IFBLK: "a disk device", stat.S_IFSOCK: "a socket"}


def bounded(stream: BinaryIO, name: str) -> bytes:
    """What a stream (standard input, a file) holds, refused where it runs past MAX_FILE_BYTES:
    only that much more than the limit is ever read."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ImageTooLargeError(f"{name}: refused, over the {MAX_FILE_BYTES // 2**20} MiB digitrec reads; shrink or compress the image first")
    return data


def _opened(data: bytes, name: str, max_pixels: int) -> Iterator[Image.Image]:
    """Each page of the file, its size checked, not yet decoded: a PDF's pages drawn (pdf.py), a
    TIFF's pages, or the one image of any other format, opened by Pillow. PDFium and libheif are
    imported only for the files that need them."""
    if data[:1024].lstrip().startswith(b"%PDF-"):
        from . import pdf

        drawn, count = pdf.pages(data, name, MAX_PAGES)
        sheets: Iterator[Image.Image] = iter(drawn)
        pages = f"{count} pages"
    else:
        im = _open(data)
        count = _tiff_pages(im) if im.format == "TIFF" else 1  # a GIF's or a WebP's frames are an animation's, not pages
        sheets = _frames(im, count) if count > 1 else iter([im])  # as opened: a HEIF at its primary picture
        pages = f"over {MAX_PAGES} pages"  # counted no further
    if count > MAX_PAGES:
        raise ImageError(f"{name}: the document has {pages}, and digitrec reads at most {MAX_PAGES} from one file: split it first (for example qpdf --split-pages, or tiffsplit)")
    for im in sheets:
        _check_size(im.size, name, max_pixels)
        im.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG decodes at 1/2, 1/4 or 1/8 scale; others ignore it
        yield im


def _tiff_pages(im: Image.Image) -> int:
    """A TIFF's pages, counted up to MAX_PAGES + 1: Pillow counts them all by walking the file
    page by page, and a 2.9 MB TIFF of 20,000 tiny pages took 3 s to be refused. Page by page
    here too: Pillow sought straight to a page past the last takes that page for the last."""
    count = 1
    try:
        while count <= MAX_PAGES:
            im.seek(count)
            count += 1
    except EOFError:
        pass
    im.seek(0)
    return count


def _frames(im: Image.Image, count: int) -> Iterator[Image.Image]:
    for k in range(count):
        im.seek(k)
        yield im


def _open(data: bytes) -> Image.Image:
    """The image Pillow opens, in one of FORMATS or, for an ISO media file, as a HEIF."""
    try:
        return Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        if data[4:8] != b"ftyp":
            raise
    from pillow_heif import register_heif_opener

    register_heif_opener(thumbnails=False)  # the image itself; a thumbnail would stand in for it below MAX_SIDE
    return Image.open(io.BytesIO(data), formats=(HEIF,))


def _check_size(size: tuple[int, int], name: str, max_pixels: int) -> None:
    w, h = size
    if w < 1 or h < 1:
        raise ImageError(f"{name}: the image has no pixels ({w}x{h})")
    if w * h > max_pixels:
        raise ImageTooLargeError(f"{name}: refused, {w}x{h} is over the limit of {max_pixels:,} pixels; shrink the image first")


def _from_pil(im: Image.Image, name: str, max_pixels: int) -> np.ndarray:
    _check_size(im.size, name, max_pixels)
    if im.width > MAX_SIDE or im.height > MAX_SIDE:
        # Shrunk first, then turned upright: turning first copies the full-size image.
        im = _shrunk(im)
    im = ImageOps.exif_transpose(im)
    im.load()
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit (or 32-bit) grayscale: keep its full range
        return _from_array(np.asarray(im).astype(np.uint16 if im.mode != "I" else np.int64), max_pixels)
    if im.mode in ("1", "L"):
        return np.asarray(im.convert("L"))
    if im.mode in ("LA", "RGBA", "PA", "La", "RGBa") or (im.mode == "P" and "transparency" in im.info):
        return _from_array(np.asarray(im.convert("RGBA")), max_pixels)
    return np.asarray(im.convert("RGB"))


BAND = 64
"""Rows of the shrunk image made at a time from a huge one."""


def _shrunk(im: Image.Image) -> Image.Image:
    """A huge image at most MAX_SIDE a side, made band by band: shrinking it whole copies it (twice,
    with transparency), and an 8000x8000 RGBA PNG then took 900 MB to read; by bands, 450."""
    if im.mode not in ("1", "L", "LA", "RGB", "RGBA", "P"):  # 16-bit and other rare modes: whole
        im.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
        return im
    mode = {"1": "L", "P": "RGBA" if "transparency" in im.info else "RGB"}.get(im.mode, im.mode)
    f = -(-max(im.size) // MAX_SIDE)
    out = Image.new(mode, (-(-im.width // f), -(-im.height // f)))
    for y in range(0, im.height, BAND * f):
        band = im.crop((0, y, im.width, min(im.height, y + BAND * f)))
        out.paste((band if band.mode == mode else band.convert(mode)).reduce(f), (0, y // f))
    out.info = {k: v for k, v in im.info.items() if k != "transparency"}
    if "exif" in im.info or im.getexif():
        out.info["exif"] = im.getexif().tobytes()
    return out


def _from_array(a: np.ndarray, max_pixels: int) -> np.ndarray:
    """Arrays are taken as PIL and matplotlib give them: (H, W), (H, W, 1), RGB or RGBA."""
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ImageError(f"an image array must be (H, W), (H, W, 3) or (H, W, 4); got shape {a.shape}")
    if a.size == 0:
        raise ImageError("the image array is empty")
    if not (a.dtype == bool or np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise ImageError(f"an image array must hold numbers (uint8, other integers, floats or bools); got dtype {a.dtype}")
    _check_size((a.shape[1], a.shape[0]), "the image array", max_pixels)
    a = _to_uint8(a)
    if a.ndim == 3 and a.shape[2] == 4:
        a = _composite(a)
    if max(a.shape[:2]) > MAX_SIDE:
        return np.asarray(_from_pil(Image.fromarray(a), "the image array", max_pixels))
    return a


def _to_uint8(a: np.ndarray) -> np.ndarray:
    if a.dtype == np.uint8:
        return a
    if a.dtype == bool:
        return a.astype(np.uint8) * 255
    if a.dtype == np.uint16 or (np.issubdtype(a.dtype, np.integer) and a.max(initial=0) > 255):
        return (np.clip(a, 0, 65535) // 257).astype(np.uint8)
    a = np.asarray(a, dtype=np.float32)
    if not np.isfinite(a).all():
        raise ImageError("the image array holds NaN or infinite values")
    scale = 255.0 if a.max() <= 1.0 else 1.0  # floats in [0, 1] or in [0, 255]
    return np.clip(np.rint(a * scale), 0, 255).astype(np.uint8)


def _composite(rgba: np.ndarray) -> np.ndarray:
    """Flatten transparency onto a background the ink stands out from.

    A drawing app's export is ink on nothing: its colour says nothing where alpha is 0. Dark
    strokes go onto white and light strokes onto black, so either way the ink shows.
    """
    alpha = rgba[:, :, 3]
    opaque = alpha > 127
    if opaque.all():
        return rgba[:, :, :3].copy()
    luminance = rgba[:, :, :3][opaque].mean() if opaque.any() else 0.0
    background = 255 if luminance < 128 else 0
    # In 16-bit integers, in place: float copies of a 2048x2048 image cost 200 MB.
    a = alpha.astype(np.uint16)[:, :, None]
    out = rgba[:, :, :3].astype(np.uint16)
    out *= a
    out += background * (255 - a) + 127
    out //= 255
    return out.astype(np.uint8)
