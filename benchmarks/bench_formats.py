"""What a phone photo's format costs: the same 12-megapixel photo of a number as JPEG (the
baseline), HEIC, AVIF, WebP, PNG and a one-page PDF, decoded in this process and read by whole
`digitrec predict` processes, side by side.

The photo is the sample number (samples/number-8405-photo.jpg) enlarged to 4032x3024, an
iPhone's size, and saved at quality 90 where the format has one (the PDF holds it as a JPEG at
300 dpi, as a scanner writes one; reading it draws the page in a child process). Decoding is the median of
--repeat reads after a warm-up; a whole predict is the median of --runs, the formats taking turns,
so a busy machine slows them alike.

    python benchmarks/bench_formats.py
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
from PIL import Image

from baseline import REPO
from digitrec.reading import decode

FORMATS = {"JPEG": ".jpg", "HEIF": ".heic", "AVIF": ".avif", "WEBP": ".webp", "PNG": ".png", "PDF": ".pdf"}
PHONE = (4032, 3024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="decodes in process, per format")
    parser.add_argument("--runs", type=int, default=5, help="whole processes, per format")
    args = parser.parse_args()
    import pillow_heif

    pillow_heif.register_heif_opener()  # to write HEIC here; digitrec registers it itself when reading one
    sample = cv2.cvtColor(cv2.imread(str(REPO / "samples" / "number-8405-photo.jpg")), cv2.COLOR_BGR2RGB)
    photo = Image.fromarray(cv2.resize(sample, PHONE, interpolation=cv2.INTER_CUBIC))
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for fmt, suffix in FORMATS.items():
            paths[fmt] = Path(tmp) / f"photo{suffix}"
            photo.save(paths[fmt], fmt, **({} if fmt == "PNG" else {"quality": 90}), **({"resolution": 300} if fmt == "PDF" else {}))
        decoding = {}
        for fmt, path in paths.items():
            decode.read(path)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                decode.read(path)
                times.append(time.perf_counter() - start)
            decoding[fmt] = 1000 * statistics.median(times)
        whole: dict[str, list[float]] = {fmt: [] for fmt in paths}
        read: dict[str, str] = {}
        for _ in range(args.runs):
            for fmt, path in paths.items():
                start = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "digitrec", "predict", "--json", str(path)], check=True, capture_output=True, text=True)
                whole[fmt].append(time.perf_counter() - start)
                read[fmt] = json.loads(done.stdout)["number"]
        print(f"| format ({PHONE[0]}x{PHONE[1]}) | file | decoded in process | whole `digitrec predict` | read |")
        print("|---|---:|---:|---:|---:|")
        for fmt, path in paths.items():
            name = f"{fmt} (baseline)" if fmt == "JPEG" else fmt
            print(f"| {name} | {path.stat().st_size / 1024:.0f} KiB | {decoding[fmt]:.1f} ms | {statistics.median(whole[fmt]):.3f} s | {read[fmt]} |")


if __name__ == "__main__":
    main()
