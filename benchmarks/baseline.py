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


def running(src: Path) -> dict[str, str]:
    """The environment in which `python -m digitrec` runs the code under src (a tree's src/)."""
    return {**os.environ, "PYTHONPATH": str(src)}
