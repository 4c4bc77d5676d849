"""db/fast keeps the sqlite3 connection it found on the SQLAlchemy Connection, with the driver
adapter it came from: the same adapter gives it back; an invalidated or closed connection gives
none (its statements then take conn.execute, which refuses or reconnects as SQLAlchemy does); a
connection connected again gives the new driver's sqlite3, never the old one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError

from pohub.db import fast
from pohub.db.engine import Database
from pohub.db.migrate import upgrade_async
from pohub.partners.models import companies


def _driver(conn: Any) -> Any:
    return conn.sync_connection.connection.driver_connection._conn


async def test_the_kept_sqlite3_follows_the_connection(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kept.db'}"
    await upgrade_async(url)
    db = Database(url, pool_size=1)
    one = fast.Prepared(select(companies.c.id).where(companies.c.id == 1))
    try:
        async with db.writer.connect() as conn:
            first = fast._sqlite3_of(conn)
            assert first is not None and first is _driver(conn)
            assert fast._sqlite3_of(conn) is first
            assert await one.all(conn, {}) == []
            await conn.invalidate()
            assert fast._sqlite3_of(conn) is None
            await conn.rollback()
            await conn.execute(text("SELECT 1"))  # connects again, on a new driver connection
            again = fast._sqlite3_of(conn)
            assert again is not None and again is _driver(conn) and again is not first
            assert await one.all(conn, {}) == []
        assert fast._sqlite3_of(conn) is None  # closed
    finally:
        await db.dispose()


def _cursor(conn: Any) -> Any:
    kept = fast._kept(conn)
    return None if kept is None else kept[2]


async def test_the_kept_cursor_is_of_the_kept_sqlite3_and_goes_with_it(tmp_path: Path) -> None:
    """Prepared runs every statement of a connection on one cursor (stop 27): it is of the kept
    sqlite3, the same for every statement, and a new one once the connection is connected again.
    Statements of every kind, one after the other on it, answer what each answers alone."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cursor.db'}"
    await upgrade_async(url)
    db = Database(url, pool_size=1)
    at = "2026-12-04 19:00:00"
    add = fast.Prepared(
        companies.insert().values(name=bindparam("name"), created_at=bindparam("at", type_=companies.c.created_at.type))
    )
    read = fast.Prepared(select(companies.c.id, companies.c.name).order_by(companies.c.id))
    rename = fast.Prepared(
        companies.update().where(companies.c.id == bindparam("b_id")).values(name=bindparam("b_name"))
    )
    try:
        async with db.writer.connect() as conn:
            cursor = _cursor(conn)
            assert cursor is not None and cursor.connection is fast._sqlite3_of(conn)
            first = await add.rowid(conn, {"name": "a", "at": datetime.fromisoformat(at + "+00:00")})
            await add.many(conn, [{"name": n, "at": datetime.fromisoformat(at + "+00:00")} for n in "bcd"])
            second = await add.rowid(conn, {"name": "e", "at": datetime.fromisoformat(at + "+00:00")})
            assert (first, second) == (1, 5)
            await rename.run(conn, {"b_id": 2, "b_name": "B"})
            assert [tuple(r) for r in await read.all(conn, {})] == [(1, "a"), (2, "B"), (3, "c"), (4, "d"), (5, "e")]
            assert (await read.first(conn, {})).name == "a"
            with pytest.raises(IntegrityError):  # a refused statement leaves the cursor usable
                await add.rowid(conn, {"name": "a", "at": datetime.fromisoformat(at + "+00:00")})
            assert len(await read.all(conn, {})) == 5
            assert _cursor(conn) is cursor
            await conn.invalidate()
            assert _cursor(conn) is None
            await conn.rollback()
            await conn.execute(text("SELECT 1"))  # connects again, on a new driver connection
            again = _cursor(conn)
            assert again is not None and again is not cursor and again.connection is _driver(conn)
            assert len(await read.all(conn, {})) == 5  # (outside a unit of work each statement commits)
        assert _cursor(conn) is None  # closed
    finally:
        await db.dispose()
