"""The endpoints. Built per app, because the request models carry that app's limits.

(No `from __future__ import annotations` here: FastAPI must see the per-app request models.)
"""

import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from service.api.admission import QueueFull, Ticket
from service.api.models import (
    BatchResponse,
    ExampleOut,
    ExamplesResponse,
    HealthResponse,
    PromptsResponse,
    QueueStatus,
    ReadyResponse,
    SummariseResponse,
    request_models,
)
from service.api.problems import Problem, ProblemError, problem_from_exception
from service.api.runner import ClientGone
from service.api.state import ServiceState, runner_of
from service.deadline import Deadline
from service.errors import InvalidArticle
from service.inputs import check_article
from service.prompts import UnknownPromptVersion
from service.summarise import SummaryResult

__all__ = ["build_routers", "PROBLEM_DOCS"]

log = logging.getLogger(__name__)

CLIENT_CLOSED = 499  # nginx's "client closed request": logged, never seen by the client

PROBLEM_DOCS = {
    401: "API keys are configured and the request has no valid `Authorization: Bearer <key>`",
    404: "no such resource",
    408: "the request body did not arrive within OPSUM_BODY_TIMEOUT_S",
    413: "the body (bytes) or the article (characters) is over the server's limit",
    415: "the body is not `application/json` (UTF-8)",
    422: "malformed JSON, missing or empty text, text that is not text, unknown prompt version, too many items",
    429: "the queue is full; retry after `Retry-After` seconds",
    502: "the model backend failed or gave no usable answer after its re-asks",
    503: "the service is not ready (backend not loaded or unreachable), not started, or shutting down",
    504: "the backend timed out, or the request waited past OPSUM_REQUEST_TIMEOUT_S",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": Problem, "description": PROBLEM_DOCS[code]} for code in codes}


@dataclass(frozen=True)
class _Work:
    """One article's core call, bound, and the deadline it obeys (cancelled when its request gives up)."""

    fn: Callable[[], SummaryResult]
    deadline: Deadline


def _prepare(state: ServiceState, text: str, title: str | None, prompt_version: str | None) -> _Work:
    """Check the input before it queues (413/422 at once), and bind the core call."""
    check_article(text, state.settings.max_chars)
    state.summariser.prompt(prompt_version)
    deadline = Deadline(what="request")
    fn = functools.partial(
        state.summariser.summarise, text, title=title, prompt_version=prompt_version, deadline=deadline
    )
    return _Work(fn, deadline)


def _queue_full(request: Request, exc: QueueFull) -> ProblemError:
    retry_after = runner_of(request).retry_after()
    return ProblemError(
        429,
        "queue-full",
        f"{exc}; retry in about {retry_after}s (OPSUM_QUEUE_SIZE sets the queue's length)",
        headers={"Retry-After": str(retry_after)},
        retry_after=retry_after,
    )


async def _run_one(request: Request, work: _Work, ticket: Ticket, deadline: float) -> dict[str, Any]:
    started = anyio.current_time()
    result = await runner_of(request).run(
        work.fn,
        ticket,
        deadline=deadline,
        is_disconnected=request.is_disconnected,
        work=work.deadline,
        request_id=getattr(request.state, "request_id", None),
    )
    data = result.to_dict()
    total_ms = (anyio.current_time() - started) * 1000
    data["meta"]["queue_ms"] = round(max(0.0, total_ms - float(data["meta"].get("latency_ms") or 0.0)), 1)
    return data


def build_routers(state: ServiceState) -> tuple[APIRouter, APIRouter]:  # noqa: C901
    """`(v1, root)`: the /v1 API and the unversioned probes."""
    summarise_model, batch_model = request_models(
        state.summariser.registry.versions(), state.settings.prompt_version, state.service.batch_max
    )
    v1 = APIRouter(prefix="/v1", tags=["summarise"], responses=problems(401))
    root = APIRouter(tags=["health"])

    @v1.post(
        "/summarise",
        summary="Summarise one article",
        response_class=JSONResponse,
        responses={200: {"model": SummariseResponse}, **problems(408, 413, 415, 422, 429, 502, 503, 504)},
    )
    async def summarise(request: Request, body: summarise_model) -> Response:  # type: ignore[valid-type]
        """`{"summary": OperationSummary, "meta": {...}}` (SPEC §5). Waits in the queue for a free slot."""
        # the checks scan the whole text (~20 ms at 100 000 characters): off the event loop
        work = await anyio.to_thread.run_sync(_prepare, state, body.text, body.title, body.prompt_version)  # type: ignore[attr-defined]
        runner = runner_of(request)
        try:
            (ticket,) = runner.admission.enter(1)
        except QueueFull as exc:
            raise _queue_full(request, exc) from None
        deadline = anyio.current_time() + state.service.request_timeout_s
        try:
            data = await _run_one(request, work, ticket, deadline)
        except ClientGone:
            return Response(status_code=CLIENT_CLOSED)
        return JSONResponse(data)

    @v1.post(
        "/summarise/batch",
        summary="Summarise several articles",
        response_class=JSONResponse,
        responses={200: {"model": BatchResponse}, **problems(408, 413, 415, 422, 429, 503)},
    )
    async def summarise_batch(request: Request, body: batch_model) -> Response:  # type: ignore[valid-type]
        """Each item gets its own result or its own problem (`status` as if sent alone); the batch is
        admitted to the queue whole or answered 429. Items run concurrently up to the slot count."""
        items = body.items  # type: ignore[attr-defined]
        results: list[dict[str, Any] | None] = [None] * len(items)

        def prepare_all() -> list[tuple[int, _Work]]:
            ready = []
            for i, item in enumerate(items):
                try:
                    ready.append((i, _prepare(state, item.text, item.title, item.prompt_version)))
                except (InvalidArticle, UnknownPromptVersion) as exc:
                    results[i] = _item_problem(request, i, item.id, exc)
            return ready

        runnable = await anyio.to_thread.run_sync(prepare_all)
        runner = runner_of(request)
        try:
            tickets = runner.admission.enter(len(runnable))
        except QueueFull as exc:
            raise _queue_full(request, exc) from None
        rounds = max(1, math.ceil(len(runnable) / runner.admission.slots))
        deadline = anyio.current_time() + state.service.request_timeout_s * rounds
        gone = False

        async def run_item(i: int, work: _Work, ticket: Ticket) -> None:
            nonlocal gone
            try:
                data = await _run_one(request, work, ticket, deadline)
                results[i] = {"index": i, "id": items[i].id, "status": 200, **data}
            except ClientGone:
                gone = True
            except Exception as exc:  # noqa: BLE001 - one item's failure is that item's problem
                results[i] = _item_problem(request, i, items[i].id, exc)

        try:
            async with anyio.create_task_group() as tg:
                for (i, work), ticket in zip(runnable, tickets, strict=True):
                    tg.start_soon(run_item, i, work, ticket)
        finally:
            for ticket in tickets:  # tickets never handed to a job (cancelled early): give them back
                if not ticket.handed_off:
                    runner.admission.leave(ticket)
        if gone:
            return Response(status_code=CLIENT_CLOSED)
        done = [r for r in results if r is not None]
        ok = sum(1 for r in done if r["status"] == 200)
        return JSONResponse({"results": done, "succeeded": ok, "failed": len(done) - ok})

    @v1.get(
        "/queue/{request_id}",
        summary="Where a request in progress stands (queued, with its place, or running)",
        response_model=QueueStatus,
        responses=problems(404),
    )
    async def queue_status(request: Request, request_id: str) -> dict[str, Any]:
        """Send your own `X-Request-ID` with a summarise request, then poll this with it while you wait."""
        found = runner_of(request).progress(request_id)
        if found is None:
            raise ProblemError(
                404, "unknown-request", f"no request {request_id[:80]!r} is queued or running (it may have finished)"
            )
        return found

    @v1.get("/prompts", summary="List prompt versions", response_model=PromptsResponse)
    async def prompts() -> dict[str, Any]:
        default = state.settings.prompt_version
        return {
            "default": default,
            "prompts": [{**p.info(), "default": p.version == default} for p in state.summariser.registry.all()],
        }

    @v1.get("/examples", summary="List example articles (golden set)", response_model=ExamplesResponse)
    async def examples() -> dict[str, Any]:
        return {"examples": [e.brief() for e in state.examples]}

    @v1.get("/examples/{example_id}", summary="One example article", response_model=ExampleOut, responses=problems(404))
    async def example(example_id: str) -> dict[str, Any]:
        found = state.example(example_id)
        if found is None:
            raise ProblemError(404, "unknown-example", f"no example {example_id[:80]!r}; GET /v1/examples lists them")
        return {"id": found.id, "title": found.title, "text": found.text}

    @root.get("/healthz", summary="Liveness: the process answers", response_model=HealthResponse)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @root.get(
        "/readyz",
        summary="Readiness: the model is loaded or the remote backend answers",
        response_model=ReadyResponse,
        responses=problems(503),
    )
    async def readyz(request: Request) -> dict[str, Any]:
        runner = runner_of(request)
        try:
            with anyio.fail_after(state.service.ready_timeout_s):
                backend = await anyio.to_thread.run_sync(_check_ready, state, abandon_on_cancel=True)
        except TimeoutError:
            raise ProblemError(
                503,
                "not-ready",
                f"the backend did not answer the readiness check within {state.service.ready_timeout_s}s",
                headers={"Retry-After": "5"},
            ) from None
        except Exception as exc:  # noqa: BLE001 - any failure to load or reach the backend: not ready
            raise ProblemError(
                503, "not-ready", f"the backend is not ready: {exc}", headers={"Retry-After": "5"}
            ) from None
        return {"status": "ready", "backend": backend[0], "model": backend[1], "queue": runner.admission.stats()}

    return v1, root


def _check_ready(state: ServiceState) -> tuple[str, str]:
    backend = state.summariser.backend
    backend.check_ready()
    return backend.name, backend.model


def _item_problem(request: Request, index: int, item_id: str | None, exc: BaseException) -> dict[str, Any]:
    problem = problem_from_exception(exc)
    if problem.status >= 500 and problem.slug == "internal-error":
        log.error("batch item %d failed unexpectedly", index, exc_info=exc)
    body = problem.body(instance=request.url.path, request_id=getattr(request.state, "request_id", None))
    return {"index": index, "id": item_id, "status": problem.status, "problem": body}
