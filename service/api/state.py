"""What one app instance holds: settings, the summariser, examples, and (once started) its runner."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from fastapi import Request

from service.api.examples import Example
from service.api.problems import ProblemError
from service.api.runner import Runner
from service.api.settings import ServiceSettings
from service.settings import Settings
from service.summarise import Summariser

__all__ = ["ServiceState", "state_of", "runner_of"]

log = logging.getLogger(__name__)


@dataclass
class ServiceState:
    settings: Settings
    service: ServiceSettings
    summariser: Summariser
    slots: int
    examples: list[Example] = field(default_factory=list)
    runner: Runner | None = None
    load_error: str | None = None

    def example(self, example_id: str) -> Example | None:
        return next((e for e in self.examples if e.id == example_id), None)


def state_of(request: Request) -> ServiceState:
    return request.app.state.opsum  # type: ignore[no-any-return]


def runner_of(request: Request) -> Runner:
    runner = state_of(request).runner
    if runner is None:
        raise ProblemError(
            503,
            "not-started",
            "the service has not started (its ASGI lifespan did not run) or is shutting down",
            headers={"Retry-After": "5"},
        )
    return runner
