"""Reading user images: every format, alpha, EXIF orientation, 16-bit, and the refusals."""

from __future__ import annotations

import io
import os
import struct
import threading
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from digitrec.reading import decode, preprocess
from digitrec.constants import MAX_FILE_BYTES, MAX_PIXELS, MAX_SIDE
from digitrec.errors import ImageError, ImageTooLargeError


def one(size: tuple[int, int] = (80, 60)) -> np.ndarray:
    """A dark vertical bar (a "1") on light paper, as uint8 grayscale of (height, width) = size."""
    gray = np.full(size, 235, np.uint8)
    cv2.line(gray, (size[1] // 2, size[0] // 8), (size[1] // 2, size[0] * 7 // 8), 20, max(2, size[1] // 10))
    return gray


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    if fmt == "HEIF":  # pillow-heif writes it (decode registers its reader only when it needs it)
        import pillow_heif

        pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF", "AVIF", "HEIF"])
@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_every_format_reads_the_same_digit(fmt, mode):
    gray = one()
    data = encode(Image.fromarray(gray).convert(mode), fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP", "AVIF", "HEIF") else {}))
    expected = preprocess.prepare(gray)
    got = preprocess.prepare(data)
    assert np.abs(got - expected).mean() < 0.02, fmt


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF", "AVIF", "HEIF", "PDF"])
def test_a_damaged_image_of_any_format_is_read_or_refused_never_crashes(fmt):
    """A few bytes changed, or the file cut short, 100 ways: Pillow's decoders say "corrupt" in many
    ways (a RuntimeError from AVIF's and HEIF's, a TypeError or KeyError from a TIFF's later page),
    and each must come out as an ImageError, the command line's one line and the API's 400."""
    pages = {"save_all": True, "append_images": [Image.fromarray(one())]} if fmt == "TIFF" else {}
    whole = encode(Image.fromarray(one()), fmt, **pages)
    rng = np.random.default_rng(sum(fmt.encode()))
    for _ in range(100):
        data = bytearray(whole)
        if rng.random() < 0.3:
            data = data[: rng.integers(1, len(data))]
        else:
            for at in rng.integers(0, len(data), rng.integers(1, 9)):
                data[at] = rng.integers(0, 256)
        try:
            decode.pages(bytes(data))
        except ImageError:
            pass


def test_a_gif_is_read_from_its_first_frame():
    first, second = Image.fromarray(one()), Image.fromarray(np.full((80, 60), 235, np.uint8))
    data = encode(first, "GIF", save_all=True, append_images=[second], duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    np.testing.assert_array_equal(np.atleast_3d(decode.read(data))[:, :, 0], one())


@pytest.mark.parametrize("ink", [(0, 0, 0), (255, 255, 255), (200, 30, 30)])
def test_strokes_on_a_transparent_canvas_are_ink_whatever_their_colour(ink):
    # A drawing app's export: transparent everywhere but the strokes, whose RGB is the pen's.
    rgba = np.zeros((80, 60, 4), np.uint8)
    strokes = one() < 128
    rgba[strokes] = (*ink, 255)
    got = preprocess.prepare(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    np.testing.assert_allclose(got, preprocess.prepare(one()), atol=0.02)


def test_semi_transparent_anti_aliased_edges_are_composited():
    rgba = np.zeros((80, 60, 4), np.uint8)
    rgba[:, :, 3] = cv2.GaussianBlur((one() < 128).astype(np.uint8) * 255, (5, 5), 0)  # black ink, soft alpha edges
    gray = decode.read(rgba)
    assert gray.shape == (80, 60, 3)
    assert gray[40, 30].max() < 60 and gray[5, 5].min() > 250  # dark ink on white, not black on black


def test_exif_orientation_is_applied():
    upright = one((120, 60))
    upright[5:25, 5:20] = 20  # a blob top left, so every rotation looks different
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": the stored pixels lie on their side
    stored = Image.fromarray(np.ascontiguousarray(np.rot90(upright, 1)))
    data = encode(stored, "JPEG", exif=exif, quality=95)
    got = decode.read(data)
    assert got.shape[:2] == upright.shape
    assert np.abs(np.atleast_3d(got).astype(int)[..., 0] - upright).mean() < 8


def test_a_heic_photo_is_read_upright_from_its_primary_image():
    """An iPhone's HEIC: stored on its side with the turn in its metadata, and the picture beside a
    second, blank one, the way a phone's file can hold a depth map or a burst."""
    upright = one((120, 60))
    upright[5:25, 5:20] = 20
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = Image.fromarray(np.ascontiguousarray(np.rot90(upright, 1)))
    stored.info["exif"] = exif.tobytes()
    blank = Image.new("L", stored.size, 235)
    data = encode(blank, "HEIF", save_all=True, append_images=[stored], primary_index=1, quality=95)
    got = np.atleast_3d(decode.read(data)).astype(int)[..., 0]
    assert got.shape == upright.shape
    assert np.abs(got - upright).mean() < 8


@pytest.mark.parametrize("cut", [40, 0.5])
def test_a_truncated_heic_is_one_clear_line(cut):
    data = encode(Image.fromarray(one()), "HEIF", quality=95)
    data = data[: cut if isinstance(cut, int) else int(len(data) * cut)]
    with pytest.raises(ImageError, match="image bytes: (not an image|the image is corrupt)") as e:
        decode.read(data)
    assert "\n" not in str(e.value)


def test_a_pdf_page_is_drawn_at_a_scanners_resolution_within_max_side():
    small = np.atleast_3d(decode.read(encode(Image.fromarray(one()), "PDF", resolution=100, quality=95)))[..., 0]
    assert abs(small.shape[0] - 240) <= 1 and abs(small.shape[1] - 180) <= 1  # 80x60 pixels at 100 dpi, drawn at 300
    assert np.abs(small.astype(int) - cv2.resize(one(), small.shape[::-1])).mean() < 4
    a4 = decode.read(encode(Image.fromarray(one((3508, 2480))), "PDF", resolution=300))  # A4 at 300 dpi
    assert max(a4.shape[:2]) == MAX_SIDE


def document(fmt: str, count: int) -> tuple[bytes, list[np.ndarray]]:
    """A document of count pages, page k a "1" at its own size, and those pages."""
    pages = [one((80 + 20 * k, 60 + 10 * k)) for k in range(count)]
    first, *rest = (Image.fromarray(page) for page in pages)
    return encode(first, fmt, save_all=True, append_images=rest, **({"resolution": 72} if fmt == "PDF" else {})), pages


def _ifd_offsets(data: bytes) -> list[int]:
    """Where each page of a TIFF starts its directory."""
    im = Image.open(io.BytesIO(data))
    offsets = []
    for k in range(im.n_frames):
        im.seek(k)
        offsets.append(im.tag_v2.offset)
    return offsets


def test_a_long_tiff_is_refused_from_its_first_pages_and_a_cut_one_is_corrupt():
    data, _ = document("TIFF", decode.MAX_PAGES + 3)
    cut = data[: _ifd_offsets(data)[-1]]  # the last page's directory cut off: walking every page reaches it
    with pytest.raises(ImageError, match=f"the document has over {decode.MAX_PAGES} pages"):
        decode.pages(cut)
    data, _ = document("TIFF", 5)
    with pytest.raises(ImageError, match="corrupt or truncated"):  # Pillow said so with a TypeError
        decode.pages(data[: _ifd_offsets(data)[-1]])


@pytest.mark.parametrize("fmt", ["PDF", "TIFF"])
def test_a_document_gives_each_of_its_pages_in_order(fmt):
    data, pages = document(fmt, 3)
    read = decode.pages(data)
    assert len(read) == 3
    for got, page in zip(read, pages):
        got = np.atleast_3d(got)[..., 0]
        scaled = cv2.resize(page, got.shape[::-1])  # a PDF's page is drawn at 300 dpi
        assert np.abs(got.astype(int) - scaled).mean() < 6
    with pytest.raises(ImageError, match="a document of 3 pages, where one image was wanted"):
        decode.read(data)  # one image only: which page would it be?


def test_an_animation_is_one_page_its_first_frame():
    frames = [Image.fromarray(one()), Image.fromarray(255 - one())]
    (page,) = decode.pages(encode(frames[0], "GIF", save_all=True, append_images=frames[1:]))
    np.testing.assert_array_equal(np.atleast_3d(page)[..., 0], one())


@pytest.mark.parametrize(
    "data, message",
    [
        (document("PDF", decode.MAX_PAGES + 1)[0], f"the document has {decode.MAX_PAGES + 1} pages, and digitrec reads at most {decode.MAX_PAGES} from one file: split it"),
        (document("TIFF", decode.MAX_PAGES + 1)[0], f"the document has over {decode.MAX_PAGES} pages, and digitrec reads at most {decode.MAX_PAGES}"),
        (b"%PDF-1.4\nnot a PDF past its first line", "the PDF cannot be opened"),
    ],
)
def test_a_document_too_long_or_broken_is_one_clear_line(data, message):
    with pytest.raises(ImageError, match=message) as e:
        decode.pages(data)
    assert "\n" not in str(e.value)


def test_16_bit_images_keep_their_contrast():
    gray16 = one().astype(np.uint16) * 257
    ok, png = cv2.imencode(".png", gray16)
    assert Image.open(io.BytesIO(png.tobytes())).mode.startswith("I")
    np.testing.assert_array_equal(decode.read(png.tobytes()), one())


def test_coloured_ink_on_coloured_paper_of_equal_lightness():
    # Light blue ink on orange paper, chosen so the two have nearly the same grey level.
    paper, ink = np.array([235, 140, 60], np.uint8), np.array([80, 170, 255], np.uint8)
    assert abs(int(cv2.cvtColor(paper[None, None], cv2.COLOR_RGB2GRAY)[0, 0]) - int(cv2.cvtColor(ink[None, None], cv2.COLOR_RGB2GRAY)[0, 0])) < 20
    rgb = np.where((one() < 128)[:, :, None], ink, paper).astype(np.uint8)
    np.testing.assert_allclose(preprocess.prepare(rgb), preprocess.prepare(one()), atol=0.05)


def test_large_photos_are_shrunk_while_decoding():
    big = cv2.resize(one(), (4000, 3000), interpolation=cv2.INTER_NEAREST)
    got = decode.read(encode(Image.fromarray(big), "JPEG", quality=90))
    assert max(got.shape[:2]) <= MAX_SIDE and got.shape[1] > got.shape[0]


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels and holds almost no data: a decompression bomb's calling card."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def test_decompression_bombs_are_refused_before_decoding():
    with pytest.raises(ImageError, match="refused"):
        decode.read(png_header_only(100_000, 100_000))
    side = int(MAX_PIXELS**0.5) + 10
    with pytest.raises(ImageError, match="over the limit"):
        decode.read(png_header_only(side, side))


@pytest.mark.parametrize("damage", ["truncated", "garbled"])
def test_corrupt_files_give_a_clear_error(damage):
    data = encode(Image.fromarray(one((300, 300))), "PNG")
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data = data[:60] + bytes(reversed(data[60:200])) + data[200:]
    with pytest.raises(ImageError, match="corrupt or truncated"):
        decode.read(data)


def test_every_input_type_reads_the_same(tmp_path):
    gray = one()
    path = tmp_path / "one.png"
    cv2.imwrite(str(path), gray)
    rgb = np.repeat(gray[:, :, None], 3, axis=2)
    rgba = np.dstack([rgb, np.full(gray.shape, 255, np.uint8)])
    inputs = [path, str(path), path.read_bytes(), Image.open(io.BytesIO(path.read_bytes())), gray, gray[:, :, None], gray.astype(np.float32) / 255]
    for image in inputs:
        np.testing.assert_array_equal(decode.read(image), gray, err_msg=type(image).__name__)
    for image in (rgb, rgba, gray.astype(np.uint16) * 257):
        np.testing.assert_array_equal(np.atleast_3d(decode.read(image))[:, :, 0], gray)
    assert decode.read(gray > 127).max() == 255


@pytest.mark.parametrize(
    "image, message",
    [
        (b"", "empty"),
        (b"this is text, not pixels", "not an image"),
        (np.zeros((2, 3, 5)), "shape"),
        (np.zeros((0, 5)), "empty"),
        (np.full((4, 4), np.nan), "NaN"),
        (12345, "cannot read a int"),
        (np.zeros((4, 4), complex), "must hold numbers.*complex128"),
        (np.array([["a", "b"], ["c", "d"]]), "must hold numbers"),
    ],
)
def test_bad_inputs_give_clear_errors(image, message):
    with pytest.raises(ImageError, match=message):
        decode.read(image)


def test_bad_paths_give_clear_errors(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        decode.read(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="is a folder"):
        decode.read(tmp_path)
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match="empty.png: the file is empty"):
        decode.read(tmp_path / "empty.png")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_at_once_not_waited_on(tmp_path):
    pipe = tmp_path / "drawn.png"
    os.mkfifo(pipe)
    refused: list[str] = []

    def read() -> None:
        try:
            decode.read(pipe)
        except ImageError as e:
            refused.append(str(e))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # it waited for a writer: give it one that writes nothing, so the test ends
        open(pipe, "wb").close()
        reader.join(10)
    assert refused == [f"{pipe}: not a file but a named pipe; save the image to a file first"]


def test_a_device_and_a_file_over_the_size_limit_are_refused_before_reading(tmp_path):
    if os.path.exists(os.devnull) and not os.path.isfile(os.devnull):  # /dev/null: a device that reads as empty
        with pytest.raises(ImageError, match="not a file but a device"):
            decode.read(os.devnull)
    huge = tmp_path / "huge.tif"
    with open(huge, "wb") as f:  # sparse: no disk, and nothing to read if the size were not checked first
        f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(ImageTooLargeError, match=f"huge.tif: refused, the file is 256 MiB, over the {MAX_FILE_BYTES // 2**20} MiB"):
        decode.read(huge)
