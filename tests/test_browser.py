"""The web page in a real browser: Playwright drives Debian's chromium against a live server."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import SAMPLES

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install 'digitrec[test]'")
uvicorn = pytest.importorskip("uvicorn", reason="the server extra is not installed: pip install 'digitrec[serve]'")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    if os.environ.get("DIGITREC_REQUIRE_BROWSER"):
        raise RuntimeError(f"DIGITREC_REQUIRE_BROWSER is set but there is no chromium at {CHROMIUM}")
    pytest.skip("no chromium: install Debian's (apt-get install chromium), as .ci/run does", allow_module_level=True)

# Chromium's background services try to reach Google; on a closed network that only slows it down.
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
SEVEN = [(70, 60), (210, 60), (120, 230)]


@pytest.fixture(scope="module")
def server():
    from digitrec.service.server import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    live = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not live.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    live.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def uploaded(page, path: Path) -> str:
    """Upload a file and wait until the page has done with it: the answer, then the photo drawn or not."""
    page.locator("#file").set_input_files(str(path))
    page.wait_for_function("document.getElementById('upload-answer').getAttribute('aria-busy') === 'false'", timeout=10_000)
    return page.locator("#upload-answer").inner_text()


def draw(page, points: list[tuple[float, float]]) -> None:
    """Draw one stroke through points given in the canvas's own 280x280 pixels."""
    box = page.locator("#pad").bounding_box()
    k = box["width"] / 280
    page.mouse.move(box["x"] + points[0][0] * k, box["y"] + points[0][1] * k)
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for t in range(1, 11):
            page.mouse.move(box["x"] + (x0 + (x1 - x0) * t / 10) * k, box["y"] + (y0 + (y1 - y0) * t / 10) * k)
    page.mouse.up()


@pytest.mark.parametrize("viewport", [{"width": 1100, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_drawing_a_digit_shows_the_live_prediction(server, browser, viewport, tmp_path):
    page = browser.new_page(viewport=viewport)
    page.goto(server)
    page.wait_for_function("document.querySelectorAll('#model option').length === 3")
    draw(page, SEVEN)
    page.wait_for_function("document.getElementById('answer').textContent === '7'", timeout=10_000)
    assert "sure" in page.locator("#detail").inner_text()
    assert page.locator("#bars li.top span").first.inner_text() == "7"
    seen = page.evaluate("Array.from(document.getElementById('seen').getContext('2d').getImageData(0, 0, 28, 28).data).reduce((a, b) => a + b)")
    assert seen > 28 * 28 * 255  # the 28x28 preview holds ink, not just opaque black

    with page.expect_request(lambda r: "/v1/predict?" in r.url and r.url.endswith("&separators=")):
        page.get_by_label("Digits only").check()  # the drawing read again, no separator asked for
    page.wait_for_function("document.getElementById('answer').textContent === '7'")
    page.get_by_label("Digits only").uncheck()

    page.locator("#model").select_option("mlp")
    page.wait_for_function("document.getElementById('answer').textContent === '7'")
    page.keyboard.press("Control+z")  # undo, from the keyboard
    page.wait_for_function("document.getElementById('answer').textContent === 'Draw something'")
    draw(page, [(140, 40), (140, 240)])
    page.wait_for_function("document.getElementById('answer').textContent === '1'")
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function("document.getElementById('answer').textContent === 'Draw something'")
    page.close()


def test_uploading_a_photo_of_a_number(server, browser, mnist, tmp_path):
    from digitrec.evaluation import realistic

    sample = next(realistic.numbers(mnist.x_test, mnist.y_test, 1, (4, 4), seed=4, conditions=("photo",)))
    photo = tmp_path / "number.jpg"
    cv2.imwrite(str(photo), cv2.cvtColor(sample.image, cv2.COLOR_RGB2BGR))
    page = browser.new_page(viewport={"width": 1100, "height": 1100})
    page.goto(server)
    draw(page, SEVEN)
    page.wait_for_function("document.getElementById('answer').textContent === '7'")
    assert uploaded(page, photo).startswith(f"Read: {sample.number}")
    assert page.evaluate("document.getElementById('photo').width") > 0
    with page.expect_request(lambda r: "inputs=true" not in r.url and r.url.endswith("&separators=")):
        page.get_by_label("Digits only").check()  # the photo read again, no separator asked for
    page.wait_for_function("document.getElementById('upload-answer').getAttribute('aria-busy') === 'false'")
    assert page.locator("#upload-answer").inner_text().startswith(f"Read: {sample.number}")  # its digits alone
    page.get_by_label("Digits only").uncheck()
    page.wait_for_function("document.getElementById('upload-answer').getAttribute('aria-busy') === 'false'")
    shot = Path(os.environ.get("DIGITREC_SCREENSHOT", tmp_path / "page.png"))
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()


def test_uploading_a_heic_photo(server, browser, tmp_path):
    """An iPhone's format: read by the server whether or not the browser can show it."""
    import pillow_heif
    from PIL import Image, ImageDraw, ImageFont

    pillow_heif.register_heif_opener()
    image = Image.new("RGB", (360, 140), "white")
    ImageDraw.Draw(image).text((20, 15), "315", fill="black", font=ImageFont.load_default(size=90))
    photo = tmp_path / "IMG_0001.HEIC"
    image.save(photo, "HEIF", quality=90)
    page = browser.new_page(viewport={"width": 1100, "height": 1100})
    page.goto(server)
    answer = uploaded(page, photo)
    assert answer.startswith("Read: 315")
    shown = page.evaluate("document.getElementById('photo').width") > 0
    assert shown != ("cannot show the image" in answer)  # the photo with its boxes, or a word why not
    page.close()


def test_uploading_a_document_of_two_pages(server, browser, tmp_path, texture):
    """A scanned TIFF of two pages and a page of marks: each line with its page, the page not read
    and why, and a word on where its boxes are."""
    from PIL import Image

    seven = Image.open(SAMPLES / "7-centred.png").convert("RGB")
    scan = tmp_path / "scan.tiff"
    seven.save(scan, save_all=True, append_images=[seven, Image.fromarray(texture).convert("RGB")])
    page = browser.new_page(viewport={"width": 1100, "height": 1100})
    page.goto(server)
    answer = uploaded(page, scan)
    assert answer.startswith("Read 2 lines on 3 pages, page by page") and "1. page 1: 7" in answer and "2. page 2: 7" in answer
    assert "Page 3 not read: too many separate marks" in answer
    assert "digitrec predict --boxes" in answer and page.evaluate("document.getElementById('photo').width") == 0
    page.close()


SCRIBBLES = {
    "hourglass": [(60, 40), (220, 40), (60, 240), (220, 240), (60, 40)],
    "zigzag": [(30, 140), (70, 60), (110, 220), (150, 60), (190, 220), (230, 60), (260, 140)],
    "spiral": [(140 + r * np.cos(a), 140 + r * np.sin(a)) for a, r in zip(np.linspace(0, 5 * np.pi, 60), np.linspace(10, 110, 60))],
}


@pytest.mark.parametrize("name", list(SCRIBBLES))
def test_a_scribble_is_not_a_confident_digit(server, browser, name):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(server)
    page.wait_for_function("document.querySelectorAll('#model option').length === 3")
    draw(page, SCRIBBLES[name])
    page.wait_for_function("document.getElementById('answer').getAttribute('aria-busy') === 'false'", timeout=10_000)
    answer, detail = page.locator("#answer").inner_text(), page.locator("#detail").inner_text()
    assert answer == "No digit" or detail.startswith("Uncertain"), (answer, detail)
    page.close()
