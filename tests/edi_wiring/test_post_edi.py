"""POST /edi with real interchanges nobody here wrote (tests/fixtures/edi/): each is read, answered
with its 997 / CONTRL (kept as an outbound exchange whose parent is the interchange), and its sets
applied as child exchanges; a bad one changes nothing, a test one is not applied, a second copy is
a duplicate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.edi_wiring.helpers import add_partner
from tests.support import LiveServer, Party, Trade

FIXTURES = Path(__file__).parent.parent / "fixtures" / "edi"


def post_edi(server: LiveServer, party: Party, raw: bytes, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/edi",
        content=raw,
        headers={"Authorization": f"Bearer {party.key}", "content-type": "application/edi-x12", **headers},
        timeout=60,
    )


def exchange(party: Party, exchange_id: int) -> dict[str, Any]:
    r = party.get(f"/Exchanges/{exchange_id}")
    assert r.status_code == 200, r.text
    return dict(r.json()["Body"])


def orders_of(party: Party) -> list[dict[str, Any]]:
    r = party.get("/Orders", params={"pageSize": 100})
    assert r.status_code == 200, r.text
    return list(r.json()["Records"])


def test_an_850_becomes_an_order_with_its_997_and_a_second_copy_is_a_duplicate(
    server: LiveServer, trade: Trade
) -> None:
    add_partner(
        trade.buyer, trade.supplier, TheirQualifier="12", TheirId="4405197800", OurQualifier="01", OurId="999999999"
    )
    raw = (FIXTURES / "node-x12-850.edi").read_bytes()
    r = post_edi(server, trade.buyer, raw)
    assert r.status_code == 200, r.text
    summary = r.json()
    assert summary["State"] == "applied" and summary["Accepted"] and summary["Applied"]
    assert summary["Interchange"] | {"PartnerId": None} == {
        "Standard": "x12",
        "Control": "000003438",
        "Sender": "12/4405197800",
        "Receiver": "01/999999999",
        "Test": False,
        "PartnerId": None,
    }
    assert summary["Groups"] == [{"FunctionalId": "PO", "Control": "1421", "Sets": 1, "Accepted": 1}]
    (doc,) = summary["Documents"]
    assert (doc["Set"], doc["Kind"], doc["State"]) == ("850", "order", "applied"), doc
    ack = summary["Acknowledgement"]
    assert ack["Kind"] == "997"
    assert "AK1*PO*1421~" in ack["Raw"] and "AK5*A~" in ack["Raw"] and "AK9*A*1*1*1~" in ack["Raw"]
    # pohub's own envelope: from the identity it holds for the partner, its control number 1
    assert "*01*999999999      *12*4405197800     *" in ack["Raw"].split("~")[0]
    assert "*000000001*0*P*" in ack["Raw"]

    order = trade.supplier.get(f"/Orders/{doc['DocumentKey']}").json()["Body"]["SalesOrder"]
    assert order["PartnerPO"] == "08292233294" and len(order["OrderLines"]) == 6
    assert order["OrderLines"][0]["Quantity"] == 120

    parent = exchange(trade.buyer, summary["ExchangeId"])
    assert parent["State"] == "applied" and parent["Channel"] == "edi" and parent["Raw"].encode() == raw
    child = exchange(trade.buyer, doc["ExchangeId"])
    assert child["ParentId"] == summary["ExchangeId"] and child["Kind"] == "order" and child["State"] == "applied"
    out = exchange(trade.buyer, ack["ExchangeId"])
    assert out["Direction"] == "out" and out["ParentId"] == summary["ExchangeId"] and out["Kind"] == "997"
    assert out["Raw"] == ack["Raw"] and out["State"] == "sent"

    again = post_edi(server, trade.buyer, raw)
    assert again.status_code == 200, again.text
    assert again.json()["State"] == "duplicate" and again.json()["DuplicateOf"] == summary["ExchangeId"]
    assert exchange(trade.buyer, again.json()["ExchangeId"])["State"] == "duplicate"
    assert len(orders_of(trade.supplier)) == 1


def test_a_bad_interchange_gets_its_997_with_the_errors_and_changes_nothing(server: LiveServer, trade: Trade) -> None:
    raw = (FIXTURES / "edifabric-ShipNotice.txt").read_bytes()
    isa = raw.lstrip(b"\xef\xbb\xbf").split(b"~")[0].decode().split("*")
    add_partner(
        trade.supplier,
        trade.buyer,
        TheirQualifier=isa[5],
        TheirId=isa[6].strip(),
        OurQualifier=isa[7],
        OurId=isa[8].strip(),
    )
    r = post_edi(server, trade.supplier, raw)
    assert r.status_code == 422, r.text
    summary = r.json()
    assert summary["State"] == "refused" and not summary["Accepted"] and summary["Documents"] == []
    codes = {(e["Segment"], e["Code"]) for e in summary["Errors"]}
    # an 856 in an IN group (AK5 6), GE01 2 for 1 set (AK9 5), DTM*011*200 (AK4 8), bad SSCC-18 (AK4 7)
    assert codes == {("ST", "6"), ("GE", "5"), ("DTM", "8"), ("MAN", "7"), ("SE", "5")}
    assert "AK5*R" in summary["Acknowledgement"]["Raw"]
    refused = exchange(trade.supplier, summary["ExchangeId"])
    assert refused["State"] == "refused" and refused["StatusCode"] == 422
    assert any("SSCC" in e["Error"] or "check digit" in e["Error"] for e in refused["Error"]["Errors"]), refused
    assert exchange(trade.supplier, summary["Acknowledgement"]["ExchangeId"])["ParentId"] == summary["ExchangeId"]


def test_an_edifact_test_interchange_is_acknowledged_and_not_applied(server: LiveServer, trade: Trade) -> None:
    add_partner(
        trade.buyer,
        trade.supplier,
        Standard="edifact",
        Version="D96A",
        TheirQualifier="16",
        TheirId="SENDER1",
        OurQualifier="01",
        OurId="RECEIVER1",
    )
    raw = (FIXTURES / "edifabric-PurchaseOrderWithUna.txt").read_bytes()
    r = post_edi(server, trade.buyer, raw, **{"content-type": "application/edifact"})
    assert r.status_code == 200, r.text
    summary = r.json()
    assert summary["Interchange"]["Test"] and summary["Accepted"] and not summary["Applied"]
    assert summary["Documents"] == [] and "not applied" in summary["Message"]
    contrl = summary["Acknowledgement"]
    assert contrl["Kind"] == "CONTRL" and "UCI+131+SENDER1:16:ZZUK+RECEIVER1:01:ZZUK+7'" in contrl["Raw"]
    assert orders_of(trade.supplier) == []


def test_refusals_name_the_field(server: LiveServer, trade: Trade) -> None:
    r = post_edi(server, trade.buyer, b"hello")
    assert r.status_code == 400 and r.json()["Errors"][0]["Field"] == "body"
    raw = (FIXTURES / "node-x12-850.edi").read_bytes()
    r = post_edi(server, trade.buyer, raw)  # no profile for this company
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "ISA06"
    r = httpx.post(f"{server.url}/edi", content=raw, timeout=30)
    assert r.status_code == 401
    r = post_edi(server, trade.buyer, b"ISA*00*short~")
    assert r.status_code == 400 and r.json()["Errors"][0]["Field"] == "ISA"
