"""Units of work (db.write(), db.read()) on both databases: SQLite's run BEGIN ... COMMIT straight on
sqlite3 (db/sqlite_units.py), PostgreSQL's run the prepared statements on asyncpg (db/fast.py). The
rules they keep: a failure rolls back the whole unit, savepoints undo only their part, statements that
go through SQLAlchemy join the same transaction, writers serialize across Database objects, and a
schema change does not leave a stale prepared statement behind."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import DDL

from pohub.db.engine import Database
from pohub.db.fast import Prepared


class _Undo(Exception):
    """Raised to roll a unit of work back."""


def _table() -> tuple[Table, Prepared, Prepared, Prepared]:
    """A table of this test's own (both backends share one database across tests)."""
    t = Table(
        f"units_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(20), nullable=False, unique=True),
        Column("n", Integer, nullable=False),
    )
    add = Prepared(insert(t).returning(t.c.id))
    get = Prepared(select(t.c.name, t.c.n).where(t.c.name == bindparam("name")))
    bump = Prepared(update(t).where(t.c.name == bindparam("w_name")).values(n=bindparam("w_n")))
    return t, add, get, bump


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url, pool_size=2)
    try:
        yield database
    finally:
        await database.dispose()


async def _names(db: Database, t: Table) -> list[str]:
    async with db.read() as conn:
        return [r.name for r in (await conn.execute(select(t.c.name).order_by(t.c.id))).all()]


async def test_a_failure_rolls_back_the_whole_unit(db: Database) -> None:
    t, add, _get, _bump = _table()
    async with db.write() as conn:
        await conn.run_sync(t.metadata.create_all)
    with pytest.raises(_Undo):
        async with db.write() as conn:
            await add.all(conn, {"name": "prepared", "n": 1})  # straight on the driver
            await conn.execute(insert(t).values(name="through-sqlalchemy", n=2))  # SQLAlchemy joins
            await add.all(conn, {"name": "after", "n": 3})
            raise _Undo
    assert await _names(db, t) == []
    with pytest.raises(IntegrityError):  # a violated constraint fails the unit, and undoes it all
        async with db.write() as conn:
            await add.all(conn, {"name": "duplicate", "n": 1})
            await add.all(conn, {"name": "duplicate", "n": 2})
    assert await _names(db, t) == []
    async with db.write() as conn:  # the connection is fit for the next unit
        await add.all(conn, {"name": "one", "n": 1})
        await conn.execute(insert(t).values(name="two", n=2))
    async with db.write() as conn:
        await add.all(conn, {"name": "three", "n": 3})
    assert await _names(db, t) == ["one", "two", "three"]


async def test_a_savepoint_undoes_only_its_part(db: Database) -> None:
    t, add, get, bump = _table()
    async with db.write() as conn:
        await conn.run_sync(t.metadata.create_all)
    async with db.write() as conn:
        await add.all(conn, {"name": "before", "n": 1})
        with pytest.raises(IntegrityError):
            async with conn.begin_nested():
                await bump.run(conn, {"w_name": "before", "w_n": 5})
                await add.all(conn, {"name": "before", "n": 2})  # a duplicate: the savepoint rolls back
        async with conn.begin_nested():
            await add.all(conn, {"name": "inside", "n": 3})
        await add.all(conn, {"name": "after", "n": 4})
        assert (await get.first(conn, {"name": "before"})).n == 1  # the savepoint's update undone
    assert await _names(db, t) == ["before", "inside", "after"]
    with pytest.raises(_Undo):  # a released savepoint still goes with its unit
        async with db.write() as conn:
            async with conn.begin_nested():
                await add.all(conn, {"name": "gone", "n": 5})
            raise _Undo
    assert await _names(db, t) == ["before", "inside", "after"]


async def test_reads_see_what_committed_and_nothing_else(db: Database) -> None:
    t, add, get, _bump = _table()
    async with db.write() as conn:
        await conn.run_sync(t.metadata.create_all)
        await add.all(conn, {"name": "committed", "n": 1})
    async with db.write() as writer:
        await add.all(writer, {"name": "pending", "n": 2})
        async with db.read() as conn:  # another connection: the pending row is not visible
            assert await get.first(conn, {"name": "pending"}) is None
            assert (await get.first(conn, {"name": "committed"})).n == 1
    async with db.read() as conn:
        assert (await get.first(conn, {"name": "pending"})).n == 2


async def test_a_schema_change_does_not_leave_a_stale_statement(db: Database) -> None:
    t, add, _get, _bump = _table()
    read_all = Prepared(select(t).where(t.c.name == bindparam("name")))
    async with db.write() as conn:
        await conn.run_sync(t.metadata.create_all)
        await add.all(conn, {"name": "a", "n": 1})
    for _ in range(2):  # prepared (and cached) on the connections the units use
        async with db.write() as conn:
            assert (await read_all.first(conn, {"name": "a"})).n == 1
        async with db.read() as conn:
            assert (await read_all.first(conn, {"name": "a"})).n == 1
    # A migration's DDL: the column's type changes under the cached statement.
    # (SQLite cannot alter a column's type: a new column changes the row's shape instead.)
    change = "ADD COLUMN extra TEXT" if db.sqlite else "ALTER COLUMN n TYPE BIGINT"
    async with db.write() as conn:
        await conn.execute(DDL(f"ALTER TABLE {t.name} {change}"))  # type: ignore[no-untyped-call]
    async with db.write() as conn:
        assert (await read_all.first(conn, {"name": "a"})).n == 1
    async with db.read() as conn:
        assert (await read_all.first(conn, {"name": "a"})).n == 1


def _in_thread(url: str, table: Table, started: threading.Event, seen: list[int]) -> None:
    """A second Database (as a second process would have) incrementing the counter in one unit."""

    async def work() -> None:
        other = Database(url, pool_size=1)
        get = Prepared(select(table.c.n).where(table.c.name == bindparam("name")))
        bump = Prepared(update(table).where(table.c.name == bindparam("w_name")).values(n=bindparam("w_n")))
        try:
            started.set()
            async with other.write() as conn:
                n = (await get.first(conn, {"name": "counter"})).n
                seen.append(n)
                await bump.run(conn, {"w_name": "counter", "w_n": n + 1})
        finally:
            await other.dispose()

    asyncio.run(work())


async def test_two_writers_on_one_sqlite_file_serialize(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'two-writers.db'}"
    t, add, get, bump = _table()
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            await conn.run_sync(t.metadata.create_all)
            await add.all(conn, {"name": "counter", "n": 0})
        started, seen = threading.Event(), list[int]()
        other = threading.Thread(target=_in_thread, args=(url, t, started, seen))
        async with db.write() as conn:
            n = (await get.first(conn, {"name": "counter"})).n
            other.start()
            await asyncio.to_thread(started.wait)
            # The other writer's BEGIN IMMEDIATE waits for this unit: it cannot have read the counter
            # yet (given a moment to try, which a deferred BEGIN would have used to read 0).
            await asyncio.to_thread(other.join, 0.5)
            assert seen == []
            await bump.run(conn, {"w_name": "counter", "w_n": n + 1})
        await asyncio.to_thread(other.join)
        assert seen == [1]  # it read what this unit committed
        async with db.read() as conn:
            assert (await get.first(conn, {"name": "counter"})).n == 2
    finally:
        await db.dispose()


async def test_a_unit_that_fails_to_begin_leaves_the_writer_usable(tmp_path: Path) -> None:
    """A BEGIN IMMEDIATE that cannot get the lock (another process's long write) fails the unit
    with SQLAlchemy's OperationalError, and the next unit works."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from pohub.db.sqlite_lock import LockWait

    path = tmp_path / "busy.db"
    url = f"sqlite:///{path}"
    t, add, _get, _bump = _table()
    now = [0.0]

    async def sleep(delay: float) -> None:  # the writer's wait (30 s) passes at once
        now[0] += delay

    db = Database(url, pool_size=1, lock_wait=LockWait(clock=lambda: now[0], sleep=sleep))
    try:
        async with db.write() as conn:
            await conn.run_sync(t.metadata.create_all)
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError):
            async with db.write() as conn:
                await add.all(conn, {"name": "blocked", "n": 1})
        blocker.rollback()
        blocker.close()
        async with db.write() as conn:
            await add.all(conn, {"name": "free", "n": 1})
        assert await _names(db, t) == ["free"]
    finally:
        await db.dispose()


async def test_a_unit_that_finds_no_connection_in_time_fails_as_the_pool_would(tmp_path: Path) -> None:
    """As the pool's own pool_timeout: a unit that waits longer than its timeout for a connection
    fails with SQLAlchemy's TimeoutError instead of queueing for ever, and the gate still works."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from pohub.db.sqlite_units import Units
    from tests.support import PATIENCE

    db = Database(f"sqlite:///{tmp_path / 'gate.db'}", pool_size=1)
    units = Units(db.reader, begin="BEGIN", size=1, timeout=0.05)

    async def another() -> None:
        async with units.unit():
            pass

    try:
        async with units.unit() as held:  # the one connection, held while the other waits
            with pytest.raises(PoolTimeout, match=r"no SQLite connection free within 0\.05 s"):
                await asyncio.wait_for(another(), PATIENCE)  # without the timeout: waits, then fails
            assert (await held.execute(text("SELECT 1"))).scalar() == 1
        await asyncio.wait_for(another(), PATIENCE)  # the permit came back
    finally:
        await units.close()
        await db.dispose()
