"""The baseline commit a benchmark compares this tree with, checked out beside it for a run."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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
