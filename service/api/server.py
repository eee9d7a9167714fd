"""The uvicorn server `opsum serve` runs: slow-client limits, no banner, and a shutdown that answers.

- Slow clients: a connection must deliver its request headers within OPSUM_HEADER_TIMEOUT_S of its
  first byte (or of connecting) or it is closed; idle keep-alive connections close after
  OPSUM_KEEP_ALIVE_S; at most OPSUM_MAX_CONNECTIONS are served at once (uvicorn's
  `limit_concurrency`); the body's own timeout is the `Guard` middleware's (OPSUM_BODY_TIMEOUT_S).
- No `server: uvicorn` header; a request h11 cannot parse gets a problem+json 400, not plain text.
- Shutdown (SIGTERM, or `should_exit`): before uvicorn starts waiting for connections, the app's
  runner is told; queued requests are answered 503 (problem+json) at once and running ones shortly
  before `--graceful-timeout` is up, their work cancelled, so no client gets uvicorn's bare 500 and
  the process exits promptly.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from service.api.logs import new_request_id
from service.api.problems import PROBLEM_MEDIA_TYPE, ProblemError
from service.api.settings import ServiceSettings

__all__ = ["OpsumServer", "make_server"]


class _SlowClientProtocol(H11Protocol):
    """h11 with a deadline on the request head: armed at connect and at each request's first byte."""

    header_timeout_s: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout_s, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("closing a connection whose request head did not arrive in %ss", self.header_timeout_s)
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._arm()  # the next request's head has started: it gets header_timeout_s
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """A request h11 cannot parse (a malformed Content-Length, a bad request line): problem+json, not text."""
        request_id = new_request_id()
        problem = ProblemError(
            400,
            "malformed-request",
            "the HTTP request could not be parsed (a malformed request line, header or Content-Length): "
            "send a well-formed HTTP/1.1 request",
        )
        payload = json.dumps(problem.body(request_id=request_id)).encode()
        headers = [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(payload)).encode()),
            (b"x-request-id", request_id.encode()),
            (b"connection", b"close"),
        ]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=payload)):
            self.transport.write(self.conn.send(event))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()


class OpsumServer(uvicorn.Server):
    """uvicorn's server, telling the app's runner when shutdown starts (see the module doc)."""

    def __init__(self, config: uvicorn.Config, app: FastAPI, graceful_timeout_s: float | None) -> None:
        super().__init__(config)
        self._app = app
        self._graceful_timeout_s = graceful_timeout_s

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        runner = getattr(self._app.state.opsum, "runner", None)
        if runner is not None:
            runner.begin_drain(self._graceful_timeout_s)
        await super().shutdown(sockets)


def make_server(
    app: FastAPI,
    *,
    host: str,
    port: int,
    graceful_timeout_s: float | None,
    service: ServiceSettings,
    **config: Any,
) -> OpsumServer:
    """The server for `app`, with the service's slow-client limits. `config` goes to `uvicorn.Config`."""
    protocol = type("SlowClientProtocol", (_SlowClientProtocol,), {"header_timeout_s": service.header_timeout_s})
    values: dict[str, Any] = {
        "log_config": None,  # our handler, with request IDs; uvicorn's access log is replaced by ours
        "access_log": False,
        "server_header": False,
        "http": protocol,
        "timeout_keep_alive": service.keep_alive_s,
        "limit_concurrency": service.max_connections,
        "h11_max_incomplete_event_size": 64 * 1024,
        "timeout_graceful_shutdown": graceful_timeout_s,
    }
    values.update(config)
    return OpsumServer(uvicorn.Config(app, host=host, port=port, **values), app, graceful_timeout_s)
