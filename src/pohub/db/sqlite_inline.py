"""An aiosqlite-compatible module that runs sqlite3 calls on the event loop's own thread.

aiosqlite sends every call (cursor, execute, fetch, close) to a helper thread and back: about four
thread round trips per statement, more than half a millisecond each on a busy two-core machine,
while the SQLite call itself takes microseconds. SQLAlchemy's aiosqlite dialect takes this module
in its place (``module=``), so the async API, pooling and dialect stay exactly as they were.

The cost: a statement that waits for SQLite's file lock inside sqlite3 holds the event loop for that
wait. Within one Database writes queue on the writer's one connection instead, and the writer's
BEGIN IMMEDIATE, the one statement that waits for another writer (another process, or another
Database on the same file), waits on the loop's timers (db/sqlite_lock.py), not inside sqlite3.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any, Protocol

DatabaseError = sqlite3.DatabaseError
Error = sqlite3.Error
IntegrityError = sqlite3.IntegrityError
NotSupportedError = sqlite3.NotSupportedError
OperationalError = sqlite3.OperationalError
ProgrammingError = sqlite3.ProgrammingError
sqlite_version = sqlite3.sqlite_version
sqlite_version_info = sqlite3.sqlite_version_info


class Cursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _Immediate:
    """Stands in for aiosqlite's queue to its thread: runs the function at once."""

    def put_nowait(self, item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(exc)


class UnitEnd(Protocol):
    """What commit() and rollback() do while a unit of a group commit runs (db/sqlite_units._Member)."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class Connection:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        # Set by db/sqlite_units while a unit runs in a group commit: its sqlite3 transaction holds
        # other units' work too, so SQLAlchemy's commit and rollback end the unit's part, not it.
        self.unit: UnitEnd | None = None
        self._connection: sqlite3.Connection | None = conn  # aiosqlite's "still open" marker
        self._tx = _Immediate()
        self._thread = SimpleNamespace(daemon=True)

    def __await__(self) -> Any:
        async def ready() -> Connection:
            return self

        return ready().__await__()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> Cursor:
        return Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        return Cursor(self._conn.execute(sql, parameters))

    async def commit(self) -> None:
        if self.unit is not None:
            self.unit.commit()
        else:
            self._conn.commit()

    async def rollback(self) -> None:
        if self.unit is not None:
            self.unit.rollback()
        else:
            self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)


def connect(database: str, *args: Any, **kw: Any) -> Connection:
    kw["check_same_thread"] = False
    return Connection(sqlite3.connect(database, *args, **kw))


def dbapi() -> Any:
    """This module adapted for SQLAlchemy's aiosqlite dialect (``create_async_engine(module=...)``)."""
    import sys

    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

    return AsyncAdapt_aiosqlite_dbapi(sys.modules[__name__], sqlite3)
