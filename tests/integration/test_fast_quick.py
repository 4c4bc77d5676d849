"""db/fast.Prepared.all and run take their SQLite road without _raw and _kept (stop 27) only where
_raw would give the same cursor and statement: once the connection is invalidated and connected
again, the first statements (before anything else looked the connection up) run on the new
driver's cursor, never the old one's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, text

from pohub.db import fast
from pohub.db.engine import Database
from pohub.db.migrate import upgrade_async
from pohub.partners.models import companies


def _driver(conn: Any) -> Any:
    return conn.sync_connection.connection.driver_connection._conn


async def test_the_quick_road_follows_the_connection(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'quick.db'}"
    await upgrade_async(url)
    db = Database(url, pool_size=1)
    add = fast.Prepared(
        companies.insert().values(name=bindparam("name"), created_at=bindparam("at", type_=companies.c.created_at.type))
    )
    read = fast.Prepared(select(companies.c.id, companies.c.name).order_by(companies.c.id))
    rename = fast.Prepared(
        companies.update().where(companies.c.id == bindparam("b_id")).values(name=bindparam("b_name"))
    )
    at = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    try:
        async with db.writer.connect() as conn:
            await add.many(conn, [{"name": n, "at": at} for n in "ab"])
            assert [tuple(r) for r in await read.all(conn, {})] == [(1, "a"), (2, "b")]
            await rename.run(conn, {"b_id": 1, "b_name": "A"})
            assert isinstance(read._sqlite, fast._Compiled) and isinstance(rename._sqlite, fast._Compiled)
            await conn.commit()
            await conn.invalidate()
            assert fast._kept(conn) is None  # (what _raw would find: none, so conn.execute)
            await conn.rollback()
            await conn.execute(text("SELECT 1"))  # connects again, on a new driver connection
            # Nothing has looked the new connection up yet: the statements themselves must.
            await rename.run(conn, {"b_id": 2, "b_name": "B"})
            assert [tuple(r) for r in await read.all(conn, {})] == [(1, "A"), (2, "B")]
            kept = fast._kept(conn)
            assert kept is not None and kept[1] is _driver(conn)
    finally:
        await db.dispose()
