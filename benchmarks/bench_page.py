"""The live page: from lifting the pen to the reading on screen, in headless Chromium.

Starts the server in this process (readers in threads, as `--workers 0`), opens the page with
Playwright on Debian's chromium, and draws a 7 twenty times (clearing between drawings). For each
it times, inside the page, pointer-up to the moment the answer's text changes: debounce (150
ms), making the PNG, the request and the drawing of the result. Beside it, the baseline's way of
making the PNG, `canvas.toBlob`, timed against `toDataURL`, which the page now uses, on the same
canvas. Prints medians and 90th percentiles in milliseconds.

    python benchmarks/bench_page.py
"""

from __future__ import annotations

import shutil
import socket
import statistics
import threading
import time

import uvicorn
from playwright.sync_api import sync_playwright

from digitrec.service.server import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
SEVEN = [(70, 60), (210, 60), (120, 230)]
WATCH = """() => {
  window.__times = [];
  const pad = document.getElementById("pad");
  pad.addEventListener("pointerup", () => { window.__up = performance.now(); });
  new MutationObserver(() => {
    const text = document.getElementById("answer").textContent;
    if (window.__up && text !== "Draw something") { window.__times.push(performance.now() - window.__up); window.__up = null; }
  }).observe(document.getElementById("answer"), { childList: true, characterData: true, subtree: true });
}"""
ENCODE = """async () => {
  const pad = document.getElementById("pad");
  const t0 = performance.now();
  await new Promise((done) => pad.toBlob(done, "image/png"));
  const t1 = performance.now();
  pad.toDataURL("image/png");
  return [t1 - t0, performance.now() - t1];
}"""


def quantiles(values: list[float]) -> str:
    values = sorted(values)
    return f"{statistics.median(values):7.1f} {values[int(0.9 * (len(values) - 1))]:7.1f}"


def main() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function("document.querySelectorAll('#model option').length > 0")
        page.evaluate(WATCH)
        box = page.locator("#pad").bounding_box()
        k = box["width"] / 280
        encode = []
        for i in range(20):
            page.mouse.move(box["x"] + SEVEN[0][0] * k, box["y"] + SEVEN[0][1] * k)
            page.mouse.down()
            for (x0, y0), (x1, y1) in zip(SEVEN, SEVEN[1:]):
                for t in range(1, 11):
                    page.mouse.move(box["x"] + (x0 + (x1 - x0) * t / 10) * k, box["y"] + (y0 + (y1 - y0) * t / 10) * k)
            page.mouse.up()
            page.wait_for_function(f"window.__times.length === {i + 1}", timeout=10_000)
            encode.append(page.evaluate(ENCODE))
            page.get_by_role("button", name="Clear").click()
            page.wait_for_function("document.getElementById('answer').textContent === 'Draw something'")
        times = page.evaluate("window.__times")
        browser.close()
    server.should_exit = True
    print(f"headless Chromium, {len(times)} drawings of a 7 on the 280x280 pad; milliseconds\n")
    print("| measure | median | 90th percentile |")
    print("|---|---:|---:|")
    print(f"| pointer-up to the reading on screen (debounce 150 ms included) | {' | '.join(quantiles(times).split())} |")
    print(f"| making the PNG: canvas.toBlob (the baseline) | {' | '.join(quantiles([e[0] for e in encode]).split())} |")
    print(f"| making the PNG: canvas.toDataURL (now) | {' | '.join(quantiles([e[1] for e in encode]).split())} |")


if __name__ == "__main__":
    main()
