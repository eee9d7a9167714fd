"""`create_app`: the HTTP service over the core summariser (FastAPI).

Every app is self-contained: its settings, summariser, queue and worker threads live on the app,
nothing is global. The backend (the embedded model) is loaded once, at start-up, before the
server takes requests; the queue and the job task group exist while the lifespan runs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from service.api.admission import Admission
from service.api.docs import install_offline_docs
from service.api.examples import load_examples
from service.api.middleware import BodyRule, Guard, RequestContext
from service.api.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from service.api.routes import build_routers
from service.api.runner import Runner
from service.api.settings import ServiceSettings
from service.api.state import ServiceState
from service.errors import BackendError
from service.settings import Settings
from service.summarise import Summariser

__all__ = ["create_app"]

log = logging.getLogger(__name__)

PAGE = Path(__file__).with_name("static") / "index.html"
API_VERSION = "1.0.0"


def slots_for(settings: Settings, service: ServiceSettings) -> int:
    """The embedded model runs one generation at a time; remote backends up to max_concurrency."""
    return 1 if settings.backend == "embedded" else service.max_concurrency


def _load_backend(state: ServiceState) -> None:
    try:
        backend = state.summariser.backend
    except BackendError as exc:
        state.load_error = str(exc)
        log.error("the backend did not load: %s (the service runs; /readyz answers 503)", exc)
        return
    state.load_error = None
    log.info("backend ready: %s, model %s", backend.name, backend.model)


def _lifespan(state: ServiceState) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(_load_backend, state)
        async with anyio.create_task_group() as jobs:
            state.runner = Runner(
                Admission(state.slots, state.service.queue_size),
                jobs,
                default_retry_after=state.service.retry_after_s,
                poll_s=state.service.disconnect_poll_s,
            )
            log.info("serving: %d slot(s), queue of %d", state.slots, state.service.queue_size)
            try:
                yield
            finally:
                state.runner = None  # new requests get 503; running jobs finish before the group exits
        log.info("stopped: every job has finished")

    return lifespan


def _document(app: FastAPI, *, bearer: bool) -> None:
    """Errors are `application/problem+json` in the OpenAPI document too, every answer has
    X-Request-ID, and /v1 operations name the bearer scheme when API keys are configured."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        request_id = {
            "description": "the request's ID (the client's X-Request-ID if it sent a plain one)",
            "schema": {"type": "string"},
        }
        if bearer:
            schema.setdefault("components", {}).setdefault("securitySchemes", {})["apiKey"] = {
                "type": "http",
                "scheme": "bearer",
                "description": "one of OPSUM_API_KEYS",
            }
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                if bearer and path.startswith("/v1/"):
                    operation["security"] = [{"apiKey": []}]
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if code[:1] in "45" and "application/json" in content:
                        response["content"] = {PROBLEM_MEDIA_TYPE: content["application/json"]}
                    response.setdefault("headers", {})["X-Request-ID"] = request_id
                    if code == "429":
                        response["headers"]["Retry-After"] = {
                            "description": "seconds to wait before retrying",
                            "schema": {"type": "integer"},
                        }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    settings: Settings | None = None,
    service_settings: ServiceSettings | None = None,
    summariser: Summariser | None = None,
) -> FastAPI:
    """The app. `summariser` defaults to one built from `settings`; its backend loads at start-up."""
    settings = settings or (summariser.settings if summariser else Settings())
    service = service_settings or ServiceSettings()
    summariser = summariser or Summariser(settings)
    slots = slots_for(settings, service)
    if service.batch_max > slots + service.queue_size:
        raise ValueError(
            f"OPSUM_BATCH_MAX={service.batch_max} can never be admitted: the queue holds "
            f"{slots} running + {service.queue_size} waiting; raise OPSUM_QUEUE_SIZE or lower OPSUM_BATCH_MAX"
        )
    state = ServiceState(
        settings=settings,
        service=service,
        summariser=summariser,
        slots=slots,
        examples=load_examples(service.examples_path, service.examples_max),
    )
    page = PAGE.read_text(encoding="utf-8")
    limit = service.body_limit(settings.max_chars)
    body_rules = {
        "/v1/summarise": BodyRule(limit, f"send one article of at most {settings.max_chars} characters"),
        "/v1/summarise/batch": BodyRule(
            limit * service.batch_max,
            f"send at most {service.batch_max} articles of at most {settings.max_chars} characters each",
        ),
    }
    middleware = [Middleware(RequestContext)]
    if service.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=service.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                expose_headers=["X-Request-ID", "Retry-After"],
                max_age=600,
            )
        )
    middleware.append(
        Middleware(Guard, keys=service.keys(), body_rules=body_rules, body_timeout_s=service.body_timeout_s)
    )

    app = FastAPI(
        title="opsum",
        version=API_VERSION,
        summary="Structured, grounded summaries of news about law-enforcement operations.",
        description="Errors are RFC 9457 problems (`application/problem+json`). "
        "Every response carries `X-Request-ID`. When API keys are configured every /v1 route "
        "needs `Authorization: Bearer <key>`.",
        lifespan=_lifespan(state),
        middleware=middleware,
        docs_url=None,
        redoc_url=None,
    )
    app.state.opsum = state
    install_offline_docs(app, title="opsum")
    install_problem_handlers(app)
    v1, root = build_routers(state)
    app.include_router(v1)
    app.include_router(root)

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        return HTMLResponse(page)

    _document(app, bearer=bool(service.api_keys))
    return app
