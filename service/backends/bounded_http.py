"""HTTP for the openai backend with real bounds: a whole-call deadline and a cap on the reply's size.

httpx's timeouts are per socket operation: a server that trickles one byte every half second never
trips a 2 s read timeout. Here every socket read of a call (headers and body) waits in short
slices and gives up once the call's `Deadline` has passed or was cancelled, so a call ends at its
deadline (within one slice) and its connection is closed, freeing the slot; and the bytes of the
reply are counted as they arrive, so a reply over the cap is abandoned after `max_bytes`, never
read (or parsed) in full.

The bounds apply while `bounded_call(...)` is active in the calling thread (the openai SDK reads
the whole body inside its `create` call). httpx2 builds its connection pool without a way to pass
a network backend, so `BoundedTransport` replaces the pool with an equivalent one that has ours.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore2
import httpx2

from service.deadline import Deadline

__all__ = ["BoundedTransport", "ReplyTooLarge", "bounded_call"]

SLICE_S = 0.1  # longest a socket read blocks before the deadline and the cancel switch are looked at again


class ReplyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the backend's reply is over {limit} bytes")
        self.limit = limit


@dataclass
class _Call:
    work: Deadline
    seconds: float
    max_bytes: int
    received: int = 0
    _deadline: Deadline | None = None

    @property
    def deadline(self) -> Deadline:
        """The call's deadline, started by its first network operation (the SDK's own set-up does not count)."""
        if self._deadline is None:
            self._deadline = self.work.child(self.seconds, what="LLM call")
        return self._deadline


_CALL: ContextVar[_Call | None] = ContextVar("opsum_http_call", default=None)


@contextmanager
def bounded_call(work: Deadline, seconds: float, max_bytes: int) -> Iterator[None]:
    """Bound the HTTP traffic of the calling thread: `seconds` from its first connect or write (and never
    past `work`, which may also be cancelled), and `max_bytes` received."""
    token = _CALL.set(_Call(work, seconds, max_bytes))
    try:
        yield
    finally:
        _CALL.reset(token)


class _BoundedStream(httpcore2.NetworkStream):
    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        call = _CALL.get()
        if call is None:
            return self._inner.read(max_bytes, timeout)
        started = time.monotonic()
        while True:
            left = call.deadline.remaining()
            if left <= 0:
                raise httpcore2.ReadTimeout(call.deadline.reason)
            if timeout is not None and time.monotonic() - started >= timeout:
                raise httpcore2.ReadTimeout(f"no data within {timeout}s")
            try:
                data = self._inner.read(max_bytes, min(left, SLICE_S))
            except httpcore2.ReadTimeout:
                continue
            call.received += len(data)
            if call.received > call.max_bytes:
                raise ReplyTooLarge(call.max_bytes)
            return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        call = _CALL.get()
        if call is not None:
            left = call.deadline.remaining()
            if left <= 0:
                raise httpcore2.WriteTimeout(call.deadline.reason)
            timeout = left if timeout is None else min(timeout, left)
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        return _BoundedStream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _bounded(timeout: float | None) -> float | None:
    call = _CALL.get()
    if call is None:
        return timeout
    left = call.deadline.remaining()
    if left <= 0:
        raise httpcore2.ConnectTimeout(call.deadline.reason)
    return left if timeout is None else min(timeout, left)


class _BoundedBackend(httpcore2.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore2.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        return _BoundedStream(self._inner.connect_tcp(host, port, _bounded(timeout), local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.NetworkStream:  # pragma: no cover - not used by the openai backend
        return _BoundedStream(self._inner.connect_unix_socket(path, _bounded(timeout), socket_options))

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore's retries are off
        self._inner.sleep(seconds)


class BoundedTransport(httpx2.HTTPTransport):
    """`httpx2.HTTPTransport` whose sockets obey `bounded_call` (direct connections; no proxy)."""

    def __init__(self, *, limits: httpx2.Limits | None = None) -> None:
        limits = limits or httpx2.Limits(max_connections=1000, max_keepalive_connections=100)
        super().__init__(limits=limits)
        self._pool = httpcore2.ConnectionPool(
            ssl_context=httpx2.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_BoundedBackend(),
        )
