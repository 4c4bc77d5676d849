"""Spectrum's order API end to end over HTTP with seed 004's own examples (malformed originals refused)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from pohub.db.engine import Database
from tests.dialects.helpers import assert_in_own_words, lb_order, load, raw, spectrum
from tests.support import LiveServer, Trade, database_url, live_server, make_party, make_trade

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


def _raw_of(url: str, key: str) -> str:
    async def read() -> str:
        db = Database(url, pool_size=1)
        try:
            async with db.read() as conn:
                return str(
                    (
                        await conn.execute(text("SELECT raw FROM documents WHERE id = :id"), {"id": int(key)})
                    ).scalar_one()
                )
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_full_order_after_its_acknowledgement(server: LiveServer, trade: Trade) -> None:
    buyer = spectrum(server, trade.buyer)
    ack = load("spectrum_acknowledgements_corrected.json")[0]
    r = buyer.post("/api/order/acknowledgement", json=ack)
    assert r.status_code == 200, r.text
    [record] = trade.buyer.get("/Orders", params={"Filters.partnerPO": "42015953"}).json()["Records"]
    key = record["Identifier"]["LogicbrokerKey"]
    first_raw = _raw_of(server.database_url, key)

    # The seed's own full order for 42015953 lists recipe set ABCD1235 as 10 x 100003-0001-XL, where
    # its acknowledgement ordered 3 x ABC1236 and 6 x ABC1237: refused, naming each disagreement.
    full = load("spectrum_order_corrected.json")
    r = buyer.post("/api/order", json=full)
    assert r.status_code == 409, r.text
    by_field: dict[str, list[str]] = {}
    for e in r.json()["errors"]:
        by_field.setdefault(e["field"], []).append(e["message"])
    assert set(by_field) == {"lineItems[1].sku", "lineItems"}, r.text
    assert "100003-0001-XL" in by_field["lineItems[1].sku"][0]
    assert sorted("ABC1236" in m or "ABC1237" in m for m in by_field["lineItems"]) == [True, True]
    assert "ABCD1235" in r.json()["error"]

    # A full order that orders what was acknowledged: its addresses become the order's.
    agreeing = {**full, "lineItems": [full["lineItems"][0], {**ack["lineItems"][1], "giftMessage": "Hi"}]}
    r = buyer.post("/api/order", json=agreeing)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "purchaseOrderNumber": "42015953",
        "statuses": [
            {"recipeSetId": "ABCD1234", "success": True, "message": "Processed Successfully"},
            {"recipeSetId": "ABCD1235", "success": True, "message": "Processed Successfully"},
        ],
        "allSuccessful": True,
    }
    seen = spectrum(server, trade.supplier).get("/api/order/order-number/42015953").json()
    assert seen["shippingAddress"]["city"] == "Portland" and seen["customerAddress"]["lastName"] == "Smith"
    assert seen["emailAddress"] == "john.smith@acme.com" and seen["customerServiceContact"] == "Sally Smith"
    assert seen["lineItems"][1]["giftMessage"] == "Hi" and seen["lineItems"][0]["proofStatus"] == "Requested"
    assert [(s["sku"], s["quantity"]) for g in seen["lineItems"] for s in g["skuQuantities"]] == [
        ("ABC1234", 4),
        ("ABC1235", 2),
        ("ABC1236", 3),
        ("ABC1237", 6),
    ]
    # The hub's own API shows them too (the supplier needs the ship-to address to ship) ...
    order = lb_order(trade.supplier, key)
    assert order["ShipToAddress"]["City"] == "Portland" and order["BillToAddress"]["Zip"] == "97205"
    assert order["OrderDate"] == "2022-01-31T13:15:05.2151663-05:00"  # all seven fraction digits
    assert seen["orderDate"] == "2022-01-31T13:15:05.2151663-05:00"
    # ... while the order's body as first received is unchanged, and the timeline says what came.
    assert _raw_of(server.database_url, key) == first_raw
    summaries = [e["Summary"] for e in trade.buyer.get(f"/Orders/{key}/Events").json()["Body"]["ActivityEvents"]]
    assert any("details received" in s and "shippingAddress" in s for s in summaries), summaries

    # The full order again: already submitted.
    r = buyer.post("/api/order", json=agreeing)
    assert r.status_code == 409 and r.json()["error"] == "Purchase order has already been submitted.", r.text
    # And a second acknowledgement, as before.
    r = buyer.post("/api/order/acknowledgement", json=ack)
    assert r.status_code == 409 and r.json()["error"] == "Purchase order has already been submitted."


def test_full_order_for_a_closed_order_is_refused(server: LiveServer, trade: Trade) -> None:
    buyer = spectrum(server, trade.buyer)
    ack = load("spectrum_acknowledgements_corrected.json")[0]
    assert buyer.post("/api/order/acknowledgement", json=ack).status_code == 200
    r = buyer.put("/api/order/status", json={"purchaseOrderNumber": "42015953", "workflowStatus": "cancelled"})
    assert r.status_code == 200, r.text
    full = load("spectrum_order_corrected.json")
    r = buyer.post("/api/order", json={**full, "lineItems": ack["lineItems"]})
    assert r.status_code == 409 and "Cancelled" in r.json()["error"], r.text
    assert spectrum(server, trade.buyer).get("/api/order/order-number/42015953").json()["shippingAddress"] is None


def test_a_line_items_own_sku_is_never_dropped(server: LiveServer, trade: Trade) -> None:
    buyer = spectrum(server, trade.buyer)
    second = load("spectrum_acknowledgements_corrected.json")[1]
    second["orderDate"] = "2019-08-06T16:05:00Z"
    # The seed's 42015954: 5 x 100003-0001-M on the line item itself, and skuQuantities 7 x ABC1238, 9 x ABC1239.
    r = buyer.post("/api/order/acknowledgement", json=second)
    assert r.status_code == 400, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "lineItems[0].sku"
    assert "100003-0001-M" in error["message"] and "ABC1238" in error["message"] and "ABC1239" in error["message"]
    assert buyer.get("/api/order/order-number/42015954").status_code == 404

    # The same SKU said twice (on the item and in skuQuantities) is no contradiction.
    said_twice = {**second, "lineItems": [{**second["lineItems"][0], "sku": "ABC1238", "quantity": 7}]}
    r = buyer.post("/api/order/acknowledgement", json=said_twice)
    assert r.status_code == 200, r.text
    seen = buyer.get("/api/order/order-number/42015954").json()
    assert [(s["sku"], s["quantity"]) for s in seen["lineItems"][0]["skuQuantities"]] == [
        ("ABC1238", 7),
        ("ABC1239", 9),
    ]


def test_every_missing_field_at_once(server: LiveServer, trade: Trade) -> None:
    buyer = spectrum(server, trade.buyer)
    r = buyer.post("/api/order/acknowledgement", json={})
    assert r.status_code == 400, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["purchaseOrderNumber", "orderDate", "lineItems"]
    assert r.json()["error"].count("is required") == 3  # the envelope's one text names all three

    r = buyer.post(
        "/api/order",
        json={
            "purchaseOrderNumber": "X-1",
            "orderDate": "yesterday",
            "lineItems": [{}, {"recipeSetId": "R", "skuQuantities": [{"sku": "A"}, {"quantity": "two"}]}],
            "customerAddress": {"firstName": "Ada"},
        },
    )
    assert r.status_code == 400, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert fields == [
        "orderDate",
        "lineItems[0].recipeSetId",
        "lineItems[0].skuQuantities",
        "lineItems[1].skuQuantities[0].quantity",
        "lineItems[1].skuQuantities[1].quantity",
        "lineItems[1].skuQuantities[1].sku",
        "shippingAddress",
        *(f"customerAddress.{n}" for n in ("lastName", "address1", "city", "state", "postalCode", "country")),
    ]
    assert r.json()["errors"][4]["message"] == 'must be a whole number, got "two"'  # as sent, quoted as JSON


def test_401_names_the_token_header(server: LiveServer, trade: Trade) -> None:
    ack = load("spectrum_acknowledgements_corrected.json")[0]
    for headers in ({"SPECTRUM_API_TOKEN": "wrong"}, {"SPECTRUM_API_TOKEN": ""}):
        r = spectrum(server, trade.buyer).post("/api/order/acknowledgement", json=ack, headers=headers)
        assert r.status_code == 401 and r.json().keys() >= ENVELOPE
        assert "SPECTRUM_API_TOKEN" in r.json()["error"] and r.json()["errors"][0]["field"] == "SPECTRUM_API_TOKEN"
    r = httpx.get(f"{server.url}/spectrum/api/order/order-number/42015953")
    assert r.status_code == 401 and "SPECTRUM_API_TOKEN header is missing" in r.json()["error"]


SPECTRUM_FIELDS = {
    "body",
    "SPECTRUM_API_TOKEN",
    "purchaseOrderNumber",
    "orderDate",
    "lineItems",
    "recipeSetId",
    "recipeSetReadableId",
    "skuQuantities",
    "sku",
    "quantity",
    "estimatedDeliveryDate",
    "shipmentTracking",
    "serialNumbers",
    "workflowStatus",
    "shippingAddress",
    "customerAddress",
    "firstName",
    "lastName",
    "address1",
    "city",
    "state",
    "postalCode",
    "country",
}


def _spectrum_errors(body: dict[str, Any]) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = [(e["field"], e["message"]) for e in body.get("errors", [])]
    return [*out, (None, str(body.get("error") or body.get("details")))]


def test_every_refusal_names_spectrums_own_fields(server: LiveServer, trade: Trade) -> None:
    """Spectrum's refusals, the hub's rules' ones included, name lineItems[i].skuQuantities[j].quantity
    and Spectrum's other fields, never OrderLines[3].Quantity or another field of the hub."""
    buyer = spectrum(server, trade.buyer)
    supplier = spectrum(server, trade.supplier)
    ack: dict[str, Any] = load("spectrum_acknowledgements_corrected.json")[0]
    item = ack["lineItems"][1]
    assert buyer.post("/api/order/acknowledgement", json=ack).status_code == 200
    bad_items = [
        "x",
        [7],
        [{**item, "skuQuantities": [7]}],
        [{**item, "skuQuantities": [{"sku": "A", "quantity": 0}]}],  # the hub's rule: at least 1
        [{**item, "skuQuantities": [{"sku": "A", "quantity": 2.5}]}],
        [{**item, "skuQuantities": [{"sku": "A", "quantity": 1}], "sku": "B", "quantity": 1}],
        [{**item, "estimatedDeliveryDate": "soon"}],
    ]
    answers = [buyer.post("/api/order/acknowledgement", json=b) for b in ([], {}, {**ack, "orderDate": "8/6/2019"})]
    answers += [
        buyer.post("/api/order/acknowledgement", json={**ack, "purchaseOrderNumber": "W", "lineItems": li})
        for li in bad_items
    ]
    answers.append(buyer.post("/api/order/acknowledgement", json=ack))  # already submitted
    answers.append(buyer.post("/api/order/acknowledgement", content=b"{"))
    answers.append(buyer.post("/api/order/acknowledgement", json=ack, headers={"SPECTRUM_API_TOKEN": "no"}))
    loner = spectrum(server, make_party(server))  # a merchant with no fulfilment partner (the hub's rule)
    answers.append(loner.post("/api/order/acknowledgement", json={**ack, "purchaseOrderNumber": "L-1"}))
    full = load("spectrum_order_corrected.json")
    answers.append(buyer.post("/api/order", json=full))  # disagrees with the acknowledgement
    answers.append(buyer.post("/api/order", json={**full, "purchaseOrderNumber": "F-2", "shippingAddress": {}}))
    notice = {"purchaseOrderNumber": "42015953", "lineItems": [{"recipeSetReadableId": "ZZZ"}, {}]}
    answers.append(supplier.post("/api/order/ship-notification", json=notice))
    answers.append(supplier.post("/api/order/ship-notification", json={"purchaseOrderNumber": "42015953"}))
    answers.append(supplier.post("/api/order/ship-notification", json={**notice, "purchaseOrderNumber": "NOPE"}))
    answers.append(supplier.put("/api/order/status", json={"purchaseOrderNumber": "42015953", "workflowStatus": "x"}))
    answers.append(
        buyer.put("/api/order/status", json={"purchaseOrderNumber": "42015953", "workflowStatus": "cancelled"})
    )
    answers[-1:] = []  # that one succeeds: cancelled; now a move back is the hub's transition rule
    answers.append(
        buyer.put("/api/order/status", json={"purchaseOrderNumber": "42015953", "workflowStatus": "in-progress"})
    )
    answers.append(
        supplier.post(
            "/api/order/ship-notification",
            json={"purchaseOrderNumber": "42015953", "lineItems": [{"recipeSetReadableId": "ABCD1234"}]},
        )
    )

    read = assert_in_own_words(answers, SPECTRUM_FIELDS, _spectrum_errors)
    assert read > len(answers)
    quantity_zero = answers[6].json()["errors"]
    assert quantity_zero[0]["field"] == "lineItems[0].skuQuantities[0].quantity", quantity_zero
    assert answers[7].json()["errors"][0]["message"] == "must be a whole number, got 2.5"
    assert "fulfilment" in answers[13].json()["error"], answers[13].text

    # The bulk answer's per-order messages too.
    r = buyer.post(
        "/api/order/acknowledgements", json=[{**ack, "purchaseOrderNumber": "B-1", "lineItems": bad_items[3]}]
    )
    assert r.status_code == 200
    message = r.json()[0]["statuses"][0]["message"]
    assert "lineItems[0].skuQuantities[0].quantity" in message and "OrderLines" not in message, message
