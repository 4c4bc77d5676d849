"""PostgreSQL's units of work on kept asyncpg connections (db/pg_units.py), beyond what
test_units.py checks on both databases: a COMMIT that fails raises as SQLAlchemy would, a cancelled
unit rolls back and hands its connection back, a connection the server closed is replaced, savepoints
keep their names (so their prepared statements) across units, and units at once are bounded."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from pohub.db.engine import Database
from pohub.db.pg_units import PgUnits, adapter_of
from tests.support import PATIENCE


@pytest.fixture
async def db(db_url: str, backend: str) -> AsyncIterator[Database]:
    if backend != "postgresql":
        pytest.skip("PostgreSQL's units of work")
    database = Database(db_url, pool_size=2)
    try:
        yield database
    finally:
        await database.dispose()


async def _table(db: Database, *, deferred: bool = False) -> str:
    name = f"pg_units_{uuid.uuid4().hex[:8]}"
    unique = "UNIQUE DEFERRABLE INITIALLY DEFERRED" if deferred else "UNIQUE"
    async with db.write() as conn:
        await conn.execute(text(f"CREATE TABLE {name} (id serial PRIMARY KEY, name text NOT NULL {unique})"))
    return name


async def _names(db: Database, table: str) -> list[str]:
    async with db.read() as conn:
        return [r[0] for r in (await conn.execute(text(f"SELECT name FROM {table} ORDER BY id"))).all()]


async def _pid(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_commit_that_fails_raises_integrity_error_and_the_next_unit_works(db: Database) -> None:
    """A deferred constraint is checked at COMMIT, which the unit issues itself on asyncpg."""
    table = await _table(db, deferred=True)
    with pytest.raises(IntegrityError):
        async with db.write() as conn:
            await conn.execute(text(f"INSERT INTO {table} (name) VALUES ('twice'), ('twice')"))
    async with db.write() as conn:
        await conn.execute(text(f"INSERT INTO {table} (name) VALUES ('once')"))
    assert await _names(db, table) == ["once"]


async def test_a_cancelled_unit_rolls_back_and_returns_its_connection(db: Database) -> None:
    table = await _table(db)
    started = asyncio.Event()

    async def slow() -> None:
        async with db.write() as conn:
            await conn.execute(text(f"INSERT INTO {table} (name) VALUES ('cancelled')"))
            started.set()
            await conn.execute(text("SELECT pg_sleep(30)"))

    task = asyncio.create_task(slow())
    await asyncio.wait_for(started.wait(), PATIENCE)
    await asyncio.sleep(0.05)  # the sleep has reached the server
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for i in range(3):  # every connection the units can hold is fit again
        async with db.write() as conn:
            await conn.execute(text(f"INSERT INTO {table} (name) VALUES (:n)"), {"n": f"next{i}"})
    assert await _names(db, table) == ["next0", "next1", "next2"]
    pool = db.writer.pool
    assert pool.checkedout() <= 2  # type: ignore[attr-defined]  # the kept ones, nothing leaked


async def test_a_kept_connection_the_server_closed_is_replaced(db: Database, db_url: str) -> None:
    import asyncpg

    pid = await _pid(db)
    other = await asyncpg.connect(make_url(db_url).set(drivername="postgresql").render_as_string(False))
    try:  # another session ends the idle kept connection's backend (an operator, a restart)
        assert await other.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await other.close()
    for _ in range(20):  # asyncpg sees the socket close on a later turn of the loop
        await asyncio.sleep(0.05)
        if pid != await _pid(db):
            break
    assert pid != await _pid(db)


async def test_savepoints_keep_their_names_across_units(db: Database) -> None:
    """One prepared SAVEPOINT statement on a kept connection, not one per unit."""
    table = await _table(db)
    for i in range(5):
        async with db.write() as conn:
            async with conn.begin_nested():
                await conn.execute(text(f"INSERT INTO {table} (name) VALUES (:n)"), {"n": f"n{i}"})
            adapter = adapter_of(conn)
            assert adapter is not None
            savepoints = {q for q in adapter._prepared_statement_cache if q.startswith("SAVEPOINT")}
            assert savepoints == {"SAVEPOINT sa_savepoint_1"}
    assert len(await _names(db, table)) == 5


async def test_units_at_once_are_bounded_and_a_wait_fails_as_the_pool_would(db: Database) -> None:
    # The first connect may take any time on a loaded machine: only the wait for a permit is timed.
    units = PgUnits(db.writer, size=1, keep=1, timeout=PATIENCE)

    async def another() -> None:
        async with units.unit():
            pass

    try:
        async with units.unit() as held:
            units.timeout = 0.05
            with pytest.raises(PoolTimeout, match=r"no PostgreSQL connection free within 0\.05 s"):
                await asyncio.wait_for(another(), PATIENCE)
            assert (await held.execute(text("SELECT 1"))).scalar() == 1
        await asyncio.wait_for(another(), PATIENCE)  # the permit came back
        assert units.held == 1
    finally:
        await units.close()


async def test_a_read_unit_runs_each_statement_on_its_own_and_refuses_writes(db: Database) -> None:
    """No BEGIN in a read (one round trip for a query); a write or a lock there is refused before it
    is sent, through SQLAlchemy and through Prepared alike, and the connection writes as before."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, insert, select

    from pohub.db.fast import Prepared
    from pohub.db.pg_units import ReadUnitWrote

    name = await _table(db)
    t = Table(name, MetaData(), Column("id", Integer, primary_key=True), Column("name", String))
    add = Prepared(insert(t).returning(t.c.id))
    get = Prepared(select(t.c.name).where(t.c.id == bindparam("id")))
    sent: list[str] = []
    async with db.write() as conn:
        adapter = adapter_of(conn)
        assert adapter is not None
        adapter._connection.add_query_logger(lambda record: sent.append(record.query))  # BEGIN, COMMIT
        key = (await add.all(conn, {"name": "kept"}))[0][0]
    await asyncio.sleep(0.01)  # asyncpg calls query loggers soon after, not at once
    assert sent == ["BEGIN;", "COMMIT;"]
    sent.clear()
    async with db.read() as conn:  # the same kept connection
        assert (await get.first(conn, {"id": key})).name == "kept"
        assert (await conn.execute(select(t.c.name))).scalar() == "kept"
    await asyncio.sleep(0.01)
    assert sent == []
    for statement in (
        lambda c: add.all(c, {"name": "refused"}),
        lambda c: c.execute(insert(t).values(name="refused")),
        lambda c: c.execute(text(f"UPDATE {name} SET name = 'x'")),
        lambda c: c.execute(select(t).with_for_update()),
        lambda c: c.execute(text(f"WITH d AS (DELETE FROM {name} RETURNING id) SELECT count(*) FROM d")),
    ):
        with pytest.raises(ReadUnitWrote):
            async with db.read() as conn:
                await statement(conn)
    sent.clear()
    async with db.write() as conn:  # the same kept connection, in transactions again
        await add.all(conn, {"name": "after"})
    await asyncio.sleep(0.01)
    assert sent == ["BEGIN;", "COMMIT;"]
    assert await _names(db, name) == ["kept", "after"]
