"""PostgreSQL's units of work: on asyncpg connections kept checked out between units.

Through ``engine.begin()`` a unit pays for a pool checkout and return (with its reset-on-return
rollback), SQLAlchemy's transaction objects and their events, and a greenlet switch for each of
COMMIT and that reset: more CPU than the document's ``db/fast.Prepared`` statements together. Here
a unit takes an ``AsyncConnection`` it keeps between units and hands it to the caller as it is, so
``conn.execute``, ``conn.begin_nested()`` and ``Prepared`` work as before (SQLAlchemy begins its
transaction object on the first statement, asyncpg its transaction as SQLAlchemy's adapter always
does, lazily, under the adapter's mutex); the unit then ends the asyncpg transaction itself (one
COMMIT or ROLLBACK round trip, no greenlet) and closes SQLAlchemy's transaction object, which then
finds nothing left to do on the driver.

A read unit (``db.read()``) runs each statement on its own (asyncpg in autocommit, as SQLAlchemy's
AUTOCOMMIT level does): no BEGIN and no COMMIT, one round trip for a GET of one PO instead of three.
Under READ COMMITTED that changes nothing a query can see, since each statement of a transaction
takes a snapshot of its own anyway; what it would change is a write or a lock in a read unit (it
would commit, or be released, at once), so a read unit refuses them (``ReadUnitWrote``, before the
statement is sent). The connection is back in transactions when the unit ends, however it ends.

Semantics are PostgreSQL's own and unchanged: READ COMMITTED, row locks taken by the services, an
exception rolls the whole unit back (savepoints are SQLAlchemy's), errors are SQLAlchemy's
(IntegrityError ...), a crash leaves nothing of an uncommitted unit. At most ``size`` units run at
once (the pool's size plus overflow), a unit that finds none free within ``timeout`` fails with the
pool's TimeoutError, and connections beyond ``keep`` go back to the pool after their unit (it closes
overflow ones). A connection whose unit could not be ended cleanly goes back to the pool (whose
reset rolls it back, or which drops it when broken) and a fresh one is checked out next time.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pohub.db import unit_cache
from pohub.db.gates import free

log = logging.getLogger("pohub.db")

_SAVEPOINT_SEQ = "_Connection__savepoint_seq"  # sqlalchemy.engine.base.Connection's (2.1)

# What a read unit refuses: a statement that writes, changes the schema, or takes a lock.
_WRITES = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|TRUNCATE|SAVEPOINT|COPY|LOCK|GRANT|REVOKE)\b"
    r"|\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b"
    r"|^\s*WITH\b.*\b(INSERT|UPDATE|DELETE)\b",
    re.IGNORECASE | re.DOTALL,
)


class ReadUnitWrote(RuntimeError):
    """A statement that writes or locks ran in ``db.read()``: it belongs in ``db.write()``."""


@functools.lru_cache(maxsize=1024)
def writes(sql: str) -> bool:
    """Whether a read unit must refuse this statement (cached by text: the hot ones repeat)."""
    return _WRITES.search(sql) is not None


def refuse_writes(adapter: Any, sql: str) -> None:
    """Raise ReadUnitWrote when the connection is in a read unit and the statement writes."""
    if adapter.isolation_level == "autocommit" and writes(sql):
        raise ReadUnitWrote(f"db.read() cannot run {' '.join(sql.split())[:80]!r}: use db.write()")


def guard(engine: AsyncEngine) -> None:
    """Refuse writes in read units for statements that go through SQLAlchemy too."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _reads_read(conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _executemany: bool) -> None:
        refuse_writes(conn.connection.dbapi_connection, statement)


def adapter_of(conn: AsyncConnection) -> Any | None:
    """SQLAlchemy's asyncpg adapter under a usable AsyncConnection (None when it is not one)."""
    sync = conn.sync_connection
    if sync is None or sync.closed or sync.invalidated:
        return None
    adapter = sync.connection.dbapi_connection
    if adapter is None or adapter._connection.is_closed():
        return None
    return adapter


class PgUnits:
    """Units of work on up to ``size`` connections of one PostgreSQL engine, first come first served."""

    def __init__(self, engine: AsyncEngine, *, size: int, keep: int, timeout: float) -> None:
        from pohub.db.pg_fast import ASYNCPG_INTERNALS  # (db/pg_fast imports this module)

        if engine.dialect.driver != "asyncpg" or not ASYNCPG_INTERNALS:
            raise RuntimeError("PostgreSQL units of work need asyncpg and SQLAlchemy's asyncpg adapter")
        self.engine = engine
        self.size = size
        self.keep = keep
        self.timeout = timeout
        self._gate = asyncio.Semaphore(size)
        self._idle: list[AsyncConnection] = []
        guard(engine)

    def unit(self, *, read: bool = False) -> _Unit | _ReadUnit:
        """A unit of work (``async with``): a write unit, or with ``read`` a read unit (see above)."""
        return _ReadUnit(self) if read else _Unit(self, read)

    async def _enter(self, read: bool) -> tuple[AsyncConnection, Any]:
        if self._gate.locked():
            try:
                async with asyncio.timeout(self.timeout):
                    await self._gate.acquire()
            except TimeoutError:
                raise PoolTimeout(f"no PostgreSQL connection free within {self.timeout:g} s") from None
        else:
            await self._gate.acquire()  # free: taken at once, no timer to arm and cancel
        try:
            conn, kept = await self._take()
            unit_cache.open_for(conn, sqlite=False)
            adapter = (kept or adapter_of(conn)) if read else None
            if adapter is not None:
                adapter.autocommit = True  # the adapter then starts no transaction (see above)
        except BaseException:
            self._gate.release()
            raise
        return conn, adapter

    async def _exit(self, conn: AsyncConnection, adapter: Any, failed: bool) -> None:
        try:
            if adapter is not None:  # back in transactions before anything else sees it
                adapter.autocommit = False
            if failed:
                # The caller's error is the one to see; shielded so that a cancelled request still
                # ends its transaction (or hands the connection back to the pool) before it goes.
                try:
                    await asyncio.shield(self._end(conn, commit=False))
                except Exception:
                    log.warning("could not roll back a PostgreSQL unit of work", exc_info=True)
                return
            await self._end(conn, commit=True)
        finally:
            self._gate.release()

    async def _take(self) -> tuple[AsyncConnection, Any]:
        """A kept connection that is still usable, with its adapter; or a new one from the pool (its
        adapter None: not looked up)."""
        while self._idle:
            conn = self._idle.pop()
            adapter = adapter_of(conn)
            if adapter is not None:
                return conn, adapter
            await self._discard(conn)
        async with asyncio.timeout(self.timeout):  # the pool's own wait, should anything else hold some
            return await self.engine.connect(), None

    async def _end(self, conn: AsyncConnection, *, commit: bool) -> None:
        clean = False
        unit_cache.close_for(conn)  # first: nothing the unit looked up outlives it
        try:
            sync = conn.sync_connection
            adapter = adapter_of(conn)
            if adapter is None or sync is None or sync.in_nested_transaction():
                # Broken, or a savepoint left open: SQLAlchemy ends what it has (or the pool drops it).
                if adapter is not None:
                    await (conn.commit() if commit else conn.rollback())
                return
            if adapter._transaction is not None or adapter._execute_mutex.locked():  # else it returns at once
                await _end_driver(conn, adapter, commit=commit)
            if sync.in_transaction():
                # The driver has no transaction left, so SQLAlchemy's commit or rollback only closes
                # its objects: the adapter's commit() and rollback() do nothing (and need no greenlet).
                if commit:
                    sync.commit()
                else:
                    sync.rollback()
            clean = adapter._transaction is None and not sync.in_transaction()
            if clean and hasattr(sync, _SAVEPOINT_SEQ):
                # SQLAlchemy numbers savepoints per Connection, as a fresh checkout would start them:
                # on a kept one each would get a new name, so a new asyncpg prepared statement (a
                # Parse round trip, and a cache entry pushing out a hot statement).
                setattr(sync, _SAVEPOINT_SEQ, 0)
        finally:
            if clean and len(self._idle) < self.keep:
                self._idle.append(conn)
            else:
                await self._discard(conn)

    async def _discard(self, conn: AsyncConnection) -> None:
        """Back to the pool, whose reset rolls back whatever is left open; a connection the server
        closed is invalidated instead (the pool would hand it out again: it checks nothing)."""
        sync = conn.sync_connection
        if sync is not None and not sync.closed and not sync.invalidated:
            adapter = sync.connection.dbapi_connection
            if adapter is None or adapter._connection.is_closed():
                await conn.invalidate()
                return
        try:
            await conn.close()
        except Exception:  # the connection is broken: the pool drops it
            log.warning("could not return a PostgreSQL connection to its pool", exc_info=True)
            await conn.invalidate()

    @property
    def held(self) -> int:
        """Connections kept between units (checked out of the pool as far as it knows)."""
        return len(self._idle)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await self._discard(conn)


class _Unit:
    """``PgUnits.unit()``'s context manager: a class, not an ``@asynccontextmanager`` generator (whose
    ``__aenter__`` and ``__aexit__`` each drive the generator through another coroutine)."""

    __slots__ = ("_adapter", "_conn", "_read", "_units")

    def __init__(self, units: PgUnits, read: bool) -> None:
        self._units = units
        self._read = read

    async def __aenter__(self) -> AsyncConnection:
        self._conn, self._adapter = await self._units._enter(self._read)
        return self._conn

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        await self._units._exit(self._conn, self._adapter, exc_type is not None)
        return False  # the caller's error, if any, goes on as it is


class _ReadUnit:
    """``PgUnits.unit(read=True)``: ``_Unit``'s read unit with ``_enter`` and ``_exit`` done in its
    own two frames where nothing waits: a free gate taken as ``Semaphore.acquire`` takes it (its
    value less one), a kept connection that is still usable, and on the way out no driver
    transaction to end (a read unit runs in autocommit); anything else through ``PgUnits``' own
    ``_enter``, ``_take`` and ``_exit`` as before (``tests/integration/test_pg_units.py``)."""

    __slots__ = ("_adapter", "_conn", "_units")

    def __init__(self, units: PgUnits) -> None:
        self._units = units

    async def __aenter__(self) -> AsyncConnection:
        units = self._units
        gate = units._gate
        idle = units._idle
        if not (free(gate) and idle):
            self._conn, self._adapter = await units._enter(True)
            return self._conn
        gate._value -= 1  # Semaphore.acquire's own step when not locked()
        try:
            conn = idle[-1]
            adapter = adapter_of(conn)
            if adapter is None:  # the kept one broke: _take discards it and finds another
                conn, kept = await units._take()
                adapter = kept or adapter_of(conn)
            else:
                idle.pop()
            unit_cache.open_for(conn, sqlite=False)
            if adapter is not None:
                adapter.autocommit = True
        except BaseException:
            gate.release()
            raise
        self._conn, self._adapter = conn, adapter
        return conn

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        adapter, conn, units = self._adapter, self._conn, self._units
        if exc_type is not None or adapter is None:
            await units._exit(conn, adapter, exc_type is not None)
            return False
        try:
            adapter.autocommit = False
            await units._end(conn, commit=True)
        finally:
            units._gate.release()
        return False


def adapted_error(adapter: Any, exc: Exception) -> Exception:
    """The DB-API error SQLAlchemy's asyncpg adapter makes of an asyncpg exception (or the exception
    itself, when the adapter leaves it as it is)."""
    try:
        adapter._handle_exception(exc)
    except Exception as translated:
        return translated
    return exc


async def _end_driver(conn: AsyncConnection, adapter: Any, *, commit: bool) -> None:
    """COMMIT or ROLLBACK the asyncpg transaction, as the adapter's commit()/rollback() would: the
    transaction is done whether or not the statement succeeded; errors as SQLAlchemy raises them."""
    if adapter._transaction is None and not adapter._execute_mutex.locked():
        return  # nothing began (a read unit, or no statement ran), and no statement is under way
    async with adapter._execute_mutex:
        transaction = adapter._transaction
        if transaction is None:  # no statement ran (or autocommit): nothing began on the server
            return
        try:
            try:
                await (transaction.commit() if commit else transaction.rollback())
            finally:
                adapter._transaction = None
        except Exception as exc:
            adapted = adapted_error(adapter, exc)
            dialect: Any = conn.dialect
            dbapi = dialect.loaded_dbapi
            if isinstance(adapted, dbapi.Error):
                is_disconnect = dialect.is_disconnect(adapted, adapter, None)
                raise sa_exc.DBAPIError.instance(
                    "COMMIT" if commit else "ROLLBACK",
                    (),
                    adapted,
                    dbapi.Error,
                    dialect=dialect,
                    connection_invalidated=is_disconnect,
                ) from exc
            raise
