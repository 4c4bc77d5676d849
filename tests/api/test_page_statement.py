"""The Step 1 page's statement for one status (documents.pages._statements(1)): on SQLite the two
sides' index ranges merged and cut once (stop 25), elsewhere each side cut first as before. The
statement before that change is kept here as the oracle: over orders on both sides of a company in
random statuses, some acknowledged (touched lines), every page of several sizes, and past the end,
it gives the same rows in the same order. On both databases."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from sqlalchemy import Integer, bindparam, select, union_all

from pohub.core import jsonio
from pohub.db.engine import Database
from pohub.documents import pages
from pohub.documents.examples import sales_order
from pohub.documents.models import documents, kind_literal
from tests.api.helpers import SKU1, SKU2, ack, line
from tests.support import LiveServer, Trade, connect, make_party

D = documents.c


def _old_page() -> Any:
    """pages._statements(1)'s page before stop 25 (the oracle): each side's ids ordered and cut at
    ``enough`` in a subquery of its own, merged, cut at the page."""
    arms = [
        select(D.id).where(D.kind == kind_literal("order"), D.status == bindparam("status"), side == bindparam("me"))
        for side in (D.receiver_company_id, D.sender_company_id)
    ]
    enough = bindparam("enough", type_=Integer)
    merged = union_all(*(arm.order_by(D.id).limit(enough).subquery().select() for arm in arms)).subquery()
    ids = (
        select(merged.c.id)
        .order_by(merged.c.id)
        .limit(bindparam("size", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )
    return pages._with_touched(D.id.in_(ids.scalar_subquery()))


def _post_order(trade: Trade, po: str, status: int) -> None:
    lines = [
        {"LineNumber": "01", "Quantity": 5, "Price": 31.02, "QuantityUOM": "EA", "ItemIdentifier": SKU1},
        {"LineNumber": "02", "Quantity": 3, "Price": 10.5, "QuantityUOM": "EA", "ItemIdentifier": SKU2},
    ]
    body = sales_order(
        PartnerPO=po,
        SenderCompanyId=trade.buyer.id,
        ReceiverCompanyId=trade.supplier.id,
        StatusCode=status,
        OrderLines=lines,
    )
    r = trade.buyer.post("/Orders", content=jsonio.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text


def _acknowledge(trade: Trade, po: str, number: str) -> None:
    body = ack(po, number, [line("01", 5, SKU1, Status="Accept"), line("02", 1, SKU2, Status="Backorder")])
    r = trade.supplier.post(
        "/Acknowledgements", content=jsonio.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 201, r.text


async def _pages_both_ways(url: str, company_id: int) -> list[tuple[Any, Any]]:
    db = Database(url, pool_size=1)
    page, _ = pages._statements(1)
    old = _old_page()
    out = []
    try:
        async with db.read() as conn:
            for status in (100, 150, 500, 999):
                for size in (1, 2, 3, 7, 100):
                    for number in range(1, 40 // size + 3):
                        offset = (number - 1) * size
                        params = {"me": company_id, "status": status, "size": size, "offset": offset}
                        new_rows = [tuple(r) for r in await page.all(conn, {**params, "enough": offset + size})]
                        old_rows = [tuple(r) for r in (await conn.execute(old, {**params, "enough": offset + size}))]
                        out.append(((status, size, number), new_rows, old_rows))
    finally:
        await db.dispose()
    return out


def test_one_status_pages_are_the_old_statements_pages(trade: Trade, server: LiveServer, db_url: str) -> None:
    rng = random.Random(2025)
    other = make_party(server)
    connect(server, trade.supplier, other)
    as_buyer = Trade(trade.supplier, other)  # the supplier is a buyer too: orders on both sides of it
    acknowledged = 0
    for n in range(30):
        sent = rng.random() < 0.4
        po = f"S-{n}"
        _post_order(as_buyer if sent else trade, po, rng.choice((100, 150)))
        if not sent and rng.random() < 0.25:
            _acknowledge(trade, po, f"A-{n}")
            acknowledged += 1
    compared = asyncio.run(_pages_both_ways(db_url, trade.supplier.id))
    for where, new_rows, old_rows in compared:
        assert new_rows == old_rows, where
    # Both sides, touched lines (a row per touched line) and empty pages were among them.
    rows = {r for _, new_rows, _ in compared for r in new_rows}
    assert acknowledged and any(r[4] is not None for r in rows)
    assert any(not new_rows for _, new_rows, _ in compared)
    assert len({r[0] for r in rows}) == 30


def test_sqlite_merges_the_two_sides_without_sorting_them(db_url: str, backend: str) -> None:
    """EXPLAIN QUERY PLAN of the one-status page on SQLite: the two covering index ranges merged,
    no temporary b-tree (the statement before sorted each side's ids again in one)."""
    if backend != "sqlite":
        pytest.skip("SQLite's plan")
    import sqlite3

    from sqlalchemy.dialects import sqlite as sqlite_dialect

    page, _ = pages._statements(1)
    compiled = page.stmt.compile(dialect=sqlite_dialect.dialect())
    values = {"me": 1, "status": 150, "size": 100, "offset": 0, "enough": 100}
    args = [values.get(name, 0) for name in compiled.positiontup or []]
    lite = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    try:
        plan = [r[3] for r in lite.execute(f"EXPLAIN QUERY PLAN {compiled.string}", args)]
    finally:
        lite.close()
    assert not any("TEMP B-TREE" in step for step in plan), plan
    assert any("ix_documents_receiver" in step for step in plan) and any("ix_documents_sender" in step for step in plan)
    assert any("ix_order_lines_touched" in step for step in plan), plan
