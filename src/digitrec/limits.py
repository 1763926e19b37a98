"""A time budget for one image, for the command line, batch jobs and the server's reader
processes: a clear error, never a hang.

Every step of reading is bounded in cost (README, "Limits and failure behaviour"); this is the
backstop. It uses a POSIX interval timer, so it works in a process's main thread and is a
no-op elsewhere (the server reading in its own threads has only its per-request deadline), and
it cannot stop a single long call into a library before that call returns.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from .errors import ImageError

IMAGE_BUDGET = 30.0
"""Seconds one image may take to be read from the command line or in a batch job."""


class OverBudget(ImageError):
    """Reading one image took longer than its budget."""


@contextlib.contextmanager
def time_budget(seconds: float | None = None) -> Iterator[None]:
    seconds = IMAGE_BUDGET if seconds is None else seconds
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def over(signum, frame):
        raise OverBudget(f"reading it took over {seconds:g} s, the limit for one image")

    previous = signal.signal(signal.SIGALRM, over)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
