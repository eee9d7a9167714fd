"""Two plain ASGI middlewares.

`RequestContext` (outermost): an X-Request-ID for every request and response, one access-log
line per request (method, path, status, time: never the body), security headers, and the last
line of defence: an unexpected exception becomes a 500 problem without a stack trace.

`Guard` (innermost, /v1 only): the API key, then for POST routes with a body the content type
(415) and the size (413): the Content-Length is checked before anything is read, and the body is
read with a running count (for chunked uploads) before FastAPI parses any of it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.auth import check_bearer
from service.api.logs import REQUEST_ID, accepted_request_id
from service.api.problems import ProblemError, problem_from_exception, problem_response

__all__ = ["RequestContext", "Guard", "BodyRule"]

log = logging.getLogger("service.api.access")

PAGE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(Headers(scope=scope).get("x-request-id"))
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        path: str = scope["path"]
        started = time.perf_counter()
        status: list[int] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                if path.startswith("/v1/"):
                    headers.setdefault("Cache-Control", "no-store")
                if path == "/":
                    headers.setdefault("Content-Security-Policy", PAGE_CSP)
                    headers.setdefault("X-Frame-Options", "DENY")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), path)
            if not status:
                response = problem_response(
                    problem_from_exception(RuntimeError()), instance=path, request_id=request_id
                )
                await response(scope, receive, send_with_headers)
        finally:
            ms = (time.perf_counter() - started) * 1000
            log.info("%s %s %s %.1fms", scope.get("method"), path, status[0] if status else "-", ms)
            REQUEST_ID.reset(token)


@dataclass(frozen=True)
class BodyRule:
    """The body a POST route accepts: at most `limit` bytes of UTF-8 JSON."""

    limit: int
    hint: str  # what to do instead, for the 413 message


def _check_content_type(value: str | None) -> None:
    if not value:
        raise ProblemError(
            415,
            "unsupported-media-type",
            "the request has no Content-Type: send JSON with 'Content-Type: application/json'",
        )
    media, _, params = value.partition(";")
    media = media.strip().lower()
    if not (media == "application/json" or (media.startswith("application/") and media.endswith("+json"))):
        raise ProblemError(
            415,
            "unsupported-media-type",
            f"the body must be JSON ('Content-Type: application/json'), not {media[:80]!r}",
        )
    for param in params.split(";"):
        name, _, charset = param.partition("=")
        if name.strip().lower() == "charset" and charset.strip().strip('"').lower() not in {"utf-8", "utf8"}:
            raise ProblemError(
                415, "unsupported-media-type", f"the body must be UTF-8 JSON, not charset {charset.strip()[:40]!r}"
            )


def _too_large(size: int | str, rule: BodyRule) -> ProblemError:
    return ProblemError(
        413,
        "body-too-large",
        f"the body has {size} bytes, over the limit of {rule.limit}: {rule.hint}",
        limit=rule.limit,
    )


async def _read_body(receive: Receive, rule: BodyRule) -> bytes | None:
    """The whole body, or None if the client went away; a 413 problem as soon as it is too large."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > rule.limit:
            raise _too_large(f"more than {rule.limit}", rule)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the buffered body once, then the client's own messages (disconnects)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class Guard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        keys: list[bytes],
        body_rules: dict[str, BodyRule],
        prefix: str = "/v1",
        body_timeout_s: float = 30.0,
    ) -> None:
        self.app = app
        self.keys = keys
        self.body_rules = body_rules
        self.prefix = prefix
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rule = self.body_rules.get(path) if scope["method"] == "POST" else None
        body: bytes | None = None
        try:
            check_bearer(headers.get("authorization"), self.keys)
            if rule is not None:
                body = await self._checked_body(headers, receive, rule, self.body_timeout_s)
                if body is None:
                    return  # the client left before sending its body
        except ProblemError as problem:
            response = problem_response(problem, instance=path, request_id=scope.get("state", {}).get("request_id"))
            await response(scope, receive, send)
            return
        await self.app(scope, receive if body is None else _replay(body, receive), send)

    @staticmethod
    async def _checked_body(headers: Headers, receive: Receive, rule: BodyRule, timeout_s: float) -> bytes | None:
        _check_content_type(headers.get("content-type"))
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > rule.limit:
            raise _too_large(int(declared), rule)
        body: bytes | None = None
        with anyio.move_on_after(timeout_s) as scope:
            body = await _read_body(receive, rule)
        if scope.cancelled_caught:
            raise ProblemError(
                408,
                "body-timeout",
                f"the request body did not arrive within {timeout_s}s (OPSUM_BODY_TIMEOUT_S): send it at once",
                headers={"Connection": "close"},
            )
        if body is not None:
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ProblemError(
                    422,
                    "malformed-json",
                    f"the body is not UTF-8 (invalid byte at position {exc.start}): send JSON encoded as UTF-8",
                ) from None
        return body
