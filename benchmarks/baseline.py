"""What a benchmark compares this tree with: a baseline commit, checked out beside it for a run,
or this tree with the part measured turned off."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def checkout(commit: str) -> Iterator[Path]:
    """A git worktree of commit, removed afterwards; its src/ runs the baseline's code."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), commit], check=True, capture_output=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], capture_output=True)


PYCACHE = Path(tempfile.gettempdir()) / "digitrec-benchmarks-pycache"
"""Where the trees' bytecode is kept between runs, outside the trees."""


def running(src: Path) -> dict[str, str]:
    """The environment in which `python -m digitrec` runs the code under src (a tree's src/),
    its bytecode kept between runs as an installed package's is (pip compiles it at install).
    Where PYTHONDONTWRITEBYTECODE is set, as on the machine these figures come from, every run
    would otherwise compile digitrec's modules again: about 50 ms of a whole predict."""
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def with_and_without(reader, shots: list, off) -> tuple[dict, dict, list[float]]:
    """The generated pages in shots read by this tree, then with `off` (a mock.patch of the part
    measured, turned off: the baseline), each scored as `evaluate --pages` scores pages; and the
    seconds a page each way."""
    from digitrec.evaluation import pages
    from digitrec.evaluation.evaluate import _read

    scores, seconds = [], []
    for baseline in (False, True):
        with off if baseline else nullcontext():
            start = time.perf_counter()
            readings = [_read(reader, shot.image) for shot in shots]
            seconds.append((time.perf_counter() - start) / len(shots))
        scores.append(pages.score(shots, readings))
    return scores[0], scores[1], seconds
