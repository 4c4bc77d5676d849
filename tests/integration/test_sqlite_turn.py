"""The write turn among pohub's writers on one SQLite file (db/sqlite_turn.py): two processes or two
Databases writing the same file each land every write once; a writer waiting for the turn leaves its
loop running; under contention they take turns (no writer runs more than one group while another
waits); the turn is let go when a unit fails, when a wait is given up or cancelled, and by the kernel
when a process holding it dies; the deadline still ends in the error it always did (the clock
injected). Real files and processes; "the loop runs" is shown by work that must happen while the
write waits, never by timings."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy.exc import OperationalError

from pohub.db import sqlite_lock, sqlite_turn
from pohub.db.engine import Database
from pohub.db.fast import Prepared
from pohub.db.sqlite_lock import LockWait
from pohub.db.sqlite_turn import Turn
from tests.support import PATIENCE, FirstWait, WriterClock

META = MetaData()
ROWS = Table("turn_rows", META, Column("id", Integer, primary_key=True), Column("name", String(20), unique=True))
ADD = Prepared(insert(ROWS))
BOUNDS = [1, 8]  # group commit off and on


def _db(path: Path, bound: int, lock: LockWait | None = None) -> Database:
    return Database(f"sqlite:///{path}", pool_size=2, group_commit=bound, lock_wait=lock)


async def _created(path: Path, bound: int, lock: LockWait | None = None) -> Database:
    db = _db(path, bound, lock)
    async with db.write() as conn:
        await conn.run_sync(META.create_all)
    return db


def _turn_of(db: Database) -> Turn:
    turn = db._writes.turn if db._writes is not None else None
    assert turn is not None
    return turn


def _stored(path: Path) -> list[str]:
    with sqlite3.connect(path) as other:
        return [r[0] for r in other.execute("SELECT name FROM turn_rows ORDER BY id")]


async def _write(db: Database, name: str) -> None:
    async with db.write() as conn:
        await ADD.run(conn, {"name": name})


def _free(path: Path) -> bool:
    """No writer holds or waits for the turn: a fresh opening takes it at once (and lets it go)."""
    probe = Turn(str(path))
    try:
        return probe.try_take()
    finally:
        probe.close()


# A pohub writer in a process of its own: WRITES units of its own names, TASKS at a time.
WRITER = """
import asyncio, sys
from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from pohub.db.engine import Database
from pohub.db.fast import Prepared

ROWS = Table("turn_rows", MetaData(), Column("id", Integer, primary_key=True), Column("name", String(20)))
ADD = Prepared(insert(ROWS))
path, who, count, tasks, bound = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

async def main() -> None:
    db = Database(f"sqlite:///{path}", pool_size=2, group_commit=bound)
    names = iter(range(count))
    async def loop() -> None:
        for i in names:
            async with db.write() as conn:
                await ADD.run(conn, {"name": f"{who}{i}"})
    print("ready", flush=True)
    sys.stdin.readline()  # both processes start writing together
    await asyncio.gather(*(loop() for _ in range(tasks)))
    print(db._writes.turn.waits, flush=True)
    await db.dispose()

asyncio.run(main())
"""


@pytest.mark.parametrize("bound", BOUNDS)
async def test_two_processes_writing_one_file_land_every_write_once(tmp_path: Path, bound: int) -> None:
    path, count = tmp_path / "turn.db", 150
    db = await _created(path, bound)
    await db.dispose()
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WRITER,
            str(path),
            who,
            str(count),
            "4",
            str(bound),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for who in ("a", "b")
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert await asyncio.wait_for(proc.stdout.readline(), PATIENCE) == b"ready\n"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        outs = [await asyncio.wait_for(proc.communicate(), PATIENCE) for proc in procs]
        assert [proc.returncode for proc in procs] == [0, 0]
        assert all(int(out.decode().split()[-1]) >= 0 for out, _ in outs)  # each wrote to the end
        stored = _stored(path)
        assert sorted(stored) == sorted(f"{who}{i}" for who in "ab" for i in range(count))  # each once
        assert _free(path)  # both processes let go of it
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


@pytest.mark.parametrize("bound", BOUNDS)
async def test_a_write_waiting_for_the_turn_leaves_the_loop_running(tmp_path: Path, bound: int) -> None:
    path, waits = tmp_path / "turn.db", FirstWait()
    first, second = await _created(path, bound), _db(path, bound, LockWait(sleep=waits.sleep))
    try:
        holding, finish = asyncio.Event(), asyncio.Event()

        async def hold() -> None:
            async with first.write() as conn:
                await ADD.run(conn, {"name": "first"})
                holding.set()
                await finish.wait()  # across turns of the loop, as a group stays open

        held = asyncio.create_task(hold())
        await holding.wait()
        write = asyncio.create_task(_write(second, "second"))
        turn = _turn_of(second)
        await asyncio.wait_for(waits.waiting.wait(), PATIENCE)  # the loop ran on to its wait's timer
        async with second.read() as conn:  # a read meanwhile, on the same loop
            assert (await conn.exec_driver_sql("SELECT count(*) FROM turn_rows")).scalar() == 0
        assert not write.done() and not turn.held
        finish.set()
        await asyncio.wait_for(asyncio.gather(held, write), PATIENCE)
        assert _stored(path) == ["first", "second"] and turn.waits == 1
        assert _free(path)
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_writer_that_lets_go_cannot_take_the_turn_back_while_another_waits(tmp_path: Path) -> None:
    """The turnstile, step by step (no thread races: each wait is awaited before the next begins):
    a writer waiting for the turn is in the queue from its first try, so the holder, letting go and
    trying again at once (as its next unit does), finds it taken; they alternate, round after round."""
    path = str(tmp_path / "turn.db")
    first, second = Turn(path), Turn(path)
    try:
        assert first.try_take() and first.held and not first.contended()
        holder, waiter = first, second
        for _ in range(20):
            assert not waiter.try_take()  # in the queue now, before any thread of its own has run
            assert holder.contended()
            waiting = waiter.wait()
            holder.release()
            assert not holder.try_take()  # the waiter goes first; the old holder is queued behind it
            await asyncio.wait_for(waiting, PATIENCE)
            waiter.taken()
            assert waiter.held and not holder.held
            holder, waiter = waiter, holder
            # The old holder queued in try_take above: its wait goes on from there.
            waiting = waiter.wait()
            assert holder.contended()
            holder.release()
            await asyncio.wait_for(waiting, PATIENCE)
            waiter.taken()
            holder, waiter = waiter, holder
        assert first.waits == second.waits == 20
    finally:
        first.close()
        second.close()
    assert _free(tmp_path / "turn.db")


@pytest.mark.parametrize("bound", BOUNDS)
async def test_two_databases_in_one_loop_land_every_write_once(tmp_path: Path, bound: int) -> None:
    """Each Database keeps four writes in flight, each awaiting once inside its unit; they wait for
    each other's turns (on threads: the loop runs both) and every row lands once."""
    path, count = tmp_path / "turn.db", 60
    first, second = await _created(path, bound), _db(path, bound)
    try:

        async def writes(db: Database, who: str) -> None:
            names = iter(range(count))

            async def one_at_a_time() -> None:
                for i in names:
                    async with db.write() as conn:
                        await ADD.run(conn, {"name": f"{who}{i}"})
                        await asyncio.sleep(0)  # as a request's unit may: the others queue meanwhile

            await asyncio.gather(*(one_at_a_time() for _ in range(4)))

        await asyncio.wait_for(asyncio.gather(writes(first, "a"), writes(second, "b")), PATIENCE)
        stored = _stored(path)
        assert sorted(stored) == sorted(f"{who}{i}" for who in "ab" for i in range(count))
        assert _turn_of(first).waits + _turn_of(second).waits > 0
        assert _free(path)
    finally:
        await first.dispose()
        await second.dispose()


@pytest.mark.parametrize("bound", BOUNDS)
async def test_a_failed_unit_lets_go_of_the_turn(tmp_path: Path, bound: int) -> None:
    path = tmp_path / "turn.db"
    db = await _created(path, bound)
    try:
        with pytest.raises(RuntimeError):
            async with db.write() as conn:
                await ADD.run(conn, {"name": "undone"})
                assert not _free(path)  # held while the unit runs
                raise RuntimeError("the unit fails")
        assert _free(path) and not _turn_of(db).held
        with pytest.raises(Exception, match="UNIQUE"):  # a failing statement, then the unit
            async with db.write() as conn:
                await ADD.run(conn, {"name": "twice"})
                await ADD.run(conn, {"name": "twice"})
        assert _free(path)
        await _write(db, "kept")
        assert _stored(path) == ["kept"] and _free(path)
    finally:
        await db.dispose()


# Takes the turn, says so, and waits to be killed.
HOLDER = """
import sys, time
from pohub.db.sqlite_turn import Turn
turn = Turn(sys.argv[1])
assert turn.try_take()
print("held", flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("bound", BOUNDS)
async def test_the_kernel_lets_go_of_the_turn_of_a_process_that_dies(tmp_path: Path, bound: int) -> None:
    path, waits = tmp_path / "turn.db", FirstWait()
    db = await _created(path, bound, LockWait(sleep=waits.sleep))
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(path), stdout=asyncio.subprocess.PIPE
    )
    assert holder.stdout is not None
    try:
        assert await asyncio.wait_for(holder.stdout.readline(), PATIENCE) == b"held\n"
        write = asyncio.create_task(_write(db, "after"))
        await asyncio.wait_for(waits.waiting.wait(), PATIENCE)  # waiting for the dead-to-be holder
        assert not write.done()
        holder.kill()
        await holder.wait()
        await asyncio.wait_for(write, PATIENCE)  # the thread's flock returned when the holder died
        assert _stored(path) == ["after"] and _free(path)
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
        await db.dispose()


def _hold(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection holding SQLite's write lock."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO turn_rows (name) VALUES ('theirs')")
    return other


@pytest.mark.parametrize("bound", BOUNDS)
async def test_past_the_deadline_a_write_behind_a_held_turn_fails_as_it_did(tmp_path: Path, bound: int) -> None:
    """Another pohub writer holds the turn and SQLite's lock for ever: the wait for the turn and
    BEGIN's tries share one deadline, and the error is sqlite3's own ("database is locked", for
    BEGIN IMMEDIATE). The wait given up on lets go of the turn once it gets it."""
    path, clock = tmp_path / "turn.db", WriterClock()
    db = await _created(path, bound, LockWait(clock=clock, sleep=clock.sleep))
    other, rival = _hold(path), Turn(str(path))
    try:
        assert rival.try_take()
        with pytest.raises(OperationalError) as failed:
            await asyncio.wait_for(_write(db, "mine"), PATIENCE)
        assert "database is locked" in str(failed.value) and failed.value.statement == "BEGIN IMMEDIATE"
        assert type(failed.value.orig) is sqlite3.OperationalError
        assert sum(clock.delays) == pytest.approx(sqlite_lock.DEADLINE)
        assert max(clock.delays) == sqlite_lock.TICK  # all of it waiting for the turn
        assert not _turn_of(db).held
        other.execute("COMMIT")
        other.close()
        rival.release()
        await asyncio.wait_for(_write(db, "later"), PATIENCE)
        assert _stored(path) == ["theirs", "later"]
        # The given-up wait's thread took the turn when the rival let go, then closed its files.
        for _ in range(1000):
            if _free(path):
                break
            await asyncio.sleep(0.01)
        assert _free(path)
    finally:
        rival.close()
        await db.dispose()


@pytest.mark.parametrize("bound", BOUNDS)
async def test_past_the_deadline_a_held_turn_alone_does_not_stop_the_write(tmp_path: Path, bound: int) -> None:
    """The turn only orders pohub's writers: a holder that does not write (stuck, or not committing)
    delays a write by the deadline, after which BEGIN IMMEDIATE, free, goes ahead."""
    path, clock = tmp_path / "turn.db", WriterClock()
    db = await _created(path, bound, LockWait(clock=clock, sleep=clock.sleep))
    rival = Turn(str(path))
    try:
        assert rival.try_take()
        await asyncio.wait_for(_write(db, "mine"), PATIENCE)
        assert _stored(path) == ["mine"] and sum(clock.delays) == pytest.approx(sqlite_lock.DEADLINE)
    finally:
        rival.close()
        await db.dispose()


async def test_a_cancelled_wait_leaves_no_turn_behind(tmp_path: Path) -> None:
    path, waits = tmp_path / "turn.db", FirstWait()
    db = await _created(path, 8, LockWait(sleep=waits.sleep))
    rival = Turn(str(path))
    try:
        assert rival.try_take()
        write = asyncio.create_task(_write(db, "cancelled"))
        await asyncio.wait_for(waits.waiting.wait(), PATIENCE)
        write.cancel()
        with pytest.raises(asyncio.CancelledError):
            await write
        rival.release()
        for _ in range(1000):  # the abandoned thread takes the turn, then lets go of it
            if _free(path):
                break
            await asyncio.sleep(0.01)
        assert _free(path)
        await asyncio.wait_for(_write(db, "next"), PATIENCE)
        assert _stored(path) == ["next"]
    finally:
        rival.close()
        await db.dispose()


def test_no_turn_in_memory_or_where_its_files_cannot_be_made(tmp_path: Path) -> None:
    assert sqlite_turn.for_database(":memory:") is None
    assert sqlite_turn.for_database(str(tmp_path / "missing" / "dir" / "x.db")) is None
    turn = sqlite_turn.for_database(str(tmp_path / "x.db"))
    assert turn is not None
    turn.close()


# Waits for a turn held elsewhere, gives up (its deadline, say) and ends: the process must exit.
QUITTER = """
import asyncio, sys
from pohub.db.sqlite_turn import Turn

async def main() -> None:
    turn = Turn(sys.argv[1])
    assert not turn.try_take()
    waiting = turn.wait()
    await asyncio.sleep(0.01)
    assert not waiting.done()
    turn.give_up()
    turn.close()
    print("gave up", flush=True)

asyncio.run(main())
"""


async def test_a_wait_given_up_on_does_not_hold_up_the_process_exit(tmp_path: Path) -> None:
    """The thread still blocked in flock (the holder never lets go) is a daemon: the process ends."""
    path = tmp_path / "turn.db"
    holder = Turn(str(path))
    try:
        assert holder.try_take()
        quitter = await asyncio.create_subprocess_exec(
            sys.executable, "-c", QUITTER, str(path), stdout=asyncio.subprocess.PIPE
        )
        out, _ = await asyncio.wait_for(quitter.communicate(), PATIENCE)
        assert (out, quitter.returncode) == (b"gave up\n", 0)
        assert holder.held and not holder.contended()  # the quitter's queue went with its process
    finally:
        holder.close()
