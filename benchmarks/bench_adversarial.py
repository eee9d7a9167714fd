"""The 100 000-character bullet article of issue 10, end to end, against a backend that answers at once.

Prints (1) the wall time of `opsum summarise` on it as a subprocess (the CLI as a user runs it),
(2) `/healthz` latency of a running `opsum serve` while the same article is being summarised, and
(3) the same two for the seed article, as the baseline of this run (the machine is shared and
noisy: read the ratios). The backend is the scripted OpenAI-compatible server on 127.0.0.1.

    .venv/bin/python benchmarks/bench_adversarial.py
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.api.oracle import SEED, oracle  # noqa: E402
from tests.support.scripted_server import ScriptedServer  # noqa: E402

BULLETS = ("\n- the" * 16600)[:99900] + "\n" + "b" * 50


def _env(base_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "OPSUM_BASE_URL": base_url,
        "OPSUM_MODEL": "scripted",
        "OPSUM_TRANSPORT_RETRIES": "0",
    }


def cli_seconds(text: str, base_url: str) -> tuple[float, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        fh.write(text)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "summarise", fh.name],
        env=_env(base_url),
        capture_output=True,
        text=True,
        check=False,
    )
    os.unlink(fh.name)
    return time.perf_counter() - started, done.returncode


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthz_while(text: str, base_url: str) -> tuple[int, float, list[float]]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=_env(base_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        result: dict[str, float] = {}

        def post() -> None:
            started = time.perf_counter()
            r = httpx.post(url + "/v1/summarise", json={"text": text}, timeout=120)
            result["status"], result["s"] = r.status_code, time.perf_counter() - started

        worker = threading.Thread(target=post)
        worker.start()
        probes: list[float] = []
        while worker.is_alive():
            started = time.perf_counter()
            httpx.get(url + "/healthz", timeout=120)
            probes.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)
        worker.join()
        return int(result["status"]), result["s"], sorted(probes)
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    with ScriptedServer(responder=oracle()) as backend:
        rows = []
        for name, text in (("seed article", SEED), ("100 000-char bullets", BULLETS)):
            cli_s, rc = cli_seconds(text, backend.base_url)
            status, http_s, probes = healthz_while(text, backend.base_url)
            rows.append((name, len(text), cli_s, rc, status, http_s, probes))
    print("| article | chars | CLI wall s (exit) | HTTP s (status) | /healthz probes | p50 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    for name, chars, cli_s, rc, status, http_s, probes in rows:
        p50 = statistics.median(probes) if probes else float("nan")
        top = probes[-1] if probes else float("nan")
        print(
            f"| {name} | {chars} | {cli_s:.2f} ({rc}) | {http_s:.2f} ({status}) | {len(probes)} | {p50:.0f} | {top:.0f} |"
        )
    print(f"ratio bullets/seed, CLI wall: {rows[1][2] / rows[0][2]:.2f}")


if __name__ == "__main__":
    main()
