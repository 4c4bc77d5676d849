"""The inventory feed over EDI: an EDI supplier's 846 is a broadcast (all or nothing: one set is one
document), and every change of a supplier's stock goes to each of its buyers that trades by EDI as
an 846 (the SKUs that changed, or the whole feed when too many did to name them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.core.errors import FieldError, Unprocessable
from pohub.documents import kinds
from pohub.edi.mapping.x12_inventory import records_at
from pohub.edi.partners import service as partners
from pohub.edi.partners.service import Profile
from pohub.edi.writing import interchange_for, queue_interchange
from pohub.exchanges import inbound
from pohub.exchanges.inbound import Applied, Message
from pohub.inventory import notify, render
from pohub.inventory import repository as inventory_repo
from pohub.inventory import service as inventory
from pohub.inventory.feed import read_json

OPERATION = "edi.inventory"
PER_SET = 10_000  # LIN loops an 846 holds (004010): a larger feed goes as several interchanges
PAGE = 1000


@inbound.handler(OPERATION)
async def apply_inventory(conn: AsyncConnection, msg: Message) -> Applied:
    """An EDI supplier's 846, applied as its broadcast: every SKU or none."""
    assert msg.company_id is not None
    partner = await partners.profile(conn, partner_id=int(msg.params["partner_id"]))
    if partner.role != "supplier":
        raise Unprocessable(
            "An 846 is a supplier's inventory: this profile trades as the buyer",
            [FieldError("ST01", "846 is sent by the supplier of the trading relationship")],
        )
    feed = read_json(msg.raw, supplier_id=msg.company_id)
    outcome = await inventory.broadcast(
        conn, company_id=msg.company_id, feed=feed, exchange_id=msg.exchange_id, all_or_nothing=True
    )
    return Applied(kind=kinds.INVENTORY.name, status_code=200, result=outcome)


async def _items(conn: AsyncConnection, supplier_id: int, skus: tuple[str, ...] | None) -> list[dict[str, Any]]:
    if skus is not None:
        rows = list((await inventory_repo.stock_for_skus(conn, supplier_id=supplier_id, skus=skus)).values())
    else:
        cond = inventory_repo.download_conditions(supplier_id=supplier_id, modified_after=None, mapped=None)
        rows, after = [], 0
        while page := await inventory_repo.items_after(conn, cond, after_id=after, limit=PAGE):
            rows += page
            after = page[-1].id
    rows.sort(key=lambda r: r.id)
    warehouses = await inventory_repo.warehouses_of(conn, item_ids=[r.id for r in rows])
    return [jsonio.loads(jsonio.dumps(render.item(r, warehouses.get(r.id, [])))) for r in rows]


async def send_feed(conn: AsyncConnection, *, partner: Profile, skus: tuple[str, ...] | None, reference: str) -> int:
    """The supplier's stock (these SKUs, or all of it) as 846s to an EDI buyer; returns how many."""
    items = await _items(conn, partner.supplier_id, skus)
    sent = 0
    for start in range(0, len(items), PER_SET):
        advice = records_at(items[start : start + PER_SET], clock.now(), reference)
        set_id, payload, groups = await interchange_for(
            conn, partner=partner, kind=kinds.INVENTORY.name, document=advice, order=None
        )
        await queue_interchange(
            conn,
            partner=partner,
            kind=kinds.INVENTORY.name,
            set_id=set_id,
            payload=payload,
            groups=groups,
            order_id=None,
            document_id=None,
        )
        sent += 1
    return sent


@notify.listen
async def on_inventory(conn: AsyncConnection, change: notify.Updated) -> None:
    """A supplier's stock changed: an 846 to each of its buyers that trades by EDI."""
    for buyer_id in change.audience:
        if buyer_id == change.supplier_id:
            continue
        partner = await partners.profile_between(conn, edi_company_id=buyer_id, counterparty_id=change.supplier_id)
        if partner is None or partner.role != "buyer" or partner.standard != "x12":
            continue
        reference = f"INV{change.exchange_id or 0}"[:30]
        await send_feed(conn, partner=partner, skus=change.skus, reference=reference)
