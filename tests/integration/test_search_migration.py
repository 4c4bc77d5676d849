"""The search migration renders the template of every order stored before it (documents.wire), and
an order answered from its template reads as the renderer reads it; on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import insert, select

from pohub.core import jsonio
from pohub.db.engine import Database
from pohub.db.migrate import alembic_config
from pohub.documents import conform, wire
from pohub.documents import repository as repo
from pohub.documents.examples import sales_order
from pohub.documents.models import documents, order_lines
from pohub.documents.render import render
from pohub.partners.models import companies
from tests.support import database_url

AT = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
def before_search(backend: str, tmp_path: Path) -> Iterator[str]:
    with database_url(backend, tmp_path, revision="deliveries") as url:
        yield url


def _order(doc_id: int, po: str, **fields: object) -> dict[str, object]:
    body = sales_order(PartnerPO=po, SenderCompanyId=1, ReceiverCompanyId=2, **fields)
    return {
        "id": doc_id,
        "kind": "order",
        "sender_company_id": 1,
        "receiver_company_id": 2,
        "partner_po": po,
        "number": po,
        "source_key": po,
        "status": 150,
        "document_date": AT,
        "created_at": AT,
        "updated_at": AT,
        "body_hash": "h",
        "raw": jsonio.dumps(body).decode(),
    }


def _line(order_id: int, position: int, **qty: int) -> dict[str, object]:
    return {
        "order_id": order_id,
        "position": position,
        "line_number": f"{position + 1:02d}",
        "line_key": str(position + 1),
        "supplier_sku": f"SKU-{position}",
        "quantity": 5,
        **{f: 0 for f in ("qty_accepted", "qty_backordered", "qty_cancelled", "qty_shipped", "qty_invoiced")},
        **qty,
    }


async def _fill_old(url: str) -> None:
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            await conn.execute(insert(companies), [{"id": i, "name": f"c{i}", "created_at": AT} for i in (1, 2)])
            # Before this migration the documents table has no wire column: name the columns it has.
            two = sales_order()["OrderLines"] * 2
            orders = [_order(10, "M-1", OrderLines=two), _order(11, "M-2", Note="{x}", OrderLines=two)]
            # Loaded with more lines than its body has (not as orders.service stores them).
            orders.append(_order(12, "M-3", OrderLines=two[:1]))
            await conn.execute(insert(documents), orders)
            lines = [_line(d, p) for d in (10, 11, 12) for p in range(2)]
            lines[1]["qty_accepted"] = 5
            await conn.execute(insert(order_lines), lines)
    finally:
        await db.dispose()


async def _read(url: str) -> list[tuple[object, list[object]]]:
    db = Database(url, pool_size=1)
    try:
        async with db.read() as conn:
            rows = (await conn.execute(select(documents).order_by(documents.c.id))).all()
            lines = await repo.lines_of_orders(conn, order_ids=[r.id for r in rows])
            return [(r, lines[r.id]) for r in rows]
    finally:
        await db.dispose()


def test_orders_stored_before_get_their_template(before_search: str) -> None:
    asyncio.run(_fill_old(before_search))
    command.upgrade(alembic_config(before_search), "head")
    stored = asyncio.run(_read(before_search))
    assert len(stored) == 3
    assert stored[2][0].wire is None  # type: ignore[attr-defined]  # rendered the slow way
    for row, lines in stored[:2]:
        assert row.wire is not None and row.wire.startswith(f"{wire.VERSION}:2:")  # type: ignore[attr-defined]
        touched = [x for x in lines if x.qty_accepted]  # type: ignore[attr-defined]
        got = wire.from_template(row, touched)
        assert got == jsonio.dumps(conform.document("order", render(row, lines))).decode()
    assert '"QuantityAcknowledged":5' in str(wire.from_template(stored[0][0], [stored[0][1][1]]))
    command.downgrade(alembic_config(before_search), "deliveries")
