"""The bulk import's batch lookups (dialects/wms/bulk.py): which PartnerPOs a buyer has sent a supplier
already, on both databases, and on PostgreSQL a plan that looks each one up by the orders' unique key
whatever the planner has counted (a scan of every document per batch made a large import quadratic)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import insert

from pohub.core import clock
from pohub.db.engine import Database
from pohub.dialects.wms import bulk
from pohub.documents.models import documents
from pohub.partners import service as partners


def _document(kind: str, sender: int, receiver: int, po: str) -> dict[str, Any]:
    now = clock.now()
    return {
        "kind": kind,
        "sender_company_id": sender,
        "receiver_company_id": receiver,
        "partner_po": po,
        "number": f"{kind}-{po}",
        "status": 150,
        "document_date": now,
        "created_at": now,
        "updated_at": now,
        "body_hash": "0" * 64,
        "raw": "{}",
    }


async def _taken_of(url: str) -> set[str]:
    db = Database(url, pool_size=2)
    try:
        async with db.write() as conn:
            ids = [(await partners.add_company(conn, name=f"lookup-{n}")).id for n in range(3)]
        buyer, supplier, other = ids
        async with db.write() as conn:
            await conn.execute(
                insert(documents),
                [
                    _document("order", buyer, supplier, "SENT"),
                    _document("order", other, supplier, "OTHER-BUYER"),  # the same supplier, another buyer
                    _document("order", buyer, other, "OTHER-SUPPLIER"),  # the same buyer, another supplier
                    _document("acknowledgement", supplier, buyer, "ACK-ONLY"),  # not an order
                ],
            )
            return await bulk._taken(
                conn, sender=buyer, receiver=supplier, pos=["ACK-ONLY", "NEW", "OTHER-BUYER", "OTHER-SUPPLIER", "SENT"]
            )
    finally:
        await db.dispose()


def test_taken_are_the_buyers_orders_to_this_supplier(db_url: str) -> None:
    assert asyncio.run(_taken_of(db_url)) == {"SENT"}


async def _plan(url: str) -> str:
    db = Database(url, pool_size=1)
    try:
        async with db.read() as conn:
            compiled = bulk._TAKEN_PG.compile(dialect=conn.dialect)
            values = [compiled.params[name] for name in compiled.positiontup or []]
            values[0], values[2], values[3] = ["A", "B"], 1, 2  # pos, sender, receiver
            driver = (await conn.get_raw_connection()).driver_connection  # asyncpg's: $1.. as compiled
            assert driver is not None
            return "\n".join(r[0] for r in await driver.fetch(f"EXPLAIN {compiled}", *values))
    finally:
        await db.dispose()


def test_taken_on_postgresql_looks_each_partner_po_up_by_the_unique_key(db_url: str, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL's plan")
    plan = asyncio.run(_plan(db_url))
    assert "uq_documents_order_po" in plan, plan
    # The PartnerPO is part of the index condition (one row a value), not a filter over the pair's orders.
    assert any("Index Cond" in line and "partner_po" in line for line in plan.splitlines()), plan
    assert "Seq Scan on documents" not in plan, plan
