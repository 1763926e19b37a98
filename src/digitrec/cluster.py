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

import numpy as np

from .batch import Journal, Progress, Settings, read_file
from .errors import DigitrecError


def run_ray(journal: Journal, settings: Settings, workers: int | None, address: str | None, progress: Progress) -> None:
    """Read the pending chunks on Ray: a local Ray with `workers` CPUs, or the cluster at `address`
    (then `workers` actors, default one per CPU in the cluster). Every node must see the files at
    the same paths, and have digitrec installed."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise DigitrecError("--engine ray needs Ray: pip install 'digitrec[ray]'") from None
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    ray.init(address=address, num_cpus=None if address else workers, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    try:
        actors = workers or int(ray.cluster_resources().get("CPU", 1))
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
    # unreadable would fail Ray's whole read: this process makes its error row instead.
    readable = {p: os.path.abspath(p) for p in files if os.path.isfile(p) and os.access(p, os.R_OK)}
    original = {a: p for p, a in readable.items()}
    stream = iter(())
    if readable:
        reader = type("ReadDigits", (_Reader,), {"settings": settings})  # settings as a class attribute, not actor arguments
        dataset = data.read_binary_files(list(readable.values()), include_paths=True, num_cpus=0)  # reading is I/O; the CPUs are the actors'
        dataset = dataset.map_batches(reader, compute=data.ActorPoolStrategy(size=actors), num_cpus=1, batch_size=32)
        stream = iter(dataset.iter_rows())
    local = None
    done: dict[str, dict] = {}
    for k in pending:
        paths = journal.chunk(k)
        while any(p in readable and p not in done for p in paths):
            item = next(stream)
            row = json.loads(item["row"])
            done[original[item["path"]]] = {**row, "path": original[item["path"]]}
        if local is None and any(p not in readable for p in paths):
            from .runtime import load_model

            local = load_model(settings.model, threads=1)
        journal.commit(k, [done.pop(p) if p in readable else read_file(local, p, settings) for p in paths])
        progress.update(len(paths))


class _Reader:
    """One Ray actor: loads the model once, then reads batch after batch of files."""

    settings: Settings

    def __init__(self):
        from .runtime import load_model

        self.recognizer = load_model(self.settings.model, threads=1)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = [read_file(self.recognizer, str(p), self.settings, bytes(b)) for p, b in zip(batch["path"], batch["bytes"])]
        return {"path": batch["path"], "row": np.array([json.dumps(r) for r in rows], dtype=object)}
