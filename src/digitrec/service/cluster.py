"""The batch job on Ray Data, for a cluster (or every core of one machine), with `--engine ray`.

Ray reads the files as a dataset and `map_batches` runs them through a pool of actors, each
holding one ONNX Runtime session. The rows come back to this process in order and go into the
same journal of chunks as the local engine's, so a Ray run resumes, and writes the same output.
Ray is optional: `pip install 'digitrec[ray]'`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator

import numpy as np

from .batch import Journal, Progress, Settings, read_file
from ..constants import MAX_FILE_BYTES
from ..errors import DigitrecError


def run_ray(journal: Journal, settings: Settings, workers: int | None, address: str | None, progress: Progress) -> None:
    """Read the pending chunks on Ray: a local Ray with `workers` actors, or the cluster at `address`
    (then `workers` actors, default one per CPU in the cluster but one). Every node must see the
    files at the same paths, and have digitrec installed."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise DigitrecError("--engine ray needs Ray: pip install 'digitrec[ray]'") from None
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    # Locally, one CPU more than the actors, for the tasks that read files: if the actors held
    # every CPU, nothing could feed them.
    ray.init(address=address, num_cpus=None if address else workers + 1, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    try:
        actors = workers or max(1, int(ray.cluster_resources().get("CPU", 2)) - 1)
        _run(ray.data, journal, settings, actors, progress)
    finally:
        ray.shutdown()


def _run(data, journal: Journal, settings: Settings, actors: int, progress: Progress) -> None:
    context = data.DataContext.get_current()
    context.enable_progress_bars = False
    context.execution_options.preserve_order = True
    pending = journal.pending()
    files = [p for k in pending for p in journal.chunk(k)]
    # Ray's workers run in their own folders, so they get absolute paths. A file that is missing or
    # unreadable would fail Ray's whole read, and one over the size limit would be read whole before
    # it was refused: this process makes its error row instead.
    readable = {p: os.path.abspath(p) for p in files if os.path.isfile(p) and os.access(p, os.R_OK) and os.path.getsize(p) <= MAX_FILE_BYTES}
    original = {a: p for p, a in readable.items()}
    stream: Iterator[tuple[str, str]] = iter(())
    if readable:
        reader = type("ReadDigits", (_Reader,), {"settings": settings})  # settings as a class attribute, not actor arguments
        dataset = data.read_binary_files(list(readable.values()), include_paths=True, num_cpus=0.5)
        dataset = dataset.map_batches(reader, compute=data.ActorPoolStrategy(size=actors), num_cpus=1, batch_size=32)
        stream = (item for batch in dataset.iter_batches(batch_size=256) for item in zip(batch["path"], batch["row"]))
    local = None
    done: dict[str, dict] = {}
    for k in pending:
        paths = journal.chunk(k)
        missing = {p for p in paths if p in readable and p not in done}
        while missing:
            path, row = next(stream)
            path = original[path]
            done[path] = {**json.loads(row), "path": path}
            missing.discard(path)
        if local is None and any(p not in readable for p in paths):
            from ..reading.runtime import load_model

            local = load_model(settings.model, threads=1)
        journal.commit(k, [done.pop(p) if p in readable else read_file(local, p, settings) for p in paths])
        progress.update(len(paths))


class _Reader:
    """One Ray actor: loads the model once, then reads batch after batch of files."""

    settings: Settings

    def __init__(self):
        from ..reading.runtime import load_worker_model

        self.recognizer = load_worker_model(self.settings.model)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = [read_file(self.recognizer, str(p), self.settings, bytes(b)) for p, b in zip(batch["path"], batch["bytes"])]
        return {"path": batch["path"], "row": np.array([json.dumps(r) for r in rows], dtype=object)}
