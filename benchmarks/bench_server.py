"""Load test of `digitrec serve` on loopback: requests/s and latency at 1, 8 and 32 concurrent clients.

Each request posts the same 280x280 PNG (a digit drawn on the web page's canvas size) to
/v1/predict. The server runs in its own process, started here with `digitrec serve`; the client
is an async httpx client in this process, so on a 2-core machine the two share the cores, as
they would on a small server that also runs its load balancer. The server's resident memory is
read before and after 10,000 requests.

    python benchmarks/bench_server.py [--workers 1 2] [--requests 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
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


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn's workers), in MiB."""
    pids = [pid, *map(int, subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split())]
    total = 0
    for p in pids:
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
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--requests", type=int, default=3000, help="requests at each concurrency")
    parser.add_argument("--memory-requests", type=int, default=10_000)
    args = parser.parse_args()
    body = drawing()
    print(f"POST /v1/predict, a {len(body):,}-byte 280x280 PNG; {os.cpu_count()} CPU cores; client and server on one machine\n")
    print("| server workers | clients | requests/s | p50 ms | p99 ms |")
    print("|---:|---:|---:|---:|---:|")
    memory = []
    for workers in args.workers:
        server, base = serve(workers)
        try:
            asyncio.run(load(base + "/v1/predict", body, 8, 200))  # warm-up
            before = rss_mib(server.pid)
            for clients in (1, 8, 32):
                seconds, ms = asyncio.run(load(base + "/v1/predict", body, clients, args.requests))
                print(f"| {workers} | {clients} | {args.requests / seconds:,.0f} | {np.percentile(ms, 50):.1f} | {np.percentile(ms, 99):.1f} |", flush=True)
            rest = max(0, args.memory_requests - 3 * args.requests)
            asyncio.run(load(base + "/v1/predict", body, 8, rest))
            memory.append((workers, before, rss_mib(server.pid), 3 * args.requests + rest))
        finally:
            server.terminate()
            server.wait(30)
    print("\n| server workers | resident memory after warm-up | after more requests | requests |")
    print("|---:|---:|---:|---:|")
    for workers, before, after, n in memory:
        print(f"| {workers} | {before:.0f} MiB | {after:.0f} MiB | {n:,} |")


if __name__ == "__main__":
    main()
