"""Request IDs for the HTTP service: which incoming X-Request-ID is kept, and fresh ones.

The context variable, its filter and the handler live in `service.logs` (the core logs with them too).
"""

from __future__ import annotations

import re
import uuid

from service.logs import REQUEST_ID, RequestIdFilter, configure_logging

__all__ = ["REQUEST_ID", "RequestIdFilter", "configure_logging", "new_request_id", "accepted_request_id"]

_INCOMING_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(incoming: str | None) -> str:
    """The client's X-Request-ID when it is short and plain (safe to log), else a fresh one."""
    if incoming and _INCOMING_ID.match(incoming):
        return incoming
    return new_request_id()
