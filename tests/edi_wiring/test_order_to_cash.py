"""A full order-to-cash between two pohub instances over AS2 on loopback, each with its own
database: on A the buyer works in JSON and its supplier trades by EDI; on B the supplier works in
JSON and its buyer trades by EDI. A's 850 becomes B's order; B's 855, 856 and 810 become A's
acknowledgement, shipment and invoice; every group is answered by a 997 over AS2. Both orders end
in 1000 with the same quantities, and every EDI document sent is acknowledged."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.api.helpers import SKU1, SKU2, order_body
from tests.edi_wiring.helpers import add_partner
from tests.support import PATIENCE, LiveServer, Party, Trade, database_url, live_server, make_trade

T = TypeVar("T")


def eventually(what: str, probe: Callable[[], T | None], *, seconds: float = PATIENCE) -> T:
    """Wait for the other server's worker (bounded; the deadline is generous, not a speed figure)."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def edi_sent(party: Party) -> list[dict[str, Any]]:
    r = party.get("/Exchanges", params={"direction": "out", "operation": "edi.send", "pageSize": 100})
    assert r.status_code == 200, r.text
    return list(r.json()["Records"])


def order_of(party: Party, po: str) -> dict[str, Any] | None:
    r = party.get("/Orders", params={"pageSize": 100})
    assert r.status_code == 200, r.text
    keys = [o["Identifier"]["LogicbrokerKey"] for o in r.json()["Records"] if o.get("PartnerPO") == po]
    if not keys:
        return None
    return dict(party.get(f"/Orders/{keys[0]}").json()["Body"]["SalesOrder"])


def wire(a: LiveServer, ta: Trade, b: LiveServer, tb: Trade, *, standard: str, version: str) -> None:
    """A: the supplier is the EDI company; B: the buyer is. Each one's identities mirror the other's."""
    common = {"Standard": standard, "Version": version, "Transport": "as2"}
    if standard == "edifact":
        common |= {"TheirQualifier": "ZZZ", "OurQualifier": "ZZZ"}
    add_partner(
        ta.supplier,
        ta.buyer,
        **common,
        TheirId="SUPPLIERB",
        OurId="BUYERA",
        As2Url=f"{b.url}/as2",
        As2TheirId="B-AS2",
        As2OurId="A-AS2",
    )
    add_partner(
        tb.buyer,
        tb.supplier,
        **common,
        TheirId="BUYERA",
        OurId="SUPPLIERB",
        As2Url=f"{a.url}/as2",
        As2TheirId="A-AS2",
        As2OurId="B-AS2",
    )


@pytest.mark.parametrize(("standard", "version"), [("x12", "004010"), ("edifact", "D96A")])
def test_order_to_cash_over_as2(backend: str, tmp_path: Path, standard: str, version: str) -> None:
    with (
        database_url(backend, tmp_path / "a") as url_a,
        database_url(backend, tmp_path / "b") as url_b,
        live_server(url_a, backend, worker_poll_seconds=0.1) as a,
        live_server(url_b, backend, worker_poll_seconds=0.1) as b,
    ):
        ta, tb = make_trade(a), make_trade(b)
        wire(a, ta, b, tb, standard=standard, version=version)
        po = f"PO-O2C-{standard}"

        body = order_body(ta, po, qty1=5, qty2=3)
        del body["PaymentTerm"]  # the sample's 0001-01-01 placeholders are no EDI dates
        r = ta.buyer.post("/Orders", json=body)
        assert r.status_code == 201, r.text
        key_a = str(r.json()["Body"]["LogicbrokerKey"])

        order_b = eventually("the 850 to become B's order", lambda: order_of(tb.supplier, po))
        key_b = str(order_b["Identifier"]["LogicbrokerKey"])
        assert [ln["Quantity"] for ln in order_b["OrderLines"]] == [5, 3]

        ack = {
            "AcknowledgementNumber": "ACK-1",
            "AckLines": [
                {"LineNumber": "01", "Quantity": 4, "QuantityBackordered": 1, "ItemIdentifier": SKU1},
                {"LineNumber": "02", "Quantity": 3, "ItemIdentifier": SKU2},
            ],
        }
        r = tb.supplier.post(f"/Acknowledgement/{key_b}", json=ack)
        assert r.status_code == 201, r.text
        eventually(
            "the 855 to acknowledge A's order",
            lambda: (order_of(ta.buyer, po) or {}).get("StatusCode") == 500 or None,
        )
        shipment = {
            "ShipmentNumber": "S-1",
            "ShipmentDate": "2026-12-01T10:00:00Z",
            "ShipmentLines": [
                {
                    "LineNumber": "01",
                    "Quantity": 5,
                    "ItemIdentifier": SKU1,
                    "ShipmentInfos": [{"TrackingNumber": "1Z1", "Qty": 5}],
                },
                {
                    "LineNumber": "02",
                    "Quantity": 3,
                    "ItemIdentifier": SKU2,
                    "ShipmentInfos": [{"TrackingNumber": "1Z2", "Qty": 3}],
                },
            ],
        }
        r = tb.supplier.post(f"/Shipment/{key_b}", json=shipment)
        assert r.status_code == 201, r.text
        eventually(
            "the 856 to ship A's order",
            lambda: (order_of(ta.buyer, po) or {}).get("StatusCode") == 600 or None,
        )
        invoice = {
            "InvoiceNumber": "I-1",
            "InvoiceDate": "2026-12-02T00:00:00Z",
            "InvoiceTotal": 186.6,
            "InvoiceLines": [
                {"LineNumber": "01", "Quantity": 5, "Price": 31.02, "ItemIdentifier": SKU1},
                {"LineNumber": "02", "Quantity": 3, "Price": 10.5, "ItemIdentifier": SKU2},
            ],
        }
        r = tb.supplier.post(f"/Invoice/{key_b}", json=invoice)
        assert r.status_code == 201, r.text
        final_a = eventually(
            "the 810 to complete A's order",
            lambda: o if (o := order_of(ta.buyer, po)) and o.get("StatusCode") == 1000 else None,
        )
        final_b = order_of(tb.supplier, po)
        assert final_b is not None and final_b["StatusCode"] == 1000
        for final in (final_a, final_b):
            figures = [(ln["Quantity"], ln["QuantityShipped"], ln["QuantityInvoiced"]) for ln in final["OrderLines"]]
            assert figures == [(5, 5, 5), (3, 3, 3)], figures
        assert key_a

        def all_acknowledged(party: Party, count: int) -> list[dict[str, Any]] | None:
            sent = edi_sent(party)
            return sent if len(sent) == count and all(e["State"] == "acknowledged" for e in sent) else None

        sent_a = eventually("A's 850 to be acknowledged", lambda: all_acknowledged(ta.supplier, 1))
        sent_b = eventually("B's 855, 856, 810 to be acknowledged", lambda: all_acknowledged(tb.buyer, 3))
        assert [e["Kind"] for e in sent_a] == ["order"]
        assert sorted(e["Kind"] for e in sent_b) == ["acknowledgement", "invoice", "shipment"]
