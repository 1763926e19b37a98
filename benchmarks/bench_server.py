"""Load test of `digitrec serve` on loopback: requests/s and latency at 1, 8 and 32 concurrent clients.

Each request posts the same 280x280 PNG (a digit drawn on the web page's canvas size) to
/v1/predict. The server runs in its own process, started here with `digitrec serve --workers N`:
N processes read the images from one queue, and N = 0, the baseline, reads them in threads of
the server's own process. The load
comes from wrk (Debian's `wrk`, a C load generator) when it is installed, else from an async
httpx client in this process, which costs the shared cores far more per request. The server's
resident memory is read before and after 10,000 more requests, and the CPU time each process
spent over the runs, per request: where the two cores go (the server process's HTTP and queue,
the readers' reading, the load generator's own share).

    python benchmarks/bench_server.py [--workers 0 1 2] [--seconds 10] [--client wrk|httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def drawing() -> bytes:
    """A 7 drawn as the page draws it: black strokes 22 px wide on a white 280x280 canvas."""
    canvas = np.full((280, 280), 255, np.uint8)
    cv2.polylines(canvas, [np.int32([(70, 60), (210, 60), (120, 230)])], False, 0, 22, cv2.LINE_AA)
    return cv2.imencode(".png", canvas)[1].tobytes()


def family(pid: int) -> list[int]:
    """A process and its children (the readers)."""
    return [pid, *map(int, subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split())]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_cpu() -> float:
    """CPU seconds of this process and its finished children (wrk): the load generator's."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (the readers), in MiB."""
    total = 0
    for p in family(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


async def load(url: str, body: bytes, clients: int, requests: int) -> tuple[float, np.ndarray]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        queue = iter(range(requests))

        async def worker() -> None:
            for _ in queue:
                start = time.perf_counter()
                response = await client.post(url, content=body, headers={"content-type": "image/png"})
                latencies.append(time.perf_counter() - start)
                assert response.status_code == 200 and response.json()["number"] == "7", response.text

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return time.perf_counter() - start, np.array(latencies) * 1000


def wrk(url: str, body: Path, clients: int, seconds: int) -> tuple[float, float, float, int]:
    """requests/s, p50 ms, p99 ms and the requests answered, from a wrk run."""
    script = body.with_suffix(".lua")
    script.write_text(f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "image/png"\nwrk.body = io.open("{body}", "rb"):read("*all")\n')
    out = subprocess.run(
        ["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", str(script), url], capture_output=True, text=True, check=True
    ).stdout
    assert "Non-2xx" not in out, out

    def ms(text: str) -> float:
        value = float(text.rstrip("mus"))
        return value / 1000 if text.endswith("us") else value * 1000 if text.endswith("s") and not text.endswith("ms") else value

    lines = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.strip().startswith(("50%", "99%"))}
    rate = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
    answered = int(next(line.split()[0] for line in out.splitlines() if " requests in " in line))
    return rate, ms(lines["50%"]), ms(lines["99%"]), answered


def serve(workers: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "digitrec", "serve", "--port", str(port), "--workers", str(workers)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server, f"http://127.0.0.1:{port}"
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--seconds", type=int, default=10, help="wrk's run at each concurrency")
    parser.add_argument("--requests", type=int, default=2000, help="httpx's requests at each concurrency")
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument("--client", choices=["wrk", "httpx"], default="wrk" if shutil.which("wrk") else "httpx")
    args = parser.parse_args()
    body = drawing()
    png = Path(tempfile.mkdtemp()) / "drawing.png"
    png.write_bytes(body)
    print(f"POST /v1/predict, a {len(body):,}-byte 280x280 PNG; {os.cpu_count()} CPU cores; load from {args.client} on the same machine\n")
    print("| reader processes | clients | requests/s | p50 ms | p99 ms |")
    print("|---:|---:|---:|---:|---:|")
    memory, cpu = [], []
    for workers in args.workers:
        server, base = serve(workers)
        try:
            asyncio.run(load(base + "/v1/predict", body, 8, 200))  # warm-up
            before = rss_mib(server.pid)
            pids = family(server.pid)
            for clients in (1, 8, 32):
                spent, loading = [cpu_seconds(p) for p in pids], load_cpu()
                if args.client == "wrk":
                    rate, p50, p99, answered = wrk(base + "/v1/predict", png, clients, args.seconds)
                else:
                    seconds, ms = asyncio.run(load(base + "/v1/predict", body, clients, args.requests))
                    rate, p50, p99, answered = args.requests / seconds, np.percentile(ms, 50), np.percentile(ms, 99), args.requests
                spent = [cpu_seconds(p) - s for p, s in zip(pids, spent)]
                cpu.append((workers, clients, *(1000 * t / answered for t in (spent[0], sum(spent[1:]), load_cpu() - loading))))
                print(f"| {workers} | {clients} | {rate:,.0f} | {p50:.1f} | {p99:.1f} |", flush=True)
            middle = rss_mib(server.pid)
            asyncio.run(load(base + "/v1/predict", body, 8, args.memory_requests))
            memory.append((workers, before, middle, rss_mib(server.pid), args.memory_requests))
        finally:
            server.terminate()
            server.wait(30)
    print(f"\n| reader processes | clients | CPU ms a request: server process | readers | load ({args.client}) |")
    print("|---:|---:|---:|---:|---:|")
    for workers, clients, own, readers, loading in cpu:
        print(f"| {workers} | {clients} | {own:.2f} | {readers:.2f} | {loading:.2f} |")
    print("\n| reader processes | resident memory after warm-up | after the load runs | after 10,000 more requests |")
    print("|---:|---:|---:|---:|")
    for workers, before, middle, after, n in memory:
        print(f"| {workers} | {before:.0f} MiB | {middle:.0f} MiB | {after:.0f} MiB |")


if __name__ == "__main__":
    main()
