"""A scripted OpenAI-compatible server on 127.0.0.1, for tests of retries, re-asks and faults.

Each POST to `/v1/chat/completions` takes the next step of the script (the last step repeats):
- `tool_reply(args)`: a 200 with one tool call whose arguments are `args` (a dict, or a raw string
  for malformed JSON);
- `Step(status=500)`: an HTTP error; `Step(delay=2.0, ...)`: answer late (timeouts);
- `Step(drop=True)`: close the connection without answering.
A `responder` callable can replace the script: it gets the request JSON and returns a Step.
Every request body is kept in `server.requests`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Step", "tool_reply", "ScriptedServer"]


@dataclass
class Step:
    status: int = 200
    body: dict[str, Any] | None = None
    raw: str | None = None
    delay: float = 0.0
    drop: bool = False


def tool_reply(arguments: dict[str, Any] | str, *, prompt_tokens: int = 100, completion_tokens: int = 20) -> Step:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return Step(
        body={
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "scripted",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {"id": "call_1", "type": "function", "function": {"name": "extract", "arguments": args}}
                        ],
                    },
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def _named(reply: dict[str, Any] | None, request: dict[str, Any]) -> dict[str, Any] | None:
    """Give the scripted tool call the name of the tool the request forced, as a real server does."""
    choice = request.get("tool_choice")
    if not reply or not isinstance(choice, dict):
        return reply
    reply = json.loads(json.dumps(reply))
    for c in reply.get("choices", []):
        for call in c.get("message", {}).get("tool_calls") or []:
            call["function"]["name"] = choice["function"]["name"]
    return reply


@dataclass
class ScriptedServer:
    script: list[Step] = field(default_factory=list)
    responder: Callable[[dict[str, Any]], Step] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._index = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, status: int, payload: str) -> None:
                data = payload.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, json.dumps({"object": "list", "data": [{"id": "scripted", "object": "model"}]}))
                else:
                    self._send(404, json.dumps({"error": {"message": "not found"}}))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                step = outer._next(body)
                if step.delay:
                    time.sleep(step.delay)
                if step.drop:
                    self.close_connection = True
                    try:
                        self.connection.shutdown(2)
                    except OSError:
                        pass
                    return
                if step.status != 200:
                    self._send(step.status, json.dumps({"error": {"message": f"scripted {step.status}"}}))
                    return
                self._send(200, step.raw if step.raw is not None else json.dumps(_named(step.body, body)))

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _next(self, body: dict[str, Any]) -> Step:
        with self._lock:
            self.requests.append(body)
            if self.responder is not None:
                return self.responder(body)
            if not self.script:
                return Step(status=500)
            step = self.script[min(self._index, len(self.script) - 1)]
            self._index += 1
            return step

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
