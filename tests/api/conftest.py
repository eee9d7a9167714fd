"""Fixtures for the API tests: a scripted backend on 127.0.0.1 and the app served by uvicorn.

Nothing here loads the embedded model: every app is built with `backend="openai"` pointed at a
`ScriptedServer`. Servers listen on port 0 (a free port), in threads of the test process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from service.api import ServiceSettings, create_app
from service.settings import Settings
from tests.api.oracle import oracle
from tests.support.scripted_server import ScriptedServer


class LiveServer:
    """uvicorn serving one app on 127.0.0.1:<free port> in a thread, lifespan included."""

    def __init__(self, app: FastAPI) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            lifespan="on",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=10,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn-test", daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        for _ in range(500):
            if self.server.started or not self.thread.is_alive():
                break
            self.thread.join(0.01)
        if not self.server.started:
            raise RuntimeError("the test server did not start")
        return self

    @property
    def url(self) -> str:
        sock = self.server.servers[0].sockets[0]
        host, port = sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@contextmanager
def running(server: ScriptedServer) -> Iterator[ScriptedServer]:
    """Start a ScriptedServer for the duration of a test."""
    with server:
        yield server


def backend_settings(server: ScriptedServer, tmp: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "backend": "openai",
        "base_url": server.base_url,
        "model": "scripted",
        "api_key": "test",
        "transport_retries": 0,
        "max_reasks": 0,
        "timeout_s": 10.0,
        "cache_dir": tmp,
    }
    values.update(overrides)
    return Settings(**values)


def service_settings(tmp: Path, **overrides: Any) -> ServiceSettings:
    values: dict[str, Any] = {
        "api_keys": [],
        "cors_origins": [],
        "examples_path": tmp / "none.jsonl",
        "disconnect_poll_s": 0.05,
    }
    values.update(overrides)
    return ServiceSettings(**values)


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    """A scripted backend that answers every call like a model would (see tests/api/oracle.py)."""
    with running(ScriptedServer(responder=oracle())) as server:
        yield server


ServeFn = Callable[..., Any]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeFn]:
    """`serve(scripted_server, settings={...}, service={...})` -> a context manager yielding an
    httpx.Client on a live server of a fresh app."""

    @contextmanager
    def _serve(
        server: ScriptedServer, *, settings: dict[str, Any] | None = None, service: dict[str, Any] | None = None
    ) -> Iterator[httpx.Client]:
        app = create_app(
            backend_settings(server, tmp_path, **(settings or {})), service_settings(tmp_path, **(service or {}))
        )
        with LiveServer(app) as live, httpx.Client(base_url=live.url, timeout=30) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client

    yield _serve


@pytest.fixture
def client(serve: ServeFn, scripted: ScriptedServer) -> Iterator[httpx.Client]:
    """A client of the default app over the scripted backend."""
    with serve(scripted) as c:
        yield c
