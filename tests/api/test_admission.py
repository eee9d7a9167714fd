"""The admission queue on its own: FIFO slots, a hard bound, tickets given back exactly once."""

from __future__ import annotations

import anyio
import pytest

from service.api.admission import Admission, QueueFull


def test_slots_then_queue_then_refusal() -> None:
    async def main() -> None:
        adm = Admission(slots=2, queue_size=2)
        tickets = [adm.enter()[0] for _ in range(4)]
        assert [t.granted for t in tickets] == [True, True, False, False]
        assert (adm.running, adm.waiting, adm.free()) == (2, 2, 0)
        with pytest.raises(QueueFull, match="1 place\\(s\\) wanted, 0 free"):
            adm.enter()
        adm.leave(tickets[0])  # the slot passes to the first waiter, in order
        assert tickets[2].granted and not tickets[3].granted
        assert (adm.running, adm.waiting) == (2, 1)
        adm.leave(tickets[0])  # idempotent
        assert (adm.running, adm.waiting) == (2, 1)
        for t in tickets[1:]:
            adm.leave(t)
        assert (adm.running, adm.waiting, adm.free()) == (0, 0, 4)

    anyio.run(main)


def test_enter_many_is_all_or_nothing() -> None:
    async def main() -> None:
        adm = Admission(slots=1, queue_size=2)
        with pytest.raises(QueueFull):
            adm.enter(4)
        assert (adm.running, adm.waiting) == (0, 0)
        batch = adm.enter(3)
        assert [t.granted for t in batch] == [True, False, False]

    anyio.run(main)


def test_a_waiter_that_leaves_the_queue_is_skipped() -> None:
    async def main() -> None:
        adm = Admission(slots=1, queue_size=3)
        running, gone, next_one = adm.enter(3)
        adm.leave(gone)  # a client that hung up while queued
        assert adm.waiting == 1
        adm.leave(running)
        assert next_one.granted and not gone.granted
        assert adm.running == 1

    anyio.run(main)


def test_waiting_wakes_in_fifo_order() -> None:
    order: list[int] = []

    async def main() -> None:
        adm = Admission(slots=1, queue_size=5)
        first = adm.enter()[0]
        waiters = adm.enter(3)

        async def wait(i: int) -> None:
            await waiters[i].wait()
            order.append(i)
            adm.leave(waiters[i])

        async with anyio.create_task_group() as tg:
            for i in (2, 0, 1):  # started out of order
                tg.start_soon(wait, i)
            await anyio.sleep(0.01)
            adm.leave(first)
        assert adm.running == 0

    anyio.run(main)
    assert order == [0, 1, 2]


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError):
        Admission(slots=0, queue_size=1)
