"""The inventory feed over EDI through a live server: an EDI supplier's 846 is its broadcast (every
SKU or none), and a JSON supplier's broadcast reaches its EDI buyer as an 846."""

from __future__ import annotations

import uuid
from typing import Any

from pohub.edi.mapping.x12_inventory import inventory_to_846, x12_846_to_inventory
from pohub.edi.x12.reader import sets_of
from pohub.edi.x12.segments import Segment
from tests.edi.documents import read_accepted_x12
from tests.edi.test_x12_inventory import RECORDS, advice
from tests.edi_wiring.helpers import add_partner
from tests.edi_wiring.test_changes import interchange
from tests.edi_wiring.test_outbound import outbound_of
from tests.edi_wiring.test_post_edi import exchange, post_edi
from tests.support import LiveServer, Trade


def item(trade: Trade, sku: str) -> dict[str, Any] | None:
    r = trade.buyer.get(f"/Inventory/{trade.supplier.id}/Item/{sku}")
    if r.status_code == 404:
        return None
    assert r.status_code == 200, r.text
    return dict(r.json()["Body"])


def test_an_edi_suppliers_846_is_its_broadcast_all_or_nothing(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    add_partner(trade.supplier, trade.buyer, TheirId=f"P{tag}", OurId=f"H{tag}")
    body = inventory_to_846(advice())
    # Valid X12, but the feed's rules refuse a negative stock: the set is refused whole, SKU-2 too.
    bad = [Segment("QTY", ("33", "-5", "CA")) if s.id == "QTY" and s.get(3) == "CA" else s for s in body]
    r = post_edi(server, trade.supplier, interchange(tag, "846", "IB", bad, 31))
    assert r.status_code == 200, r.text
    (doc,) = r.json()["Documents"]
    assert (doc["Set"], doc["Kind"], doc["State"]) == ("846", "inventory", "refused"), doc
    assert "negative" in str(doc["Error"]), doc
    assert item(trade, "SKU-1") is None and item(trade, "SKU-2") is None

    r = post_edi(server, trade.supplier, interchange(tag, "846", "IB", body, 32))
    assert r.status_code == 200, r.text
    (doc,) = r.json()["Documents"]
    assert doc["State"] == "applied", doc
    assert exchange(trade.supplier, doc["ExchangeId"])["Operation"] == "edi.inventory"
    got = item(trade, "SKU-1")
    assert got is not None
    keys = ("Quantity", "Cost", "NextAvailableQuantity", "Warehouse2", "Warehouse2Quantity")
    assert {k: got.get(k) for k in keys} == {
        "Quantity": 120,
        "Cost": 4.25,
        "NextAvailableQuantity": 50,
        "Warehouse2": "West",
        "Warehouse2Quantity": 50,
    }
    assert item(trade, "SKU-2") is not None and item(trade, "SKU-2")["LeadTime"] == "2-3 weeks"  # type: ignore[index]


def test_a_json_broadcast_reaches_an_edi_buyer_as_an_846(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    add_partner(trade.buyer, trade.supplier, TheirId=f"P{tag}", OurId=f"H{tag}")
    r = trade.supplier.post("/Inventory/Broadcast", json={"Records": RECORDS})
    assert r.status_code == 200, r.text
    (sent,) = outbound_of(trade.buyer, kind="inventory")
    assert sent["State"] == "queued" and sent["OrderKey"] in (None, "")
    (body,) = sets_of(read_accepted_x12(sent["Raw"].encode()), "846")
    records = x12_846_to_inventory(body).model_dump(mode="json", by_alias=True)["Records"]
    assert [(r["SupplierSKU"], r["Quantity"]) for r in records] == [("SKU-1", 120), ("SKU-2", 0)]
    assert records[0]["Warehouse2NextAvailableDate"] == "2026-04-15" and records[0]["MerchantSKU"] == "M-1"

    # Zeroing out sends the whole feed again, at 0.
    r = trade.supplier.put(f"/Inventory/{trade.supplier.id}/ZeroOut")
    assert r.status_code == 200, r.text
    latest = max(outbound_of(trade.buyer, kind="inventory"), key=lambda e: e["Id"])
    (body,) = sets_of(read_accepted_x12(latest["Raw"].encode()), "846")
    assert {r["Quantity"] for r in x12_846_to_inventory(body).model_dump(by_alias=True)["Records"]} == {0}
