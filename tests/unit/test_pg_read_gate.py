"""The PostgreSQL read unit takes a free gate itself (``db.gates.free``, stop 27): it must say
free only where ``Semaphore.locked()`` says not locked, and its step (the value less one) must leave
the semaphore as ``acquire()`` leaves it then; every other state goes through ``acquire()``."""

from __future__ import annotations

import asyncio
import collections

from pohub.db.gates import free


def _states() -> list[tuple[int, list[str]]]:
    """(value, waiters: 'pending' or 'cancelled' futures; [] an empty deque; None no deque)."""
    shapes: list[list[str] | None] = [None, [], ["pending"], ["cancelled"], ["cancelled", "pending"], ["cancelled"] * 2]
    return [(value, shape) for value in (0, 1, 2, 5) for shape in shapes]  # type: ignore[misc]


def test_free_only_where_acquire_takes_it_at_once() -> None:
    async def check() -> None:
        loop = asyncio.get_running_loop()
        free_seen = locked_seen = 0
        for value, shape in _states():
            ours, theirs = asyncio.Semaphore(value), asyncio.Semaphore(value)
            for gate in (ours, theirs):
                if shape is not None:
                    gate._waiters = collections.deque()  # type: ignore[attr-defined]
                    for kind in shape:
                        fut = loop.create_future()
                        if kind == "cancelled":
                            fut.cancel()
                        gate._waiters.append(fut)  # type: ignore[attr-defined]
            if free(ours):
                free_seen += 1
                assert not theirs.locked()
                ours._value -= 1  # type: ignore[attr-defined]  # what the read unit does
                await theirs.acquire()
                assert ours._value == theirs._value  # type: ignore[attr-defined]
            else:
                locked_seen += 1
        assert free_seen == 6 and locked_seen == 18  # values 1, 2, 5 with no waiter (None or empty)

    asyncio.run(check())
