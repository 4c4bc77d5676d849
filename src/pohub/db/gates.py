"""The units' gates (asyncio semaphores over their connections), read without their own calls."""

from __future__ import annotations

import asyncio


def free(gate: asyncio.Semaphore) -> bool:
    """True only where ``not gate.locked()`` is (a value left and no waiter at all: ``locked()``
    also looks for waiters not cancelled, through a generator, on each of its two calls a unit;
    where this says False, a unit takes the gate the usual way, which asks ``locked()``).
    Reads asyncio's private ``_value`` and ``_waiters`` (tests/unit/test_pg_read_gate.py holds
    them to ``locked()`` and ``acquire()``)."""
    return gate._value > 0 and not gate._waiters
