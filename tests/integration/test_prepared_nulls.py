"""db/fast writes a None parameter as NULL in the statement's SQLite text instead of binding it
(sqlite3 adapts every bound None: ~3.5 k instructions each). What it stores and reads back must be
what SQLAlchemy's own execute stores and reads, for every mix of Nones (more mixes than the
variants a statement keeps), through run, all and many, INSERTs and UPDATEs, on both databases."""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.db.base import AwareDateTime, BigId, MoneyColumn
from pohub.db.engine import Database
from pohub.db.fast import NULL_VARIANTS, Prepared, _Nulls
from pohub.db.migrate import upgrade_async

NULLABLE = ("s", "n", "m", "t", "b", "d", "k", "z")


def _tables(tag: str) -> tuple[MetaData, Table, Table]:
    meta = MetaData()

    def table(name: str) -> Table:
        return Table(
            f"nulls_{name}_{tag}",
            meta,
            Column("id", BigId, primary_key=True),
            Column("req", String(20), nullable=False),
            Column("s", String(40)),
            Column("n", Integer),
            Column("m", MoneyColumn),
            Column("t", AwareDateTime()),
            Column("b", LargeBinary),
            # An explicit None stores NULL, not the default, on either road.
            Column("d", String(10), server_default="dflt"),
            Column("k", String(10)),
            Column("z", Integer),
        )

    return meta, table("fast"), table("slow")


def _value(rng: random.Random, column: str) -> Any:
    zone = timezone(timedelta(hours=rng.choice((0, 2, -5))))
    return {
        "s": lambda: rng.choice(("", "x", "ünï", "a" * 40)),
        "n": lambda: rng.choice((0, -1, 7, 2**31 - 1)),
        "m": lambda: rng.choice((Decimal("31.020000"), Decimal("-0.5"), Decimal("1E+2"), Decimal(0))),
        "t": lambda: datetime(2026, rng.randint(1, 12), 3, 4, 5, 6, rng.choice((0, 123456)), tzinfo=zone),
        "b": lambda: rng.choice((b"", b"\x00raw", bytes(range(256)))),
        "d": lambda: rng.choice(("", "given")),
        "k": lambda: "k",
        "z": lambda: rng.randint(-5, 5),
    }[column]()


def _row(rng: random.Random, i: int) -> dict[str, Any]:
    """A row with a random set of Nones (256 sets: more than a statement's variants)."""
    return {"req": f"r{i}"} | {c: None if rng.random() < 0.5 else _value(rng, c) for c in NULLABLE}


async def _rows(conn: AsyncConnection, table: Table) -> list[tuple[Any, ...]]:
    rows = (await conn.execute(select(table).order_by(table.c.id))).all()
    return [tuple(r) for r in rows]


def _same(mine: list[tuple[Any, ...]], theirs: list[tuple[Any, ...]]) -> None:
    assert mine == theirs
    assert [[type(v) for v in r] for r in mine] == [[type(v) for v in r] for r in theirs]


async def test_nulls_written_in_store_and_read_what_sqlalchemy_does(db_url: str) -> None:
    meta, fast, slow = _tables(uuid.uuid4().hex[:8])
    add = Prepared(insert(fast))
    add_returning = Prepared(insert(fast).returning(fast.c.id, fast.c.m, fast.c.t, fast.c.b, fast.c.d))
    change = Prepared(
        update(fast).where(fast.c.id == bindparam("row_id")).values({c: bindparam(f"u_{c}") for c in NULLABLE})
    )
    rng = random.Random(25)
    db = Database(db_url, pool_size=1)
    try:
        async with db.write() as conn:
            await conn.run_sync(meta.create_all)
        try:
            async with db.write() as conn:
                count = 0
                for step in range(120):
                    how = step % 3
                    batch = [_row(rng, count + j) for j in range(1 if how < 2 else rng.randint(1, 6))]
                    count += len(batch)
                    if how == 0:
                        await add.run(conn, batch[0])
                    elif how == 1:
                        mine = await add_returning.all(conn, batch[0])
                        oracle = insert(slow).returning(slow.c.id, slow.c.m, slow.c.t, slow.c.b, slow.c.d)
                        theirs = (await conn.execute(oracle, batch[0])).all()
                        _same([tuple(r) for r in mine], [tuple(r) for r in theirs])
                        continue
                    else:
                        await add.many(conn, batch)
                    await conn.execute(insert(slow), batch)
                _same(await _rows(conn, fast), await _rows(conn, slow))

                for step in range(120):
                    ids = rng.sample(range(1, count + 1), rng.randint(1, 5))
                    params = [{"row_id": i} | {f"u_{c}": v for c, v in _row(rng, 0).items() if c != "req"} for i in ids]
                    if step % 2 == 0:
                        await change.run(conn, params[0])
                        params = params[:1]
                    else:
                        await change.many(conn, params)
                    oracle = update(slow).where(slow.c.id == bindparam("row_id"))
                    await conn.execute(oracle.values({c: bindparam(f"u_{c}") for c in NULLABLE}), params)
                _same(await _rows(conn, fast), await _rows(conn, slow))
                stored = await _rows(conn, fast)
                assert any(r[NULLABLE.index("d") + 2] is None for r in stored)  # explicit None, not the default
        finally:
            async with db.write() as conn:
                await conn.run_sync(meta.drop_all)
    finally:
        await db.dispose()


async def test_a_null_written_in_fails_as_a_bound_none_does(db_url: str) -> None:
    """A None for a NOT NULL column is bound (as before), and raises SQLAlchemy's IntegrityError."""
    meta, fast, _ = _tables(uuid.uuid4().hex[:8])
    db = Database(db_url, pool_size=1)
    try:
        async with db.write() as conn:
            await conn.run_sync(meta.create_all)
        try:
            for run in ("run", "many"):
                with pytest.raises(IntegrityError):
                    async with db.write() as conn:
                        row = {"req": None} | dict.fromkeys(NULLABLE)
                        add = Prepared(insert(fast))
                        await (add.run(conn, row) if run == "run" else add.many(conn, [row, row]))
        finally:
            async with db.write() as conn:
                await conn.run_sync(meta.drop_all)
    finally:
        await db.dispose()


@contextmanager
def _nones_adapted() -> Iterator[list[int]]:
    """Counts the Nones sqlite3 adapts (every None it is given to bind) while the block runs."""
    seen = [0]

    def adapt(value: None) -> None:
        seen[0] += 1
        return value

    key = (type(None), sqlite3.PrepareProtocol)
    sqlite3.register_adapter(type(None), adapt)
    try:
        yield seen
    finally:
        sqlite3.adapters.pop(key, None)


async def test_prepared_binds_no_none_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nulls.db'}"
    await upgrade_async(url)
    meta, fast, slow = _tables("adapt")
    db = Database(url)
    try:
        async with db.write() as conn:
            await conn.run_sync(meta.create_all)
        rows = [{"req": "a"} | dict.fromkeys(NULLABLE), {"req": "b"} | dict.fromkeys(NULLABLE) | {"s": "x"}]
        async with db.write() as conn:
            await Prepared(insert(fast)).run(conn, rows[1])  # compiled and its variant made before counting
            add = Prepared(insert(fast))
            with _nones_adapted() as adapted:
                await add.run(conn, rows[0])
                await add.many(conn, [rows[0], rows[0]])
                await Prepared(insert(fast).returning(fast.c.id)).all(conn, rows[1])
            assert adapted[0] == 0
            with _nones_adapted() as adapted:  # one executemany: NULL written where every row has None
                await add.many(conn, rows)
            assert adapted[0] == 1  # row a's s, which row b gives
            with _nones_adapted() as adapted:
                await conn.execute(insert(slow), rows[0])
            assert adapted[0] == len(NULLABLE)  # the counter sees what SQLAlchemy's road binds
    finally:
        await db.dispose()


def test_a_statement_keeps_at_most_its_variants() -> None:
    nulls = _Nulls("INSERT INTO t (a, b, c, d, e) VALUES (?, ?, ?, ?, ?)", 5, [0, 1, 2, 3, 4])
    texts = set()
    for mask in range(32):
        nones = tuple(bool(mask >> i & 1) for i in range(5))
        sql, keep = nulls.of(nones)
        values = tuple(None if none else i for i, none in enumerate(nones))
        bound = values if keep is None else keep(values)
        assert sql.count("?") == len(bound)
        if keep is not None:
            assert None not in bound and sql.count("NULL") == sum(nones)
        texts.add(sql)
    assert len(texts) == NULL_VARIANTS + 1  # and the statement itself
    # Quoted text could hold a "?" that is not a parameter: such a statement binds as before.
    quoted = _Nulls("SELECT x FROM t WHERE a = ? AND b = 'what?'", 1, [0])
    assert quoted.checked == () and quoted.of(()) == ("SELECT x FROM t WHERE a = ? AND b = 'what?'", None)


async def test_a_variant_made_by_many_gets_its_branch(tmp_path: Path) -> None:
    """A set of Nones first met by ``many`` is given a branch in the one-row function at its next
    miss, so single rows with it do not take the slow road every time."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'branches.db'}"
    await upgrade_async(url)
    meta, fast, _ = _tables("branches")
    db = Database(url)
    try:
        async with db.write() as conn:
            await conn.run_sync(meta.create_all)
        row = {"req": "a"} | dict.fromkeys(NULLABLE) | {"s": "x"}
        add = Prepared(insert(fast))
        async with db.write() as conn:
            await add.many(conn, [row, row])
            compiled = next(c for c in add._compiled.values() if c is not None)
            assert compiled._branches < len(compiled.nulls.variants)
            await add.run(conn, row)
            assert compiled._branches == len(compiled.nulls.variants)
            count = (await conn.execute(select(fast.c.id))).all()
            assert len(count) == 3
    finally:
        await db.dispose()
