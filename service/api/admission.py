"""Admission control: a fixed number of slots, a bounded FIFO queue in front of them.

`enter(n)` hands out `n` tickets at once or none (a batch is admitted whole): each ticket holds a
slot at once or a place in the queue; beyond the queue it raises `QueueFull`. A ticket must be
given back with `leave(ticket)` whatever happens: a queued ticket then leaves the queue (a client
that went away never starts), a granted one passes its slot to the first waiter.
Everything here runs on the event loop: no locks are needed.
"""

from __future__ import annotations

from collections import deque

import anyio

__all__ = ["Admission", "QueueFull", "Ticket"]


class QueueFull(Exception):
    def __init__(self, wanted: int, free: int) -> None:
        super().__init__(f"the service is busy: {wanted} place(s) wanted, {free} free in the queue")
        self.wanted = wanted
        self.free = free


class Ticket:
    __slots__ = ("_granted", "done", "handed_off")

    def __init__(self) -> None:
        self._granted = anyio.Event()
        self.done = False  # given back
        self.handed_off = False  # a job owns it now and gives it back when its thread ends

    @property
    def granted(self) -> bool:
        return self._granted.is_set()

    def _grant(self) -> None:
        self._granted.set()

    async def wait(self) -> None:
        """Return once this ticket holds a slot."""
        await self._granted.wait()


class Admission:
    def __init__(self, slots: int, queue_size: int) -> None:
        if slots < 1 or queue_size < 0:
            raise ValueError("admission needs at least one slot and a queue size of 0 or more")
        self.slots = slots
        self.queue_size = queue_size
        self.running = 0
        self._queue: deque[Ticket] = deque()

    @property
    def waiting(self) -> int:
        return len(self._queue)

    @property
    def capacity(self) -> int:
        return self.slots + self.queue_size

    def free(self) -> int:
        """How many tickets `enter` would hand out now."""
        return self.capacity - self.running - len(self._queue)

    def enter(self, n: int = 1) -> list[Ticket]:
        free = self.free()
        if n > free:
            raise QueueFull(n, free)
        tickets = [Ticket() for _ in range(n)]
        for ticket in tickets:
            if self.running < self.slots and not self._queue:
                self.running += 1
                ticket._grant()
            else:
                self._queue.append(ticket)
        return tickets

    def leave(self, ticket: Ticket) -> None:
        """Give a ticket back (idempotent): free its slot or its place in the queue."""
        if ticket.done:
            return
        ticket.done = True
        if not ticket.granted:
            try:
                self._queue.remove(ticket)
            except ValueError:
                pass
            return
        while self._queue:
            nxt = self._queue.popleft()
            if not nxt.done:
                nxt._grant()  # the slot passes straight to the next waiter
                return
        self.running -= 1

    def position(self, ticket: Ticket) -> int | None:
        """1 for the first in the queue; None once it holds a slot (or left)."""
        for i, queued in enumerate(self._queue):
            if queued is ticket:
                return i + 1
        return None

    def stats(self) -> dict[str, int]:
        return {"slots": self.slots, "running": self.running, "waiting": self.waiting, "queue_size": self.queue_size}
