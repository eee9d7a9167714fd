"""Runs the blocking core in worker threads, one job per admission ticket.

A request waits for its ticket's slot (checking now and then that its client is still there), then
the job runs in a task of the app's own task group, in a thread of a dedicated limiter. The job,
not the request, gives the slot back, when the thread is really done. When the request stops
waiting early (its 504, its client gone, the service shutting down) it cancels the job's
`Deadline`: the job starts no further LLM call and the call in progress is cut, so the slot is free
within a fraction of a second, and the embedded model is still never asked for two generations at
once. At shutdown the task group waits for the (cancelled) jobs still running.
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
from service.deadline import Deadline

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
        self._draining = anyio.Event()
        self._active: dict[str, list[Ticket]] = {}  # request ID -> its tickets, while it waits or runs
        self._answer_by = math.inf  # on anyio's clock: when requests still running are answered 503 at shutdown

    def retry_after(self) -> int:
        """Seconds until a place is likely to be free: about one job's time over the slots."""
        if self._mean_s is None:
            return self.default_retry_after
        return max(1, min(3600, math.ceil(self._mean_s / self.admission.slots)))

    def _observe(self, seconds: float) -> None:
        self._mean_s = seconds if self._mean_s is None else 0.7 * self._mean_s + 0.3 * seconds

    def progress(self, request_id: str) -> dict[str, Any] | None:
        """Where a request stands: queued (with its place in the queue) or running; None if unknown."""
        tickets = [t for t in self._active.get(request_id, []) if not t.done]
        if not tickets:
            return None
        places = [p for p in (self.admission.position(t) for t in tickets) if p is not None]
        return {
            "request_id": request_id,
            "state": "queued" if len(places) == len(tickets) else "running",
            "position": min(places) if places else None,
            "queued_items": len(places),
            "running_items": len(tickets) - len(places),
            **self.admission.stats(),
        }

    @property
    def draining(self) -> bool:
        return self._draining.is_set()

    def begin_drain(self, grace_s: float | None) -> None:
        """The server stops (on the event loop). Queued requests are answered 503 at once and never start;
        running ones get until shortly before `grace_s` is up, then they are cancelled and answered 503,
        so that every client gets a problem+json before the server gives up on its connection."""
        if grace_s is None or self.draining:
            return
        margin = min(1.0, grace_s / 4)
        self._answer_by = anyio.current_time() + max(0.0, grace_s - margin)
        self._draining.set()
        log.info("shutting down: running requests have %.1fs to finish, then they are answered 503", grace_s - margin)

    def _shutting_down(self) -> ProblemError:
        return ProblemError(
            503,
            "shutting-down",
            "the service is shutting down and did not finish this request; retry it (on another instance)",
            headers={"Retry-After": str(self.default_retry_after)},
        )

    async def run(
        self,
        fn: Callable[[], T],
        ticket: Ticket,
        *,
        deadline: float,
        is_disconnected: Callable[[], Awaitable[bool]],
        work: Deadline | None = None,
        request_id: str | None = None,
    ) -> T:
        """`fn()` in a worker thread once `ticket` holds a slot; `deadline` is on `anyio.current_time()`.

        Raises `ClientGone` if the client left, a 504 `ProblemError` past the deadline, a 503 one when
        the service shuts down first. In those cases `work` (the deadline `fn` obeys) is cancelled, so
        the job stops at once (no further LLM call; the one in progress is cut) and frees its slot.
        The ticket is given back in every case.
        """
        work = work or Deadline()
        if request_id is not None:
            self._active.setdefault(request_id, []).append(ticket)
        try:
            if self.draining:
                raise self._shutting_down()
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
            outcome = await self._await_job(job, deadline, is_disconnected)
            if outcome != "done":
                work.cancel(
                    {
                        "timeout": "the request's time limit (OPSUM_REQUEST_TIMEOUT_S) passed",
                        "gone": "the client went away",
                        "draining": "the service is shutting down",
                    }[outcome]
                )
                log.info("request %s: its work is cancelled", {"gone": "abandoned by its client"}.get(outcome, outcome))
            if outcome == "timeout":
                raise ProblemError(
                    504,
                    "request-timeout",
                    "the summary took longer than the request's time limit; it was stopped "
                    "(raise OPSUM_REQUEST_TIMEOUT_S for long articles or slow models)",
                )
            if outcome == "gone":
                raise ClientGone()
            if outcome == "draining":
                raise self._shutting_down()
            if job.error is not None:
                raise job.error
            return job.result  # type: ignore[return-value]
        finally:
            if not ticket.handed_off:
                self.admission.leave(ticket)
            if request_id is not None:
                left = [t for t in self._active.get(request_id, []) if t is not ticket]
                if left:
                    self._active[request_id] = left
                else:
                    self._active.pop(request_id, None)

    async def _await_job(self, job: _Job[Any], deadline: float, is_disconnected: Callable[[], Awaitable[bool]]) -> str:
        """ "done", or why the request stops waiting first: "timeout", "gone" (client left), "draining"."""
        outcome = "timeout"
        with anyio.move_on_after(deadline - anyio.current_time()):
            async with anyio.create_task_group() as tg:

                async def finish(why: str) -> None:
                    nonlocal outcome
                    outcome = why
                    tg.cancel_scope.cancel()

                async def done() -> None:
                    await job.done.wait()
                    await finish("done")

                async def client() -> None:
                    while not await is_disconnected():
                        await anyio.sleep(self.poll_s)
                    await finish("gone")

                async def drain() -> None:
                    await self._draining.wait()
                    await anyio.sleep(max(0.0, self._answer_by - anyio.current_time()))
                    await finish("draining")

                tg.start_soon(done)
                tg.start_soon(client)
                tg.start_soon(drain)
        return outcome

    async def _wait_for_slot(self, ticket: Ticket, is_disconnected: Callable[[], Awaitable[bool]]) -> None:
        gone = False
        draining = False
        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                nonlocal gone
                while True:
                    await anyio.sleep(self.poll_s)
                    if await is_disconnected():
                        gone = True
                        tg.cancel_scope.cancel()
                        return

            async def drain() -> None:
                nonlocal draining
                await self._draining.wait()
                draining = True
                tg.cancel_scope.cancel()

            tg.start_soon(watch)
            tg.start_soon(drain)
            await ticket.wait()
            tg.cancel_scope.cancel()
        if draining:
            raise self._shutting_down()
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
