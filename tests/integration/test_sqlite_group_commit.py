"""Group commit on SQLite (db/sqlite_units.py): write units that queue for the writer share one
COMMIT, each after the first in a savepoint of its own. The rules it keeps: a unit returns (and its
``after`` runs) only once its rows are durable, readers see nothing of a group before its COMMIT, a
failing unit undoes only its own rows (on sqlite3 and through SQLAlchemy alike), a failing COMMIT
fails every unit of its group and stores nothing, the bound holds, first come first served, and a
bound of 1 commits each unit alone as before. Real SQLite files; the units queue because the first
one waits on an event inside its transaction, as a unit waiting on anything would."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.db.engine import Database
from pohub.db.fast import Prepared
from pohub.db.sqlite_units import Units, sqlite3_of
from tests.support import PATIENCE

META = MetaData()
ROWS = Table("group_rows", META, Column("id", Integer, primary_key=True), Column("name", String(20), unique=True))
PARENTS = Table("group_parents", META, Column("id", Integer, primary_key=True))
# Checked at COMMIT (DEFERRABLE INITIALLY DEFERRED): a child without its parent fails the COMMIT.
CHILDREN = Table(
    "group_children",
    META,
    Column("id", Integer, primary_key=True),
    Column("parent_id", Integer, ForeignKey("group_parents.id", deferrable=True, initially="DEFERRED")),
)
ADD = Prepared(insert(ROWS))  # straight on sqlite3 (db/fast.py)
Body = Callable[[AsyncConnection], Awaitable[None]]


class _Undo(Exception):
    """Raised to fail a unit of work."""


class Writer:
    """A Database on a file of its own, with its COMMITs and SAVEPOINTs counted."""

    def __init__(self, path: Path, bound: int) -> None:
        self.path = path
        self.db = Database(f"sqlite:///{path}", pool_size=2, group_commit=bound)
        self.statements: list[str] = []

    @property
    def units(self) -> Units:
        units = self.db._writes
        assert units is not None
        return units

    def count(self, sql: str) -> int:
        return sum(1 for s in self.statements if s == sql)

    async def setup(self) -> None:
        async with self.db.write() as conn:
            await conn.run_sync(META.create_all)
            raw = sqlite3_of(conn)
            assert raw is not None
            raw.set_trace_callback(self.statements.append)  # the writer's one connection, kept
        self.statements.clear()

    def stored(self) -> list[str]:
        """The rows, as another process would read them."""
        with sqlite3.connect(self.path) as other:
            return [r[0] for r in other.execute("SELECT name FROM group_rows ORDER BY id")]

    async def read(self) -> list[str]:
        async with self.db.read() as conn:
            return [r.name for r in (await conn.execute(select(ROWS.c.name).order_by(ROWS.c.id))).all()]

    def queued(self, n: int) -> Callable[[], bool]:
        return lambda: self.units.waiting == n

    async def queue(self, held: Body, bodies: list[Body], after: Callable[[str], None] | None = None) -> list[object]:
        """``held`` runs first and waits until every body's unit queues behind it; each body then runs
        in the order it queued. What each unit ended with: None, or its exception."""
        started, release = asyncio.Event(), asyncio.Event()

        async def first(conn: AsyncConnection) -> None:
            await held(conn)
            started.set()
            await release.wait()

        async def one(i: int, body: Body) -> object:
            try:
                async with self.db.write() if after is None else self.units.unit(after=lambda: after(str(i))) as c:
                    await body(c)
            except Exception as exc:
                return exc
            return None

        tasks = [asyncio.create_task(one(0, first))]
        await asyncio.wait_for(started.wait(), PATIENCE)  # the first holds the writer
        for i, body in enumerate(bodies, 1):
            tasks.append(asyncio.create_task(one(i, body)))
            await until(self.queued(i))  # queued in this order
        release.set()
        return await asyncio.wait_for(asyncio.gather(*tasks), PATIENCE)


async def until(done: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not done():  # noqa: ASYNC110 (a count of the writer's own, with no event to wait on)
            await asyncio.sleep(0)

    await asyncio.wait_for(poll(), PATIENCE)


def add(name: str) -> Body:
    async def body(conn: AsyncConnection) -> None:
        await ADD.run(conn, {"name": name})

    return body


def add_then_fail(name: str) -> Body:
    async def body(conn: AsyncConnection) -> None:
        await ADD.run(conn, {"name": name})
        raise _Undo(name)

    return body


@pytest.fixture
async def writer(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Writer]:
    w = Writer(tmp_path / "group.db", getattr(request, "param", 8))
    await w.setup()
    try:
        yield w
    finally:
        await w.db.dispose()


async def test_queued_units_share_one_commit(writer: Writer) -> None:
    results = await writer.queue(add("a"), [add("b"), add("c"), add("d")])
    assert results == [None] * 4
    assert writer.count("COMMIT") == 1
    assert writer.count("SAVEPOINT pohub_unit") == 3  # every unit after the first
    assert writer.stored() == ["a", "b", "c", "d"]  # first come first served


@pytest.mark.parametrize(("writer", "commits"), [(8, 1), (1, 4)], indirect=["writer"])
async def test_units_started_together_share_a_commit(writer: Writer, commits: int) -> None:
    """Units never wait inside on SQLite (db/sqlite_inline.py): a unit that ends with no one queued
    lets the loop's turn finish, and the units under way queue for its transaction."""
    await asyncio.wait_for(asyncio.gather(*(_write(writer, add(n)) for n in "abcd")), PATIENCE)
    assert writer.count("COMMIT") == commits
    assert writer.stored() == ["a", "b", "c", "d"]


@pytest.mark.parametrize("writer", [3], indirect=True)
async def test_a_group_holds_at_most_its_bound(writer: Writer) -> None:
    names = list("bcdefg")
    results = await writer.queue(add("a"), [add(n) for n in names])
    assert results == [None] * 7
    assert writer.count("COMMIT") == 3  # a b c | d e f | g
    assert writer.stored() == ["a", *names]


@pytest.mark.parametrize("writer", [1], indirect=True)
async def test_a_bound_of_one_commits_each_unit_alone(writer: Writer) -> None:
    results = await writer.queue(add("a"), [add("b"), add("c")])
    assert results == [None] * 3
    assert writer.count("COMMIT") == 3
    assert not any("SAVEPOINT" in s for s in writer.statements)
    assert writer.stored() == ["a", "b", "c"]


async def test_a_failing_unit_amid_a_group_undoes_only_its_own_rows(writer: Writer) -> None:
    results = await writer.queue(add("a"), [add("b"), add_then_fail("c"), add("d")])
    assert [type(r) for r in results] == [type(None), type(None), _Undo, type(None)]
    assert writer.count("COMMIT") == 1
    assert writer.stored() == ["a", "b", "d"]


async def test_the_last_unit_failing_still_commits_the_group(writer: Writer) -> None:
    results = await writer.queue(add("a"), [add("b"), add_then_fail("c")])
    assert isinstance(results[2], _Undo)
    assert results[:2] == [None, None]
    assert writer.stored() == ["a", "b"]
    async with writer.db.write() as conn:  # the writer goes on
        await ADD.run(conn, {"name": "e"})
    assert writer.stored() == ["a", "b", "e"]


async def test_a_failing_first_unit_leaves_the_group_to_the_next(writer: Writer) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with writer.db.write() as conn:
            await ADD.run(conn, {"name": "a"})
            started.set()
            await release.wait()
            raise _Undo("a")

    task = asyncio.create_task(first())
    await asyncio.wait_for(started.wait(), PATIENCE)
    later = [asyncio.create_task(_write(writer, add(n))) for n in "bc"]
    await until(writer.queued(2))
    release.set()
    with pytest.raises(_Undo):
        await asyncio.wait_for(task, PATIENCE)
    await asyncio.wait_for(asyncio.gather(*later), PATIENCE)
    assert writer.stored() == ["b", "c"]


async def _write(writer: Writer, body: Body) -> None:
    async with writer.db.write() as conn:
        await body(conn)


async def test_a_failing_unit_through_sqlalchemy_undoes_only_its_own_rows(writer: Writer) -> None:
    async def through_sqlalchemy(conn: AsyncConnection) -> None:
        await conn.execute(insert(ROWS).values(name="c1"))
        async with conn.begin_nested():
            await conn.execute(insert(ROWS).values(name="c2"))
        await ADD.run(conn, {"name": "c3"})
        raise _Undo("c")

    async def sqlalchemy_ok(conn: AsyncConnection) -> None:
        await conn.execute(insert(ROWS).values(name="b"))

    results = await writer.queue(add("a"), [sqlalchemy_ok, through_sqlalchemy, add("d")])
    assert isinstance(results[2], _Undo)
    assert writer.count("COMMIT") == 1
    assert writer.stored() == ["a", "b", "d"]


async def test_a_rollback_through_sqlalchemy_undoes_only_the_units_part(writer: Writer) -> None:
    """conn.rollback() inside a unit of a group rolls back that unit's savepoint, not the group."""

    async def rolls_back(conn: AsyncConnection) -> None:
        await conn.execute(insert(ROWS).values(name="undone"))
        await conn.rollback()
        await conn.execute(insert(ROWS).values(name="c"))

    results = await writer.queue(add("a"), [add("b"), rolls_back, add("d")])
    assert results == [None] * 4
    assert writer.stored() == ["a", "b", "c", "d"]


async def test_a_failing_unit_in_a_savepoint_of_its_own_through_sqlalchemy(writer: Writer) -> None:
    """A refused savepoint inside a grouped unit (conn.begin_nested, as inbound.receive_in uses)
    undoes its part only; the unit and its group go on."""

    async def nested(conn: AsyncConnection) -> None:
        await ADD.run(conn, {"name": "c"})
        with pytest.raises(IntegrityError):
            async with conn.begin_nested():
                await conn.execute(insert(ROWS).values(name="a"))  # a's, in the group: unique
        await conn.execute(insert(ROWS).values(name="c2"))

    results = await writer.queue(add("a"), [add("b"), nested])
    assert results == [None] * 3
    assert writer.stored() == ["a", "b", "c", "c2"]


async def test_units_return_and_run_after_only_once_committed(writer: Writer) -> None:
    """Neither a reader of the writer's Database nor another process sees a group before its COMMIT;
    each unit's ``after`` finds its rows stored."""
    seen: dict[str, list[str]] = {}
    during: list[list[str]] = []

    async def b(conn: AsyncConnection) -> None:
        await ADD.run(conn, {"name": "b"})

    async def c(conn: AsyncConnection) -> None:
        # b ended (its unit waits for the group's COMMIT): nothing of a or b is visible yet.
        during.append(await writer.read())
        during.append(writer.stored())
        await ADD.run(conn, {"name": "c"})

    results = await writer.queue(add("a"), [b, c], after=lambda i: seen.__setitem__(i, writer.stored()))
    assert results == [None] * 3
    assert during == [[], []]
    assert seen == {"0": ["a", "b", "c"], "1": ["a", "b", "c"], "2": ["a", "b", "c"]}
    assert writer.count("COMMIT") == 1


async def test_a_failing_commit_fails_the_whole_group_and_stores_nothing(writer: Writer) -> None:
    async def orphan(conn: AsyncConnection) -> None:
        await conn.execute(insert(CHILDREN).values(id=1, parent_id=99))  # checked at COMMIT

    results = await writer.queue(add("a"), [add("b"), orphan, add("d")])
    assert all(isinstance(r, IntegrityError) for r in results), results
    assert writer.stored() == []
    with sqlite3.connect(writer.path) as other:
        assert other.execute("SELECT count(*) FROM group_children").fetchone() == (0,)
    async with writer.db.write() as conn:  # the writer goes on
        await ADD.run(conn, {"name": "e"})
    assert writer.stored() == ["e"]


async def test_a_group_handed_to_a_unit_that_gave_up_still_commits(writer: Writer) -> None:
    """The unit a transaction was handed to is cancelled before it runs: the group commits anyway."""
    started, release = asyncio.Event(), asyncio.Event()
    cancel: list[asyncio.Task[None]] = []

    async def first() -> None:
        async with writer.db.write() as conn:
            await ADD.run(conn, {"name": "a"})
            started.set()
            await release.wait()
            cancel[0].cancel()  # still queued (counted): this unit hands its transaction to it

    task = asyncio.create_task(first())
    await asyncio.wait_for(started.wait(), PATIENCE)
    cancel.append(asyncio.create_task(_write(writer, add("b"))))
    await until(writer.queued(1))
    release.set()
    await asyncio.wait_for(task, PATIENCE)
    with pytest.raises(asyncio.CancelledError):
        await cancel[0]
    assert writer.stored() == ["a"]


async def test_a_commit_through_sqlalchemy_commits_the_group_so_far(writer: Writer) -> None:
    """conn.commit() inside a unit of a group makes its rows durable as it did alone: with the
    group's earlier units (they ended well), and the unit goes on in a transaction of its own."""
    during: list[list[str]] = []

    async def commits(conn: AsyncConnection) -> None:
        await conn.execute(insert(ROWS).values(name="c1"))
        await conn.commit()
        during.append(writer.stored())
        await conn.execute(insert(ROWS).values(name="c2"))

    results = await writer.queue(add("a"), [add("b"), commits, add("d")])
    assert results == [None] * 4
    assert during == [["a", "b", "c1"]]
    assert writer.stored() == ["a", "b", "c1", "c2", "d"]
