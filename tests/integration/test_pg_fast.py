"""db/pg_fast.py, Prepared's short road on PostgreSQL, beyond what test_prepared.py and test_units.py
check on both databases (the same rows, types and errors as SQLAlchemy's execute; a schema change
re-prepares): statements of one unit at once wait for each other on the adapter's mutex, a
cancelled statement lets go of it, a read unit's statements begin no transaction of SQLAlchemy's
either, and a write unit's do (a savepoint after them undoes only its own part)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from pohub.db.engine import Database
from pohub.db.fast import Prepared
from pohub.db.pg_units import adapter_of
from tests.support import PATIENCE


@pytest.fixture
async def db(db_url: str, backend: str) -> AsyncIterator[Database]:
    if backend != "postgresql":
        pytest.skip("Prepared's PostgreSQL road")
    database = Database(db_url, pool_size=1)
    try:
        yield database
    finally:
        await database.dispose()


async def _table(db: Database) -> Table:
    t = Table(
        f"pg_fast_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String, nullable=False, unique=True),
    )
    async with db.write() as conn:
        await conn.run_sync(t.metadata.create_all)
    return t


async def test_statements_of_one_unit_at_once_take_turns(db: Database) -> None:
    """Two statements sent at once on one connection: the second waits for the first (asyncpg alone
    would refuse it: another operation is in progress)."""
    t = await _table(db)
    add = Prepared(insert(t).returning(t.c.id))
    slow = Prepared(select(func.pg_sleep(bindparam("s", type_=Integer)), t.c.name).where(t.c.id == bindparam("id")))
    async with db.write() as conn:
        key = (await add.all(conn, {"name": "one"}))[0][0]
        first, second = await asyncio.gather(
            slow.all(conn, {"s": 0, "id": key}), add.all(conn, {"name": "two"}), return_exceptions=True
        )
        assert not isinstance(first, BaseException) and first[0].name == "one", first
        assert not isinstance(second, BaseException) and len(second) == 1, second


async def test_a_cancelled_statement_lets_go_of_the_connection(db: Database) -> None:
    t = await _table(db)
    add = Prepared(insert(t).returning(t.c.id))
    sleep = Prepared(select(func.pg_sleep(bindparam("s", type_=Integer))))
    started = asyncio.Event()

    async def slow() -> None:
        async with db.write() as conn:
            await add.all(conn, {"name": "cancelled"})
            started.set()
            await sleep.all(conn, {"s": 30})

    task = asyncio.create_task(slow())
    await asyncio.wait_for(started.wait(), PATIENCE)
    await asyncio.sleep(0.05)  # the sleep has reached the server
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.write() as conn:  # the unit rolled back; its connection (or a fresh one) works
        await asyncio.wait_for(add.all(conn, {"name": "after"}), PATIENCE)
    async with db.read() as conn:
        assert [r.name for r in await Prepared(select(t.c.name)).all(conn, {})] == ["after"]


async def test_a_read_unit_begins_no_transaction_and_keeps_its_connection(db: Database) -> None:
    t = await _table(db)
    add = Prepared(insert(t).returning(t.c.id))
    get = Prepared(select(t.c.name).where(t.c.id == bindparam("id")))
    async with db.write() as conn:
        key = (await add.all(conn, {"name": "kept"}))[0][0]
        assert conn.in_transaction()  # a write unit's statement begins SQLAlchemy's transaction too
    async with db.read() as conn:
        kept = conn
        assert (await get.first(conn, {"id": key})).name == "kept"
        assert not conn.in_transaction()
        adapter = adapter_of(conn)
        assert adapter is not None and adapter._transaction is None
        assert (await conn.execute(select(t.c.name))).scalar() == "kept"  # SQLAlchemy's own road still
    async with db.read() as conn:
        assert conn is kept  # ended clean: kept for the next unit
        assert not conn.in_transaction()
        assert (await get.first(conn, {"id": key})).name == "kept"


async def test_a_savepoint_after_prepared_writes_undoes_only_its_own(db: Database) -> None:
    t = await _table(db)
    add = Prepared(insert(t).returning(t.c.id))
    async with db.write() as conn:
        await add.all(conn, {"name": "first"})
        with pytest.raises(IntegrityError):
            async with conn.begin_nested():
                await add.all(conn, {"name": "second"})
                await add.all(conn, {"name": "first"})  # unique: fails, the savepoint rolls back
        await add.all(conn, {"name": "third"})
    async with db.read() as conn:
        names = [r.name for r in await Prepared(select(t.c.name).order_by(t.c.id)).all(conn, {})]
    assert names == ["first", "third"]
