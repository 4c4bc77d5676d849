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
nothing of it (it never committed), and BEGIN IMMEDIATE with busy_timeout serializes writers across
processes. A connection whose unit could not be ended cleanly goes back to the pool (whose reset
rolls it back) and a fresh one is checked out next time.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pohub.db import unit_cache

log = logging.getLogger("pohub.db")


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
        raise DBAPIError.instance(sql, (), exc, sqlite3.Error) from exc


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
    ) -> None:
        self.engine = engine
        # None (reads): no BEGIN. Each statement then reads in a transaction of its own, as reads do
        # on PostgreSQL (db/pg_units: READ COMMITTED, no BEGIN), and a one-statement read (GET one
        # order, a search page) saves BEGIN and COMMIT, two of its three sqlite3 calls.
        self.begin = begin
        # Awaited once a unit holds its place and before it begins (the writer's: see Checkpointer).
        self.prepare = prepare
        # As the pool's own pool_timeout: a unit that cannot get a connection in time fails with
        # SQLAlchemy's TimeoutError instead of queueing for ever (None: wait, as writes always have).
        self.timeout = timeout
        # asyncio's Lock hands a freed connection to the longest waiter (see Database.__init__).
        self._gate: asyncio.Lock | asyncio.Semaphore = asyncio.Lock() if size == 1 else asyncio.Semaphore(size)
        self._idle: list[AsyncConnection] = []

    @asynccontextmanager
    async def unit(self, *, after: Callable[[], None] | None = None) -> AsyncIterator[AsyncConnection]:
        """A unit of work; ``after`` is called once it has committed (not when it fails)."""
        if self._gate.locked():
            try:
                async with asyncio.timeout(self.timeout):
                    await self._gate.acquire()
            except TimeoutError:
                raise PoolTimeout(f"no SQLite connection free within {self.timeout:g} s") from None
        else:
            await self._gate.acquire()  # free: taken at once, no timer to arm and cancel
        try:
            if self.prepare is not None:
                await self.prepare()
            conn, raw = await self._take()
            if self.begin is not None:
                try:
                    execute(raw, self.begin)
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
            self._gate.release()
        if after is not None:
            after()

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
