"""SQLite's read unit in two frames (db/sqlite_units._ReadUnit, stop 27): where the gate is free and a
connection kept it takes both itself; otherwise it goes through ``_alone``. Either road must leave
the gate and the kept connections as ``_alone`` leaves them, on success and on failure."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from pohub.db.engine import Database
from pohub.db.sqlite_units import Units, _ReadUnit


class _Boom(Exception):
    pass


def _reads(db: Database) -> Units:
    assert db._reads is not None
    return db._reads


async def _one(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(text("SELECT 1"))).scalar_one())


async def test_a_read_with_the_gate_free_takes_it_itself_and_gives_everything_back(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.db'}", pool_size=3)
    try:
        units = _reads(db)
        assert await _one(db) == 1  # the first read opens a connection (no kept one: _alone)
        gate = units._gate
        assert isinstance(gate, asyncio.Semaphore)
        kept = list(units._idle)
        assert len(kept) == 1 and gate._value == 3
        unit = db.read()
        assert isinstance(unit, _ReadUnit)
        async with unit as conn:
            assert unit._slow is None  # the fast road
            assert gate._value == 2 and units._idle == []  # gate and connection both taken
            assert conn is kept[0]
        assert gate._value == 3 and units._idle == kept
        with pytest.raises(_Boom):
            async with db.read() as conn:
                await conn.execute(text("SELECT 1"))
                raise _Boom
        assert gate._value == 3 and units._idle == kept  # the caller's error goes on; nothing held
    finally:
        await db.dispose()


async def test_reads_beyond_the_gate_wait_and_all_finish(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.db'}", pool_size=2)
    try:
        units = _reads(db)
        started, release = asyncio.Event(), asyncio.Event()
        inside = 0

        async def hold() -> None:
            nonlocal inside
            async with db.read() as conn:
                await conn.execute(text("SELECT 1"))
                inside += 1
                if inside == 2:
                    started.set()
                await release.wait()
                inside -= 1

        holders = [asyncio.create_task(hold()) for _ in range(2)]
        await started.wait()
        unit = db.read()
        waiter = asyncio.create_task(unit.__aenter__())
        await asyncio.sleep(0)
        assert not waiter.done() and units.waiting == 1  # the slow road: waits its turn
        assert isinstance(unit, _ReadUnit) and unit._slow is not None
        release.set()
        await asyncio.gather(*holders)
        await waiter
        await unit.__aexit__(None, None, None)
        gate = units._gate
        assert isinstance(gate, asyncio.Semaphore)
        assert gate._value == 2 and len(units._idle) == 2 and units.waiting == 0
    finally:
        await db.dispose()


async def test_writes_keep_their_own_unit(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.db'}", pool_size=2)
    try:
        assert not isinstance(db.write(), _ReadUnit)  # a BEGIN (and a turn): never the read road
    finally:
        await db.dispose()
