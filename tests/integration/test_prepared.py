"""db/fast.Prepared runs the hot path's statements on SQLite's driver: what it stores and reads back
must be exactly what SQLAlchemy's own execute stores and reads (exact decimals, aware times,
booleans, NULLs), and a violated constraint must raise the same IntegrityError, on both databases."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pohub.db.engine import Checkpointer, Database
from pohub.db.fast import ASYNCPG_INTERNALS
from pohub.documents import repository as repo
from pohub.documents.models import documents, order_lines
from pohub.orders.store import LineChange
from pohub.partners import service as partners
from tests.support import order_row


class _Undo(Exception):
    """Raised to roll the unit of work back."""


async def test_prepared_statements_store_and_read_what_sqlalchemy_does(db_url: str) -> None:
    db = Database(db_url, pool_size=1)
    at = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=timezone(timedelta(hours=2)))
    try:
        with pytest.raises(_Undo):
            async with db.write() as conn:
                tag = uuid.uuid4().hex[:8]
                buyer = await partners.add_company(conn, name=f"prep-buyer-{tag}")
                supplier = await partners.add_company(conn, name=f"prep-supplier-{tag}")
                values = order_row(
                    buyer.id, supplier.id, at, total=Decimal("12345678901234.123456"), raw='{"PartnerPO": "x"}'
                )
                order_id = await repo.insert_document(conn, values)

                stored = (await conn.execute(select(documents).where(documents.c.id == order_id))).one()
                assert stored.total == Decimal("12345678901234.123456")
                assert stored.document_date == at and stored.document_date.tzinfo is not None
                assert stored.float_safe is False
                assert stored.number is None and stored.raw == values["raw"]

                locked = await repo.lock_order(conn, doc_id=order_id)
                assert (locked.id, locked.status, locked.partner_po) == (order_id, 150, values["partner_po"])
                assert locked._mapping["sender_company_id"] == buyer.id

                await repo.insert_lines(
                    conn,
                    [
                        {
                            "order_id": order_id,
                            "position": i,
                            "line_number": f"0{i + 1}",
                            "line_key": str(i + 1),
                            "supplier_sku": f"SKU-{i}",
                            "partner_sku": None,
                            "description": None,
                            "uom": "EA",
                            "price": Decimal("31.020000") if i == 0 else None,
                            "quantity": 5,
                            "qty_accepted": 0,
                            "qty_backordered": 0,
                            "qty_cancelled": 0,
                            "qty_shipped": 0,
                            "qty_invoiced": 0,
                        }
                        for i in range(2)
                    ],
                )
                fast = await repo.order_lines_of(conn, order_id=order_id)
                slow = list(
                    (
                        await conn.execute(
                            select(order_lines)
                            .where(order_lines.c.order_id == order_id)
                            .order_by(order_lines.c.position)
                        )
                    ).all()
                )
                assert [tuple(r) for r in fast] == [tuple(r) for r in slow]
                assert fast[0].price == Decimal("31.02") and fast[1].price is None

                change = LineChange(fast[0].id, 3, 1, 1, 0, 0, Decimal("30.5"), "price agreed")
                await repo.update_lines(conn, [change.row()])
                later = at + timedelta(minutes=1)
                await repo.set_order_status(conn, order_id=order_id, status=500, at=later)
                line = (await conn.execute(select(order_lines).where(order_lines.c.id == fast[0].id))).one()
                assert (line.qty_accepted, line.qty_backordered, line.qty_cancelled) == (3, 1, 1)
                assert line.ack_price == Decimal("30.5") and line.change_reason == "price agreed"
                row = (await conn.execute(select(documents).where(documents.c.id == order_id))).one()
                assert row.status == 500 and row.updated_at == later.astimezone(UTC)

                with pytest.raises(IntegrityError):  # the same PartnerPO to the same supplier again
                    async with conn.begin_nested():
                        await repo.insert_document(conn, values)
                raise _Undo
    finally:
        await db.dispose()


def test_line_change_row_names_every_field() -> None:
    change = LineChange(7, 1, 2, 3, 4, 5, Decimal("1.5"), None)
    assert change.row() == {name: getattr(change, name) for name in LineChange._fields}


def _fill_wal(path: Path, pages: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body TEXT)")
    page = int(conn.execute("PRAGMA page_size").fetchone()[0])
    conn.executemany("INSERT INTO filler (body) VALUES (?)", [("x" * page,) for _ in range(pages)])
    conn.close()


def test_checkpointer_copies_a_full_wal_back(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    _fill_wal(path, 20)
    checkpointer = Checkpointer(str(path))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("SELECT count(*) FROM filler").fetchone()  # open: the filler's close must not checkpoint
    try:
        assert checkpointer.checkpoint(conn) is False  # a short WAL waits for more
        _fill_wal(path, Checkpointer.PAGES + 50)
        assert checkpointer.checkpoint(conn) is True
        _busy, log, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert log == copied  # every frame is in the database file
    finally:
        conn.close()


async def test_database_stops_its_checkpointer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ck.db'}"
    db = Database(url, pool_size=1)
    from sqlalchemy import text

    async with db.write() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    checkpointer = db._checkpointer
    assert checkpointer is not None and checkpointer.alive
    await db.dispose()
    assert not checkpointer.alive


def test_asyncpg_internals_present() -> None:
    # Prepared's PostgreSQL road relies on SQLAlchemy's asyncpg adapter internals; an upgrade that
    # drops one silently falls back to conn.execute, which this names instead.
    assert ASYNCPG_INTERNALS


# Times and amounts at the edges of their formats: whole seconds, one microsecond, other zones (and
# a zone that is UTC under another name), the first and last years, trailing zeros, exponents,
# negative zero, the most digits a money column keeps.
_TIMES = [
    datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC),
    datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
    datetime(2026, 3, 4, 5, 6, 7, 1, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(0), "Z")),
    datetime(1, 1, 1, 0, 0, 0, 0, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]
_AMOUNTS = [
    Decimal("31.020000"),
    Decimal("100"),
    Decimal("1E+2"),
    Decimal("-0"),
    Decimal("-0.000001"),
    Decimal("0.1E-5"),
    Decimal("99999999999999999999999999999999.999999"),
    31,
    None,
]


async def test_prepared_statements_store_the_very_text_sqlalchemy_stores(db_url: str) -> None:
    """Byte for byte: each time and amount stored by a prepared INSERT is stored as the same text as
    through SQLAlchemy's execute, and both roads read every one back as the same value."""
    from sqlalchemy import bindparam, cast, insert
    from sqlalchemy import types as sa_types

    from pohub.db.fast import Prepared

    read = Prepared(
        select(documents.c.document_date, documents.c.created_at, documents.c.total).where(
            documents.c.id == bindparam("id")
        )
    )
    as_text = select(
        cast(documents.c.document_date, sa_types.Text),
        cast(documents.c.created_at, sa_types.Text),
        cast(documents.c.total, sa_types.Text),
    )
    db = Database(db_url, pool_size=1)
    try:
        with pytest.raises(_Undo):
            async with db.write() as conn:
                tag = uuid.uuid4().hex[:8]
                buyer = await partners.add_company(conn, name=f"prep-text-buyer-{tag}")
                supplier = await partners.add_company(conn, name=f"prep-text-supplier-{tag}")
                for i, (at, amount) in enumerate(zip(_TIMES * 2, _AMOUNTS + _AMOUNTS[:3], strict=False)):
                    values = order_row(
                        buyer.id, supplier.id, at, total=amount, created_at=_TIMES[-1 - i % 6], raw='{"PartnerPO": "x"}'
                    )
                    fast_id = await repo.insert_document(conn, values)
                    slow_values = values | {"partner_po": values["partner_po"] + "-slow", "wire": None}
                    slow_id = (await conn.execute(insert(documents).values(slow_values))).inserted_primary_key[0]
                    fast_text, slow_text = [
                        tuple((await conn.execute(as_text.where(documents.c.id == key))).one())
                        for key in (fast_id, slow_id)
                    ]
                    assert fast_text == slow_text, (at, amount)
                    for key in (fast_id, slow_id):
                        mine = tuple(await read.first(conn, {"id": key}))
                        theirs = tuple((await conn.execute(read.stmt, {"id": key})).one())
                        assert mine == theirs and [type(v) for v in mine] == [type(v) for v in theirs]
                        assert mine[0] == at and mine[0].tzinfo is not None
                raise _Undo
    finally:
        await db.dispose()
