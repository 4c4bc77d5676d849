"""db/fast binds a binary value as a bytearray on SQLite (stop 27: SQLAlchemy's processor makes a
memoryview, which sqlite3 adapts first at ~3.4 k instructions): what it stores must be what
SQLAlchemy's own execute stores, byte for byte and as the same SQL type, for every kind of value a
caller gives (bytes, memoryview, bytearray, empty, None), through each road (one row, many rows, an
UPDATE, lastrowid), on both databases."""

from __future__ import annotations

import random
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    text,
    update,
)

from pohub.db.engine import Database
from pohub.db.fast import Prepared

_META = MetaData()


def _table() -> Table:
    return Table(
        f"blob_probe_{uuid.uuid4().hex[:8]}",
        _META,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("road", String(20), nullable=False),
        Column("data", LargeBinary, nullable=True),
    )


def _values(rng: random.Random) -> list[Any]:
    out: list[Any] = [b"", None, b"\x00", bytearray(b"\x00\xff"), memoryview(b"abc"), b"{}" * 900]
    for _ in range(30):
        raw = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 3000)))
        out.append(rng.choice([raw, memoryview(raw), bytearray(raw)]))
    return out


async def test_a_blob_is_stored_as_sqlalchemy_stores_it(db_url: str) -> None:
    rng = random.Random(27)
    table = _table()
    db = Database(db_url, pool_size=1)
    try:
        async with db.write() as conn:
            await conn.run_sync(lambda sync: table.create(sync))
        one = Prepared(insert(table))
        many = Prepared(insert(table))
        rowid = Prepared(insert(table))
        change = Prepared(update(table).where(table.c.id == bindparam("b_id")).values(data=bindparam("b_data")))
        values = _values(rng)
        async with db.write() as conn:
            for value in values:
                await conn.execute(insert(table).values(road="sqlalchemy", data=value))
                await one.run(conn, {"road": "run", "data": value})
                if await rowid.rowid(conn, {"road": "rowid", "data": value}) is None:  # not SQLite
                    await one.run(conn, {"road": "rowid", "data": value})
            await many.many(conn, [{"road": "many", "data": v} for v in values])
            await many.many(conn, [{"road": "many-set", "data": b"x"} for _ in values])
            ids = [
                r[0]
                for r in (await conn.execute(text(f"SELECT id FROM {table.name} WHERE road = 'many-set' ORDER BY id")))
            ]
            for row_id, value in zip(ids, values, strict=True):
                await change.run(conn, {"b_id": row_id, "b_data": value})
        typeof = "pg_typeof(data)::text" if db_url.startswith("postgresql") else "typeof(data)"
        async with db.read() as conn:
            rows = (await conn.execute(text(f"SELECT road, {typeof}, data FROM {table.name} ORDER BY id"))).all()
        by_road: dict[str, list[tuple[Any, Any]]] = {}
        for road, kind, data in rows:
            by_road.setdefault(road, []).append((kind, data))
        expected = by_road["sqlalchemy"]
        assert [d for _, d in expected] == [None if v is None else bytes(v) for v in values]
        for road in ("run", "rowid", "many", "many-set"):
            assert by_road[road] == expected, road
        if not db_url.startswith("postgresql"):
            assert {k for k, _ in expected} == {"blob", "null"}
    finally:
        async with db.write() as conn:
            await conn.run_sync(lambda sync: table.drop(sync))
        await db.dispose()
