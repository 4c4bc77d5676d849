"""pohub writes the interchange an EDI partner needs, in the same transaction as the document that
causes it: 850 to an EDI supplier of a JSON buyer; 855 / 856 / 810 to an EDI buyer of a JSON
supplier. The partner's 997 reconciles the group: acknowledged, or rejected and flagged on the
exchange and the order's timeline."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pohub.core.retry import RetryPolicy
from pohub.db.engine import Database
from pohub.edi import reconcile
from pohub.edi.x12.ack import acknowledgement
from pohub.edi.x12.reader import read_interchange
from pohub.edi.x12.writer import write_interchange
from pohub.exchanges import outbound
from tests.api.helpers import ack, create_order, error_fields, line, order_body
from tests.edi_wiring.helpers import add_partner
from tests.edi_wiring.test_post_edi import exchange, post_edi
from tests.support import LiveServer, Party, Trade


def outbound_of(party: Party, **filters: Any) -> list[dict[str, Any]]:
    r = party.get("/Exchanges", params={"direction": "out", **filters})
    assert r.status_code == 200, r.text
    return [exchange(party, e["Id"]) for e in r.json()["Records"] if e["Operation"] == "edi.send"]


def answer_997(interchange: str, *, control: int, accept: bool = True) -> bytes:
    """The 997 the partner sends back for an interchange pohub wrote (pohub's own 997 builder, run
    as the partner would run theirs)."""
    result = read_interchange(interchange.encode())
    assert result.accepted, [e.describe() for e in result.errors]
    out = write_interchange(acknowledgement(result, control=control, group_control=control, date=datetime.now(UTC)))
    if not accept:
        out = out.replace(b"AK5*A~", b"AK5*R*5~").replace(b"AK9*A*1*1*1~", b"AK9*R*1*1*0~")
    return out


def test_a_json_supplier_acknowledges_an_edi_buyer_and_the_997_settles_it(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    add_partner(trade.buyer, trade.supplier, TheirId=f"B{tag}", OurId=f"H{tag}")
    po = f"PO-{tag}"
    key = create_order(trade, po)  # the EDI buyer's order (here by JSON: the route out is the same)
    r = trade.supplier.post(
        f"/Acknowledgement/{key}", json=ack(po, "A-1", [line("01", 5), line("02", 3, {"SupplierSKU": "PIP-200"})])
    )
    assert r.status_code == 201, r.text
    (sent,) = outbound_of(trade.buyer, kind="acknowledgement")
    raw = sent["Raw"]
    assert sent["State"] == "queued" and sent["Channel"] == "edi" and sent["OrderKey"] == key
    assert f"*ZZ*H{tag}".ljust(4) in raw.split("~")[0] and f"BAK*00*AD*{po}*" in raw
    assert "ST*855*0001~" in raw and "GS*PR*H" in raw

    r = post_edi(server, trade.buyer, answer_997(raw, control=77))
    assert r.status_code == 200, r.text
    assert r.json()["Reconciled"] == [
        {"Group": "1", "Sets": ["1"], "ExchangeId": sent["Id"], "Accepted": True, "Status": "AK5 A"}
    ]
    assert exchange(trade.buyer, sent["Id"])["State"] == "acknowledged"


def test_a_rejected_group_is_flagged_on_the_exchange_and_the_timeline(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    add_partner(trade.buyer, trade.supplier, TheirId=f"B{tag}", OurId=f"H{tag}")
    po = f"PO-{tag}"
    key = create_order(trade, po)
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=ack(po, "A-2", [line("01", 5)]))
    assert r.status_code == 201, r.text
    (sent,) = outbound_of(trade.buyer, kind="acknowledgement")
    r = post_edi(server, trade.buyer, answer_997(sent["Raw"], control=78, accept=False))
    assert r.status_code == 200, r.text
    assert r.json()["Reconciled"][0]["Accepted"] is False
    flagged = exchange(trade.buyer, sent["Id"])
    assert flagged["State"] == "queued" and "rejected group 1" in flagged["Error"]["Message"]
    timeline = trade.buyer.get(f"/Orders/{key}/Events").json()["Body"]["ActivityEvents"]
    assert any("rejected group 1" in e["Summary"] for e in timeline), timeline


def test_a_json_buyer_orders_from_an_edi_supplier_by_850(trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    add_partner(trade.supplier, trade.buyer, TheirId=f"S{tag}", OurId=f"H{tag}", Version="005010")
    po = f"PO-{tag}"
    # Validated before it leaves: the sample's placeholder dates (0001-01-01) are no X12 date, and an
    # order pohub could not pass on is refused, naming the element, rather than accepted and stuck.
    refused = trade.buyer.post("/Orders", json=order_body(trade, po, qty1=7))
    assert refused.status_code == 422 and "ITD4" in error_fields(refused), refused.text
    assert outbound_of(trade.supplier, kind="order") == []
    body = order_body(trade, po, qty1=7)
    del body["PaymentTerm"]
    r = trade.buyer.post("/Orders", json=body)
    assert r.status_code == 201, r.text
    key = str(r.json()["Body"]["LogicbrokerKey"])
    (sent,) = outbound_of(trade.supplier, kind="order")
    raw = sent["Raw"]
    assert sent["OrderKey"] == key and f"BEG*00*SA*{po}*" in raw and "PO1*01*7*EA*31.02" in raw
    assert "*00501*" in raw.split("~")[0] and "GS*PO*H" in raw and "*005010~" in raw
    assert read_interchange(raw.encode()).accepted


async def _flag_overdue(url: str, at: datetime) -> int:
    db = Database(url, pool_size=1)
    try:
        return await reconcile.flag_overdue(db, now=at)
    finally:
        await db.dispose()


def test_an_api_partner_pulls_its_interchanges_and_an_unanswered_group_is_overdue(
    server: LiveServer, trade: Trade
) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    add_partner(trade.buyer, trade.supplier, TheirId=f"B{tag}", OurId=f"H{tag}", AckWithinMinutes=60)
    po = f"PO-{tag}"
    key = create_order(trade, po)
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=ack(po, "A-3", [line("01", 5)]))
    assert r.status_code == 201, r.text
    pulled = httpx.get(f"{server.url}/edi", headers={"Authorization": f"Bearer {trade.buyer.key}"}, timeout=30)
    assert pulled.status_code == 200, pulled.text
    (handed,) = pulled.json()["Interchanges"]
    assert handed["Kind"] == "acknowledgement" and "ST*855*" in handed["Raw"]
    again = httpx.get(f"{server.url}/edi", headers={"Authorization": f"Bearer {trade.supplier.key}"}, timeout=30)
    assert again.json()["Interchanges"] == []  # another company's interchanges are not handed over
    sent = exchange(trade.buyer, handed["ExchangeId"])
    assert sent["State"] == "sent" and len(sent["AttemptLog"]) == 1

    created = datetime.fromisoformat(sent["CreatedAt"])
    assert asyncio.run(_flag_overdue(server.database_url, created + timedelta(minutes=59))) == 0
    assert asyncio.run(_flag_overdue(server.database_url, created + timedelta(minutes=61))) >= 1
    flagged = exchange(trade.buyer, handed["ExchangeId"])
    assert flagged["Error"]["Code"] == 408 and "within 60 minutes" in flagged["Error"]["Message"]
    timeline = trade.buyer.get(f"/Orders/{key}/Events").json()["Body"]["ActivityEvents"]
    assert any("Not acknowledged within 60 minutes" in e["Summary"] for e in timeline), timeline
    asyncio.run(_flag_overdue(server.database_url, created + timedelta(days=2)))
    timeline = trade.buyer.get(f"/Orders/{key}/Events").json()["Body"]["ActivityEvents"]
    assert sum("Not acknowledged within" in e["Summary"] for e in timeline) == 1  # flagged once


async def _send_while_the_partner_answers(url: str, server: LiveServer, buyer: Party, tag: str) -> list[dict[str, Any]]:
    """Send the queued interchanges of the "edi" channel with a deliver that, like a fast AS2 partner,
    answers with its 997 before the POST returns (other tests' interchanges are just let through)."""

    async def deliver(client: httpx.AsyncClient, row: Any, _context: Any) -> outbound.Outcome:
        if f"*H{tag}" not in bytes(row.raw).decode().split("~")[0]:
            return outbound.Outcome(status_code=200, error=None)
        reply = await client.post(
            f"{server.url}/edi",
            content=answer_997(bytes(row.raw).decode(), control=91),
            headers={"Authorization": f"Bearer {buyer.key}"},
        )
        assert reply.status_code == 200, reply.text
        return outbound.Outcome(status_code=200, error=None)

    db = Database(url, pool_size=2)
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            return await outbound.send_due(db, client, outbound.Channel("edi", deliver, RetryPolicy()))
    finally:
        await db.dispose()


def test_an_acknowledgement_that_overtakes_the_send_is_not_lost(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    add_partner(trade.buyer, trade.supplier, TheirId=f"B{tag}", OurId=f"H{tag}")
    po = f"PO-{tag}"
    key = create_order(trade, po)
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=ack(po, "A-4", [line("01", 5)]))
    assert r.status_code == 201, r.text
    (queued,) = outbound_of(trade.buyer, kind="acknowledgement")
    done = asyncio.run(_send_while_the_partner_answers(server.database_url, server, trade.buyer, tag))
    assert queued["Id"] in [v["id"] for v in done]
    settled = exchange(trade.buyer, queued["Id"])
    assert settled["State"] == "acknowledged" and len(settled["AttemptLog"]) == 1
