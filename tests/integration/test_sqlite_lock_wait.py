"""The SQLite writer waits for the write lock on the event loop (db/sqlite_lock.py): while another
connection holds it (a plain sqlite3 connection, another process, or another Database on the same
file in this loop, with or without group commit) a write unit waits and the loop keeps running other
tasks; once the lock is free the unit begins and commits; past the deadline it fails with the error
it failed with before (the clock injected, so no test waits 30 s); with the lock free it is one
BEGIN and no wait. Real SQLite files; "the loop keeps running" is shown by a task that must run
while the write waits (it releases the lock), never by timings."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.exc import OperationalError

from pohub.db import sqlite_lock, sqlite_units
from pohub.db.engine import Database
from pohub.db.fast import Prepared
from pohub.db.sqlite_lock import LockWait
from pohub.db.sqlite_units import sqlite3_of
from tests.support import PATIENCE, FirstWait, WriterClock

META = MetaData()
ROWS = Table("lock_rows", META, Column("id", Integer, primary_key=True), Column("name", String(20), unique=True))
ADD = Prepared(insert(ROWS))
BOUNDS = [1, 8]  # group commit off and on


async def _writer(path: Path, bound: int, lock: LockWait) -> Database:
    db = Database(f"sqlite:///{path}", pool_size=2, group_commit=bound, lock_wait=lock)
    async with db.write() as conn:
        await conn.run_sync(META.create_all)
    return db


def _stored(path: Path) -> list[str]:
    """The rows, as another connection reads them."""
    with sqlite3.connect(path) as other:
        return [r[0] for r in other.execute("SELECT name FROM lock_rows ORDER BY id")]


def _hold(path: Path) -> sqlite3.Connection:
    """Another connection holding the write lock, with a row of its own not yet committed."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO lock_rows (name) VALUES ('theirs')")
    return other


async def _write(db: Database, name: str) -> None:
    async with db.write() as conn:
        await ADD.run(conn, {"name": name})


async def _read(db: Database) -> list[str]:
    async with db.read() as conn:
        return [r.name for r in (await conn.execute(select(ROWS.c.name).order_by(ROWS.c.id))).all()]


@pytest.mark.parametrize("bound", BOUNDS)
async def test_a_write_waits_on_the_loop_while_another_connection_holds_the_lock(tmp_path: Path, bound: int) -> None:
    path, waits = tmp_path / "lock.db", FirstWait()
    db = await _writer(path, bound, LockWait(sleep=waits.sleep))
    try:
        other = _hold(path)
        write = asyncio.create_task(_write(db, "mine"))

        async def release() -> list[str]:
            # Runs only if the loop runs while the write waits: with sqlite3's busy wait it never would.
            await waits.waiting.wait()
            seen = await _read(db)  # a read unit meanwhile, on the same loop
            assert not write.done()
            other.execute("COMMIT")
            return seen

        seen = await asyncio.wait_for(release(), PATIENCE)
        await asyncio.wait_for(write, PATIENCE)
        other.close()
        assert seen == []  # neither row was committed yet
        assert _stored(path) == ["theirs", "mine"]  # it began after the other's COMMIT, and committed
        assert waits.delays[0] == sqlite_lock.FIRST
    finally:
        await db.dispose()


# Holds the write lock with a row of its own until it reads a line, then commits and says so.
HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO lock_rows (name) VALUES ('theirs')")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
print("committed", flush=True)
"""


@pytest.mark.parametrize("bound", BOUNDS)
async def test_a_write_waits_on_the_loop_while_another_process_holds_the_lock(tmp_path: Path, bound: int) -> None:
    path, waits = tmp_path / "lock.db", FirstWait()
    db = await _writer(path, bound, LockWait(sleep=waits.sleep))
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(path), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert await asyncio.wait_for(holder.stdout.readline(), PATIENCE) == b"locked\n"
        write = asyncio.create_task(_write(db, "mine"))
        await asyncio.wait_for(waits.waiting.wait(), PATIENCE)
        assert await _read(db) == [] and not write.done()
        holder.stdin.write(b"go\n")  # the pipe and the holder's answer need the loop too
        await holder.stdin.drain()
        assert await asyncio.wait_for(holder.stdout.readline(), PATIENCE) == b"committed\n"
        await asyncio.wait_for(write, PATIENCE)
        assert await asyncio.wait_for(holder.wait(), PATIENCE) == 0
        assert _stored(path) == ["theirs", "mine"]
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
        await db.dispose()


@pytest.mark.parametrize("bound", BOUNDS)
async def test_two_databases_in_one_loop_while_a_group_stays_open(tmp_path: Path, bound: int) -> None:
    """The CI failure of stop 23: one Database's unit keeps its transaction open across turns of the
    loop (as a group does) until the other Database's write is waiting; both then commit."""
    path, waits = tmp_path / "lock.db", FirstWait()
    first = await _writer(path, bound, LockWait())
    second = Database(f"sqlite:///{path}", pool_size=2, group_commit=bound, lock_wait=LockWait(sleep=waits.sleep))
    try:

        async def hold() -> None:
            async with first.write() as conn:
                await ADD.run(conn, {"name": "theirs"})
                await waits.waiting.wait()  # the other's BEGIN is waiting: this loop still runs

        held = asyncio.create_task(hold())
        await asyncio.sleep(0)  # the first unit holds the lock
        await asyncio.wait_for(asyncio.gather(held, _write(second, "mine")), PATIENCE)
        assert _stored(path) == ["theirs", "mine"]
    finally:
        await first.dispose()
        await second.dispose()


@pytest.mark.parametrize("bound", BOUNDS)
async def test_past_the_deadline_the_write_fails_as_it_did(tmp_path: Path, bound: int) -> None:
    """The same error as sqlite3's own busy wait gave at its timeout (SQLAlchemy's OperationalError,
    "database is locked", for BEGIN IMMEDIATE), after the backoff's delays add up to the deadline;
    the writer works again once the lock is free."""
    path, clock = tmp_path / "lock.db", WriterClock()
    db = await _writer(path, bound, LockWait(clock=clock, sleep=clock.sleep))
    try:
        other = _hold(path)
        with pytest.raises(OperationalError) as failed:
            await asyncio.wait_for(_write(db, "mine"), PATIENCE)
        before = sqlite3.connect(path, isolation_level=None, timeout=0)  # a busy wait that timed out
        with pytest.raises(OperationalError) as timed_out:
            sqlite_units.execute(before, "BEGIN IMMEDIATE")
        before.close()
        assert type(failed.value.orig) is type(timed_out.value.orig) is sqlite3.OperationalError
        assert str(failed.value) == str(timed_out.value)
        assert "database is locked" in str(failed.value) and failed.value.statement == "BEGIN IMMEDIATE"
        assert sum(clock.delays) == pytest.approx(sqlite_lock.DEADLINE)
        assert clock.delays[:4] == [sqlite_lock.FIRST, 2 * sqlite_lock.FIRST, 4 * sqlite_lock.FIRST, sqlite_lock.CAP]
        assert max(clock.delays) == sqlite_lock.CAP
        other.execute("COMMIT")
        other.close()
        await asyncio.wait_for(_write(db, "later"), PATIENCE)
        assert _stored(path) == ["theirs", "later"]
    finally:
        await db.dispose()


@pytest.mark.parametrize("bound", BOUNDS)
async def test_with_the_lock_free_a_write_begins_once_without_waiting(tmp_path: Path, bound: int) -> None:
    path, waits = tmp_path / "lock.db", FirstWait()
    db = await _writer(path, bound, LockWait(sleep=waits.sleep))
    statements: list[str] = []
    try:
        async with db.write() as conn:
            raw = sqlite3_of(conn)
            assert raw is not None
            raw.set_trace_callback(statements.append)  # the writer's one connection, kept
        statements.clear()
        for name in ("a", "b", "c"):
            await _write(db, name)
        assert statements.count("BEGIN IMMEDIATE") == 3 and waits.delays == []
    finally:
        await db.dispose()


@pytest.mark.parametrize("bound", BOUNDS)
async def test_a_begin_through_sqlalchemy_waits_on_the_loop_too(tmp_path: Path, bound: int) -> None:
    """A unit that commits through SQLAlchemy and goes on begins again in the engine's begin listener:
    that BEGIN IMMEDIATE waits on the loop as well."""
    path, waits = tmp_path / "lock.db", FirstWait()
    db = await _writer(path, bound, LockWait(sleep=waits.sleep))
    try:
        holder: list[sqlite3.Connection] = []

        async def release() -> None:
            await waits.waiting.wait()
            holder[0].execute("COMMIT")

        releasing = asyncio.create_task(release())
        async with db.write() as conn:
            await conn.execute(insert(ROWS).values(name="first"))
            await conn.commit()
            holder.append(_hold(path))  # takes the lock between this unit's transactions
            await conn.execute(insert(ROWS).values(name="mine"))
        await asyncio.wait_for(releasing, PATIENCE)
        holder[0].close()
        assert _stored(path) == ["first", "theirs", "mine"]
    finally:
        await db.dispose()


async def test_only_the_writer_in_wal_mode_drops_sqlite3s_busy_wait(tmp_path: Path) -> None:
    db = await _writer(tmp_path / "lock.db", 1, LockWait())
    try:
        async with db.write() as conn:
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 0
        async with db.read() as conn:
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 30000
    finally:
        await db.dispose()


async def test_statements_inside_a_write_transaction_never_meet_a_busy_lock(tmp_path: Path) -> None:
    """What lets the writer drop sqlite3's busy wait: once BEGIN IMMEDIATE holds the lock, writing
    (through the WAL restart a checkpoint makes due, which a reader's snapshot then blocks) and
    COMMIT do not wait for anyone, while other connections read and checkpoint."""
    path = tmp_path / "lock.db"
    db = await _writer(path, 1, LockWait())
    try:
        for i in range(20):
            await _write(db, f"row{i}")
        reader = sqlite3.connect(path, isolation_level=None, timeout=0)
        reader.execute("BEGIN")
        assert len(reader.execute("SELECT * FROM lock_rows").fetchall()) == 20  # holds its snapshot
        checkpointer = sqlite3.connect(path, isolation_level=None, timeout=0)
        _busy, frames, copied = checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert frames == copied > 0  # all copied back: the next write would restart the WAL
        async with db.write() as conn:
            await ADD.run(conn, {"name": "blocked restart"})  # the reader is in the way: no restart
            assert checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[0] == 0
            await ADD.run(conn, {"name": "more"})
        reader.execute("COMMIT")
        checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        await _write(db, "restart")  # the WAL restarts from its beginning
        reader.close()
        checkpointer.close()
        assert _stored(path)[-3:] == ["blocked restart", "more", "restart"]
    finally:
        await db.dispose()
