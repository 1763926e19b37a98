"""The web app: a page to draw or upload digits, and the HTTP API it calls, in one FastAPI app.

Models are loaded once, at start-up. Reading an image is CPU work (OpenCV and ONNX Runtime,
which release the GIL), so it runs in a worker thread and the event loop stays free. Nothing a
client sends can make it answer 500: every bad request gets a 4xx with a JSON body that says
what was wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import re
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.middleware.trustedhost import TrustedHostMiddleware
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..reading import decode
from ..constants import DEFAULT_MODEL, IMAGE_SIZE, MAX_PIXELS, UNCERTAIN_BELOW
from ..errors import ImageError, ImageTooLargeError, ModelError, NoDigitError
from ..limits import time_budget
from ..reading.lines import LINE_HEIGHT, SEPARATORS, checked_separators
from ..reading.runtime import Recognizer, available_models, load_worker_model, model_info

WEB = Path(__file__).parent / "web"
MAX_UPLOAD = 10 * 1024 * 1024
"""Largest request body, in bytes: one image, or a whole batch."""
MAX_FILES = 16
"""Most images in one batch request."""
MAX_QUEUE = 64
"""Most images being read or waiting at once; more are answered 503 with Retry-After, not queued
without end."""
INFLIGHT_UPLOADS = 8
"""Bodies being received at once hold at most this many --max-upload's worth of bytes (80 MB by
default): 60 uploads of 9 MB at once took the server process to 806 MB."""
BODY_STALL = 10.0
"""Seconds a request body may go without a byte arriving before it is answered 408 (a slow
client holding a connection open). Headers are uvicorn's to time out."""
DEADLINE = 30.0
"""Seconds one image may take before its request is answered 503. Every image's cost is bounded
(README, "Limits and failure behaviour"); this is the backstop."""
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/bmp", "image/tiff", "image/gif", "image/avif", "image/heic", "image/heif", "application/pdf", "application/octet-stream")

READERS_START = 120.0
"""Seconds a reader waits for the others to load their models before the server gives up starting."""

Mode = Literal["mnist", "seed"]
ONLY_SEPARATORS = f"^[{re.escape(SEPARATORS)}]*$"
"""A `separators` query: some of the separators the line reader writes (lines.checked_separators), or none."""


class CharacterOut(BaseModel):
    char: str = Field(pattern=r"^[0-9.,\-/:]$", description="a digit, or a separator written inside the number: . , - / :")
    confidence: float = Field(ge=0, le=1)
    probabilities: list[float] | None = Field(
        None, min_length=10, max_length=10, description="for a digit, the ten digits' probabilities where it was read surest; null for a separator"
    )
    box: list[int] | None = Field(None, min_length=4, max_length=4, description="x, y, width, height in the image")
    uncertain: bool = Field(description="confidence below the threshold: a person should check this character")


class LineOut(BaseModel):
    number: str = Field(description="this line's number, separators included")
    confidence: float = Field(ge=0, le=1, description="the probability of what was read on this line")
    uncertain: bool
    box: list[int] | None = Field(None, min_length=4, max_length=4, description="x, y, width, height of the line's ink in the image (in its page, for a document)")
    characters: list[CharacterOut]
    page: int | None = Field(None, ge=1, description="for a document of several pages: the page this line is on, from 1; null otherwise")


class UnreadPage(BaseModel):
    page: int = Field(ge=1, description="the page, from 1")
    error: str = Field(description="why it could not be read as numbers (a page of marks)")


class PredictResponse(BaseModel):
    number: str = Field(
        description='what is written, left to right, separators included ("12.5", "25/11"); several lines\' numbers one to a line, top to bottom ("315\\n2870"); "" when there is no number'
    )
    confidence: float | None = Field(None, ge=0, le=1, description="the reading's confidence: for the line reader the probability of what it read (of several lines, the least), for a digit model its lowest digit's")
    box: list[int] | None = Field(None, min_length=4, max_length=4, description="x, y, width, height of all the ink read, in the image")
    characters: list[CharacterOut] = Field(description="every character read, line by line")
    lines: list[LineOut] | None = Field(
        None, description="where the image holds several lines (or numbers side by side, far apart), or is a document of several pages: each line, page by page, top to bottom; null for one"
    )
    pages: int | None = Field(None, ge=2, description="for a document of several pages (a PDF, a multi-page TIFF, up to 10): how many were read; null for an image")
    no_digit: bool
    uncertain: bool
    model: str
    preprocess: Mode
    image_size: list[int] = Field(min_length=2, max_length=2, description="width, height of the image as read (after EXIF rotation and shrinking), which boxes refer to; for a document, its first page's")
    page_sizes: list[list[int]] | None = Field(None, description="for a document of several pages: each page's width, height, which its lines' boxes refer to; null for an image")
    unread_pages: list[UnreadPage] | None = Field(None, description="for a document: the pages that could not be read as numbers, each with why (its other pages are read); null if none")
    inputs: list[list[list[float]]] | None = Field(None, description="what the network saw, if asked for with inputs=true: the line, or each digit's 28x28 image")


class BatchItem(BaseModel):
    file: str
    result: PredictResponse | None = None
    error: str | None = None


class BatchResponse(BaseModel):
    results: list[BatchItem]


class ModelInfo(BaseModel):
    name: str
    default: bool
    test_accuracy: float | None
    parameters: int | None
    input: dict = Field(description="what the network itself takes; the API takes any image and prepares it")


class Problem(BaseModel):
    detail: str


class _TooLarge(Exception):
    pass


class _Busy(Exception):
    pass


class _Stalled(Exception):
    pass


ERRORS = {
    400: {"model": Problem, "description": "not an image, a corrupt or empty one, or too many files"},
    413: {"model": Problem, "description": "the body, or the image's pixel count, is over the limit"},
    403: {"model": Problem, "description": "a cross-origin request: another site's page sent it"},
    415: {"model": Problem, "description": "a content type that is not an image or a form"},
    422: {"model": Problem, "description": "a query parameter out of its range, or of the wrong type"},
    503: {"model": Problem, "description": "busy, over the time limit, or a reader died: try again after Retry-After seconds"},
}
IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}
            },
            **{t: {"schema": {"type": "string", "format": "binary"}} for t in IMAGE_TYPES},
        },
    }
}
BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                    "required": ["files"],
                }
            }
        },
    }
}


def create_app(
    default_model: str = DEFAULT_MODEL,
    max_upload: int = MAX_UPLOAD,
    max_pixels: int = MAX_PIXELS,
    max_files: int = MAX_FILES,
    readers: int = 0,
    max_queue: int = MAX_QUEUE,
    deadline: float = DEADLINE,
    allowed_hosts: Sequence[str] | None = None,
) -> FastAPI:
    """The app. With readers, images are read by that many processes sharing one queue; else by threads here."""
    sources = {name: name for name in available_models()}  # the name a client sees -> what is loaded
    if default_model not in sources:  # a trained .onnx file: shown by its name, never its path
        shown = Path(default_model).stem if Path(default_model).stem not in sources else f"{Path(default_model).stem}-trained"
        sources[shown], default_model = str(default_model), shown
    names = list(sources)
    infos = {name: model_info(source) for name, source in sources.items()}  # for /v1/models: readers, not this process, may hold the models
    pool = _Readers(readers, sources) if readers else None
    if pool is None:
        _load_models(sources)
    queued = 0  # requests reading or waiting for a reader

    async def read(task, *args):
        nonlocal queued
        if queued >= max_queue:
            raise HTTPException(503, f"the server is busy ({queued} images are being read or waiting); try again shortly", headers={"Retry-After": "1"})
        queued += 1
        try:
            work = run_in_threadpool(task, *args) if pool is None else pool.run(_within, deadline, task, *args)
            return await asyncio.wait_for(work, deadline)
        except asyncio.TimeoutError:
            raise HTTPException(503, f"reading the image took over {deadline:g} s, the limit for one request", headers={"Retry-After": "1"}) from None
        finally:
            queued -= 1

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        if pool is not None:
            pool.shutdown()

    app = FastAPIOffline(  # FastAPI, with Swagger UI's files served from the package: /docs works offline
        title="digitrec",
        summary="Read handwritten digits and numbers in images.",
        version=_version(),
        docs_url="/docs",
        lifespan=lifespan,
    )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        """One plain sentence, like every other error, not pydantic's list."""
        return JSONResponse({"detail": "; ".join(map(_sentence, e.errors()))}, status_code=422)

    app.state.readers = pool
    app.add_middleware(_BodyLimit, limit=max_upload, inflight=INFLIGHT_UPLOADS * max_upload)
    app.add_middleware(_SameOrigin)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))

    def recognizer(name: str | None) -> str:
        name = name or default_model
        if name not in names:
            raise HTTPException(400, f"no model {name!r}; choose one of {', '.join(names)}")
        return name

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(WEB / "index.html")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(WEB / "icon.svg", media_type="image/svg+xml")

    app.mount("/static", StaticFiles(directory=WEB), name="static")

    @app.get("/healthz", summary="Is the server up, and are its readers")
    async def healthz() -> JSONResponse:
        if pool is None:
            return JSONResponse({"status": "ok", "readers": "threads", "queued": queued})
        alive = pool.alive()
        ok = alive == readers
        body = {"status": "ok" if ok else "degraded", "readers": readers, "readers_alive": alive, "replaced": pool.replaced, "queued": queued}
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/v1/models", summary="The models the server can use")
    async def list_models() -> list[ModelInfo]:
        return [
            ModelInfo(
                name=name,
                default=name == default_model,
                test_accuracy=infos[name].get("test_accuracy"),
                parameters=infos[name].get("parameters"),
                input=_input_info(infos[name]),
            )
            for name in names
        ]

    @app.post(
        "/v1/predict", summary="Read the number (or digit) in one image", response_model=PredictResponse, responses=ERRORS, openapi_extra=IMAGE_BODY
    )
    async def predict(
        request: Request,
        model: str | None = Query(None, description="a model from /v1/models; default: the server's"),
        preprocess: Mode = Query("mnist", description="mnist: clean up and segment; seed: the blog post's resize and invert"),
        single: bool = Query(False, description="read the image as one digit"),
        threshold: float = Query(UNCERTAIN_BELOW, ge=0, le=1, description="flag digits below this confidence"),
        separators: str | None = Query(None, pattern=ONLY_SEPARATORS, description="the separators a number may hold, some of . , - / : (empty for digits alone); default: all of them"),
        inputs: bool = Query(False, description="include what the network saw: the line, or each digit's 28x28 image"),
    ) -> Response:
        name = recognizer(model)
        data = await _single_image(request, max_files)
        if await request.is_disconnected():  # the client gave up while sending: read nothing for nobody
            return Response(status_code=499)
        # The reader writes the JSON itself: the server process, which all requests pass through,
        # then neither unpickles the answer's objects nor validates them a second time.
        return Response(await read(_read_json, name, data, preprocess, single, threshold, separators, inputs, max_pixels), media_type="application/json")

    @app.post("/v1/predict/batch", summary="Read several images in one request", responses=ERRORS, openapi_extra=BATCH_BODY)
    async def predict_batch(
        request: Request,
        model: str | None = Query(None, description="a model from /v1/models; default: the server's"),
        preprocess: Mode = Query("mnist"),
        single: bool = Query(False),
        threshold: float = Query(UNCERTAIN_BELOW, ge=0, le=1),
        separators: str | None = Query(None, pattern=ONLY_SEPARATORS),
    ) -> BatchResponse:
        name = recognizer(model)
        form = await _form(request, max_files)
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not files:
            raise HTTPException(400, "send the images as multipart/form-data fields named 'files'")
        async def one(f: UploadFile) -> BatchItem:
            filename = f.filename or "file"
            try:
                return BatchItem(file=filename, result=await read(_read, name, await f.read(), preprocess, single, threshold, separators, False, max_pixels))
            except HTTPException as e:
                return BatchItem(file=filename, error=e.detail)

        return BatchResponse(results=list(await asyncio.gather(*map(one, files))))  # read side by side, by every reader

    return app


class _Readers:
    """Reader processes sharing one queue, replaced when one dies.

    A reader killed mid-image (the OOM killer, a SIGKILL) breaks its whole ProcessPoolExecutor:
    the requests it held are answered 503, and the next request finds a fresh pool.
    """

    def __init__(self, count: int, sources: dict[str, str]):
        self.count, self.sources, self.replaced = count, sources, 0
        self.pool = self._start()
        self._starting: asyncio.Future | None = None

    def _start(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        # Each reader waits at the barrier for the others, so every one has loaded its models (and
        # ignores Ctrl-C) before the first request: the first to load could otherwise answer all
        # these pings while another was still importing, where Ctrl-C gave it a traceback.
        everyone = context.Barrier(self.count)
        pool = ProcessPoolExecutor(self.count, mp_context=context, initializer=_start_reader, initargs=(self.sources, everyone))
        for done in [pool.submit(os.getpid) for _ in range(self.count)]:
            done.result()
        return pool

    async def run(self, task, *args):
        if self._starting is not None:  # a replacement is on its way: wait for it
            await asyncio.shield(self._starting)
        pool = self.pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, task, *args)
        except BrokenProcessPool:
            if self.pool is pool and self._starting is None:  # the first to notice replaces it
                pool.shutdown(wait=False, cancel_futures=True)
                self._starting = asyncio.ensure_future(run_in_threadpool(self._start))
                try:
                    self.pool = await asyncio.shield(self._starting)
                    self.replaced += 1
                finally:
                    self._starting = None
            raise HTTPException(503, "a reader process died while reading this image (out of memory?); it has been replaced: try again", headers={"Retry-After": "1"}) from None

    def _processes(self) -> dict:
        return getattr(self.pool, "_processes", None) or {}  # the executor's own table; empty while one is replaced

    def pids(self) -> list[int]:
        return sorted(self._processes())

    def alive(self) -> int:
        return sum(p.is_alive() for p in self._processes().values())

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


class _SameOrigin:
    """Refuses a POST that a page on another site sends (its Origin is not this server): a browser
    sends a cross-origin form without asking first, and the server would read it for that page."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            headers = dict(scope["headers"])
            origin = headers.get(b"origin", b"").decode("latin-1")
            host = headers.get(b"host", b"").decode("latin-1")
            if origin and origin != "null" and urlsplit(origin).netloc != host:
                body = {"detail": f"cross-origin requests are refused: {origin} is not this server ({host})"}
                return await JSONResponse(body, status_code=403)(scope, receive, send)
        return await self.app(scope, receive, send)


class _BodyLimit:
    """Refuses a body over the limit while it arrives, so a huge upload is never buffered whole,
    and any body while the bodies arriving at once already hold `inflight` bytes (503)."""

    def __init__(self, app, limit: int, inflight: int, stall: float = BODY_STALL):
        self.app, self.limit, self.inflight, self.stall, self.held = app, limit, inflight, stall, 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(scope, receive, send)
        received, started = 0, False

        async def counted():
            nonlocal received
            try:
                message = await asyncio.wait_for(receive(), self.stall)
            except asyncio.TimeoutError:
                raise _Stalled from None
            size = len(message.get("body", b""))
            if received + size > self.limit:
                raise _TooLarge
            if size and self.held + size > self.inflight:
                raise _Busy
            received += size
            self.held += size
            return message

        async def watched(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await self._refuse(scope, receive, send)
        except _Stalled:
            if not started:
                body = {"detail": f"the request body stalled: nothing arrived for {self.stall:g} s"}
                await JSONResponse(body, status_code=408, headers={"connection": "close"})(scope, receive, send)
        except _Busy:
            if not started:
                body = {"detail": f"the server is receiving {self.held:,} bytes of uploads already; try again shortly"}
                await JSONResponse(body, status_code=503, headers={"connection": "close", "retry-after": "1"})(scope, receive, send)
        finally:
            self.held -= received

    async def _refuse(self, scope, receive, send) -> None:
        body = {"detail": f"the request body is over the limit of {self.limit:,} bytes"}
        await JSONResponse(body, status_code=413, headers={"connection": "close"})(scope, receive, send)


async def _form(request: Request, max_files: int):
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, "send multipart/form-data")
    try:
        form = await request.form(max_files=max_files, max_fields=max_files)
    except _TooLarge:
        raise
    except Exception as e:  # Starlette's parser reports a malformed or oversized form in several ways
        message = str(getattr(e, "detail", e))
        raise HTTPException(400, f"cannot read the form: {message}") from None
    return form


async def _single_image(request: Request, max_files: int) -> bytes:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await _form(request, max_files)
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise HTTPException(400, "the form has no file field named 'file'")
        return await file.read()
    if kind in IMAGE_TYPES:
        return await request.body()
    raise HTTPException(415, f"content type {kind or 'none'!r} is not an image: send image/png, image/jpeg, ... or a multipart form with a 'file'")


_MODELS: dict[str, Recognizer] = {}
"""The models of this process: the server's, or a reader's."""


def _load_models(sources: dict[str, str]) -> None:
    """Load each model once in this process, under the name clients use: a shipped name, or a
    trained .onnx file's path."""
    for name, source in sources.items():
        if name not in _MODELS:
            _MODELS[name] = load_worker_model(source)


def _start_reader(sources: dict[str, str], everyone: Barrier) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the server shuts readers down
    _load_models(sources)
    everyone.wait(READERS_START)


def _read(name: str, data: bytes, mode: str, single: bool, threshold: float, separators: str | None, inputs: bool, max_pixels: int) -> PredictResponse:
    recognizer = _MODELS[name]
    try:
        pages = decode.pages(data, max_pixels=max_pixels)
    except ImageError as e:
        raise HTTPException(413 if isinstance(e, ImageTooLargeError) else 400, str(e).removeprefix("image bytes: ")) from None
    sizes = [[page.shape[1], page.shape[0]] for page in pages]
    document = {"pages": len(pages), "page_sizes": sizes} if len(pages) > 1 else {}
    try:
        reading = recognizer.read_pages(pages, mode, threshold, single, separators)
    except NoDigitError:
        return PredictResponse(number="", characters=[], no_digit=True, uncertain=False, model=name, preprocess=mode, image_size=sizes[0], **document)
    except (ImageError, ModelError) as e:  # read, but not as a number (a page of marks); or a setting this model cannot take
        raise HTTPException(400, str(e)) from None
    lines = [
        LineOut(number=line.number, confidence=line.confidence, uncertain=line.uncertain, box=_box(line.box), characters=_characters(line), page=line.page)
        for line in reading.lines
    ]
    return PredictResponse(
        number=reading.number,
        confidence=reading.confidence,
        box=_box(reading.box),
        characters=_characters(reading),
        lines=lines or None,
        no_digit=False,
        uncertain=reading.uncertain,
        model=name,
        preprocess=mode,
        image_size=sizes[0],
        **document,
        unread_pages=[UnreadPage(page=k, error=why) for k, why in reading.unread] or None,
        inputs=[np.round(x, 3).tolist() for x in reading.seen] if inputs else None,
    )


def _characters(reading) -> list[CharacterOut]:
    return [
        CharacterOut(char=c.char, confidence=c.confidence, probabilities=list(c.probabilities) if c.probabilities else None, box=_box(c.box), uncertain=c.uncertain)
        for c in reading.characters
    ]


def _box(box: tuple[int, ...] | None) -> list[int] | None:
    return list(box) if box else None


def _input_info(info: dict) -> dict:
    shape = [LINE_HEIGHT, "width"] if info.get("model") == "line" else [IMAGE_SIZE, IMAGE_SIZE]
    return {"shape": shape, "dtype": "float32", "range": [0, 1], "ink": "white on black"}


def _within(seconds: float, task, *args):
    """task(*args) in a reader process, stopped at the request's deadline (limits.time_budget):
    the client is answered 503 then, and the reader goes on to the next image instead of grinding
    on for nobody. (Threads cannot be stopped so; and a single long call into a library runs to
    its end before the budget can stop it.)"""
    with time_budget(seconds):
        return task(*args)


def _sentence(error: dict) -> str:
    """A parameter's error as one sentence; separators that do not match say, as the command
    line and the Python API say, which the reader can write."""
    if error["type"] == "string_pattern_mismatch" and error["loc"][-1] == "separators":
        try:
            checked_separators(error["input"])
        except ValueError as e:
            return str(e)
    return f"{'.'.join(str(p) for p in error['loc'][1:]) or 'request'}: {error['msg']}"


def _read_json(*args) -> bytes:
    return _read(*args).model_dump_json().encode()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("digitrec")
    except PackageNotFoundError:
        return "0"
