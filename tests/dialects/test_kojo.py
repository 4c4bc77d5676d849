"""Kojo's seller API end to end over HTTP with seed 003's own example (and its two defects refused)."""

from __future__ import annotations

from tests.dialects.helpers import create_order, events, kojo, lb_order, load, raw
from tests.support import LiveServer, Trade

SEED_LINES = [
    {"LineNumber": 1, "Quantity": 2, "Price": 100.05, "QuantityUOM": "FT", "ItemIdentifier": {"SupplierSKU": "CU6"}},
    {"LineNumber": 2, "Quantity": 1, "Price": 43.33, "QuantityUOM": "FT", "ItemIdentifier": {"SupplierSKU": "THHN8"}},
]
INVALID_ITEMS = "INTEGRATION_API_CREATE_ORDER_ACKNOWLEDGEMENT_INVALID_ACKNOWLEDGEMENT_ITEMS"


def test_seed_acknowledgement_end_to_end(server: LiveServer, trade: Trade) -> None:
    key = create_order(trade, "KOJO-1", SEED_LINES)
    seller = kojo(server, trade.supplier)

    listed = seller.get("/seller/orders", params={"limit": 10, "offset": 0}).json()
    assert [o["id"] for o in listed["orders"]] == [key] and listed["totalCount"] == 1
    order = seller.get(f"/seller/order/{key}").json()
    assert order["state"] == "OPEN" and order["purchaseOrderNumber"] == "KOJO-1"
    assert [i["lineNumber"] for i in order["items"]] == [1, 2]

    # The seed's text as published: a stray quote makes it invalid JSON.
    r = seller.post(f"/seller/order/{key}/acknowledge", content=raw("kojo_acknowledge_seed.txt"))
    assert r.status_code == 400 and r.json()["code"] == INVALID_ITEMS, r.text

    # Quote fixed, but line 2 still says 1 x 43.33 = 44.33: refused naming the line and both amounts.
    r = seller.post(f"/seller/order/{key}/acknowledge", content=raw("kojo_acknowledge_quote_fixed.json"))
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["code"] == INVALID_ITEMS
    assert err["errors"][0]["field"] == "acknowledgementItems[1].extPriceFloat"
    text = err["errors"][0]["message"]
    assert "line 2" in text and "44.33" in text and "43.33" in text
    assert any("refused" in e["Summary"] for e in events(trade.buyer, key))
    assert lb_order(trade.buyer, key)["StatusCode"] == 150

    r = seller.post(f"/seller/order/{key}/acknowledge", json=load("kojo_acknowledge_corrected.json"))
    assert r.status_code == 200, r.text
    acked = r.json()
    assert acked["id"] == key and acked["state"] == "ACKNOWLEDGED"
    assert [i["quantityAcknowledged"] for i in acked["items"]] == [2, 1]
    assert lb_order(trade.buyer, key)["StatusCode"] == 500

    # Not OPEN any more: Kojo's own error code.
    r = seller.post(f"/seller/order/{key}/acknowledge", json=load("kojo_acknowledge_corrected.json"))
    assert r.status_code == 409
    assert r.json()["code"] == "INTEGRATION_API_CREATE_ORDER_ACKNOWLEDGEMENT_INVALID_ORDER_STATE"


def test_unit_price_basis_and_backorder(server: LiveServer, trade: Trade) -> None:
    key = create_order(
        trade,
        "KOJO-ECM",
        [{"LineNumber": 1, "Quantity": 500, "QuantityUOM": "FT", "ItemIdentifier": {"SupplierSKU": "W12"}}],
    )
    seller = kojo(server, trade.supplier)
    item = {
        "lineNumber": 1,
        "quantity": 300,
        "backorderQuantity": 200,
        "backorderLeadTime": "2 days",
        "unitPriceFloat": 12.5,
        "unitPriceECM": "C",
        "extPriceFloat": 37.5,
        "unitsOfMeasure": "FT",
        "vendorPartNumber": "W12",
    }
    wrong = {**item, "unitPriceECM": "M"}  # 300 x 12.50 per thousand is 3.75, not 37.50
    r = seller.post(f"/seller/order/{key}/acknowledge", json={"acknowledgementItems": [wrong]})
    assert r.status_code == 422 and "3.75" in r.json()["errors"][0]["message"]
    r = seller.post(f"/seller/order/{key}/acknowledge", json={"acknowledgementItems": [{**item, "unitsOfMeasure": ""}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "acknowledgementItems[0].unitsOfMeasure"

    r = seller.post(f"/seller/order/{key}/acknowledge", json={"acknowledgementItems": [item]})
    assert r.status_code == 200, r.text
    line = r.json()["items"][0]
    assert line["quantityAcknowledged"] == 300 and line["backorderQuantity"] == 200
    assert line["acknowledgedUnitPriceFloat"] == 0.125  # 12.50 per hundred


def test_kojo_errors(server: LiveServer, trade: Trade) -> None:
    key = create_order(trade, "KOJO-ERR", SEED_LINES)
    r = kojo(server, trade.supplier).post(
        "/seller/order/999999999/acknowledge", json=load("kojo_acknowledge_corrected.json")
    )
    assert r.status_code == 404 and r.json()["code"] == "INTEGRATION_API_ORDER_NOT_FOUND"
    # The buyer is not the seller of its own order: it does not see it on the seller API.
    r = kojo(server, trade.buyer).get(f"/seller/order/{key}")
    assert r.status_code == 404 and r.json()["code"] == "INTEGRATION_API_ORDER_NOT_FOUND"
    r = kojo(server, trade.supplier).get(f"/seller/order/{key}", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["code"] == "INTEGRATION_API_UNAUTHORIZED"
