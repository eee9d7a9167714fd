"""Benchmark of the HTTP service against the scripted backend (not a test: it prints figures).

Three processes, so that no two share an interpreter lock: the scripted OpenAI-compatible backend
(tests/support/scripted_server.py, answering like tests/api/oracle.py after --latency seconds),
the service (`uvicorn --factory service.api.app:create_app`, configured through OPSUM_*), and this
client. It measures:

1. the core called directly (`Summariser.summarise`) and
2. the service, one request at a time, the two interleaved: the difference of the medians is the
   service's overhead per request (HTTP, validation, queue, worker thread, JSON); the time outside
   the core's own `meta.latency_ms` is shown too;
3. the service under --concurrency clients at once: requests per second and p50/p95 latency.

Run from the repository root:  .venv/bin/python benchmarks/bench_service.py [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from service.settings import Settings  # noqa: E402
from service.summarise import Summariser  # noqa: E402
from tests.api.oracle import SEED  # noqa: E402

BACKEND = """
import sys, time
from tests.api.oracle import oracle
from tests.support.scripted_server import ScriptedServer
server = ScriptedServer(responder=oracle(delay=float(sys.argv[1])))
with server:
    print(server.base_url, flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(name: str, seconds: list[float], wall: float | None = None) -> dict[str, float | str]:
    row: dict[str, float | str] = {
        "phase": name,
        "n": len(seconds),
        "p50_ms": percentile(seconds, 0.5) * 1000,
        "p95_ms": percentile(seconds, 0.95) * 1000,
        "mean_ms": statistics.fmean(seconds) * 1000,
    }
    if wall:
        row["req_per_s"] = len(seconds) / wall
    return row


def start_backend(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", BACKEND, str(latency)],
        cwd=REPO,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def start_service(base_url: str, port: int, slots: int, queue: int, prompt: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "OPSUM_BACKEND": "openai",
        "OPSUM_BASE_URL": base_url,
        "OPSUM_MODEL": "scripted",
        "OPSUM_API_KEY": "bench",
        "OPSUM_PROMPT_VERSION": prompt,
        "OPSUM_MAX_CONCURRENCY": str(slots),
        "OPSUM_QUEUE_SIZE": str(queue),
        "OPSUM_API_KEYS": "",
        "OPSUM_CORS_ORIGINS": "",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "service.api.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the service did not become ready")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_serial(base_url: str, url: str, prompt: str, n: int) -> tuple[list[float], list[float], list[float]]:
    """`n` rounds of one direct core call then one service request, interleaved so that both see the
    same machine; returns (core seconds, service seconds, service seconds minus the core's own latency_ms)."""
    summariser = Summariser(
        Settings(backend="openai", base_url=base_url, model="scripted", api_key="bench", prompt_version=prompt)
    )
    core, service, outside = [], [], []
    with httpx.Client(base_url=url, timeout=60) as client:
        summariser.summarise(SEED)  # warm up both (imports, connections)
        client.post("/v1/summarise", json={"text": SEED}).raise_for_status()
        for _ in range(n):
            started = time.perf_counter()
            summariser.summarise(SEED)
            core.append(time.perf_counter() - started)
            started = time.perf_counter()
            r = client.post("/v1/summarise", json={"text": SEED})
            r.raise_for_status()
            elapsed = time.perf_counter() - started
            service.append(elapsed)
            outside.append(elapsed - r.json()["meta"]["latency_ms"] / 1000)
    return core, service, outside


def bench_service_load(url: str, n: int, concurrency: int) -> tuple[list[float], float, dict[int, int]]:
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=url, timeout=120, limits=httpx.Limits(max_connections=concurrency + 4)) as client:

        def one(_: int) -> None:
            started = time.perf_counter()
            r = client.post("/v1/summarise", json={"text": SEED})
            elapsed = time.perf_counter() - started
            with lock:
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code == 200:
                    latencies.append(elapsed)

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, range(n)))
        wall = time.perf_counter() - started
    return latencies, wall, statuses


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=300, help="requests under load (default 300)")
    p.add_argument("--serial", type=int, default=100, help="one-at-a-time requests, core and service (default 100)")
    p.add_argument("--concurrency", type=int, default=8, help="clients at once under load (default 8)")
    p.add_argument("--slots", type=int, default=4, help="the service's OPSUM_MAX_CONCURRENCY (default 4)")
    p.add_argument("--latency", type=float, default=0.0, help="the backend's delay per LLM call, seconds (default 0)")
    p.add_argument("--prompt", default="v2-mined-mentions", help="prompt version (v2: 3 LLM calls; v1: 1)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args()

    backend, base_url = start_backend(args.latency)
    port = free_port()
    service = start_service(base_url, port, args.slots, max(64, args.requests), args.prompt)
    url = f"http://127.0.0.1:{port}"
    try:
        core_s, http_s, outside_s = bench_serial(base_url, url, args.prompt, args.serial)
        core = summary("core, direct (serial)", core_s)
        http = summary("service (serial)", http_s)
        lat, wall, statuses = bench_service_load(url, args.requests, args.concurrency)
        load = summary(f"service ({args.concurrency} clients, {args.slots} slots)", lat, wall)
    finally:
        service.terminate()
        service.wait(10)
        assert backend.stdin is not None
        backend.stdin.close()
        backend.wait(10)

    overhead_p50 = float(http["p50_ms"]) - float(core["p50_ms"])
    overhead_mean = float(http["mean_ms"]) - float(core["mean_ms"])
    outside_p50 = percentile(outside_s, 0.5) * 1000
    print(
        f"opsum service benchmark: prompt {args.prompt}, backend latency {args.latency * 1000:.0f} ms per call, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'phase':<34}{'n':>6}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}")
    for row in (core, http, load):
        rps = f"{row['req_per_s']:.1f}" if "req_per_s" in row else "-"
        print(
            f"{row['phase']:<34}{row['n']:>6}{rps:>9}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}{row['mean_ms']:>9.1f}"
        )
    print(
        f"service overhead per request: {overhead_p50:.1f} ms (p50), {overhead_mean:.1f} ms (mean) over the core "
        f"called directly; {outside_p50:.1f} ms (p50) outside the core's own latency_ms"
    )
    print(f"statuses under load: {statuses}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "args": vars(args) | {"json": str(args.json)},
                    "core": core,
                    "serial": http,
                    "load": load,
                    "statuses": statuses,
                    "overhead_ms_p50": overhead_p50,
                    "overhead_ms_mean": overhead_mean,
                    "outside_core_ms_p50": outside_p50,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0 if set(statuses) == {200} else 1


if __name__ == "__main__":
    sys.exit(main())
