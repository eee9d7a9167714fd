"""An OpenAI-compatible backend on 127.0.0.1 that answers correctly but badly delivered.

Each POST is answered like `tests/api/oracle.py` would, then delivered the way `delivery` says:
trickled a few bytes at a time (`trickle_s` between writes, headers included), or padded to
`pad_bytes` (a reply far larger than any model answer). `sent` records, per request, how many bytes
went out before the client hung up, `calls` the tools asked for and `arrived` when.
"""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.api.oracle import answer, tool_name

__all__ = ["Delivery", "HostileBackend"]


@dataclass
class Delivery:
    trickle_s: float = 0.0  # pause between writes of `chunk` bytes
    chunk: int = 1
    pad_bytes: int = 0  # add a JSON member of this many bytes to the reply
    only_for: str | None = None  # apply to this tool only (others answered at once)


def _pieces(data: bytes, pad: int, tail: bytes, step: int) -> Iterator[bytes]:
    for i in range(0, len(data), step):
        yield data[i : i + step]
    block = b"x" * min(pad, 1 << 20)
    while pad > 0:
        yield block[: min(pad, len(block))]
        pad -= len(block)
    for i in range(0, len(tail), step):
        yield tail[i : i + step]


@dataclass
class HostileBackend:
    delivery: Delivery
    sent: list[int] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)  # time.perf_counter() when each request's head arrived

    def __post_init__(self) -> None:  # noqa: C901
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                while self._one():
                    pass

            def _one(self) -> bool:
                line = self.rfile.readline(65536)
                if not line:
                    return False
                outer.arrived.append(time.perf_counter())
                headers: dict[str, str] = {}
                while True:
                    h = self.rfile.readline(65536)
                    if h in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = h.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = self.rfile.read(int(headers.get("content-length") or 0))
                if line.startswith(b"GET"):
                    self._write(b'{"object": "list", "data": [{"id": "scripted", "object": "model"}]}', Delivery())
                    return True
                request = json.loads(body or b"{}")
                outer.calls.append(tool_name(request))
                reply = answer(request).body or {}
                choice = request.get("tool_choice")
                for c in reply.get("choices", []):
                    for call in c["message"].get("tool_calls") or []:
                        if isinstance(choice, dict):
                            call["function"]["name"] = choice["function"]["name"]
                how = outer.delivery
                if how.only_for and tool_name(request) != how.only_for:
                    how = Delivery()
                if how.pad_bytes:  # written in 1 MiB pieces: the server itself never holds the whole reply
                    reply["padding"] = "@PAD@"
                    before, after = json.dumps(reply).encode().split(b"@PAD@")
                    return self._write(before, how, pad=how.pad_bytes, tail=after)
                return self._write(json.dumps(reply).encode(), how)

            def _write(self, payload: bytes, how: Delivery, *, pad: int = 0, tail: bytes = b"") -> bool:
                length = len(payload) + pad + len(tail)
                head = (
                    f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
                ).encode()
                done = 0
                try:
                    for piece in _pieces(head + payload, pad, tail, how.chunk if how.trickle_s else 1 << 20):
                        self.wfile.write(piece)
                        self.wfile.flush()
                        done += len(piece)
                        if how.trickle_s:
                            time.sleep(how.trickle_s)
                except OSError:
                    outer.sent.append(done)
                    return False
                outer.sent.append(done)
                return True

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> HostileBackend:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
