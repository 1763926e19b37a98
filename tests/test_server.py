"""The HTTP API: answers, every error path, and a fuzz from its own OpenAPI schema."""

from __future__ import annotations

import io
import os

import cv2
import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi", reason="the server extra is not installed: pip install 'digitrec[serve]'")
from fastapi.testclient import TestClient  # noqa: E402

from conftest import SAMPLES  # noqa: E402
from digitrec.constants import DEFAULT_MODEL  # noqa: E402
from digitrec.reading.lines import LINE_HEIGHT  # noqa: E402
from digitrec.reading.runtime import available_models  # noqa: E402
from digitrec.service.server import create_app  # noqa: E402


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


@pytest.fixture(scope="module")
def number(mnist):
    from digitrec.evaluation import realistic

    sample = next(realistic.numbers(mnist.x_test, mnist.y_test, 1, (4, 4), seed=2, conditions=("clean",)))
    return cv2.imencode(".png", cv2.cvtColor(sample.image, cv2.COLOR_RGB2BGR))[1].tobytes(), sample


def png(array: np.ndarray) -> bytes:
    return cv2.imencode(".png", array)[1].tobytes()


def test_health_and_models(client):
    assert client.get("/healthz").json()["status"] == "ok"
    models = client.get("/v1/models").json()
    assert [m["name"] for m in models] == available_models() and [m["name"] for m in models if m["default"]] == [DEFAULT_MODEL]
    for m in models:
        assert m["test_accuracy"] > 0.97
        assert m["input"]["shape"] == ([LINE_HEIGHT, "width"] if m["name"] == "line" else [28, 28])


def test_the_page_and_its_assets_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200 and "<canvas" in page.text
    for asset in ("/static/app.js", "/static/style.css", "/favicon.ico"):
        assert client.get(asset).status_code == 200
    assert "http://" not in page.text.replace("http://www.w3.org", "") and "https://" not in page.text  # no CDN


def test_a_heic_photo_and_a_pdf_are_read(client):
    import pillow_heif

    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    Image.open(SAMPLES / "7-centred.png").convert("RGB").save(buffer, "HEIF", quality=95)
    raw = client.post("/v1/predict", content=buffer.getvalue(), headers={"content-type": "image/heic"})
    form = client.post("/v1/predict", files={"file": ("IMG_0001.HEIC", buffer.getvalue(), "image/heic")})
    assert raw.status_code == form.status_code == 200 and raw.json()["number"] == form.json()["number"] == "7"
    buffer = io.BytesIO()
    Image.open(SAMPLES / "7-centred.png").convert("RGB").save(buffer, "PDF", quality=95)
    assert client.post("/v1/predict", content=buffer.getvalue(), headers={"content-type": "application/pdf"}).json()["number"] == "7"


def test_a_document_of_several_pages_gives_each_lines_page(client):
    seven = Image.open(SAMPLES / "7-centred.png").convert("RGB")
    buffer = io.BytesIO()
    seven.save(buffer, "TIFF", save_all=True, append_images=[seven.resize((56, 56))])  # a page of its own size
    read = client.post("/v1/predict", files={"file": ("scan.tiff", buffer.getvalue(), "image/tiff")}).json()
    assert read["number"] == "7\n7" and read["pages"] == 2 and read["page_sizes"] == [[280, 280], [56, 56]]
    assert [line["page"] for line in read["lines"]] == [1, 2] and read["box"] is None
    one = client.post("/v1/predict", files={"file": ("7.png", (SAMPLES / "7-centred.png").read_bytes(), "image/png")}).json()
    assert one["pages"] is None and one["page_sizes"] is None


def test_a_documents_page_of_marks_is_named_and_its_other_pages_read(client, texture):
    seven = Image.open(SAMPLES / "7-centred.png").convert("L")
    buffer = io.BytesIO()
    seven.save(buffer, "TIFF", save_all=True, append_images=[Image.fromarray(texture), seven])
    read = client.post("/v1/predict", files={"file": ("scan.tiff", buffer.getvalue(), "image/tiff")})
    assert read.status_code == 200 and read.json()["number"] == "7\n7"
    (unread,) = read.json()["unread_pages"]
    assert unread["page"] == 2 and "too many separate marks" in unread["error"]


def test_predict_a_number_raw_and_multipart(client, number):
    data, sample = number
    raw = client.post("/v1/predict", content=data, headers={"content-type": "image/png"})
    form = client.post("/v1/predict", files={"file": ("n.png", data, "image/png")})
    assert raw.status_code == form.status_code == 200
    body = raw.json()
    assert body == form.json()
    assert body["number"] == sample.number and body["model"] == DEFAULT_MODEL and body["preprocess"] == "mnist"
    assert body["image_size"] == [sample.image.shape[1], sample.image.shape[0]]
    assert 0 < body["confidence"] <= 1 and len(body["characters"]) == len(sample.number)
    for c, truth in zip(body["characters"], sample.number):
        assert c["char"] == truth and len(c["box"]) == 4
    cnn = client.post("/v1/predict?model=cnn", content=data, headers={"content-type": "image/png"}).json()
    for c in cnn["characters"]:
        assert len(c["probabilities"]) == 10 and abs(sum(c["probabilities"]) - 1) < 1e-4


def test_options(client):
    seven = (SAMPLES / "7-centred.png").read_bytes()
    single = client.post("/v1/predict?single=true&inputs=true&model=mlp", content=seven, headers={"content-type": "image/png"}).json()
    assert single["number"] == "7" and single["model"] == "mlp" and single["characters"][0]["box"] is None
    assert np.array(single["inputs"][0]).shape == (28, 28)
    seed = client.post("/v1/predict?preprocess=seed&model=cnn", content=seven, headers={"content-type": "image/png"}).json()
    assert seed["preprocess"] == "seed" and len(seed["characters"]) == 1
    strict = client.post("/v1/predict?threshold=1", content=seven, headers={"content-type": "image/png"}).json()
    assert strict["uncertain"] and strict["characters"][0]["uncertain"]


def test_a_blank_image_is_no_digit_not_an_error(client):
    r = client.post("/v1/predict", content=png(np.full((280, 280), 255, np.uint8)), headers={"content-type": "image/png"})
    assert r.status_code == 200 and r.json()["no_digit"] and r.json()["number"] == "" and r.json()["characters"] == []


def test_batch(client, number):
    data, sample = number
    files = [("files", ("a.png", data, "image/png")), ("files", ("b.txt", b"not an image", "text/plain"))]
    results = client.post("/v1/predict/batch", files=files).json()["results"]
    assert results[0]["file"] == "a.png" and results[0]["result"]["number"] == sample.number and results[0]["error"] is None
    assert results[1]["file"] == "b.txt" and results[1]["result"] is None and "not an image" in results[1]["error"]


@pytest.mark.parametrize(
    "kwargs, status, message",
    [
        (dict(content=b"", headers={"content-type": "image/png"}), 400, "empty"),
        (dict(content=(SAMPLES / "7-centred.png").read_bytes()[:300], headers={"content-type": "image/png"}), 400, "corrupt"),
        (dict(content=b"hello", headers={"content-type": "image/png"}), 400, "not an image"),
        (dict(content=b'{"a": 1}', headers={"content-type": "application/json"}), 415, "not an image"),
        (dict(content=b"x"), 415, "not an image"),
        (dict(files={"other": ("a.png", b"x", "image/png")}), 400, "no file field named 'file'"),
        (dict(files={"file": (None, "just text")}), 400, "no file field"),
        (dict(data={"file": "a urlencoded form"}), 415, "not an image"),
        (dict(content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data; boundary=x"}), 400, "file"),
    ],
)
def test_bad_requests_get_a_4xx_naming_the_problem(client, kwargs, status, message):
    r = client.post("/v1/predict", **kwargs)
    assert r.status_code == status and message in r.json()["detail"]


def test_unknown_model_and_bad_parameters(client):
    seven = (SAMPLES / "7-centred.png").read_bytes()
    r = client.post("/v1/predict?model=nope", content=seven, headers={"content-type": "image/png"})
    assert r.status_code == 400 and "no model 'nope'" in r.json()["detail"]
    r = client.post("/v1/predict?threshold=2", content=seven, headers={"content-type": "image/png"})
    assert r.status_code == 422 and r.json()["detail"] == "threshold: Input should be less than or equal to 1"
    r = client.post("/v1/predict?separators=%23", content=seven, headers={"content-type": "image/png"})
    assert r.status_code == 422 and r.json()["detail"] == "separators are some of . , - / : ('' for digits alone), not '#'"


def test_separators_reach_the_reader(client, monkeypatch):
    from digitrec.reading.runtime import Recognizer

    asked, real = [], Recognizer.read_pages
    monkeypatch.setattr(Recognizer, "read_pages", lambda self, pages, *args: asked.append(args[-1]) or real(self, pages, *args))
    seven = (SAMPLES / "7-centred.png").read_bytes()
    for query in ("?separators=", "?separators=.%2C", ""):
        assert client.post("/v1/predict" + query, content=seven, headers={"content-type": "image/png"}).json()["number"] == "7"
    assert client.post("/v1/predict/batch?separators=/", files=[("files", ("a.png", seven, "image/png"))]).status_code == 200
    assert asked == ["", ".,", None, "/"]


def test_batch_errors(client):
    seven = (SAMPLES / "7-centred.png").read_bytes()
    too_many = client.post("/v1/predict/batch", files=[("files", ("a.png", seven, "image/png"))] * 17)
    assert too_many.status_code == 400 and "Too many files" in too_many.json()["detail"]
    none = client.post("/v1/predict/batch", files={"other": ("a.png", seven, "image/png")})
    assert none.status_code == 400 and "'files'" in none.json()["detail"]
    raw = client.post("/v1/predict/batch", content=seven, headers={"content-type": "image/png"})
    assert raw.status_code == 415


def test_uploads_over_the_limit_are_refused_while_they_arrive():
    small = TestClient(create_app(max_upload=10_000))
    declared = small.post("/v1/predict", content=b"x" * 20_000, headers={"content-type": "image/png"})
    assert declared.status_code == 413 and "over the limit of 10,000 bytes" in declared.json()["detail"]

    sent = []

    def chunks():  # no content-length: the server must count as the body arrives
        for _ in range(100):
            sent.append(1)
            yield b"x" * 1000

    streamed = small.post("/v1/predict", content=chunks(), headers={"content-type": "image/png"})
    assert streamed.status_code == 413
    form = small.post("/v1/predict", files={"file": ("a.png", b"x" * 20_000, "image/png")})
    assert form.status_code == 413


def test_decompression_bombs_are_refused(client):
    bomb = Image.new("1", (9000, 8000))  # 72 megapixels that compress to a few kilobytes
    buffer = io.BytesIO()
    bomb.save(buffer, "PNG")
    assert len(buffer.getvalue()) < 100_000
    r = client.post("/v1/predict", content=buffer.getvalue(), headers={"content-type": "image/png"})
    assert r.status_code == 413 and "over the limit" in r.json()["detail"]


def test_openapi_documents_the_typed_models(client):
    schema = client.get("/openapi.json").json()
    assert {"/v1/predict", "/v1/predict/batch", "/v1/models", "/healthz"} <= set(schema["paths"])
    assert {"PredictResponse", "CharacterOut", "BatchResponse", "ModelInfo", "Problem"} <= set(schema["components"]["schemas"])
    docs = client.get("/docs")
    assert docs.status_code == 200 and "https://" not in docs.text  # Swagger UI from the package, not a CDN
    for asset in {a for a in docs.text.split('"') if a.startswith("/static-offline-docs/")}:
        assert client.get(asset).status_code == 200


schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed: pip install 'digitrec[test]'")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance  # noqa: E402

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzz_the_api_from_its_own_schema(case):
    """No input makes the server answer 5xx, and every answer is documented and matches the schema."""
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance])


def test_serve_starts_fast_answers_and_stops_cleanly_on_ctrl_c():
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "digitrec", "serve", "--port", str(port)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, server.stderr.read()
                time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=15)
    assert server.returncode == 0, err
    assert f"http://localhost:{port}/" in err and "Traceback" not in err


def test_a_page_of_marks_is_a_400_not_a_500(client):
    page = np.full((400, 400), 255, np.uint8)
    for y in range(10, 390, 20):
        for x in range(10, 390, 20):
            cv2.circle(page, (x, y), 4, 0, -1)
    r = client.post("/v1/predict?model=cnn", content=png(page), headers={"content-type": "image/png"})
    assert r.status_code == 400 and "too many for a number" in r.json()["detail"]
    line = client.post("/v1/predict", content=png(page), headers={"content-type": "image/png"})  # the line reader
    assert line.status_code == 200 and line.json()["no_digit"]


def test_reader_processes_answer_as_the_server_itself_does(client, number):
    data, _ = number
    requests = [
        dict(content=data, headers={"content-type": "image/png"}),
        dict(content=data, headers={"content-type": "image/png"}, params={"model": "mlp", "inputs": "true"}),
        dict(content=png(np.full((40, 40), 255, np.uint8)), headers={"content-type": "image/png"}),  # blank
        dict(content=b"\x89PNG\r\n\x1a\n broken", headers={"content-type": "image/png"}),  # corrupt: 400
    ]
    with TestClient(create_app(readers=2)) as pooled:
        for request in requests:
            here, there = client.post("/v1/predict", **request), pooled.post("/v1/predict", **request)
            assert (here.status_code, here.json()) == (there.status_code, there.json())
        batch = pooled.post("/v1/predict/batch", files=[("files", ("a.png", data, "image/png")), ("files", ("b.png", b"junk", "image/png"))])
        assert batch.status_code == 200
        assert [bool(r["result"]) for r in batch.json()["results"]] == [True, False]


def test_serve_starts_reads_and_stops_cleanly_on_ctrl_c(tmp_path):
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "serve.log"
    with log.open("w") as err:
        server = subprocess.Popen([sys.executable, "-m", "digitrec", "serve", "--port", str(port), "--workers", "2"], stderr=err, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, log.read_text()
                time.sleep(0.2)
        seven = np.full((280, 280), 255, np.uint8)
        cv2.polylines(seven, [np.int32([(70, 60), (210, 60), (120, 230)])], False, 0, 22, cv2.LINE_AA)
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/predict", content=png(seven), headers={"content-type": "image/png"})
        assert answer.json()["number"] == "7"
        os.killpg(server.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole process group
        assert server.wait(20) == 0
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    assert "Traceback" not in log.read_text(), log.read_text()


def test_a_reader_that_dies_is_replaced_and_the_server_goes_on(number):
    import signal

    data, sample = number
    with TestClient(create_app(readers=2)) as pooled:
        readers = pooled.app.state.readers
        first = readers.pids()
        os.kill(first[0], signal.SIGKILL)
        answers = [pooled.post("/v1/predict", content=data, headers={"content-type": "image/png"}) for _ in range(3)]
        assert answers[0].status_code == 503 and "reader process died" in answers[0].json()["detail"]
        assert answers[0].headers["retry-after"] == "1"
        assert all(a.status_code == 200 and a.json()["number"] == sample.number for a in answers[1:])
        health = pooled.get("/healthz")
        assert health.status_code == 200 and health.json()["readers_alive"] == 2 and health.json()["replaced"] == 1
        assert not set(readers.pids()) & set(first)


def test_a_full_queue_is_answered_503_with_retry_after(number):
    data, _ = number
    with TestClient(create_app(max_queue=0)) as full:
        r = full.post("/v1/predict", content=data, headers={"content-type": "image/png"})
        assert r.status_code == 503 and r.headers["retry-after"] == "1" and "busy" in r.json()["detail"]


def test_a_request_over_the_deadline_is_answered_503(number):
    data, _ = number
    with TestClient(create_app(deadline=0)) as hurried:
        r = hurried.post("/v1/predict", content=data, headers={"content-type": "image/png"})
        assert r.status_code == 503 and "the limit for one request" in r.json()["detail"]


def test_a_trained_model_is_shown_by_its_name_never_its_path(number):
    from digitrec.reading.runtime import find_model

    path = str(find_model("cnn").resolve())
    data, sample = number
    with TestClient(create_app(default_model=path)) as trained:
        models = trained.get("/v1/models").json()
        assert "cnn-trained" in [m["name"] for m in models] and path not in str(models)
        body = trained.post("/v1/predict", content=data, headers={"content-type": "image/png"}).json()
        assert body["model"] == "cnn-trained" and body["number"] == sample.number
        wrong = trained.post("/v1/predict?model=nope", content=data, headers={"content-type": "image/png"}).json()
        assert path not in wrong["detail"] and "cnn-trained" in wrong["detail"]


def test_cross_origin_posts_are_refused_and_same_origin_ones_read(client, number):
    data, _ = number
    other = client.post("/v1/predict", content=data, headers={"content-type": "image/png", "origin": "https://evil.example"})
    assert other.status_code == 403 and "cross-origin" in other.json()["detail"]
    same = client.post("/v1/predict", content=data, headers={"content-type": "image/png", "origin": "http://testserver"})
    assert same.status_code == 200


def test_the_host_allow_list():
    with TestClient(create_app(allowed_hosts=["digits.example"])) as guarded:
        assert guarded.get("/healthz").status_code == 400  # TestClient's Host is "testserver"
        assert guarded.get("/healthz", headers={"host": "digits.example"}).status_code == 200


def test_uploads_arriving_at_once_are_bounded_in_bytes(number):
    """Two bodies may be received at once here (inflight is 2 x max_upload); a third waits its turn as a 503."""
    from digitrec.service import server as module

    data, _ = number
    app = create_app(max_upload=len(data))
    limiter = next(m for m in app.user_middleware if m.cls is module._BodyLimit)
    assert limiter.kwargs["inflight"] == module.INFLIGHT_UPLOADS * len(data)
    with TestClient(create_app(max_upload=len(data) + 10)) as c:
        assert c.post("/v1/predict", content=data, headers={"content-type": "image/png"}).status_code == 200
    busy = module._BodyLimit(None, limit=100, inflight=150)
    busy.held = 100  # another request's body is arriving
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"x" * 60, "more_body": False}

    async def send(message):
        sent.append(message)

    async def app_reads(scope, receive, send):
        await receive()

    busy.app = app_reads
    import asyncio

    asyncio.run(busy({"type": "http", "headers": []}, receive, send))
    assert sent[0]["status"] == 503 and (b"retry-after", b"1") in sent[0]["headers"] and busy.held == 100


def test_a_stalled_body_is_answered_408():
    import asyncio

    from digitrec.service import server as module

    sent = []

    async def receive():
        await asyncio.sleep(1)  # the client stopped sending
        return {"type": "http.request", "body": b"x", "more_body": False}

    async def send(message):
        sent.append(message)

    async def app_reads(scope, receive, send):
        await receive()

    limiter = module._BodyLimit(app_reads, limit=100, inflight=1000, stall=0.05)
    asyncio.run(limiter({"type": "http", "headers": []}, receive, send))
    assert sent[0]["status"] == 408 and limiter.held == 0


def test_a_reader_killed_under_load_is_replaced_and_no_request_fails_without_a_reason(number):
    import signal
    from concurrent.futures import ThreadPoolExecutor

    data, sample = number
    with TestClient(create_app(readers=2)) as pooled:
        post = lambda _: pooled.post("/v1/predict", content=data, headers={"content-type": "image/png"})  # noqa: E731
        with ThreadPoolExecutor(8) as clients:
            pending = [clients.submit(post, i) for i in range(80)]
            os.kill(pooled.app.state.readers.pids()[0], signal.SIGKILL)
            answers = [p.result() for p in pending]
        for a in answers:  # read, or refused with a reason and a time to come back
            assert (a.status_code, a.json().get("number")) == (200, sample.number) or (
                a.status_code == 503 and "reader process died" in a.json()["detail"] and a.headers["retry-after"] == "1"
            )
        assert sum(a.status_code == 200 for a in answers) > 0
        after = [post(i) for i in range(5)]
        assert all(a.status_code == 200 and a.json()["number"] == sample.number for a in after)
        health = pooled.get("/healthz").json()
        assert health["readers_alive"] == 2 and health["replaced"] >= 1


def test_a_reader_stops_an_image_at_the_deadline_and_reads_the_next(number):
    """One reader, a deadline of half a second: a strip of noise read as long lines of nothing
    takes it seconds (about 3 s here), far past the deadline. Its client is answered 503 then, and
    the reader stops there (limits.time_budget), so the next image is read within its own half
    second (a few hundredths here)."""
    data, sample = number
    noise = png(np.random.default_rng(0).integers(0, 256, (5, 4096), dtype=np.uint8))
    with TestClient(create_app(readers=1, deadline=0.5)) as hurried:
        slow = hurried.post("/v1/predict", content=noise, headers={"content-type": "image/png"})
        assert slow.status_code == 503 and "the limit for one request" in slow.json()["detail"]
        after = hurried.post("/v1/predict", content=data, headers={"content-type": "image/png"})
        assert after.status_code == 200 and after.json()["number"] == sample.number
