"""Spectrum's order API end to end over HTTP with seed 004's own examples (malformed originals refused)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from pohub.db.engine import Database
from tests.dialects.helpers import load, raw, spectrum
from tests.support import LiveServer, Trade, database_url, live_server, make_trade

ENVELOPE = {"lastModification", "error", "apiVersion"}


def test_seed_bulk_acknowledgements(server: LiveServer, trade: Trade) -> None:
    client = spectrum(server, trade.buyer)
    # As published, the seed's array is not JSON (missing colon and commas).
    r = client.post("/api/order/acknowledgements", content=raw("spectrum_acknowledgements_seed.txt"))
    assert r.status_code == 400 and r.json().keys() >= ENVELOPE
    assert "JSON" in r.json()["error"]

    # Corrected, each order stands on its own: the second's "8/6/2019 4:05PM" is refused.
    r = client.post("/api/order/acknowledgements", json=load("spectrum_acknowledgements_corrected.json"))
    assert r.status_code == 200, r.text
    first, second = r.json()
    assert first == {
        "purchaseOrderNumber": "42015953",
        "statuses": [
            {"recipeSetId": "ABCD1234", "success": True, "message": "Processed Successfully"},
            {"recipeSetId": "ABCD1235", "success": True, "message": "Processed Successfully"},
        ],
        "allSuccessful": True,
    }
    assert second["purchaseOrderNumber"] == "42015954" and second["allSuccessful"] is False
    message = second["statuses"][0]["message"]
    assert "ISO 8601" in message and "8/6/2019 4:05PM" in message

    order = client.get("/api/order/order-number/42015953").json()
    assert [g["recipeSetId"] for g in order["lineItems"]] == ["ABCD1234", "ABCD1235"]
    assert [(s["sku"], s["quantity"]) for s in order["lineItems"][0]["skuQuantities"]] == [
        ("ABC1234", 4),
        ("ABC1235", 2),
    ]
    assert order["lineItems"][0]["giftMessage"] == "Enjoy your gift" and order["workflowStatus"] == "not-started"
    assert client.get("/api/order/order-number/42015954").status_code == 404


def test_single_acknowledgement_answers_as_the_seed(server: LiveServer, trade: Trade) -> None:
    client = spectrum(server, trade.buyer)
    ack: dict[str, Any] = load("spectrum_acknowledgements_corrected.json")[0]
    ack["lineItems"] = ack["lineItems"][:1]
    r = client.post("/api/order/acknowledgement", json=ack)
    assert r.status_code == 200, r.text
    assert r.json() == load("spectrum_ack_200_seed.json")

    r = client.post("/api/order/acknowledgement", json=ack)
    assert r.status_code == 409
    assert r.json().keys() == ENVELOPE and r.json()["error"] == "Purchase order has already been submitted."

    r = client.post(
        "/api/order/acknowledgement", json={**ack, "purchaseOrderNumber": "X-2", "orderDate": "8/6/2019 4:05PM"}
    )
    assert r.status_code == 400 and "ISO 8601" in r.json()["error"] and "8/6/2019 4:05PM" in r.json()["error"]
    r = client.post("/api/order/acknowledgement", json={**ack, "purchaseOrderNumber": "X-3", "lineItems": []})
    assert r.status_code == 400 and "lineItems" in r.json()["error"]
    r = spectrum(server, trade.buyer).post(
        "/api/order/acknowledgement", json=ack, headers={"SPECTRUM_API_TOKEN": "wrong"}
    )
    assert r.status_code == 401 and r.json().keys() >= ENVELOPE


def test_full_order_ship_notification_and_status(server: LiveServer, trade: Trade) -> None:
    buyer = spectrum(server, trade.buyer)
    supplier = spectrum(server, trade.supplier)
    r = buyer.post("/api/order", content=raw("spectrum_order_seed.txt"))
    assert r.status_code == 400
    full = load("spectrum_order_corrected.json")
    r = buyer.post("/api/order", json={**full, "shippingAddress": {**full["shippingAddress"], "city": ""}})
    assert r.status_code == 400 and "shippingAddress.city" in r.json()["error"]
    r = buyer.post("/api/order", json=full)
    assert r.status_code == 200 and r.json()["allSuccessful"] is True, r.text

    order = supplier.get("/api/order/order-number/42015953").json()
    assert order["shippingAddress"]["city"] == "Portland" and order["customerAddress"]["lastName"] == "Smith"
    assert order["lineItems"][1]["skuQuantities"][0] == {
        "sku": "100003-0001-XL",
        "quantity": 10,
        "quantityShipped": 0,
        "quantityCancelled": 0,
    }

    r = supplier.put("/api/order/status", json={"purchaseOrderNumber": "42015953", "workflowStatus": "in-progress"})
    assert r.status_code == 200 and r.json()["statusCode"] == 200, r.text
    r = supplier.put("/api/order/status", json={"purchaseOrderNumber": "42015953", "workflowStatus": "painting"})
    assert r.status_code == 400 and "workflowStatus" in r.json()["error"]
    r = supplier.put("/api/order/status", json={"purchaseOrderNumber": "NOPE", "workflowStatus": "in-progress"})
    assert r.status_code == 404

    # All or nothing: one unknown recipe set, nothing ships.
    notice = {
        "purchaseOrderNumber": "42015953",
        "lineItems": [
            {"recipeSetReadableId": "ABCD1234", "shipmentTracking": "1Z999", "serialNumbers": ["S1"]},
            {"recipeSetReadableId": "ZZZZ9999", "shipmentTracking": "1Z999"},
        ],
    }
    r = supplier.post("/api/order/ship-notification", json=notice)
    assert r.status_code == 409 and r.json()["status"] == "Error" and "ZZZZ9999" in r.json()["details"]
    assert all(
        s["quantityShipped"] == 0
        for g in buyer.get("/api/order/order-number/42015953").json()["lineItems"]
        for s in g["skuQuantities"]
    )

    notice["lineItems"] = notice["lineItems"][:1]
    r = supplier.post("/api/order/ship-notification", json=notice)
    assert r.status_code == 200 and r.json()["status"] == "OK", r.text
    shipped = buyer.get("/api/order/order-number/42015953").json()["lineItems"]
    assert [s["quantityShipped"] for s in shipped[0]["skuQuantities"]] == [4, 2]
    assert shipped[1]["skuQuantities"][0]["quantityShipped"] == 0
    # The same notice again changes nothing.
    r = supplier.post("/api/order/ship-notification", json=notice)
    assert r.status_code == 200 and "nothing changed" in r.json()["details"]

    # Units have shipped: the buyer may no longer cancel (the authority table, orders/status.py).
    r = buyer.put("/api/order/status", json={"purchaseOrderNumber": "42015953", "workflowStatus": "cancelled"})
    assert r.status_code == 403 and r.json().keys() >= ENVELOPE
    assert "already shipped" in r.json()["error"], r.text
    r = supplier.put("/api/order/status", json={"purchaseOrderNumber": "42015953", "workflowStatus": "not-started"})
    assert r.status_code == 409 and r.json().keys() >= ENVELOPE  # backwards, for either party


def test_unexpected_error_has_a_trace_id_in_the_log(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A real fault, not a simulated one: the database loses a table under a running server.
    with database_url(backend, tmp_path) as url, live_server(url, backend) as broken:
        trade = make_trade(broken)
        asyncio.run(_drop_events_table(url))
        ack: dict[str, Any] = load("spectrum_acknowledgements_corrected.json")[0]
        with caplog.at_level(logging.ERROR):
            r = spectrum(broken, trade.buyer).post("/api/order/acknowledgement", json=ack)
    assert r.status_code == 500
    body = r.json()
    assert body.keys() >= ENVELOPE and body["traceId"] in body["error"]
    assert body["traceId"] in caplog.text


async def _drop_events_table(url: str) -> None:
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            await conn.execute(text("DROP TABLE events"))
    finally:
        await db.dispose()
