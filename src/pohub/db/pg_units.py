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
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pohub.db.fast import ASYNCPG_INTERNALS

log = logging.getLogger("pohub.db")

_SAVEPOINT_SEQ = "_Connection__savepoint_seq"  # sqlalchemy.engine.base.Connection's (2.1)


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
        if engine.dialect.driver != "asyncpg" or not ASYNCPG_INTERNALS:
            raise RuntimeError("PostgreSQL units of work need asyncpg and SQLAlchemy's asyncpg adapter")
        self.engine = engine
        self.size = size
        self.keep = keep
        self.timeout = timeout
        self._gate = asyncio.Semaphore(size)
        self._idle: list[AsyncConnection] = []

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with asyncio.timeout(self.timeout):
                await self._gate.acquire()
        except TimeoutError:
            raise PoolTimeout(f"no PostgreSQL connection free within {self.timeout:g} s") from None
        try:
            conn = await self._take()
            try:
                yield conn
            except BaseException:
                # The caller's error is the one to see; shielded so that a cancelled request still
                # ends its transaction (or hands the connection back to the pool) before it goes.
                try:
                    await asyncio.shield(self._end(conn, commit=False))
                except Exception:
                    log.warning("could not roll back a PostgreSQL unit of work", exc_info=True)
                raise
            await self._end(conn, commit=True)
        finally:
            self._gate.release()

    async def _take(self) -> AsyncConnection:
        while self._idle:
            conn = self._idle.pop()
            if adapter_of(conn) is not None:
                return conn
            await self._discard(conn)
        async with asyncio.timeout(self.timeout):  # the pool's own wait, should anything else hold some
            return await self.engine.connect()

    async def _end(self, conn: AsyncConnection, *, commit: bool) -> None:
        clean = False
        try:
            sync = conn.sync_connection
            adapter = adapter_of(conn)
            if adapter is None or sync is None or sync.in_nested_transaction():
                # Broken, or a savepoint left open: SQLAlchemy ends what it has (or the pool drops it).
                if adapter is not None:
                    await (conn.commit() if commit else conn.rollback())
                return
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


async def _end_driver(conn: AsyncConnection, adapter: Any, *, commit: bool) -> None:
    """COMMIT or ROLLBACK the asyncpg transaction, as the adapter's commit()/rollback() would: the
    transaction is done whether or not the statement succeeded; errors as SQLAlchemy raises them."""
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
            adapted: Exception = exc
            try:
                adapter._handle_exception(exc)
            except Exception as translated:
                adapted = translated
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
