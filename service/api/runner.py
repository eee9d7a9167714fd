"""Runs the blocking core in worker threads, one job per admission ticket.

A request waits for its ticket's slot (checking now and then that its client is still there), then
the job runs in a task of the app's own task group, in a thread of a dedicated limiter. The job,
not the request, gives the slot back, when the thread is really done: a request that times out
(504) answers at once, but the next request does not start before the model is free. At
shutdown the task group waits for the jobs still running.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import anyio
from anyio.abc import TaskGroup

from service.api.admission import Admission, Ticket
from service.api.problems import ProblemError

__all__ = ["Runner", "ClientGone"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class ClientGone(Exception):
    """The client disconnected while its request waited in the queue."""


class _Job(Generic[T]):
    def __init__(self) -> None:
        self.done = anyio.Event()
        self.result: T | None = None
        self.error: BaseException | None = None


class Runner:
    def __init__(self, admission: Admission, task_group: TaskGroup, *, default_retry_after: int, poll_s: float) -> None:
        self.admission = admission
        self.task_group = task_group
        self.limiter = anyio.CapacityLimiter(admission.slots)
        self.default_retry_after = default_retry_after
        self.poll_s = poll_s
        self._mean_s: float | None = None  # moving average of job durations

    def retry_after(self) -> int:
        """Seconds until a place is likely to be free: about one job's time over the slots."""
        if self._mean_s is None:
            return self.default_retry_after
        return max(1, min(3600, math.ceil(self._mean_s / self.admission.slots)))

    def _observe(self, seconds: float) -> None:
        self._mean_s = seconds if self._mean_s is None else 0.7 * self._mean_s + 0.3 * seconds

    async def run(
        self, fn: Callable[[], T], ticket: Ticket, *, deadline: float, is_disconnected: Callable[[], Awaitable[bool]]
    ) -> T:
        """`fn()` in a worker thread once `ticket` holds a slot; `deadline` is on `anyio.current_time()`.

        Raises `ClientGone` if the client left while queued, a 504 `ProblemError` past the deadline.
        The ticket is given back in every case.
        """
        try:
            if not ticket.granted:
                waited_from = anyio.current_time()
                with anyio.move_on_after(deadline - anyio.current_time()) as scope:
                    await self._wait_for_slot(ticket, is_disconnected)
                if scope.cancelled_caught:
                    raise ProblemError(
                        504,
                        "queue-timeout",
                        f"no free slot within {anyio.current_time() - waited_from:.1f}s: the service is busy; "
                        "retry later, or raise OPSUM_REQUEST_TIMEOUT_S / OPSUM_MAX_CONCURRENCY",
                    )
                if await is_disconnected():
                    raise ClientGone()
            job: _Job[T] = _Job()
            ticket.handed_off = True
            self.task_group.start_soon(self._job, fn, ticket, job)
            with anyio.move_on_after(deadline - anyio.current_time()):
                await job.done.wait()
            if not job.done.is_set():
                raise ProblemError(
                    504,
                    "request-timeout",
                    "the summary took longer than the request's time limit; it was not finished "
                    "(raise OPSUM_REQUEST_TIMEOUT_S for long articles or slow models)",
                )
            if job.error is not None:
                raise job.error
            return job.result  # type: ignore[return-value]
        finally:
            if not ticket.handed_off:
                self.admission.leave(ticket)

    async def _wait_for_slot(self, ticket: Ticket, is_disconnected: Callable[[], Awaitable[bool]]) -> None:
        gone = False
        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                nonlocal gone
                while True:
                    await anyio.sleep(self.poll_s)
                    if await is_disconnected():
                        gone = True
                        tg.cancel_scope.cancel()
                        return

            tg.start_soon(watch)
            await ticket.wait()
            tg.cancel_scope.cancel()
        if gone:
            log.info("client went away while queued: the request is dropped before it starts")
            raise ClientGone()

    async def _job(self, fn: Callable[[], Any], ticket: Ticket, job: _Job[Any]) -> None:
        started = time.perf_counter()
        try:
            job.result = await anyio.to_thread.run_sync(fn, limiter=self.limiter)
        except Exception as exc:  # noqa: BLE001 - handed to the waiting request, which maps it to a problem
            job.error = exc
        finally:
            self._observe(time.perf_counter() - started)
            self.admission.leave(ticket)
            job.done.set()
