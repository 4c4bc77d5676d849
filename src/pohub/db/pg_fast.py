"""PostgreSQL's road for db/fast.Prepared: a compiled statement run on the transaction's own asyncpg
connection, as SQLAlchemy's asyncpg cursor runs it, with less Python around each round trip.

What SQLAlchemy's adapter does for a statement, this does too, in the same order and with the same
objects: SQLAlchemy's transaction begun as ``conn.execute`` would autobegin it, the adapter's mutex
held, asyncpg's transaction started lazily by the adapter (none in a read unit: db/pg_units.py), the
prepared statement taken from (and kept in) the adapter's own per-connection cache under its own
invalidation rules (a migration's DDL invalidates it exactly as it does SQLAlchemy's), errors
translated as SQLAlchemy translates them. What it leaves out is only the layers in between, about as
much client CPU as the round trip itself on uvloop (docs/postgresql-performance.md): the coroutine
frames of the adapter's ``_prepare`` and of asyncpg's ``PreparedStatement.fetch`` wrappers, and the
mutex's ``async with``. When anything is not as that short road expects (a statement not yet
cached, or stale; a schema reload due), it takes the adapter's and asyncpg's own calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asyncpg import exceptions as apg_exc
from asyncpg.prepared_stmt import PreparedStatement
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import asyncpg as _sa_asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.db.pg_units import adapted_error, refuse_writes

if TYPE_CHECKING:
    from pohub.db.fast import Row, _Compiled

# SQLAlchemy's asyncpg adapter internals used here and in db/pg_units.py (as of 2.1; the adapter's
# are __slots__, so present on the class). A release without any of them makes Prepared go through
# conn.execute on PostgreSQL: slower, never wrong.
_ADAPTER_PARTS = (
    "_execute_mutex",
    "_transaction",
    "_start_transaction",
    "_prepare",
    "_handle_exception",
    "_prepared_statement_cache",
    "_invalidate_schema_cache_asof",
)
_DIALECT_PARTS = ("_invalidate_schema_cache_asof", "_invalidate_schema_cache")
# asyncpg's own (0.2x-0.3x): what PreparedStatement.fetch does around its protocol call.
_ASYNCPG_PARTS = hasattr(apg_exc, "OutdatedSchemaCacheError") and all(
    hasattr(PreparedStatement, a) for a in ("_state", "_connection", "_check_conn_validity", "_last_status")
)
ASYNCPG_INTERNALS = (
    all(hasattr(_sa_asyncpg.AsyncAdapt_asyncpg_connection, a) for a in _ADAPTER_PARTS)
    and all(hasattr(_sa_asyncpg.PGDialect_asyncpg, a) for a in _DIALECT_PARTS)
    and _ASYNCPG_PARTS
)


def _cached(adapter: Any, sql: str, asof: float) -> tuple[Any, Any] | None:
    """The adapter's prepared statement and its attributes when its ``_prepare`` would return them
    without awaiting anything (no schema reload due, cached and fresh), else None. Read as it reads
    them: the LRU cache's ``get`` counts the use as its ``[]`` does."""
    if asof > adapter._invalidate_schema_cache_asof:
        return None  # _prepare reloads asyncpg's schema state first
    cache = adapter._prepared_statement_cache
    entry = cache.get(sql) if cache is not None else None
    if entry is None or not entry[2] > asof:
        return None
    return entry[0], entry[1]


async def _fetch(stmt: Any, args: tuple[Any, ...]) -> list[Any]:
    """``stmt.fetch(*args)`` as asyncpg runs it (the same checks, protocol call, status and stale
    statement handling) without its wrapper coroutines."""
    stmt._check_conn_validity("fetch")  # what connresource.guarded checks
    connection = stmt._connection
    state = stmt._state
    try:
        data, status, _ = await connection._protocol.bind_execute(state, args, "", 0, True, None)
    except apg_exc.OutdatedSchemaCacheError:  # as PreparedStatement.__do_execute handles it
        await connection.reload_schema_state()
        state.mark_closed()
        raise
    stmt._last_status = status
    return data  # type: ignore[no-any-return]


async def execute(
    conn: AsyncConnection, compiled: _Compiled, values: list[tuple[Any, ...]], *, rows: bool, many: bool = False
) -> list[Row]:
    """Run on the transaction's asyncpg connection as SQLAlchemy's asyncpg cursor does: the same
    transaction start, the same statement cache and invalidation, the same error translation."""
    sync = conn.sync_connection
    assert sync is not None
    adapter: Any = sync.connection.dbapi_connection
    sql = compiled.sql
    if adapter.isolation_level == "autocommit":  # a read unit (db/pg_units.py)
        refuse_writes(adapter, sql)
    elif not sync.in_transaction():  # as conn.execute would autobegin (asyncpg's own BEGIN is below)
        # (In a read unit the driver begins nothing, so there is nothing for SQLAlchemy's
        # transaction object to end either: a conn.execute there still autobegins one.)
        sync.begin()
    dialect: Any = sync.dialect
    mutex = adapter._execute_mutex
    await mutex.acquire()  # (async with costs two more coroutine frames: the same lock, held alike)
    try:
        if adapter._transaction is None:
            await adapter._start_transaction()
        try:
            asof = dialect._invalidate_schema_cache_asof
            found = _cached(adapter, sql, asof)
            stmt, attributes = found if found is not None else await adapter._prepare(sql, asof)
            if many:
                await stmt.executemany(values)
                return []
            records = await _fetch(stmt, values[0])
        except Exception as exc:
            adapted = adapted_error(adapter, exc)
            dbapi = dialect.loaded_dbapi
            if isinstance(adapted, (dbapi.InvalidCachedStatementError, dbapi.InternalServerError)):
                dialect._invalidate_schema_cache()  # as PGExecutionContext_asyncpg does
            if isinstance(adapted, dbapi.Error):
                raise sa_exc.DBAPIError.instance(
                    sql, values if many else values[0], adapted, dbapi.Error, dialect=dialect
                ) from exc
            raise
    finally:
        mutex.release()
    return compiled.pg_rows(records, attributes) if rows else []
