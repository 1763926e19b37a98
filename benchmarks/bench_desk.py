"""A page photographed lying on a desk: read with the sheet cut out and turned upright
(reading/sheet.py), against the same reader without that step (the baseline: the photo read as it
is), in one run.

Each photo is a generated page (evaluation.pages: 2 to 6 numbers of 1 to 8 MNIST test digits on
plain paper) laid on a desk darker than it (grey 170, 120 or 60), turned 0, 8 or -15 degrees, seen
square on or at a slant (the far edge a fifth narrower), with or without wood grain, light falling
off across the photo (pages.on_desk), whole or cut by the photo's edge (the sheet running off its
bottom, its right, or both: a corner of the sheet in view). Then the same pages as sticky notes
of nine colours on desks as light as they are (white, light grey, beige) or of another colour
(wood), whole or with a corner in view. Then the same pages on sheets darker than their desk
(kraft card, grey card, a chalkboard written in chalk) on a white or light grey desk, whole or with
a corner in view. Then two of the pages side by side on each grey desk
(pages.beside), read also with the larger sheet alone cut out, as release 20 read them. Then pages
photographed lit from one side (pages' "photo" paper, a third darker there) on each grey desk,
turned and at a slant as above. Scored as
`digitrec evaluate --pages` scores pages: the numbers read exactly, and the photos with every
number found and none invented.

    python benchmarks/bench_desk.py --data ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from digitrec.data import load_mnist
from digitrec.evaluation import pages
from digitrec.evaluation.evaluate import _read
from digitrec.reading import runtime
from digitrec.reading.runtime import load_model

DESKS = (170, 120, 60)
ANGLES = (0, 8, -15)
SLANTS = (0.0, 0.2)
CUTS = ((1.0, 1.0), (0.75, 1.0), (1.0, 0.7), (0.75, 0.7))
"""The share of the photo's height and width kept, from its top left."""

NOTES = {
    "yellow": (255, 240, 130), "pink": (255, 175, 195), "green": (185, 245, 165), "blue": (165, 215, 255), "orange": (255, 195, 115),
    "coral": (255, 140, 110), "sky blue": (120, 200, 255), "magenta": (255, 120, 200), "lime": (150, 230, 90),
}
"""Sticky notes' paper (RGB, for white): five pastels, four stronger colours..."""

NOTE_DESKS = {"white": (245, 245, 245), "light grey": (200, 200, 200), "beige": (225, 215, 190), "wood": (170, 120, 70)}
"""...on desks as light as they are, or of another colour (RGB)."""

DARK = {"kraft card": (150, False), "grey card": (110, False), "chalkboard": (50, True)}
"""Sheets darker than their desk: the paper's grey, and whether it is written on in chalk (light)
rather than pencil (pages.darker)..."""

DARK_DESKS = (240, 200)
"""...on a white desk or wall, or a light grey one."""


def cut(shot: pages.PageSample, keep: tuple[float, float]) -> pages.PageSample:
    """The photo cut to its top left, the numbers whose boxes it cuts left out of the count."""
    height, width = int(shot.image.shape[0] * keep[0]), int(shot.image.shape[1] * keep[1])
    return pages.only(shot, [x + w <= width and y + h <= height for x, y, w, h in shot.boxes], shot.image[:height, :width])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST (mnist.npz or the IDX folder): its test digits write the pages")
    parser.add_argument("--pages", type=int, default=4, help="pages for each desk, angle and grain")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    mnist = load_mnist(args.data)
    reader, rng = load_model("line"), np.random.default_rng([args.seed, 43])
    def on(paper: str) -> list[pages.PageSample]:
        """The first --pages generated pages of that paper."""
        return list(itertools.islice((p for p in pages.pages(mnist.x_test, mnist.y_test, 10 * args.pages, args.seed) if p.paper == paper), args.pages))

    written = on("plain")
    shots = {(desk, edge): [] for desk in DESKS for edge in ("clear of the edges", "cut by the photo's edge")}
    for desk, angle, slant, grain, page, keep in itertools.product(DESKS, ANGLES, SLANTS, (False, True), written, CUTS):
        edge = "clear of the edges" if keep == (1.0, 1.0) else "cut by the photo's edge"
        shots[(desk, edge)].append(cut(pages.on_desk(page, desk, angle, grain, rng, slant), keep))
    for (name, desk), note, angle, page, keep in itertools.product(NOTE_DESKS.items(), NOTES.values(), ANGLES, written, CUTS[::3]):
        edge = f"sticky note, {len(NOTES)} colours" + ("" if keep == (1.0, 1.0) else ", cut")
        shots.setdefault((name, edge), []).append(cut(pages.on_desk(page, desk, angle, False, rng, paper=note), keep))
    for (name, (paper, chalk)), desk, angle, slant, page, keep in itertools.product(DARK.items(), DARK_DESKS, ANGLES, SLANTS, written, CUTS[::3]):
        edge = name + ("" if keep == (1.0, 1.0) else ", cut")
        shots.setdefault((desk, edge), []).append(cut(pages.on_desk(pages.darker(page, paper, chalk), desk, angle, False, rng, slant), keep))
    for desk, page, (left, right) in itertools.product(DESKS, range(len(written)), zip(ANGLES, ANGLES[1:] + ANGLES[:1])):
        shots.setdefault((desk, "two sheets side by side"), []).append(pages.beside(written[page], written[(page + 1) % len(written)], desk, (left, right), rng))
    for desk, angle, slant, page in itertools.product(DESKS, ANGLES, SLANTS, on("photo")):
        shots.setdefault((desk, "lit from one side"), []).append(pages.on_desk(page, desk, angle, False, rng, slant))
    finder = runtime.sheet.find
    alone = {}
    print("| desk | the sheet | photos | numbers | sheet step: exact / photos whole | baseline: exact / photos whole | time a photo, sheet step / baseline |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (desk, edge), photos in shots.items():
        scores, seconds = [], []
        for find in (finder, lambda image: []):
            runtime.sheet.find = find
            start = time.perf_counter()
            readings = [_read(reader, photo.image) for photo in photos]
            seconds.append((time.perf_counter() - start) / len(photos))
            scores.append(pages.score(photos, readings))
        if edge == "two sheets side by side":
            runtime.sheet.find = lambda image: sorted(finder(image), key=lambda s: s.image.size)[-1:]
            alone[desk] = pages.score(photos, [_read(reader, photo.image) for photo in photos])
        runtime.sheet.find = finder
        found, base = scores
        print(
            f"| {desk} | {edge} | {len(photos)} | {found['lines']} | {found['lines_exact']:.1%} / {found['pages_whole']:.1%} | {base['lines_exact']:.1%} / {base['pages_whole']:.1%} | {1000 * seconds[0]:.0f} / {1000 * seconds[1]:.0f} ms |",
            flush=True,
        )
    print("\nTwo sheets side by side, the larger alone cut out (as release 20 read them): " + "; ".join(f"desk {desk}: {s['lines_exact']:.1%} / {s['pages_whole']:.1%}" for desk, s in alone.items()))


if __name__ == "__main__":
    main()
