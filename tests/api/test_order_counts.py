"""order_counts (kept by triggers on documents, migration 0015) is what the search's total reads:
after every kind of write — a new PO, one refused, an acknowledgement, a shipment, a status set by
hand, a bulk status change, a change made straight in SQL, a deletion — it must equal counting
the orders. On both databases."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import delete, func, select, update

from pohub.core import jsonio
from pohub.db.engine import Database
from pohub.documents.examples import sales_order
from pohub.documents.models import documents, order_counts
from tests.api.helpers import SKU1, SKU2, ack, line
from tests.support import Trade

D, C = documents.c, order_counts.c


async def _both(url: str) -> tuple[dict[Any, int], dict[Any, int]]:
    """(counted from documents, kept in order_counts), by (company, side, status), zeros left out."""
    db = Database(url, pool_size=1)
    try:
        async with db.read() as conn:
            counted: dict[Any, int] = {}
            for side, column in (("r", D.receiver_company_id), ("s", D.sender_company_id)):
                rows = await conn.execute(
                    select(column, D.status, func.count()).where(D.kind == "order").group_by(column, D.status)
                )
                counted |= {(company, side, status): n for company, status, n in rows}
            kept_rows = await conn.execute(
                select(C.company_id, C.side, C.status, func.sum(C.n)).group_by(C.company_id, C.side, C.status)
            )
            kept = {(company, side, status): int(n) for company, side, status, n in kept_rows if n}
            return counted, kept
    finally:
        await db.dispose()


def _agree(url: str) -> dict[Any, int]:
    counted, kept = asyncio.run(_both(url))
    assert kept == counted
    return kept


def _total(trade: Trade, status: int) -> int:
    r = trade.supplier.get("/Orders", params={"Filters.status": status, "pageSize": 1})
    assert r.status_code == 200, r.text
    return int(r.json()["TotalRecords"])


def _order(trade: Trade, po: str, *, expect: int = 201) -> str:
    body = sales_order(
        PartnerPO=po,
        SenderCompanyId=trade.buyer.id,
        ReceiverCompanyId=trade.supplier.id,
        OrderLines=[
            {"LineNumber": "01", "Quantity": 5, "Price": 1.5, "ItemIdentifier": SKU1},
            {"LineNumber": "02", "Quantity": 3, "Price": 2.5, "ItemIdentifier": SKU2},
        ],
    )
    r = trade.buyer.post("/Orders", content=jsonio.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code == expect, r.text
    return str(r.json()["Body"]["LogicbrokerKey"] if expect == 201 else r.json()["LogicbrokerKey"])


async def _in_sql(url: str, key: str, *, status: int | None = None, remove: bool = False) -> None:
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            if remove:
                await conn.execute(delete(documents).where(D.order_id == int(key)))
                await conn.execute(delete(documents).where(D.id == int(key)))
            else:
                await conn.execute(update(documents).where(D.id == int(key)).values(status=status))
    finally:
        await db.dispose()


def test_every_write_moves_the_count_the_search_total_reads(trade: Trade, db_url: str) -> None:
    me = trade.supplier.id
    assert _total(trade, 150) == 0
    keys = [_order(trade, f"CNT-{n}") for n in range(4)]
    _order(trade, "CNT-0", expect=409)  # the same PartnerPO again: refused, nothing new
    assert _agree(db_url)[(me, "r", 150)] == 4
    assert _total(trade, 150) == 4
    # Acknowledged in full: 150 -> 500.
    body = ack("CNT-0", "A-CNT-0", [line(1, 5), line(2, 3, SKU2)])
    assert trade.supplier.post("/Acknowledgements", json=body).status_code == 201
    kept = _agree(db_url)
    assert (kept[(me, "r", 150)], kept[(me, "r", 500)], kept[(trade.buyer.id, "s", 500)]) == (3, 1, 1)
    assert (_total(trade, 150), _total(trade, 500)) == (3, 1)
    # Shipped in part, then a status set by hand, then a bulk status change.
    shipment = {"ShipmentNumber": "S-CNT-0", "ShipmentLines": [line(1, 1)]}
    assert trade.supplier.post(f"/Shipment/{keys[0]}", json=shipment).status_code == 201
    _agree(db_url)
    assert trade.supplier.put(f"/Orders/{keys[1]}/Status/200").status_code == 200
    assert _agree(db_url)[(me, "r", 200)] == 1
    r = trade.buyer.put("/Orders/Status", json={"Status": "Cancelled", "LogicbrokerKeys": [keys[2], keys[3]]})
    assert r.status_code == 200, r.text
    kept = _agree(db_url)
    assert (me, "r", 150) not in kept
    assert _total(trade, 150) == 0
    # Any code's write moves it: a change and a deletion straight in SQL.
    asyncio.run(_in_sql(db_url, keys[2], status=150))
    assert _total(trade, 150) == 1
    _agree(db_url)
    asyncio.run(_in_sql(db_url, keys[2], remove=True))
    assert _total(trade, 150) == 0
    _agree(db_url)
