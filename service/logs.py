"""Logging for every face: one line per record, the request ID on each, no article text or model output.

- `REQUEST_ID` is a context variable set per HTTP request; it follows the request into the worker
  thread that runs the core (anyio copies the context), so the core's records and those of
  instructor, openai, httpx and pydantic logged there carry it too.
- `RedactFilter` runs on the handler, so it sees every record, third-party ones included. At INFO
  and above it rewrites what could hold article text or model output: a pydantic validation error
  (which echoes its input) becomes "N validation errors for Model: field (error type), ...";
  records of third-party loggers keep their first line only, with quoted strings replaced by their
  length; exceptions are summarised as their types and scrubbed messages, without tracebacks.
- `OneLineFormatter` (text) and `JsonFormatter` (`OPSUM_LOG_FORMAT=json`) never emit a newline
  inside a record.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

__all__ = [
    "REQUEST_ID",
    "RequestIdFilter",
    "RedactFilter",
    "OneLineFormatter",
    "JsonFormatter",
    "make_handler",
    "configure_logging",
    "summarise_validation_errors",
]

REQUEST_ID: ContextVar[str] = ContextVar("opsum_request_id", default="-")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
OWN_LOGGERS = ("service", "evals", "uvicorn", "opsum")  # ours (and uvicorn's lifecycle): they never log text
TRANSPORT_LOGGERS = ("httpx", "httpx2", "httpcore", "httpcore2")  # method, URL, status: first line only
MAX_MESSAGE = 500

_VALIDATION_HEAD = re.compile(r"(\d+) validation errors? for (\S+)")
_ERROR_LINE = re.compile(r"^\s+.*\[type=([\w.-]+)")
_QUOTED = re.compile(r"""'(?:[^'\\\n]|\\.){16,}'|"(?:[^"\\\n]|\\.){16,}\"""")


def summarise_validation_errors(text: str) -> str:
    """A pydantic error text reduced to fields and error types: "2 validation errors for M: a (missing), b.0 (..)"."""
    head = _VALIDATION_HEAD.search(text)
    if head is None:
        return text
    lines = text[head.end() :].splitlines()
    fields: list[str] = []
    for previous, line in zip(lines, lines[1:], strict=False):
        m = _ERROR_LINE.match(line)
        if m and previous.strip() and not previous.startswith(" "):
            fields.append(f"{previous.strip()[:80]} ({m.group(1)})")
    n, model = head.group(1), head.group(2)
    listed = ", ".join(fields[:10]) + (", ..." if len(fields) > 10 else "")
    return f"{text[: head.start()]}{n} validation error{'s' if n != '1' else ''} for {model}: {listed or 'see DEBUG'}"


def _scrub(text: str) -> str:
    """First line, validation errors summarised, long quoted strings replaced by their length, bounded."""
    text = summarise_validation_errors(text)
    text = text.split("\n", 1)[0].strip()
    text = _QUOTED.sub(lambda m: f"<{len(m.group(0)) - 2} chars>", text)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + f"... <{len(text) - MAX_MESSAGE} more chars>"


def _exception_summary(exc: BaseException | None) -> str:
    """`Type: scrubbed message <- CauseType: ...` and where the innermost frame was, without a traceback."""
    parts: list[str] = []
    seen: set[int] = set()
    where = ""
    while exc is not None and id(exc) not in seen and len(parts) < 5:
        seen.add(id(exc))
        parts.append(f"{type(exc).__name__}: {_scrub(str(exc))}" if str(exc) else type(exc).__name__)
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None and not where:
            where = f" at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return " <- ".join(parts) + where


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` (the current request's ID, or `-`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class RedactFilter(logging.Filter):
    """At `level` and above, what could carry article text or model output is summarised (see the module doc)."""

    def __init__(self, level: int = logging.INFO) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < self.level:
            return True
        top = record.name.split(".", 1)[0]
        message = record.getMessage()
        if top in OWN_LOGGERS:
            scrubbed = summarise_validation_errors(message)
        elif top in TRANSPORT_LOGGERS:
            scrubbed = message.split("\n", 1)[0][:MAX_MESSAGE]
        else:
            scrubbed = _scrub(message)
        if record.exc_info and record.exc_info[1] is not None:
            scrubbed += " | " + _exception_summary(record.exc_info[1])
            record.exc_info = None
            record.exc_text = None
        record.stack_info = None
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


class OneLineFormatter(logging.Formatter):
    """The text format, with any newline (of a message or a DEBUG traceback) escaped."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return _one_line(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, request_id, message (and exc, at DEBUG)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def make_handler(stream: IO[str] | None = None, fmt: str = "text") -> logging.Handler:
    """A handler with the request-ID and redaction filters and the chosen one-line format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else OneLineFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactFilter())
    return handler


def configure_logging(level: int, fmt: str = "text") -> None:
    """Root logging to stderr, one line per record (`fmt`: text or json), request IDs, redaction."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(make_handler(fmt=fmt))
    root.setLevel(level)
