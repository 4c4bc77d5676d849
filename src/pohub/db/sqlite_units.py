"""SQLite's units of work: BEGIN ... COMMIT straight on sqlite3, on connections kept checked out.

Through SQLAlchemy, a unit of work that runs only ``db/fast.Prepared`` statements still pays for a
pool checkout and return (with its reset-on-return ROLLBACK), the transaction objects and their
events, and a greenlet switch for each of COMMIT and that ROLLBACK: about as much CPU as all the
document's statements together. Here a unit takes an ``AsyncConnection`` it keeps between units,
issues BEGIN (IMMEDIATE, for the writer) and COMMIT or ROLLBACK on its sqlite3 connection, and
hands the same ``AsyncConnection`` to the caller, so ``conn.execute`` and ``conn.begin_nested()``
work as before: SQLAlchemy then begins its own transaction object on top of the open one (the
engine's begin listener sees sqlite3 is in a transaction and issues nothing) and the unit ends it
through SQLAlchemy, which commits or rolls back the same sqlite3 transaction.

Semantics are SQLite's own and unchanged: an exception rolls the whole unit back, a crash leaves
nothing of it (it never committed), and BEGIN IMMEDIATE serializes writers across processes (while
another connection holds the lock, a unit's BEGIN waits on the event loop: db/sqlite_lock.py). A
connection whose unit could not be ended cleanly goes back to the pool (whose reset rolls it back)
and a fresh one is checked out next time.

Group commit (the writer, ``group`` > 1): COMMIT is a document's dearest statement (the WAL's frames
written), and consecutive documents change many of the same pages (order_counts, each index's last
leaf). So a unit that ends while another waits for the writer does not commit: it hands its open
transaction to the next unit and waits for the group's COMMIT before it returns (its caller answers,
and ``after`` runs, only once its rows are durable). The last unit of a group (no one waiting, or
``group`` units in it) commits and wakes the others. Every unit after the first runs in a SAVEPOINT
of its own, so a failing unit undoes only its own part and fails at once; a failing COMMIT fails
every unit of its group (after a rollback: nothing of it is stored). Readers see nothing of a group
before its COMMIT, and other writers (processes, or Databases on the same file) wait for its lock
without holding up their loops (db/sqlite_turn.py, db/sqlite_lock.py), so a group open across a turn
of this loop still ends. While another writer waits for the turn, a unit that ends with no one queued
here commits at once instead of letting this loop turn first with the lock held.
Through SQLAlchemy a unit's commit() and rollback() reach sqlite3 through db/sqlite_inline.Connection,
which hands them to the unit (``_Member``) while one runs: a rollback undoes that unit's savepoint,
never the group.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy.exc import StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pohub.db import sqlite_inline, unit_cache
from pohub.db.gates import free
from pohub.db.sqlite_lock import LockWait, wrapped
from pohub.db.sqlite_turn import Turn

log = logging.getLogger("pohub.db")

SAVEPOINT = "pohub_unit"  # the savepoint of each unit after a group's first


def sqlite3_of(conn: AsyncConnection) -> sqlite3.Connection | None:
    """The sqlite3 connection under an AsyncConnection on db/sqlite_inline (None otherwise)."""
    sync = conn.sync_connection
    if sync is None or sync.closed or sync.invalidated:
        return None
    inner = getattr(sync.connection.driver_connection, "_conn", None)
    return inner if isinstance(inner, sqlite3.Connection) else None


def execute(raw: sqlite3.Connection, sql: str) -> None:
    """A statement without parameters, failing as SQLAlchemy would (OperationalError ...)."""
    try:
        raw.execute(sql).close()
    except sqlite3.Error as exc:
        raise wrapped(sql, exc) from exc


def _driver_of(conn: AsyncConnection) -> sqlite_inline.Connection:
    driver = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
    assert isinstance(driver, sqlite_inline.Connection)
    return driver


def _lost(sql: str) -> StatementError:
    """The group's sqlite3 transaction is gone (the connection was invalidated, or a unit ended it)."""
    return wrapped(sql, sqlite3.OperationalError("the group's transaction was lost"))


class _Group:
    """A write transaction that finished units left open for the next unit to go on with."""

    __slots__ = ("conn", "done", "driver", "raw", "units")

    def __init__(self, conn: AsyncConnection, raw: sqlite3.Connection, driver: sqlite_inline.Connection) -> None:
        self.conn = conn
        self.raw = raw
        self.driver = driver
        self.units = 0  # units that ran in this transaction (the one running included)
        self.done: asyncio.Future[None] | None = None  # set when it commits; made for the first to wait

    def waiter(self) -> asyncio.Future[None]:
        if self.done is None:
            self.done = asyncio.get_running_loop().create_future()
        return self.done

    def settle(self, error: BaseException | None) -> None:
        """Wake the units that wait for this transaction's COMMIT (with its error, if it failed)."""
        done = self.done
        if done is None or done.done():
            return
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
            done.exception()  # retrieved: a waiter that was cancelled meanwhile leaves no warning


class _Member:
    """What a unit's commit() or rollback() through SQLAlchemy does while it runs in a group (set on
    the db/sqlite_inline connection): a rollback undoes the unit's own part only (its savepoint; the
    whole transaction for a group's first unit, which holds nothing else), and a commit commits the
    group so far (every other unit in it had ended well) and the unit goes on in a new transaction,
    as it did on its own. At the unit's end (``deferred``) both only end SQLAlchemy's transaction
    object: the unit then ends its part itself."""

    __slots__ = ("deferred", "group", "savepoint")

    def __init__(self, group: _Group, *, savepoint: bool) -> None:
        self.group = group
        self.savepoint = savepoint
        self.deferred = False

    def rollback(self) -> None:
        if self.deferred:
            return
        raw = self.group.raw
        if self.savepoint:
            execute(raw, f"ROLLBACK TO {SAVEPOINT}")  # the savepoint stays: the unit goes on in it
        else:
            raw.rollback()

    def commit(self) -> None:
        if self.deferred:
            return
        group, raw = self.group, self.group.raw
        try:
            if self.savepoint:
                execute(raw, f"RELEASE {SAVEPOINT}")
            raw.commit()
        except BaseException as exc:
            if raw.in_transaction:
                raw.rollback()
            group.settle(exc)
            raise
        group.settle(None)
        fresh = _Group(group.conn, raw, group.driver)
        fresh.units = 1
        self.group, self.savepoint = fresh, False


class Units:
    """Units of work on up to ``size`` connections of one engine, first come first served."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        begin: str | None,
        size: int,
        timeout: float | None = None,
        prepare: Callable[[], Awaitable[None]] | None = None,
        group: int = 1,
        lock: LockWait | None = None,
        turn: Turn | None = None,
    ) -> None:
        self.engine = engine
        # The writer's turn among pohub's writers on the file (db/sqlite_turn.py): taken before BEGIN,
        # let go once no transaction of these units is open (``_settle_turn``); closed with the units.
        self.turn = turn
        # How BEGIN waits while another connection holds the write lock (db/sqlite_lock.py).
        self.lock = lock if lock is not None else LockWait()
        # None (reads): no BEGIN. Each statement then reads in a transaction of its own, as reads do
        # on PostgreSQL (db/pg_units: READ COMMITTED, no BEGIN), and a one-statement read (GET one
        # order, a search page) saves BEGIN and COMMIT, two of its three sqlite3 calls.
        self.begin = begin
        # Awaited once a unit holds its place and before it begins (the writer's: see Checkpointer).
        self.prepare = prepare
        # As the pool's own pool_timeout: a unit that cannot get a connection in time fails with
        # SQLAlchemy's TimeoutError instead of queueing for ever (None: wait, as writes always have).
        self.timeout = timeout
        # At most this many units share one COMMIT (the module's docstring); 1: each commits alone.
        # Only for one connection with a BEGIN: the units of a group run one after the other on it.
        if group > 1 and (size != 1 or begin is None):
            raise ValueError("group commit needs one connection and a BEGIN")
        self.group = max(group, 1)
        # asyncio's Lock hands a freed connection to the longest waiter (see Database.__init__).
        self._gate: asyncio.Lock | asyncio.Semaphore = asyncio.Lock() if size == 1 else asyncio.Semaphore(size)
        self._idle: list[AsyncConnection] = []
        self._waiting = 0  # units waiting for the gate (our own count: asyncio's is private)
        self._open: _Group | None = None  # a transaction handed on, for the next unit to go on with
        self._flushes: set[asyncio.Task[None]] = set()

    @property
    def waiting(self) -> int:
        """Units waiting for the gate (the tests wait for a queue to form)."""
        return self._waiting

    def unit(self, *, after: Callable[[], None] | None = None) -> AbstractAsyncContextManager[AsyncConnection]:
        """A unit of work; ``after`` is called once it has committed (not when it fails)."""
        if self.group > 1:
            return self._grouped(after)
        if self.begin is None and after is None and self.prepare is None and self.turn is None:
            return _ReadUnit(self)
        return self._alone(after)

    @asynccontextmanager
    async def _alone(self, after: Callable[[], None] | None) -> AsyncIterator[AsyncConnection]:
        if self._gate.locked():
            self._waiting += 1
            try:
                async with asyncio.timeout(self.timeout):
                    await self._gate.acquire()
            except TimeoutError:
                raise PoolTimeout(f"no SQLite connection free within {self.timeout:g} s") from None
            finally:
                self._waiting -= 1
        else:
            await self._gate.acquire()  # free: taken at once, no timer to arm and cancel
        try:
            if self.prepare is not None:
                await self.prepare()
            conn, raw = await self._take()
            if self.begin is not None:
                try:
                    await self.lock.begin(raw, self.begin, self.turn)
                except BaseException:
                    await self._discard(conn)
                    raise
            unit_cache.open_for(conn, sqlite=True)
            try:
                yield conn
            except BaseException:
                await self._end(conn, raw, commit=False)
                raise
            await self._end(conn, raw, commit=True)
        finally:
            self._settle_turn()
            self._gate.release()
        if after is not None:
            after()

    @asynccontextmanager
    async def _grouped(self, after: Callable[[], None] | None) -> AsyncIterator[AsyncConnection]:
        """A writer's unit that may share its COMMIT with the units queued behind it."""
        self._waiting += 1  # from here until it holds the gate: a unit ending then hands on to it
        try:
            if self.timeout is None or not self._gate.locked():
                await self._gate.acquire()
            else:
                async with asyncio.timeout(self.timeout):
                    await self._gate.acquire()
        except BaseException as exc:
            self._waiting -= 1
            if self._open is not None:  # it may have been handed this transaction: see that it ends
                self._flush_soon()
            if isinstance(exc, TimeoutError):
                raise PoolTimeout(f"no SQLite connection free within {self.timeout:g} s") from None
            raise
        self._waiting -= 1
        done: asyncio.Future[None] | None = None
        try:
            group, self._open = self._open, None
            if group is None:
                if self.prepare is not None:
                    await self.prepare()
                conn, raw = await self._take()
                try:
                    await self.lock.begin(raw, self.begin or "BEGIN", self.turn)
                except BaseException:
                    await self._discard(conn)
                    raise
                group = _Group(conn, raw, _driver_of(conn))
                member = _Member(group, savepoint=False)
            else:
                try:
                    execute(group.raw, f"SAVEPOINT {SAVEPOINT}")
                except BaseException as exc:
                    await self._abandon(group, exc)
                    raise
                member = _Member(group, savepoint=True)
            group.units += 1
            conn = group.conn
            unit_cache.open_for(conn, sqlite=True)
            group.driver.unit = member
            try:
                yield conn
            except BaseException:
                await self._fail(member)
                raise
            done = await self._succeed(member)
        finally:
            self._settle_turn()
            self._gate.release()
        if done is not None:
            await asyncio.shield(done)  # cancelled: the group still commits, without this caller
        if after is not None:
            after()

    async def _end_orm(self, member: _Member, *, commit: bool) -> bool:
        """Close the unit's lookups and SQLAlchemy's transaction object (nothing reaches sqlite3);
        True when the group's sqlite3 transaction is still there to go on with."""
        group = member.group
        conn = group.conn
        unit_cache.close_for(conn)
        member.deferred = True
        try:
            if conn.in_transaction():
                await (conn.commit() if commit else conn.rollback())
        finally:
            group.driver.unit = None
        return sqlite3_of(conn) is group.raw and group.raw.in_transaction

    async def _succeed(self, member: _Member) -> asyncio.Future[None] | None:
        """The unit ended well: hand its transaction on (the future its COMMIT sets) or commit it."""
        group = member.group
        try:
            intact = await self._end_orm(member, commit=True)
            if not intact and member.savepoint:  # lost under the group (the connection invalidated ...)
                raise _lost("COMMIT")
            if intact and member.savepoint:
                execute(group.raw, f"RELEASE {SAVEPOINT}")
        except BaseException as exc:
            await self._abandon(group, exc)
            raise
        if not intact:  # the first unit ended its transaction itself: COMMIT fails as it did alone
            await self._commit(group)
            return None
        if not self._waiting and group.units < self.group and not self._turn_wanted():
            # No one queued yet: let the loop finish its turn first. Units on the event loop's thread
            # never wait inside (db/sqlite_inline.py), so requests already under way reach the gate
            # only now; those that do queue for this transaction. Not while another process waits
            # for the write: the whole turn of this loop (parsing requests, answering) would pass
            # with the file's write lock held and idle.
            try:
                await asyncio.sleep(0)
            except BaseException:
                await self._commit(group)
                raise
        if self._waiting and group.units < self.group:
            self._open = group
            return group.waiter()
        await self._commit(group)
        return None

    async def _fail(self, member: _Member) -> None:
        """The unit failed: undo its own part; the group's earlier units go on (or commit now)."""
        group = member.group
        if not member.savepoint:  # the group's first unit: all of the transaction is its own
            group.driver.unit = None  # so SQLAlchemy's rollback, if it joined, rolls it all back
            await self._end(group.conn, group.raw, commit=False)
            return
        try:
            intact = await self._end_orm(member, commit=False)
            if not intact:
                raise _lost("ROLLBACK")
            execute(group.raw, f"ROLLBACK TO {SAVEPOINT}")
            execute(group.raw, f"RELEASE {SAVEPOINT}")
        except BaseException as exc:
            await self._abandon(group, exc)
            return  # the unit raises its own error; the group's waiters get this one
        if self._waiting and group.units < self.group:
            self._open = group
            return
        try:
            await self._commit(group)
        except Exception:  # the group's waiters have it; this unit raises its own error
            log.warning("a group commit after a failed unit failed", exc_info=True)

    async def _commit(self, group: _Group) -> None:
        try:
            execute(group.raw, "COMMIT")
        except BaseException as exc:
            await self._abandon(group, exc)
            raise
        self._idle.append(group.conn)
        group.settle(None)

    async def _abandon(self, group: _Group, error: BaseException) -> None:
        """The group's transaction cannot go on: roll back all of it and fail its waiting units."""
        group.driver.unit = None
        try:
            raw = sqlite3_of(group.conn)
            if raw is group.raw and raw.in_transaction:
                raw.rollback()
            clean = raw is group.raw and not raw.in_transaction
        except sqlite3.Error:
            clean = False
        if clean:
            self._idle.append(group.conn)
        else:
            await self._discard(group.conn)
        group.settle(error)

    def _turn_wanted(self) -> bool:
        return self.turn is not None and self.turn.contended()

    def _settle_turn(self) -> None:
        """Called by the unit holding the gate as it ends: with no transaction handed on, the
        write is over and the next writer on the file may take its turn."""
        if self.turn is not None and self._open is None:
            self.turn.release()

    def _flush_soon(self) -> None:
        """A unit handed its transaction to one that gave up waiting: commit it once the gate is free
        (if no other unit took it on meanwhile)."""
        task = asyncio.get_running_loop().create_task(self._flush())
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _flush(self) -> None:
        async with self._gate:
            group, self._open = self._open, None
            if group is not None:
                try:
                    await self._commit(group)
                except Exception:  # its units have the error
                    log.warning("a group commit failed", exc_info=True)
                finally:
                    self._settle_turn()

    async def _take(self) -> tuple[AsyncConnection, sqlite3.Connection]:
        while self._idle:
            conn = self._idle.pop()
            raw = sqlite3_of(conn)
            if raw is not None:
                return conn, raw
            await self._discard(conn)
        conn = await self.engine.connect()
        raw = sqlite3_of(conn)
        if raw is None:  # not db/sqlite_inline: nothing here would work
            await conn.close()
            raise RuntimeError("SQLite units of work need the inline sqlite3 module (db/sqlite_inline.py)")
        return conn, raw

    async def _end(self, conn: AsyncConnection, raw: sqlite3.Connection, *, commit: bool) -> None:
        clean = False
        unit_cache.close_for(conn)  # first: nothing the unit looked up outlives it
        try:
            if conn.in_transaction():  # a statement went through SQLAlchemy: it ends what it joined
                await (conn.commit() if commit else conn.rollback())
            elif self.begin is None and not raw.in_transaction:
                pass  # a read unit's statements each ran in their own read transaction
            elif commit:
                execute(raw, "COMMIT")
            else:
                raw.rollback()
            clean = not raw.in_transaction
        finally:
            if clean:
                self._idle.append(conn)
            else:
                await self._discard(conn)

    async def _discard(self, conn: AsyncConnection) -> None:
        """Back to the pool, whose reset rolls back whatever is left open."""
        try:
            await conn.close()
        except Exception:  # the connection is broken: the pool drops it
            log.warning("could not return a SQLite connection to its pool", exc_info=True)
            await conn.invalidate()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()
        if self.turn is not None:
            self.turn.close()


class _ReadUnit:
    """``Units.unit()`` for reads (no BEGIN, nothing to prepare, no turn, no ``after``): ``_alone``'s
    work in two frames of its own where the gate is free and a connection is kept, without an async
    generator (asyncio tracks each in a WeakSet) and ``locked()``'s two looks at the waiters (a GET
    one PO is one statement: the frames around it are most of its unit). A gate that is taken or
    waited for, or no connection kept, goes through ``_alone`` as before."""

    __slots__ = ("_conn", "_raw", "_slow", "_units")

    def __init__(self, units: Units) -> None:
        self._units = units
        self._slow: AbstractAsyncContextManager[AsyncConnection] | None = None

    async def __aenter__(self) -> AsyncConnection:
        units = self._units
        gate = units._gate
        if not (type(gate) is asyncio.Semaphore and free(gate) and units._idle):
            self._slow = units._alone(None)
            return await self._slow.__aenter__()
        gate._value -= 1  # Semaphore.acquire's own step when the gate is free
        try:
            conn, raw = await units._take()
            unit_cache.open_for(conn, sqlite=True)
        except BaseException:
            gate.release()
            raise
        self._conn, self._raw = conn, raw
        return conn

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        if self._slow is not None:
            return bool(await self._slow.__aexit__(exc_type, exc, tb))
        units = self._units
        try:
            await units._end(self._conn, self._raw, commit=exc_type is None)
        finally:
            units._gate.release()
        return False  # the caller's error, if any, goes on as it is
