"""`opsum serve`: the subcommand's flags, and a real run of it that answers over HTTP."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from service.api.cli import register, run_serve
from service.settings import REPO_ROOT
from tests.api.conftest import running
from tests.api.oracle import SEED, oracle
from tests.support.scripted_server import ScriptedServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opsum")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_serve_flags_map_to_settings() -> None:
    args = _parser().parse_args(
        [
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            "9001",
            "--base-url",
            "http://127.0.0.1:8080/v1",
            "--model",
            "m",
            "--graceful-timeout",
            "30",
        ]
    )
    assert (args.host, args.port, args.graceful_timeout, args.func) == ("0.0.0.0", 9001, 30.0, run_serve)
    from service.cli import settings_from_args

    settings = settings_from_args(args)
    assert (settings.backend, settings.base_url, settings.model) == ("openai", "http://127.0.0.1:8080/v1", "m")


def test_defaults_bind_loopback() -> None:
    args = _parser().parse_args(["serve"])
    assert (args.host, args.port, args.graceful_timeout) == ("127.0.0.1", 8000, None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SCRIPT = """
import argparse, sys
from service.api.cli import register
parser = argparse.ArgumentParser(prog="opsum")
register(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.func(args))
"""


def test_serve_runs_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "OPSUM_QUEUE_SIZE": "3",
        "OPSUM_BATCH_MAX": "2",
        "XDG_CACHE_HOME": str(tmp_path),
        "PYTHONPATH": str(REPO_ROOT),
    }
    with running(ScriptedServer(responder=oracle())) as server:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SCRIPT,
                "serve",
                "--port",
                str(port),
                "--base-url",
                server.base_url,
                "--model",
                "scripted",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    if httpx.get(url + "/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            r = httpx.post(url + "/v1/summarise", json={"text": SEED}, headers={"X-Request-ID": "cli-test-1"})
            assert r.status_code == 200 and r.json()["summary"]["searches"]["value"] == 41
            ready = httpx.get(url + "/readyz").json()
            assert ready["queue"]["queue_size"] == 3  # OPSUM_* service settings are read
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=15)
    # uvicorn shuts down cleanly, then re-raises the signal it caught (exit status -SIGTERM)
    assert proc.returncode in (0, -signal.SIGTERM), out
    assert "Application shutdown complete" in out and "every job has finished" in out
    assert "[cli-test-1] POST /v1/summarise 200" in out  # access line with the request ID
    assert "[cli-test-1] summarised chars=" in out  # the core's own line carries it too
    assert "Zagreb" not in out and "MOZAIK 2023 was launched" not in out  # no article text


def test_bad_service_settings_exit_2(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "OPSUM_QUEUE_SIZE": "1",
        "OPSUM_BATCH_MAX": "50",
        "PYTHONPATH": str(REPO_ROOT),
        "XDG_CACHE_HOME": str(tmp_path),
    }
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, "serve", "--base-url", "http://127.0.0.1:9/v1"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "OPSUM_BATCH_MAX=50 can never be admitted" in proc.stderr
