"""db/fast keeps the sqlite3 connection it found on the SQLAlchemy Connection, with the driver
adapter it came from: the same adapter gives it back; an invalidated or closed connection gives
none (its statements then take conn.execute, which refuses or reconnects as SQLAlchemy does); a
connection connected again gives the new driver's sqlite3, never the old one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select, text

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
