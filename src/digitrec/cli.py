"""The `digitrec` command line.

Heavy modules are imported inside each command: `digitrec predict` must start fast and
never load Keras or JAX, which only `digitrec train` needs.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shlex
import sys
import time
from pathlib import Path

import click

from .constants import DEFAULT_MODEL, UNCERTAIN_BELOW
from .errors import DigitrecError, IsAFolderError

DATA_HELP = "MNIST as a mnist.npz file or a folder of the four IDX files. Default: $DIGITREC_DATA, then the download cache."


class _Cli(click.Group):
    """Turns every DigitrecError into a one-line message and exit status 1, never a traceback.

    It also keeps the arguments it was given, so `train` can record the exact command.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["argv"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DigitrecError as e:
            raise click.ClickException(str(e)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="digitrec")
def cli() -> None:
    """Recognise handwritten digits in your own images.

    \b
    digitrec predict photo.png          read the number or digit in an image
    digitrec serve                      draw digits in a browser, or call the HTTP API
    digitrec batch scans/ -o out.csv    read a whole folder, resumably, on every core
    digitrec train --model mlp          train a model on MNIST
    digitrec evaluate                   score a model on the MNIST test set
    """


# ---------------------------------------------------------------- predict


def _expand(patterns: tuple[str, ...]) -> list[str]:
    """Expand globs the shell left alone (quoted, or on Windows); keep the rest as given."""
    files = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) and not os.path.exists(pattern) else []
        files.extend(matches or [pattern])
    return files


def _separators(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--separators checked before any image is read (lines.checked_separators)."""
    if value is None:
        return None
    from .reading.lines import checked_separators

    try:
        return checked_separators(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


SEPARATORS_OPTION = click.option(
    "--separators",
    callback=_separators,
    metavar="CHARS",
    help="Read only these of the separators . , - / : in a number; '' for digits alone (a slanted 1 is then a 1, never a slash).  [default: all five]",
)


@cli.command()
@click.argument("images", nargs=-1, required=True)
@click.option("-m", "--model", default=DEFAULT_MODEL, show_default=True, help="A shipped model's name (line, cnn, mlp), or a trained model's .onnx file.")
@click.option(
    "--preprocess",
    "mode",
    type=click.Choice(["mnist", "seed"]),
    default="mnist",
    show_default=True,
    help="mnist: clean the page up (and, for the digit models, crop, fit 20x20 and centre by mass, as MNIST was made). seed: the blog post's resize and invert, for the digit models.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per image instead of text.")
@click.option("--single", is_flag=True, help="Read each image as one digit, without looking for a number.")
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=UNCERTAIN_BELOW,
    show_default=True,
    help="Flag a reading or a character as uncertain below this confidence.",
)
@SEPARATORS_OPTION
@click.option("--boxes", type=click.Path(dir_okay=True, path_type=Path), help="Write the image with each character's box and reading drawn on it (a folder when there are several images).")
@click.option("--show", is_flag=True, help="Open a window with what the network saw (the line, or each 28x28 digit), as the post did.")
@click.option(
    "--preview",
    type=click.Path(dir_okay=True, path_type=Path),
    help="Write what the network saw (the line, or each 28x28 digit), enlarged 10x, to this PNG (a folder when there are several images).",
)
def predict(images: tuple[str, ...], model: str, mode: str, as_json: bool, single: bool, threshold: float, separators: str | None, boxes: Path | None, show: bool, preview: Path | None) -> None:
    """Read the number, or the digit, in each image.

    IMAGES are files or globs (PNG, JPEG, WebP, BMP, TIFF, GIF, AVIF, HEIC, or PDF);
    - reads one image from standard input. The number is read left
    to right, separators included ("12.5"), with the reading's confidence and each
    character's; below --threshold they are marked uncertain, or "?". A PDF or TIFF of several
    pages (up to 10) is read page by page, each line with its page. The exit status is 1 if
    any image, or any page of a document, could not be read or held no number; the others are
    still read.
    """
    from .limits import time_budget
    from .reading import decode
    from .reading.runtime import load_model

    if show and sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise click.UsageError("--show needs a display, and none is set; use --preview FILE to write the image instead.")
    if boxes and mode == "seed":
        raise click.UsageError("--boxes needs --preprocess mnist: the post's pipeline does not locate digits.")
    recognizer = load_model(model)
    files = _expand(images)
    shown, failed = [], 0
    for file in files:
        try:
            with time_budget():
                pages = decode.pages(decode.bounded(sys.stdin.buffer, "standard input") if file == "-" else file)  # once, for reading and --boxes
                reading = recognizer.read_pages(pages, mode, threshold, single, separators)
            if boxes:
                drawn = boxes if len(files) == 1 else boxes / f"{Path(file).stem}.png"
                for k, image in enumerate(pages, 1):
                    page = drawn.with_stem(f"{drawn.stem}-page{k}") if len(pages) > 1 else drawn
                    _write_boxes(image, [c for line in reading.lines or (reading,) if line.page in (None, k) for c in line.characters], page)
                    whose = "its" if len(pages) == 1 else f"page {k}'s"
                    click.echo(f"{file}: wrote {whose} boxes to {page}", err=True)
        except DigitrecError as e:
            failed += 1
            if isinstance(e, IsAFolderError):
                e = DigitrecError(f"{e} (to read every image in it: digitrec batch {file} --out rows.csv)")
            if as_json:
                click.echo(json.dumps({"file": file, "error": _strip_name(str(e), file)}))
            else:
                click.echo(f"{file}: error: {_strip_name(str(e), file)}", err=True)
            continue
        prefix = f"{file}: " if len(files) > 1 else ""
        if as_json:
            click.echo(json.dumps({"file": file, **reading.to_dict(), "model": recognizer.name, "preprocess": mode}))
        elif len(reading.characters) == 1 and reading.characters[0].probabilities and reading.pages == 1:
            c = reading.characters[0]
            top = ", ".join(f"{d} {q:.1%}" for d, q in c.top(3))
            flag = "; uncertain" if reading.uncertain else ""
            click.echo(f"{prefix}This digit is probably a {c.char}  ({reading.confidence:.1%} sure{flag}; top 3: {top})")
        elif reading.lines:
            count = "1 line" if len(reading.lines) == 1 else f"{len(reading.lines)} lines"  # a document's one line has its page
            where = f" on {reading.pages} pages, page by page" if reading.pages > 1 else ""
            click.echo(f"{prefix}{count}{where}, top to bottom:")
            for n, line in enumerate(reading.lines, 1):
                page = f"page {line.page}: " if line.page else ""
                click.echo(f"{' ' * len(prefix)}  {n}. {page}{'   '.join(_line_text(line))}")
        else:
            number, each = _line_text(reading)
            click.echo(f"{prefix}This number is probably {number}\n{' ' * len(prefix)}  {each}")
        for k, why in () if as_json else reading.unread:  # JSON has them as unread_pages
            click.echo(f"{' ' * len(prefix)}  page {k} not read: {why}")
        if preview:
            _write_preview(list(reading.seen), preview if len(files) == 1 else preview / f"{Path(file).stem}.png")
        shown.append((file, reading))
        failed += bool(reading.unread)
    if show and shown:
        _show(shown)
    if failed:
        sys.exit(1)


def _line_text(line) -> tuple[str, str]:
    """A number as read with its confidence, and each character's ("?" where uncertain)."""
    each = "  ".join(f"{c.char} {c.confidence:.0%}{'?' if c.uncertain else ''}" for c in line.characters)
    flag = "  (uncertain)" if line.uncertain else ""
    return f"{line.number}{flag}  ({line.confidence:.1%} sure)", f"read as: {each}"


def _strip_name(message: str, file: str) -> str:
    """Errors name their file; the line already starts with it."""
    return message.removeprefix(f"{file}: ")


def _write_preview(inputs: list, path: Path) -> None:
    import numpy as np

    strip = _strip(inputs)
    _write_image(np.kron(strip, np.ones((10, 10), "uint8")), path)


def _write_boxes(image, characters, path: Path) -> None:
    import cv2

    image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    scale = max(1.0, max(image.shape[:2]) / 800)
    for d in characters:
        if d.box is None:
            continue
        x, y, w, h = d.box
        colour = (0, 140, 255) if d.uncertain else (40, 170, 40)
        cv2.rectangle(image, (x, y), (x + w, y + h), colour, max(1, round(2 * scale)))
        # The character above its box and the confidence below, so neighbours' labels don't collide.
        font = cv2.FONT_HERSHEY_SIMPLEX
        cv2.putText(image, d.char, (x, max(12, y - 4)), font, 0.5 * scale, colour, max(1, round(scale)), cv2.LINE_AA)
        cv2.putText(image, f"{d.confidence:.0%}", (x, min(image.shape[0] - 2, y + h + int(14 * scale))), font, 0.4 * scale, colour, 1, cv2.LINE_AA)
    _write_image(image, path)


def _write_image(image, path: Path) -> None:
    """Encoded by OpenCV for the name's extension, written by Python: a full disk or a folder that
    cannot be made then says so, where OpenCV's writer only says it failed."""
    import cv2

    try:
        encoded, data = cv2.imencode(path.suffix, image)
    except cv2.error:  # an extension OpenCV has no writer for
        encoded = False
    if not encoded:
        raise DigitrecError(f"{path}: cannot write an image of that kind (use a .png name)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.tobytes())
    except OSError as e:
        raise DigitrecError(f"{path}: cannot write the image ({e.strerror or e})") from None


def _output_folder(out: Path) -> Path:
    """The folder made, and written to once, before any work that would be lost if it could not be."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with open(out / ".digitrec-write-test", "wb"):
            pass
        (out / ".digitrec-write-test").unlink()
    except OSError as e:
        raise DigitrecError(f"{out}: cannot write there ({e.strerror or e}); choose another --out") from None
    return out


def _strip(inputs: list):
    """What the network saw, side by side: the line, or each digit's 28x28 image."""
    import numpy as np

    height = max(x.shape[0] for x in inputs)
    return np.hstack([(np.pad(x, ((0, height - x.shape[0]), (0, 0))) * 255).astype("uint8") for x in inputs])


def _show(shown: list) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(shown), figsize=(3 * len(shown), 3.3), squeeze=False)
    for ax, (file, reading) in zip(axes[0], shown):
        ax.imshow(_strip(list(reading.seen)), cmap=plt.cm.binary)
        ax.set_title(f"{Path(file).name}: {reading.number}", fontsize=9)
        ax.axis("off")
    plt.show()


# ---------------------------------------------------------------- batch


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


WORKERS_PER_CORE = 4
"""The most worker processes a command starts here, per core: more only queue for the cores, each
holding its own models (a reader that has read a drawing is about 95 MiB resident), so a mistyped
-j 80 would spend gigabytes to read no faster."""


def _processes(option: str, given: int | None) -> None:
    """Refuses more worker processes than this machine can run to any purpose (WORKERS_PER_CORE)."""
    most = WORKERS_PER_CORE * _cores()
    if given is not None and given > most:
        raise click.UsageError(
            f"{option} {given} is over {WORKERS_PER_CORE} processes a core ({most} for this machine's {_cores()}): more only queue for the cores, "
            f"each taking its own memory; use {most} or fewer."
        )


@cli.command(short_help="Read whole folders of images into CSV, JSON Lines or Parquet.")
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output file: .csv, .jsonl or .parquet.")
@click.option("-m", "--model", default=DEFAULT_MODEL, show_default=True, help="A shipped model's name (line, cnn, mlp), or a trained model's .onnx file.")
@click.option("--preprocess", "mode", type=click.Choice(["mnist", "seed"]), default="mnist", show_default=True, help="As for predict.")
@click.option("--single", is_flag=True, help="Read each image as one digit, without looking for a number.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=UNCERTAIN_BELOW, show_default=True, help="Flag a reading or a character as uncertain below this confidence.")
@SEPARATORS_OPTION
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True, help="local: a process pool on this machine. ray: Ray Data, local or on a cluster.")
@click.option("-j", "--workers", type=click.IntRange(min=1), help="Processes (local, at most 4 a core) or Ray actors.  [default: every core here; with --ray-address, every CPU of the cluster but one, for reading files]")
@click.option("--ray-address", help="A running Ray cluster to use (ray://HOST:10001, or auto), instead of starting Ray here.")
@click.option("--chunk-size", default=500, show_default=True, type=click.IntRange(min=1), help="Files per saved chunk: a kill loses at most one chunk per worker.")
@click.option("--overwrite", is_flag=True, help="Start afresh: drop OUT and any interrupted run's chunks.")
def batch(inputs: tuple[str, ...], out: Path, model: str, mode: str, single: bool, threshold: float, separators: str | None, engine: str, workers: int | None, ray_address: str | None, chunk_size: int, overwrite: bool) -> None:
    """Read every image in folders, globs or manifests into one CSV, JSON Lines or Parquet file.

    \b
    digitrec batch scans/ --out numbers.csv
    digitrec batch 'meters/**/*.jpg' list.txt --out readings.parquet
    digitrec batch archive/ --out rows.jsonl --engine ray --ray-address auto

    INPUTS are folders (searched recursively for images), globs, image files, or manifests: .txt
    or .lst files with one path a line, or .csv files with a "path" column (else the first),
    paths relative to the manifest. Each file gives one row: path, number, confidence (the lowest
    digit's), uncertain, no_digit, digits (each with digit, confidence, box and uncertain), model,
    and error, the reason a file could not be read. A bad file never stops the run.

    Results are saved in chunks in OUT.parts/ as they are read. If the run is interrupted, the same
    command carries on where it stopped; the finished OUT has every input once, in input order.
    """
    from .service import batch as b
    from .reading.runtime import available_models, load_model

    if ray_address and engine != "ray":
        raise click.UsageError("--ray-address needs --engine ray.")
    if not ray_address:  # a cluster's actors run on its machines, not this one
        _processes("--workers", workers)
    b.output_format(out)
    load_model(model)  # a bad --model is an error now, not in every worker
    model = model if model in available_models() else os.path.abspath(model)  # workers may start elsewhere
    settings = b.Settings(model, mode, threshold, single, separators)
    files = b.collect(inputs)
    try:
        journal = b.Journal(out, files, settings, chunk_size, overwrite)
    except OSError as e:  # nothing read yet: no chunks to keep
        raise DigitrecError(f"{out}: cannot write there ({e.strerror or e}); no file has been read: make room and run the same command again, or choose another --out") from None
    try:
        try:
            _run_batch(journal, files, settings, engine, workers, ray_address)
        finally:
            journal.close()
    except OSError as e:  # a full or read-only disk: what is committed stays committed
        where = f" ({e.filename})" if e.filename else ""
        raise DigitrecError(f"cannot write{where}: {e.strerror or e}; the chunks already read are kept in {out}.parts/: make room and run the same command again") from None


def _run_batch(journal, files: list[str], settings, engine: str, workers: int | None, ray_address: str | None) -> None:
    from .service import batch as b

    out = journal.out
    left = sum(len(journal.chunk(k)) for k in journal.pending())
    if left < len(files):
        click.echo(f"Resuming: {len(files) - left:,} of {len(files):,} files already read.", err=True)
    progress = b.Progress(len(files), len(files) - left)
    start = time.monotonic()
    try:
        if engine == "ray":
            from .service.cluster import run_ray

            run_ray(journal, settings, workers if workers or ray_address else _cores(), ray_address, progress)
        else:
            b.run_local(journal, settings, workers or _cores(), progress)
    except KeyboardInterrupt:
        progress.close()
        click.echo(f"Interrupted: {progress.done:,} of {len(files):,} files are saved in {journal.parts}/; run the same command to go on.", err=True)
        sys.exit(130)
    progress.close()
    counts = journal.finish()
    rate = left / max(time.monotonic() - start, 1e-9)
    click.echo(
        f"Read {len(files):,} files ({rate:,.0f} files/s this run): {counts['numbers']:,} with a number, "
        f"{counts['no_digit']:,} with no digit, {counts['errors']:,} could not be read. Wrote {out}.",
        err=True,
    )


# ---------------------------------------------------------------- train and evaluate


def _load_mnist(path: Path | None):
    from . import data

    if data.locate(path) is None:
        click.echo("MNIST is not on this machine yet: downloading it once.", err=True)
        data.download()
    return data.load_mnist(path)


@cli.command()
@click.option("-m", "--model", default="mlp", show_default=True, type=click.Choice(["mlp", "cnn", "line", "printed"]), help="Architecture to train; it brings its own recipe (printed: the line reader's check for printed words).")
@click.option("--epochs", type=click.IntRange(min=1), help="[mlp: 3, cnn: 20, line: 40, printed: 10]")
@click.option("--steps", type=click.IntRange(min=1), help="Batches an epoch, for the line reader's endless synthetic lines; for the print check, its words are made once, this many batches of them.  [line, printed: 300]")
@click.option("--batch-size", type=click.IntRange(min=1), help="[mlp: 32, cnn: 128, line: 64, printed: 64]")
@click.option("--learning-rate", type=click.FloatRange(min=0, min_open=True), help="Adam's step size (the peak, with --schedule cosine).  [mlp: 0.001, cnn: 0.003]")
@click.option("--schedule", type=click.Choice(["constant", "cosine"]), help="cosine: one epoch of warm-up, then cosine decay to 0.  [mlp: constant, cnn: cosine]")
@click.option("--augment/--no-augment", default=None, help="Randomly rotate, zoom, shear and shift training images.  [mlp: no, cnn: yes]")
@click.option("--label-smoothing", type=click.FloatRange(0, 1, max_open=True), help="Targets of 1 - x for the right class.  [default: 0]")
@click.option(
    "--outliers",
    type=click.FloatRange(min=0),
    help="Non-digit images (letters, turned digits, pairs, tangles) added to each batch, as a fraction of its digits, taught to give even odds.  [mlp: 0, cnn: 0.25]",
)
@click.option("--as-read", type=click.FloatRange(0, 1), help="Share of training digits shaped as the reader shapes a user's crop.  [mlp: 0, cnn: 0.5]")
@click.option(
    "--early-stopping",
    "patience",
    type=click.IntRange(min=1),
    help="Stop after this many epochs without a better validation accuracy, and keep the best epoch.  [mlp: off, cnn: 6]",
)
@click.option("--seed", type=int, help="The same seed gives the same model.  [default: 0]")
@click.option(
    "--start-from",
    type=click.Path(exists=True, dir_okay=False),
    help="Go on training from a model this command saved (its .keras file, its .json beside it), with the recipe's data and a fresh schedule.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    help="Processes making the line reader's synthetic lines (at most 4 a core), for a machine with cores to spare (a GPU's host); the same lines either way.  [default: 0, two threads]",
)
@click.option(
    "--buckets",
    type=click.IntRange(min=1),
    help="Line reader: batches made together, their lines sorted by width so each batch is only as wide as its widest line.  [default: 1, every line padded to 192 pixels]",
)
@click.option(
    "--precision",
    type=click.Choice(["float32", "bfloat16"]),
    help="bfloat16: the line reader trains in mixed bfloat16 (saved in float32), a fifth less time an epoch on a CPU with AVX512-BF16.  [default: float32]",
)
@click.option("--validation-split", type=click.FloatRange(0, 1, min_open=True, max_open=True), help="Fraction of the training set held out: its last images, as Keras takes them.  [default: 0.1]")
@click.option("--no-normalize", is_flag=True, help="Feed raw 0-255 pixels, to reproduce the post's comparison.")
@click.option("--backend", type=click.Choice(["jax", "tensorflow", "torch"]), help="Keras backend to train on.  [mlp: jax, cnn: tensorflow, the fastest measured]")
@click.option(
    "--ensemble",
    type=click.IntRange(min=2),
    help="Train N models (seeds SEED to SEED+N-1, each in OUT/seed-K) and save one that averages them as MODEL-ensemble. Members already trained there are reused.",
)
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder.  [default: runs/MODEL]")
@click.option("--data", "data_path", type=click.Path(path_type=Path), help=DATA_HELP)
def train(model: str, no_normalize: bool, backend: str | None, ensemble: int | None, workers: int, out: Path | None, data_path: Path | None, **overrides) -> None:
    """Train a model on MNIST.

    Each model has a recipe; the options change parts of it. The mlp's is the blog post's,
    exactly. The output folder gets MODEL.onnx (what predict loads), MODEL.json (metrics),
    MODEL-curves.png and MODEL.keras.
    """
    from dataclasses import replace

    from .constants import TRAINING_BACKENDS

    if overrides.get("precision") == "bfloat16" and (model != "line" or overrides.get("start_from")):
        raise click.UsageError("--precision bfloat16 is for a fresh --model line, the one measured with it; the others, and a saved network going on, train in float32.")
    for option, given in (("--workers", workers), ("--buckets", overrides.get("buckets"))):
        if given and model != "line":
            raise click.UsageError(f"{option} is for --model line, whose lines are made as it trains; the {model}'s data is MNIST itself.")
    _processes("--workers", workers)
    backend = backend or TRAINING_BACKENDS[model]
    if "keras" not in sys.modules:  # Keras fixes its backend at import
        os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the log
    try:
        with _silent_stderr():  # TensorFlow's C++ start-up lines (twice), which no setting turns off
            from .training.train import RECIPES, train_ensemble
            from .training.train import train as fit

            if backend == "tensorflow":  # imported here, where its start-up lines are silenced
                import tensorflow  # noqa: F401
    except ImportError as e:
        raise DigitrecError(f"training on {backend} needs more packages ({e}): pip install 'digitrec[train]'") from None

    given = {k: v for k, v in overrides.items() if v is not None}
    config = replace(RECIPES[model], **given, **({"normalize": False} if no_normalize else {}))
    out = _output_folder(out or Path("runs") / model)  # now: a training is not lost for want of a place to save it
    command = shlex.join(["digitrec", *click.get_current_context().meta["argv"]])
    if ensemble:
        metrics = train_ensemble(config, ensemble, _load_mnist(data_path), out, command=command, workers=workers)
    else:
        metrics = fit(config, _load_mnist(data_path), out, command=command, workers=workers)
    stem = out / metrics["model"]
    click.echo(f"Test accuracy {metrics['test_accuracy']:.2%}. Saved {stem}.onnx, its metrics ({stem}.json), curves ({stem}-curves.png) and its .keras model.")


@cli.command()
@click.argument("models", nargs=-1)
@click.option("--data", "data_path", type=click.Path(path_type=Path), help=DATA_HELP)
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), help="Folder for the PNGs.  [default: runs/evaluate]")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON, one line each.")
@click.option("--robustness", is_flag=True, help="Also score shifted, rotated, thinned and thickened test digits, with and without re-centring.")
@click.option(
    "--realistic",
    "realistic_count",
    type=click.IntRange(min=1),
    is_flag=False,
    flag_value=300,
    help="Also read N generated photo-like images of each kind (numbers from MNIST test digits, and non-digits), with the default and the post's pipelines.  [N: 300]",
)
@click.option(
    "--pages",
    "pages_count",
    type=click.IntRange(min=1),
    is_flag=False,
    flag_value=200,
    help="Also read N generated pages of 2 to 6 numbers (MNIST test digits; plain, ruled, table and photographed paper): lines read exactly, and pages with every line found and none invented.  [N: 200]",
)
@click.option(
    "--turn",
    "turn_degrees",
    type=click.FloatRange(-180, 180),
    default=0.0,
    help="With --pages: photograph every page turned by this many degrees, counter-clockwise (the same pages otherwise).  [default: 0]",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the generated realistic set and pages.")
@click.option(
    "--realworld",
    "realworld_path",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Instead, score a folder of real images laid out like realworld-dev (labels.csv): exact matches per kind and pool, and non-digits accepted.",
)
@click.option("--threshold", type=click.FloatRange(0, 1), help="Confidence a reading needs to count as sure.  [default: 0.95]")
@SEPARATORS_OPTION
def evaluate(
    models: tuple[str, ...],
    data_path: Path | None,
    out: Path | None,
    as_json: bool,
    robustness: bool,
    realistic_count: int | None,
    pages_count: int | None,
    turn_degrees: float,
    seed: int,
    realworld_path: Path | None,
    threshold: float | None,
    separators: str | None,
) -> None:
    """Score models on the MNIST test set, or on real images.

    MODELS are shipped names or .onnx files (default: the default model). For each, prints
    accuracy, loss, per-class precision and recall and the confusion matrix, and writes
    MODEL-confusion.png and MODEL-mistakes.png (its most confident mistakes); for the line
    reader, the share of test digits read exactly as `digitrec predict` reads them. With
    --realworld, scores that folder instead, and needs no MNIST.
    """
    import numpy as np

    from .evaluation import evaluate as ev
    from .reading.runtime import load_model

    if turn_degrees and not pages_count:
        raise click.UsageError("--turn turns the generated pages: give --pages too (say --pages 200 --turn 10).")
    loaded = [load_model(m) for m in models or (DEFAULT_MODEL,)]
    clash = len({r.name for r in loaded}) < len(loaded)
    recognizers = {str(r.path) if clash else r.name: r for r in loaded}
    told = "" if separators is None else f", told {'digits alone' if not separators else 'only ' + ' '.join(separators)}"  # what the reader was told
    if realworld_path:
        for name, recognizer in recognizers.items():
            result = ev.realworld(recognizer, realworld_path, threshold, separators)
            if as_json:
                click.echo(json.dumps({"model": name, "realworld": str(realworld_path), "separators": separators, **result}))
            else:
                click.echo(f"{name} on {realworld_path} (a non-digit is accepted when read at >= {result['threshold']:g}{told})\n\n{ev.format_realworld(result)}\n")
        return
    out = _output_folder(out or Path("runs") / "evaluate")
    mnist = _load_mnist(data_path)
    for name, recognizer in recognizers.items():
        if recognizer.reads_lines:
            result = ev.read_mnist(recognizer, mnist.x_test, mnist.y_test, separators)
            if as_json:
                click.echo(json.dumps({"model": name, "separators": separators, "mnist_test": result}))
            else:
                click.echo(
                    f"{name} on {mnist.source}{told}: {result['read_exactly']:.2%} of the test digits read exactly as predict reads them "
                    f"({result['misread']} misread, {result['read_as_several']} read as several characters, {result['read_as_nothing']} as nothing)\n"
                )
            continue
        probabilities = recognizer.probabilities(mnist.x_test / 255.0)
        report = ev.report(probabilities, mnist.y_test)
        stem = Path(name).stem
        ev.plot_confusion(report, out / f"{stem}-confusion.png", title=name)
        ev.plot_mistakes(mnist.x_test, mnist.y_test, probabilities, out / f"{stem}-mistakes.png")
        if as_json:
            click.echo(json.dumps({"model": name, **report.to_dict()}))
        else:
            click.echo(f"{name} on {mnist.source}\n\n{ev.format_report(report)}\n")
    if robustness:
        table = ev.robustness({n: r for n, r in recognizers.items() if not r.reads_lines}, mnist.x_test, mnist.y_test)
        ev.plot_robustness(table, out / "robustness.png")
        click.echo(json.dumps({"robustness": table}) if as_json else f"Robustness\n\n{ev.format_table(table)}\n")
    if realistic_count:
        for name, recognizer in recognizers.items():
            result = ev.realistic(recognizer, mnist.x_test, mnist.y_test, realistic_count, seed, threshold, separators)
            curve = ev.threshold_curve(result["confidences"], np.round(np.arange(0.3, 1.0, 0.01), 2))
            ev.plot_threshold_curve(curve, result["threshold"], out / f"{Path(name).stem}-threshold.png")
            if as_json:
                click.echo(json.dumps({"model": name, "separators": separators, "realistic": {k: result[k] for k in ("accuracy", "non-digits", "threshold")}, "curve": curve}))
            else:
                click.echo(f"{name} on the realistic set ({realistic_count} images of each kind, seed {seed}{told})\n")
                click.echo(ev.format_table(result["accuracy"], "condition") + "\n")
                click.echo(f"Non-digit images read as a confident digit (every digit >= {result['threshold']:g}):\n")
                click.echo(ev.format_table(result["non-digits"], "kind") + "\n")
    if pages_count:
        for name, recognizer in recognizers.items():
            result = ev.pages(recognizer, mnist.x_test, mnist.y_test, pages_count, seed, turn_degrees, separators)
            if as_json:
                click.echo(json.dumps({"model": name, "separators": separators, "pages": result, "turn": turn_degrees}))
            else:
                turned = f", turned {turn_degrees:g} degrees" if turn_degrees else ""
                click.echo(f"{name} on {pages_count} generated pages (seed {seed}{turned}{told})\n\n{ev.format_pages(result)}\n")
    if not as_json:
        click.echo(f"Wrote the plots to {out}/.")


@contextlib.contextmanager
def _silent_stderr():
    """Standard error, at the file-descriptor level (where C++ libraries write), sent nowhere."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _runnable(command: str) -> str:
    """The training command as a user can run it: without the paths of the machine it ran on."""
    words = shlex.split(command)
    kept = [w for i, w in enumerate(words) if w not in ("--out", "-o", "--data") and (i == 0 or words[i - 1] not in ("--out", "-o", "--data"))]
    return shlex.join(kept)


@cli.command(name="models")
def list_models() -> None:
    """List the shipped models and their accuracy."""
    from .reading.runtime import available_models, model_info

    for name in available_models():
        info = model_info(name)
        accuracy = f"{info['test_accuracy']:.2%}" if "test_accuracy" in info else "?"
        click.echo(f"{name:<6} test accuracy {accuracy:<8} made by: {_runnable(info.get('command', '?'))}")


# ---------------------------------------------------------------- serve


@cli.command(short_help="Serve the drawing page and the HTTP API.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; 0.0.0.0 for every interface.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("-m", "--model", default=DEFAULT_MODEL, show_default=True, help="The default model: a shipped name, or a trained .onnx file.")
@click.option("--max-upload", default=10, show_default=True, type=click.FloatRange(min=0, min_open=True), help="Largest request body, in MB.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Processes that read images (at most 4 a core), each with its own models, taking requests from one queue; 0 reads them in threads of the server's own process.  [default: every core here]",
)
@click.option("--quiet/--access-log", default=None, help="Without, or with, a line per request on standard error.  [default: a line per request when it is a terminal]")
@click.option("--allowed-hosts", help="Answer only requests whose Host header is one of these, comma-separated (example.org,*.example.org).  [default: any]")
def serve(host: str, port: int, model: str, max_upload: float, workers: int | None, quiet: bool | None, allowed_hosts: str | None) -> None:
    """Serve the drawing page at / and the HTTP API at /v1 (docs at /docs)."""
    try:
        import uvicorn

        from .service.server import create_app
    except ImportError:
        raise DigitrecError("the server needs more packages: pip install 'digitrec[serve]'") from None
    from .reading.runtime import load_model

    _processes("--workers", workers)
    _bindable(host, port)
    load_model(model)  # a bad --model is an error now, not in a reader later
    hosts = [h.strip() for h in allowed_hosts.split(",") if h.strip()] if allowed_hosts else None
    app = create_app(model, max_upload=int(max_upload * 1024 * 1024), readers=_cores() if workers is None else workers, allowed_hosts=hosts)
    click.echo(f"digitrec: the page is at http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/ (Ctrl-C stops it)", err=True)
    access = not quiet if quiet is not None else sys.stderr.isatty()
    uvicorn.run(app, host=host, port=port, log_config=_server_log(access), timeout_keep_alive=5)


def _bindable(host: str, port: int) -> None:
    """Refuses a host and port the server could not listen on, before its readers start and its
    address is printed: uvicorn found out only after both."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a port just freed is free
            s.bind((host, port))
    except OSError as e:
        raise DigitrecError(f"cannot serve on {host}:{port}: {e.strerror or e}; choose another --port or --host") from None


def _server_log(access: bool) -> dict:
    """uvicorn's logging: warnings and errors always; one line per request if asked."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(message)s", "use_colors": None},
            "access": {"()": "uvicorn.logging.AccessFormatter", "fmt": '%(asctime)s %(client_addr)s "%(request_line)s" %(status_code)s', "datefmt": "%H:%M:%S"},
        },
        "handlers": {
            "plain": {"formatter": "plain", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
            "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["plain"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"level": "WARNING"},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO" if access else "WARNING", "propagate": False},
        },
    }


# ---------------------------------------------------------------- data


@cli.group()
def data() -> None:
    """Download MNIST or check the local copy."""


@data.command()
@click.option("--url", default=None, help="Mirror to fetch mnist.npz from.  [default: Keras' mirror]")
@click.option("--sha256", default=None, help="Expected SHA-256 of the file at --url.")
@click.option("--dest", type=click.Path(dir_okay=False, path_type=Path), help="Where to save it.  [default: the user cache]")
def download(url: str | None, sha256: str | None, dest: Path | None) -> None:
    """Fetch mnist.npz once, verify its SHA-256, and cache it."""
    from . import data as d

    if url and not sha256:
        raise click.UsageError("--url needs --sha256, so the file can be verified.")
    path = d.download(url or d.MNIST_URL, sha256 or d.MNIST_SHA256, dest)
    click.echo(f"Saved and verified {path}")


@data.command()
@click.option("--data", "data_path", type=click.Path(path_type=Path), help=DATA_HELP)
def info(data_path: Path | None) -> None:
    """Say which copy of MNIST digitrec will use, and check it."""
    from . import data as d

    mnist = d.load_mnist(data_path)
    click.echo(f"source  {mnist.source}")
    click.echo(f"train   {mnist.x_train.shape[0]} images, test {mnist.x_test.shape[0]} images")
    for name, digest in mnist.sha256.items():
        click.echo(f"sha256  {digest}  {name}")


def main() -> None:
    cli(prog_name="digitrec")
