"""On SQLite a Together branch sorted by an integer key (an order's earlier documents by id, its lines
by position) reads its rows unordered and sorts them in Python (db/together._alone, db/fast.Sort,
stop 27), where SQLite's sorter cost more than the rest of the statement. The replaced statements
(the branch with its ORDER BY) are the reference: over random orders whose lines have shuffled
positions with gaps, and some with two lines on one position (where the ORDER BY statement answers
instead), and over earlier documents of every kind, the rows, their order, values, types and field
names are the same. Both databases (PostgreSQL reads the union with its ORDER BY)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, select, update

from pohub.db.engine import Database
from pohub.db.fast import Prepared
from pohub.db.together import Branch, Together
from pohub.documents import repository as repo
from pohub.documents.inbound import RULE_LINE_COLUMNS, _earlier_and_lines
from pohub.documents.models import documents, kind_literal, order_lines
from pohub.partners import service as partners

D = documents.c
L = order_lines.c


def _doc(kind: str, sender: int, receiver: int, n: int, order_id: int | None = None) -> dict[str, Any]:
    at = datetime(2026, 12, 4, 19, 0, tzinfo=UTC)
    row: dict[str, Any] = {
        "kind": kind,
        "sender_company_id": sender,
        "receiver_company_id": receiver,
        "partner_po": f"SRT-{n}",
        "number": f"N-{n}",
        "source_key": None,
        "link_key": None,
        "status": 150,
        "document_date": at,
        "created_at": at,
        "updated_at": at,
        "total": None,
        "body_hash": f"{n:064d}",
        "raw": "{}",
        "float_safe": True,
    }
    if order_id is not None:
        row["order_id"] = order_id
    return row


def _shape(rows: list[Any]) -> list[Any]:
    return [(tuple(r), tuple(type(v) for v in r), r._fields) for r in rows]


_ORDERED_LINES = Prepared(
    select(*RULE_LINE_COLUMNS).where(L.order_id == bindparam("order_id")).order_by(L.position, L.id)
)


async def test_rows_sorted_in_python_are_the_order_by_statements(db: Database, db_url: str) -> None:
    sqlite = not db_url.startswith("postgresql")
    rng = random.Random(27)
    tag = uuid.uuid4().hex[:6]
    async with db.write() as conn:
        a = (await partners.add_company(conn, name=f"sort-a-{tag}")).id
        b = (await partners.add_company(conn, name=f"sort-b-{tag}")).id
    n = 0
    tied_orders = 0
    for round_ in range(12):
        async with db.write() as conn:
            n += 1
            order_id = await repo.insert_document(conn, _doc("order", a, b, n))
            count = rng.randrange(0, 14)
            positions = rng.sample(range(40), count)
            tied = count > 2 and round_ % 3 == 0
            if tied:  # two lines on one position: the ORDER BY statement answers
                positions[1] = positions[0]
                tied_orders += 1
            await repo.insert_lines(
                conn,
                [
                    {
                        "order_id": order_id,
                        "position": p,
                        "line_number": f"{i:02d}",
                        "line_key": str(i),
                        "supplier_sku": rng.choice([None, f"S{i}"]),
                        "partner_sku": None,
                        "description": None,
                        "uom": "EA",
                        "price": rng.choice([None, Decimal("1.5"), Decimal("31.020000")]),
                        "quantity": rng.randrange(1, 9),
                        "qty_accepted": 0,
                        "qty_backordered": 0,
                        "qty_cancelled": 0,
                        "qty_shipped": 0,
                        "qty_invoiced": 0,
                    }
                    for i, p in enumerate(positions)
                ],
            )
            for _ in range(rng.randrange(0, 5)):  # earlier documents, numbers not in id order
                n += 1
                kind = rng.choice(["acknowledgement", "shipment", "invoice"])
                row = _doc(kind, b, a, n, order_id) | {"number": f"N-{rng.randrange(10**6)}-{n}"}
                await repo.insert_document(conn, row)
        async with db.write() as conn:
            if round_ % 4 == 1:  # a line moved, as a change would
                await conn.execute(
                    update(order_lines)
                    .where(and_(L.order_id == order_id, L.line_key == "0"))
                    .values(position=rng.randrange(50, 60))
                )
            for kind in ("acknowledgement", "shipment", "invoice"):
                earlier, lines = await _earlier_and_lines(kind).all(conn, {"order_id": order_id})
                assert _shape(earlier) == _shape(await repo.numbered_documents(conn, order_id=order_id, kind=kind))
                ordered = await _ORDERED_LINES.all(conn, {"order_id": order_id})
                if not tied:
                    assert _shape(lines) == _shape(ordered)
                else:  # SQLite's own order among the two: the ORDER BY statement's, whatever it is
                    assert sorted(_shape(lines)) == sorted(_shape(ordered))
                    if not sqlite:  # (PostgreSQL's union has an order among equals of its own, as before)
                        continue
                    alone = Prepared(
                        select(*RULE_LINE_COLUMNS).where(L.order_id == bindparam("order_id")).order_by(L.position)
                    )
                    assert _shape(lines) == _shape(await alone.all(conn, {"order_id": order_id}))
    assert tied_orders >= 3


async def test_a_branch_sorted_by_a_column_it_reads_and_one_it_does_not(db: Database) -> None:
    """Both shapes of Sort (the key among the columns; the key added and left out of the rows)."""
    tag = uuid.uuid4().hex[:6]
    async with db.write() as conn:
        a = (await partners.add_company(conn, name=f"sort2-a-{tag}")).id
        b = (await partners.add_company(conn, name=f"sort2-b-{tag}")).id
        order_id = await repo.insert_document(conn, _doc("order", a, b, 900))
        ids = [await repo.insert_document(conn, _doc("shipment", b, a, 901 + i, order_id)) for i in range(5)]
    where = and_(D.order_id == bindparam("order_id"), D.kind == kind_literal("shipment"))
    by_id = Together([Branch((D.number, D.id), where, order=D.id)])
    by_id_unread = Together([Branch((D.number,), where, order=D.id)])
    async with db.write() as conn:
        (read,) = await by_id.all(conn, {"order_id": order_id})
        (unread,) = await by_id_unread.all(conn, {"order_id": order_id})
    assert [r.id for r in read] == ids and [r.number for r in read] == [f"N-{901 + i}" for i in range(5)]
    assert [tuple(r) for r in unread] == [(f"N-{901 + i}",) for i in range(5)]
    assert all(r._fields == ("number",) for r in unread)
