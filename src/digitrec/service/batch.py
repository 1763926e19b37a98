"""Reading whole archives of images: one row per file, committed in chunks so a run can resume.

A job is a list of files, cut into fixed chunks. Each finished chunk is written atomically into
OUT.parts/ beside the output; a run that is killed and started again with the same arguments
reads which chunks exist and does only the rest. When every chunk is there, the rows are merged
in input order into OUT (CSV, JSON Lines or Parquet) and the chunks are removed. The engines
(`run_local` here, `cluster.run_ray` on Ray) only decide where chunks are read.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..constants import DEFAULT_MODEL, UNCERTAIN_BELOW
from ..errors import DigitrecError, NoDigitError
from ..limits import time_budget

if TYPE_CHECKING:  # the runtime loads ONNX Runtime; only the engines' workers need it
    from ..reading.runtime import Recognizer

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".avif", ".heic", ".heif", ".pdf")
"""What a folder is searched for. Files named one by one, or in a manifest, are read whatever their name."""
MANIFEST_EXTENSIONS = (".txt", ".csv", ".lst")
OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
COLUMNS = ("path", "number", "confidence", "uncertain", "no_digit", "characters", "lines", "model", "error")
"""One row per image. An image with several lines of writing has each line's number, confidence,
box and characters in `lines` (else null), and `number` holds them one to a line, top to bottom. A
document of several pages (a PDF, a multi-page TIFF) is one row too: its lines, page by page, each
with its `page`, and in `error` any page that could not be read as numbers."""
CHUNK_SIZE = 500
"""Files per committed chunk: a kill loses at most one chunk per worker."""


@dataclass(frozen=True)
class Settings:
    """Everything that changes a row; a resumed run must use the same."""

    model: str = DEFAULT_MODEL
    preprocess: str = "mnist"
    threshold: float = UNCERTAIN_BELOW
    single: bool = False
    separators: str | None = None
    """Those of . , - / : a number may hold; None, all of them."""


# ---------------------------------------------------------------- inputs


def collect(inputs: Sequence[str]) -> list[str]:
    """Files to read, in order, each once: folders (searched recursively for images), globs,
    manifests (.txt, .csv or .lst files of paths, relative to the manifest), or files."""
    files: list[str] = []
    for item in inputs:
        if os.path.isdir(item):
            files.extend(_folder(item))
        elif os.path.isfile(item) and item.lower().endswith(MANIFEST_EXTENSIONS):
            files.extend(_manifest(item))
        elif os.path.exists(item):
            files.append(item)
        elif glob.has_magic(item):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise DigitrecError(f"{item}: matches no files")
            for match in matches:
                files.extend(_folder(match) if os.path.isdir(match) else [match])
        else:
            raise DigitrecError(f"{item}: no such file or folder")
    unique = list(dict.fromkeys(os.path.normpath(f) for f in files))  # a/./b.png and a/b.png are one file
    if not unique:
        raise DigitrecError(f"no images in {', '.join(inputs)} (looked for {', '.join(IMAGE_EXTENSIONS)})")
    return unique


def _folder(folder: str) -> list[str]:
    found = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        found.extend(os.path.join(root, n) for n in sorted(names) if n.lower().endswith(IMAGE_EXTENSIONS))
    return found


def _manifest(path: str) -> list[str]:
    """A text file of one path a line ('#' comments), or a CSV whose 'path' column (else its first) holds them."""
    base = os.path.dirname(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            if path.lower().endswith(".csv"):
                rows = [row for row in csv.reader(f) if row]
                header = [c.strip().lower() for c in rows[0]] if rows else []
                column = header.index("path") if "path" in header else 0
                entries = [row[column] for row in rows[1 if "path" in header else 0 :] if len(row) > column]
            else:
                entries = [line for line in f.read().splitlines() if not line.lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DigitrecError(f"{path}: cannot read it as a list of images ({getattr(e, 'strerror', None) or e}); a list is UTF-8 text, one path a line, or a CSV with a path column") from None
    return [os.path.join(base, e.strip()) for e in entries if e.strip()]


# ---------------------------------------------------------------- one file


def read_file(recognizer: Recognizer, path: str, settings: Settings, data: bytes | None = None) -> dict:
    """One row. A file that cannot be read is a row with its error: it never ends the run."""
    row = dict.fromkeys(COLUMNS)
    row.update(path=printable(path), model=recognizer.name, no_digit=False)
    try:
        with time_budget():
            reading = recognizer.read(path if data is None else data, settings.preprocess, settings.threshold, settings.single, settings.separators)
    except NoDigitError:
        row.update(number="", no_digit=True)
    except DigitrecError as e:
        row["error"] = printable(str(e).removeprefix(f"{path}: ").removeprefix("image bytes: "))
    except Exception as e:  # one odd file must not end a million-file run; its row says what happened
        row["error"] = printable(f"unexpected {type(e).__name__}: {e}")
    else:
        result = reading.to_dict()
        row.update({k: result.get(k) for k in ("number", "confidence", "uncertain", "characters", "lines")})
        if reading.unread:  # a document's page of marks: its other pages' lines are in the row
            row["error"] = printable("; ".join(f"page {k} not read: {why}" for k, why in reading.unread))
    return row


# ---------------------------------------------------------------- the journal of chunks


class Journal:
    """The chunks of one job under OUT.parts/, and the merge into OUT."""

    def __init__(self, out: Path, files: list[str], settings: Settings, chunk_size: int = CHUNK_SIZE, overwrite: bool = False):
        self.out = Path(out)
        self.format = output_format(self.out)
        self.parts = self.out.with_name(self.out.name + ".parts")
        self.files = files
        self.lock = self.out.with_name(self.out.name + ".lock")
        self._held = _lock(self.lock, self.out)  # before anything is touched: two runs on one OUT would corrupt it
        try:
            if overwrite:
                shutil.rmtree(self.parts, ignore_errors=True)
                self.out.unlink(missing_ok=True)
            job = {"settings": asdict(settings), "files": len(files), "files_sha256": _digest(files)}
            job_file = self.parts / "job.json"
            if job_file.is_file():
                before = json.loads(job_file.read_text())
                before["settings"] = {**asdict(Settings()), **before.get("settings", {})}  # a run from before a setting was added used its default
                if {k: before.get(k) for k in job} != job:
                    raise DigitrecError(
                        f"{self.parts} holds an interrupted run with other inputs or settings ({before['files']} files, "
                        f"{before['settings']}); run that command again to finish it, or add --overwrite to start afresh"
                    )
                chunk_size = before["chunk_size"]
            elif self.out.exists():
                raise DigitrecError(f"{self.out} already exists; add --overwrite to replace it, or choose another --out")
            else:
                self.parts.mkdir(parents=True, exist_ok=True)
                _write_atomic(job_file, json.dumps({**job, "chunk_size": chunk_size}, indent=1).encode())
            for stale in self.parts.glob("*.tmp"):  # a chunk whose writing was cut short
                stale.unlink()
            self.chunk_size = chunk_size
        except BaseException:
            self.close()
            raise

    @property
    def chunks(self) -> int:
        return -(-len(self.files) // self.chunk_size)

    def chunk(self, k: int) -> list[str]:
        return self.files[k * self.chunk_size : (k + 1) * self.chunk_size]

    def _path(self, k: int) -> Path:
        return self.parts / f"chunk-{k:07d}.jsonl"

    def pending(self) -> list[int]:
        return [k for k in range(self.chunks) if not self._path(k).is_file()]

    def commit(self, k: int, rows: list[dict]) -> None:
        if [r["path"] for r in rows] != [printable(p) for p in self.chunk(k)]:
            raise RuntimeError(f"chunk {k}: the rows do not match its files")  # an engine's bug, not the user's
        _write_atomic(self._path(k), "".join(json.dumps(r) + "\n" for r in rows).encode())

    def rows(self) -> Iterator[dict]:
        for k in range(self.chunks):
            with open(self._path(k), encoding="utf-8") as f:
                yield from (json.loads(line) for line in f)

    def finish(self) -> dict[str, int]:
        """Merge the chunks into OUT, atomically, then drop them. Counts what the rows say."""
        counts = {"numbers": 0, "no_digit": 0, "errors": 0}

        def counted(rows: Iterator[dict]) -> Iterator[dict]:
            for row in rows:
                counts["errors" if row["error"] else "no_digit" if row["no_digit"] else "numbers"] += 1
                yield row

        tmp = self.out.with_name(self.out.name + ".tmp")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        try:
            WRITERS[self.format](tmp, counted(self.rows()))
            os.replace(tmp, self.out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        shutil.rmtree(self.parts)
        self.close()
        return counts

    def close(self) -> None:
        """Let go of the job's lock (a finished job's lock file goes too)."""
        if self._held is not None:
            if not self.parts.exists():
                self.lock.unlink(missing_ok=True)
            self._held.close()
            self._held = None


def _lock(path: Path, out: Path):
    """Hold the job's lock file for the life of the job (an OS lock, released even if the process
    is killed). Returns the open file, or None where the OS has no such locks.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no fcntl; runs there are not guarded
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    f = open(path, "a+b")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise DigitrecError(f"another digitrec batch is writing {out} now; wait for it to finish, or choose another --out") from None
    return f


def printable(path: str) -> str:
    """A path as rows show it: file names that are not valid UTF-8 keep their odd bytes as \\x escapes,
    so every output format can hold them."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _digest(files: list[str]) -> str:
    return hashlib.sha256(b"\n".join(os.fsencode(f) for f in files)).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    """Write beside, flush to disk, then rename: a reader sees the whole file or none of it."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself survive a power loss
        fd = os.open(path.parent, os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ---------------------------------------------------------------- output formats


def output_format(out: Path) -> str:
    fmt = OUTPUT_FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        raise DigitrecError(f"{out}: name the output .csv, .jsonl or .parquet, to choose its format")
    if fmt == "parquet":
        _pyarrow()
    return fmt


def _write_csv(path: Path, rows: Iterable[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, **{k: json.dumps(row[k]) if row[k] is not None else None for k in ("characters", "lines")}})


def _write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)


def _write_parquet(path: Path, rows: Iterable[dict], group: int = 50_000) -> None:
    pa = _pyarrow()
    import pyarrow.parquet as pq

    character = pa.struct([("char", pa.string()), ("confidence", pa.float64()), ("box", pa.list_(pa.int32())), ("uncertain", pa.bool_())])
    line = pa.struct([("number", pa.string()), ("confidence", pa.float64()), ("uncertain", pa.bool_()), ("box", pa.list_(pa.int32())), ("characters", pa.list_(character)), ("page", pa.int32())])
    schema = pa.schema(
        [("path", pa.string()), ("number", pa.string()), ("confidence", pa.float64()), ("uncertain", pa.bool_()), ("no_digit", pa.bool_()),
         ("characters", pa.list_(character)), ("lines", pa.list_(line)), ("model", pa.string()), ("error", pa.string())]
    )  # fmt: skip
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[dict] = []
        for row in rows:
            batch.append(row)
            if len(batch) == group:
                writer.write_table(pa.Table.from_pylist(batch, schema))
                batch = []
        writer.write_table(pa.Table.from_pylist(batch, schema))


def _pyarrow():
    try:
        import pyarrow
    except ImportError:
        raise DigitrecError("Parquet output needs pyarrow: pip install 'digitrec[parquet]' (or write .csv or .jsonl)") from None
    return pyarrow


WRITERS: dict[str, Callable[[Path, Iterable[dict]], None]] = {"csv": _write_csv, "jsonl": _write_jsonl, "parquet": _write_parquet}


def read_output(path: Path) -> list[dict]:
    """The rows of a finished output, whatever its format: for tests and for people checking a run."""
    fmt = output_format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    if fmt == "jsonl":
        return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]
    with open(path, newline="", encoding="utf-8") as f:
        return [_typed(row) for row in csv.DictReader(f)]


def _typed(row: dict) -> dict:
    """A CSV row with its types back, so that every format reads back the same."""
    none = lambda v: v if v != "" else None  # noqa: E731
    return {
        "path": row["path"],
        "number": row["number"] if row["error"] == "" else None,
        "confidence": float(row["confidence"]) if row["confidence"] else None,
        "uncertain": {"True": True, "False": False}.get(row["uncertain"]),
        "no_digit": row["no_digit"] == "True",
        "characters": json.loads(row["characters"]) if row["characters"] else None,
        "lines": json.loads(row["lines"]) if row["lines"] else None,
        "model": row["model"],
        "error": none(row["error"]),
    }


# ---------------------------------------------------------------- progress


class Progress:
    """A bar with rate and ETA in a terminal; otherwise a line every `every` seconds, for logs."""

    def __init__(self, total: int, done: int = 0, every: float = 10.0):
        self.total, self.done, self.every = total, done, every
        self.start = self.last = time.monotonic()
        self.first = done
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="file", dynamic_ncols=True, smoothing=0.1)

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            print(self.line(), file=sys.stderr, flush=True)

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = (self.done - self.first) / elapsed
        eta = (self.total - self.done) / rate if rate else float("nan")
        eta_text = time.strftime("%H:%M:%S", time.gmtime(eta)) if eta == eta else "?"
        return f"batch: {self.done:,}/{self.total:,} files ({self.done / self.total:.0%}), {rate:,.0f} files/s, ETA {eta_text}"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# ---------------------------------------------------------------- the local engine


def run_local(journal: Journal, settings: Settings, workers: int, progress: Progress) -> None:
    """Read the pending chunks here: in this process with one worker, else in a process pool whose
    workers each decode, clean up and read their own files with a one-thread model, one per core."""
    pending = journal.pending()
    if workers == 1:
        from ..reading.runtime import load_model

        recognizer = load_model(settings.model)
        for k in pending:
            journal.commit(k, [read_file(recognizer, p, settings) for p in journal.chunk(k)])
            progress.update(len(journal.chunk(k)))
        return
    # spawn: workers start clean, without the parent's threads or ONNX Runtime state.
    with multiprocessing.get_context("spawn").Pool(workers, _start_worker, (settings,)) as pool:
        try:
            for k, rows in pool.imap_unordered(_read_chunk, [(k, journal.chunk(k)) for k in pending]):
                journal.commit(k, rows)
                progress.update(len(rows))
        except BaseException:
            pool.terminate()  # Ctrl-C: stop the workers now; finished chunks are already on disk
            raise


_worker: tuple = ()


def _start_worker(settings: Settings) -> None:
    global _worker
    from ..reading.runtime import load_worker_model

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _worker = (load_worker_model(settings.model), settings)


def _read_chunk(task: tuple[int, list[str]]) -> tuple[int, list[dict]]:
    k, paths = task
    recognizer, settings = _worker
    return k, [read_file(recognizer, p, settings) for p in paths]
