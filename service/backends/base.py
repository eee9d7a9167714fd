"""The one small interface every backend implements, and the instructor glue they share.

A backend is anything with a raw OpenAI-style `chat.completions.create` callable. The glue
turns it into `extract(messages, response_model)`: tools-mode structured output through
instructor, re-asks on validation errors, retries on transport errors, and a `Usage` record
that counts every call, retry and token.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import instructor
from instructor.core.hooks import Hooks
from pydantic import BaseModel, ValidationError

from service.deadline import current_deadline
from service.errors import BackendBadOutput, BackendError, BackendReplyTooLarge, BackendTimeout, BackendUnavailable

__all__ = ["Backend", "Usage", "ExtractionFailed", "InstructorBackend", "TransientError"]

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)
# errors that end the extraction at once (no re-ask, no lenient fallback of the strategy)
_FATAL = (BackendUnavailable, BackendTimeout, BackendReplyTooLarge)


@dataclass
class Usage:
    """What one summarisation cost; summed over every attempt, re-asks included."""

    llm_calls: int = 0
    retries: int = 0
    reasks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    calls: list[dict[str, Any]] = field(default_factory=list)

    def record(
        self,
        step: str,
        prompt_tokens: int,
        completion_tokens: int,
        ms: float,
        *,
        messages: list[dict[str, Any]] | None = None,
        response: str | None = None,
        errors: list[str] | None = None,
        cached: bool = False,
    ) -> None:
        """Count one call; `messages` (as sent), `response` (raw arguments) and `errors` (the validation
        errors of that response, which made the next call a re-ask) make its transcript."""
        self.llm_calls += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.latency_ms += ms
        call: dict[str, Any] = {
            "step": step,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "ms": round(ms, 1),
            "cached": cached,
        }
        if messages is not None:
            call["messages"] = messages
        if response is not None:
            call["response"] = response
        if errors is not None:
            call["errors"] = errors
        self.calls.append(call)

    def note_errors(self, errors: list[str]) -> None:
        """The last call's response failed validation with these errors (a re-ask follows, or the end)."""
        if self.calls:
            self.calls[-1].setdefault("errors", []).extend(errors)

    def record_call(self, call: dict[str, Any], *, cached: bool) -> None:
        """Count a call recorded earlier (a cache entry), keeping its transcript if it has one."""
        self.record(
            call["step"],
            call["prompt_tokens"],
            call["completion_tokens"],
            call["ms"],
            messages=call.get("messages"),
            response=call.get("response"),
            errors=call.get("errors"),
            cached=cached,
        )


class ExtractionFailed(BackendError):
    """Every attempt failed validation; `last_arguments` holds the final raw output, if any."""

    def __init__(self, message: str, last_arguments: str | None, errors: list[str]) -> None:
        super().__init__(message)
        self.last_arguments = last_arguments
        self.errors = errors


class TransientError(Exception):
    """Raised by a raw create callable for a failure worth retrying (HTTP 5xx, dropped connection)."""


class Backend(Protocol):
    name: str
    model: str

    def extract(
        self,
        messages: list[dict[str, str]],
        response_model: type[T],
        *,
        step: str,
        usage: Usage,
        max_tokens: int,
    ) -> T: ...

    def check_ready(self) -> None: ...


def _as_sent(messages: Any) -> list[dict[str, Any]]:
    """A JSON-safe copy of the chat messages exactly as handed to the backend (re-asks included)."""
    sent: list[dict[str, Any]] = json.loads(
        json.dumps(list(messages or []), default=lambda o: getattr(o, "model_dump", lambda: str(o))())
    )
    return sent


def _tool_arguments(completion: Any) -> str | None:
    try:
        calls = completion.choices[0].message.tool_calls
        # the completion is the client library's object, typed Any here: both are its strings (or None)
        text: str | None = calls[0].function.arguments if calls else completion.choices[0].message.content
        return text
    except (AttributeError, IndexError, TypeError):
        return None


class InstructorBackend:
    """Shared glue: subclasses provide `_raw_create(**kwargs)` and the error mapping."""

    name = "base"
    model = "unknown"

    def __init__(self, *, temperature: float, seed: int, max_reasks: int, transport_retries: int) -> None:
        self.temperature = temperature
        self.seed = seed
        self.max_reasks = max_reasks
        self.transport_retries = transport_retries

    # --- to implement -----------------------------------------------------------------
    def _raw_create(self, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_ready(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- shared ---------------------------------------------------------------------------
    def _recording_create(self, step: str, usage: Usage) -> Callable[..., Any]:
        def create(**kwargs: Any) -> Any:
            attempt = 0
            deadline = current_deadline()
            while True:
                # no call (first, re-ask or retry) starts once the work's deadline passed or it was cancelled
                deadline.check(f"LLM call {step!r}")
                started = time.perf_counter()
                try:
                    completion = self._raw_create(**kwargs)
                except TransientError as exc:
                    if attempt >= self.transport_retries:
                        raise BackendUnavailable(
                            f"{self.name} backend failed after {attempt + 1} tries: {exc}"
                        ) from exc
                    attempt += 1
                    usage.retries += 1
                    log.warning("%s backend: transient error (%s); retry %d", self.name, exc, attempt)
                    time.sleep(deadline.bound(min(2.0, 0.2 * 2**attempt)))
                    continue
                ms = (time.perf_counter() - started) * 1000
                u = getattr(completion, "usage", None)
                usage.record(
                    step,
                    int(getattr(u, "prompt_tokens", 0) or 0),
                    int(getattr(u, "completion_tokens", 0) or 0),
                    ms,
                    messages=_as_sent(kwargs.get("messages")),
                    response=_tool_arguments(completion),
                )
                log.info(
                    "llm call step=%s backend=%s model=%s prompt_tokens=%s completion_tokens=%s ms=%.0f",
                    step,
                    self.name,
                    self.model,
                    getattr(u, "prompt_tokens", "?"),
                    getattr(u, "completion_tokens", "?"),
                    ms,
                )
                return completion

        return create

    def extract(
        self,
        messages: list[dict[str, str]],
        response_model: type[T],
        *,
        step: str,
        usage: Usage,
        max_tokens: int,
    ) -> T:
        patched = instructor.patch(create=self._recording_create(step, usage), mode=instructor.Mode.TOOLS)
        calls_before = usage.llm_calls
        hooks = Hooks()
        hooks.on("parse:error", lambda error, *_, **__: usage.note_errors(_validation_errors(error)))
        try:
            return patched(
                response_model=response_model,
                hooks=hooks,
                messages=messages,
                max_retries=self.max_reasks,  # instructor: attempts = 1 + max_retries
                max_tokens=max_tokens,
                temperature=self.temperature,
                seed=self.seed,
                model=self.model,
            )
        except _FATAL:
            raise
        except Exception as exc:  # instructor wraps what it cannot validate
            cause = _root_cause(exc)
            if isinstance(cause, _FATAL):
                raise cause from exc
            last = getattr(exc, "last_completion", None)
            errors = [str(getattr(a, "exception", a)) for a in getattr(exc, "failed_attempts", []) or []]
            if not errors:
                errors = [str(exc)]
            raise ExtractionFailed(
                f"{self.name} backend gave no valid {response_model.__name__} after "
                f"{usage.llm_calls - calls_before} call(s)",
                _tool_arguments(last) if last is not None else None,
                errors,
            ) from exc
        finally:
            usage.reasks += max(0, usage.llm_calls - calls_before - 1)


def _validation_errors(error: BaseException) -> list[str]:
    """One line per validation error of a response (what the re-ask tells the model)."""
    if isinstance(error, ValidationError):
        return [f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in error.errors()]
    return [str(error).splitlines()[0] if str(error) else type(error).__name__]


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, _FATAL):
            return exc
        nxt = exc.__cause__ or exc.__context__
        if nxt is None:
            break
        exc = nxt
    return exc


def parse_lenient(arguments: str | None, model: type[T]) -> T:
    """The last raw output parsed without grounding checks (for the repair path)."""
    if not arguments:
        raise BackendBadOutput("the backend returned no structured output")
    try:
        return model.model_validate(json.loads(arguments))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise BackendBadOutput(f"the backend returned malformed output: {str(exc).splitlines()[0]}") from exc
