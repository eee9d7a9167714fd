"""A deadline with a cancel switch, shared by the faces (which set it) and the backends (which obey it).

A face (the HTTP service) makes one `Deadline` per request and hands it to `Summariser.summarise`;
the summariser makes it current (a context variable, so it follows the work into the backend's
thread) for as long as the strategy runs. The backends check it before every LLM call (so no new
step or re-ask starts once it has passed or was cancelled) and bound each call by what is left.
`cancel()` may be called from any thread: an HTTP call in progress is cut within a fraction of a
second, a llama.cpp generation after its next token.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from service.errors import BackendTimeout

__all__ = ["Deadline", "DeadlineExceeded", "current_deadline", "deadline_scope"]


class DeadlineExceeded(BackendTimeout):
    """The work's deadline passed, or the work was cancelled (the client left, the service stops)."""


class Deadline:
    """`seconds` from now (None: never), cancellable from any thread; `child()` narrows it."""

    def __init__(self, seconds: float | None = None, *, parent: Deadline | None = None, what: str = "request") -> None:
        now = time.monotonic()
        own = math.inf if seconds is None else now + max(0.0, seconds)
        self.expires_at: float = min(own, parent.expires_at) if parent is not None else own
        self.what = what
        self._parent = parent
        self._cancelled = threading.Event()
        self._reason = ""

    def child(self, seconds: float, *, what: str) -> Deadline:
        """A tighter deadline (one LLM call) that is cancelled with this one."""
        return Deadline(seconds, parent=self, what=what)

    def remaining(self) -> float:
        """Seconds left (0 once passed or cancelled; inf when there is no deadline)."""
        if self.cancelled:
            return 0.0
        return max(0.0, self.expires_at - time.monotonic())

    def cancel(self, reason: str) -> None:
        if not self._cancelled.is_set():
            self._reason = reason
            self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set() or (self._parent is not None and self._parent.cancelled)

    @property
    def reason(self) -> str:
        if self._cancelled.is_set():
            return self._reason
        if self._parent is not None and self._parent.cancelled:
            return self._parent.reason
        return f"the {self.what}'s time limit passed"

    def expired(self) -> bool:
        return self.cancelled or time.monotonic() >= self.expires_at

    def check(self, before: str) -> None:
        """Raise `DeadlineExceeded` if the deadline passed or was cancelled, naming what would have started."""
        if self.expired():
            raise DeadlineExceeded(f"{self.reason}; {before} was not started")

    def bound(self, seconds: float) -> float:
        """`seconds`, or less if the deadline is nearer."""
        return min(seconds, self.remaining())


_CURRENT: ContextVar[Deadline | None] = ContextVar("opsum_deadline", default=None)


def current_deadline() -> Deadline:
    """The deadline of the work in progress (a fresh one that never expires outside `deadline_scope`)."""
    return _CURRENT.get() or Deadline()


@contextmanager
def deadline_scope(deadline: Deadline) -> Iterator[Deadline]:
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        _CURRENT.reset(token)
