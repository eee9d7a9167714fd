"""The server `opsum serve` runs (issue 10, breaks 4 and 6): shutdown answers problem+json 503 within the
graceful timeout and exits promptly; slow clients are cut off; no server banner."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.api import create_app
from service.api.server import OpsumServer, make_server
from tests.api.conftest import backend_settings, running, service_settings
from tests.api.oracle import SEED, oracle, wait_until
from tests.support.scripted_server import ScriptedServer


@contextmanager
def opsum_server(
    backend: ScriptedServer, tmp: Path, *, graceful: float | None, service: dict[str, Any] | None = None
) -> Iterator[tuple[OpsumServer, str, threading.Thread]]:
    app = create_app(backend_settings(backend, tmp), service_settings(tmp, **(service or {})))
    server = make_server(
        app,
        host="127.0.0.1",
        port=0,
        graceful_timeout_s=graceful,
        service=app.state.opsum.service,
        log_level="warning",
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    try:
        yield server, f"http://{host}:{port}", thread
    finally:
        server.should_exit = True
        thread.join(15)


def _post_in_thread(url: str, results: list[Any]) -> threading.Thread:
    def post() -> None:
        started = time.perf_counter()
        try:
            r = httpx.post(url + "/v1/summarise", json={"text": SEED}, timeout=30)
            results.append((r, time.perf_counter()))
        except httpx.HTTPError as exc:
            results.append((exc, time.perf_counter() - started))

    t = threading.Thread(target=post, daemon=True)
    t.start()
    return t


def test_shutdown_answers_in_flight_requests_503_within_the_graceful_timeout(tmp_path: Path) -> None:
    grace = 2.0
    with running(ScriptedServer(responder=oracle(delay=20.0))) as backend:
        with opsum_server(backend, tmp_path, graceful=grace, service={"max_concurrency": 1}) as (server, url, thread):
            results: list[Any] = []
            clients = [_post_in_thread(url, results) for _ in range(2)]  # one runs, one waits in the queue
            assert wait_until(lambda: len(backend.requests) == 1, timeout=10)
            time.sleep(0.2)
            stop = time.perf_counter()
            server.should_exit = True  # what SIGTERM does
            for c in clients:
                c.join(grace + 3)
            thread.join(grace + 5)
            exited = time.perf_counter() - stop
    assert len(results) == 2
    for response, at in results:
        assert isinstance(response, httpx.Response), response
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:opsum:problem:shutting-down"
        assert at - stop < grace
    assert not thread.is_alive()
    assert exited < grace + 1.5, exited  # the cancelled work ends at once; no LLM step after the deadline
    assert len(backend.requests) == 1


def test_a_connection_that_never_sends_its_head_is_closed(tmp_path: Path) -> None:
    with (
        running(ScriptedServer(responder=oracle())) as backend,
        opsum_server(backend, tmp_path, graceful=1.0, service={"header_timeout_s": 0.5}) as (_, url, _t),
    ):
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as silent, socket.create_connection((host, int(port))) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes its head
            silent.settimeout(3)
            slow.settimeout(3)
            started = time.perf_counter()
            assert silent.recv(100) == b""  # closed by the server
            assert slow.recv(100) == b""
            assert time.perf_counter() - started < 2.0
        assert httpx.get(url + "/healthz").status_code == 200  # a normal client is served


def test_a_body_that_trickles_past_the_body_timeout_is_408(tmp_path: Path) -> None:
    with (
        running(ScriptedServer(responder=oracle())) as backend,
        opsum_server(backend, tmp_path, graceful=1.0, service={"body_timeout_s": 0.5}) as (_, url, _t),
    ):
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(
                b"POST /v1/summarise HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"text": '
            )
            sock.settimeout(3)
            started = time.perf_counter()
            reply = sock.recv(4096)
        assert reply.startswith(b"HTTP/1.1 408"), reply[:80]
        assert b"application/problem+json" in reply and b"OPSUM_BODY_TIMEOUT_S" in reply
        assert time.perf_counter() - started < 2.0


def test_no_server_banner(tmp_path: Path) -> None:
    with (
        running(ScriptedServer(responder=oracle())) as backend,
        opsum_server(backend, tmp_path, graceful=1.0) as (_, url, _t),
    ):
        r = httpx.get(url + "/healthz")
    assert r.status_code == 200 and "server" not in r.headers


@pytest.mark.parametrize("limit", [3])
def test_connections_over_the_limit_are_refused(tmp_path: Path, limit: int) -> None:
    with (
        running(ScriptedServer(responder=oracle())) as backend,
        opsum_server(backend, tmp_path, graceful=1.0, service={"max_connections": limit}) as (_, url, _t),
    ):
        host, port = url.removeprefix("http://").split(":")
        held = [socket.create_connection((host, int(port))) for _ in range(limit)]
        try:
            time.sleep(0.2)
            r = httpx.get(url + "/healthz")
            assert r.status_code == 503
        finally:
            for s in held:
                s.close()
        time.sleep(0.2)
        assert httpx.get(url + "/healthz").status_code == 200
