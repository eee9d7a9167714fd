"""Every error the service answers is an RFC 9457 problem (`application/problem+json`).

`ProblemError` is raised anywhere in the app; `problem_from_exception` maps the core's errors to
one; `install_problem_handlers` turns FastAPI's own errors (validation, 404, 405) into problems.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from service.backends.base import ExtractionFailed
from service.errors import (
    ArticleTooLong,
    BackendBadOutput,
    BackendError,
    BackendTimeout,
    BackendUnavailable,
    BinaryArticle,
    EmptyArticle,
    InvalidArticle,
)
from service.prompts import UnknownPromptVersion

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "ProblemError",
    "problem_from_exception",
    "problem_response",
    "install_problem_handlers",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:opsum:problem:"

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


class Problem(BaseModel):
    """RFC 9457 problem details; `type` names the problem (`urn:opsum:problem:<slug>`)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:opsum:problem:article-too-long"])
    title: str
    status: int
    detail: str = Field(description="what went wrong and what to do about it")
    instance: str | None = Field(default=None, description="the request path")
    request_id: str | None = Field(default=None, description="the X-Request-ID of the request")


class ProblemError(Exception):
    """Raise to answer with a problem. `extra` members are added to the body (RFC 9457 extensions)."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.title = title or _TITLES.get(status, "Error")
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self, *, instance: str | None = None, request_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_PREFIX + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance is not None:
            body["instance"] = instance
        if request_id is not None:
            body["request_id"] = request_id
        body.update(self.extra)
        return body


def problem_from_exception(exc: BaseException) -> ProblemError:
    """The problem for an error of the core (or a `ProblemError` itself)."""
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, ArticleTooLong):
        return ProblemError(413, "article-too-long", str(exc), length=exc.length, limit=exc.limit)
    if isinstance(exc, EmptyArticle):
        return ProblemError(422, "empty-article", str(exc))
    if isinstance(exc, BinaryArticle):
        return ProblemError(422, "binary-article", str(exc))
    if isinstance(exc, InvalidArticle):
        return ProblemError(422, "invalid-article", str(exc))
    if isinstance(exc, UnknownPromptVersion):
        return ProblemError(422, "unknown-prompt-version", str(exc), known_versions=exc.known)
    if isinstance(exc, BackendTimeout):
        return ProblemError(504, "backend-timeout", f"the model backend timed out: {exc}")
    if isinstance(exc, (BackendBadOutput, ExtractionFailed)):
        return ProblemError(502, "backend-bad-output", f"the model backend gave no usable answer: {exc}")
    if isinstance(exc, BackendUnavailable):
        return ProblemError(502, "backend-unavailable", f"the model backend failed: {exc}")
    if isinstance(exc, BackendError):
        return ProblemError(502, "backend-error", f"the model backend failed: {exc}")
    return ProblemError(
        500, "internal-error", "an unexpected error; the server log has the details under this request_id"
    )


def problem_response(problem: ProblemError, *, instance: str | None, request_id: str | None) -> Response:
    body = json.dumps(problem.body(instance=instance, request_id=request_id), ensure_ascii=False)
    return Response(body, status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE, headers=problem.headers)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _safe_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """Validation errors without the offending input (it may be a whole article)."""
    out = []
    for err in errors[:20]:
        loc = [str(part) for part in err.get("loc", ())]
        out.append({"loc": loc, "msg": str(err.get("msg", ""))[:300], "type": str(err.get("type", ""))})
    return out


def _validation_problem(exc: RequestValidationError) -> ProblemError:
    errors = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in errors):
        err = next(e for e in errors if e.get("type") == "json_invalid")
        reason = (err.get("ctx") or {}).get("error", "JSON decode error")
        pos = err.get("loc", ("body", "?"))[-1]
        return ProblemError(422, "malformed-json", f"the body is not valid JSON ({reason} at character {pos})")
    safe = _safe_errors(errors)
    parts = [f"{'.'.join(e['loc']) or 'body'}: {e['msg']}" for e in safe[:5]]
    return ProblemError(422, "invalid-request", "the request does not fit the schema: " + "; ".join(parts), errors=safe)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer FastAPI's and the core's errors as problems."""

    async def on_problem(request: Request, exc: Exception) -> Response:
        return problem_response(problem_from_exception(exc), instance=request.url.path, request_id=_request_id(request))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problem_response(_validation_problem(exc), instance=request.url.path, request_id=_request_id(request))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        slug = {404: "not-found", 405: "method-not-allowed"}.get(status, f"http-{status}")
        detail = str(exc.detail) if exc.detail else _TITLES.get(status, "error")
        if status == 400 and isinstance(exc.__cause__, (RecursionError, ValueError)):
            # FastAPI's body parser gave up (JSON nested deeper than the parser goes): the documented 422
            problem = ProblemError(
                422,
                "malformed-json",
                "the body could not be parsed as JSON (nested too deeply, or not JSON): send a flat JSON object",
            )
            return problem_response(problem, instance=request.url.path, request_id=_request_id(request))
        if status == 404:
            detail = f"no such resource: {request.method} {request.url.path}; see /docs for the API"
        elif status == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        problem = ProblemError(status, slug, detail, headers=exc.headers)
        return problem_response(problem, instance=request.url.path, request_id=_request_id(request))

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(InvalidArticle, on_problem)
    app.add_exception_handler(UnknownPromptVersion, on_problem)
    app.add_exception_handler(BackendError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
