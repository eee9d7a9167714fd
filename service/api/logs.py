"""Request IDs in log lines: a context variable set per request, and a filter that stamps records.

The context variable follows the request into the worker thread that runs the core (anyio copies
the context), so the core's own log lines carry the request ID too.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar

__all__ = ["REQUEST_ID", "RequestIdFilter", "configure_logging", "new_request_id", "accepted_request_id"]

REQUEST_ID: ContextVar[str] = ContextVar("opsum_request_id", default="-")
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(incoming: str | None) -> str:
    """The client's X-Request-ID when it is short and plain (safe to log), else a fresh one."""
    if incoming and _INCOMING_ID.match(incoming):
        return incoming
    return new_request_id()


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` (the current request's ID, or `-`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


def configure_logging(level: int) -> None:
    """Root logging to stderr with request IDs (for `opsum serve`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
