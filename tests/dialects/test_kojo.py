"""Kojo's seller API end to end over HTTP with seed 003's own example (and its two defects refused)."""

from __future__ import annotations

from typing import Any

from tests.dialects.helpers import assert_in_own_words, create_order, events, kojo, lb_order, load, raw
from tests.support import LiveServer, Trade

SEED_LINES = [
    {"LineNumber": 1, "Quantity": 2, "Price": 100.05, "QuantityUOM": "FT", "ItemIdentifier": {"SupplierSKU": "CU6"}},
    {"LineNumber": 2, "Quantity": 1, "Price": 43.33, "QuantityUOM": "FT", "ItemIdentifier": {"SupplierSKU": "THHN8"}},
]
INVALID_ITEMS = "INTEGRATION_API_CREATE_ORDER_ACKNOWLEDGEMENT_INVALID_ACKNOWLEDGEMENT_ITEMS"


def _with_item_ids(body: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
    """The seed's items with the itemIds of this order's items (the seed's own ids name Kojo's items)."""
    ids = {i["lineNumber"]: i["id"] for i in order["items"]}
    return {
        "acknowledgementItems": [{**item, "itemId": ids[item["lineNumber"]]} for item in body["acknowledgementItems"]]
    }


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

    # Quote fixed: its itemIds name Kojo's items, not this order's, and line 2 still says
    # 1 x 43.33 = 44.33. Every problem comes back at once, each naming its item.
    r = seller.post(f"/seller/order/{key}/acknowledge", content=raw("kojo_acknowledge_quote_fixed.json"))
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["code"] == INVALID_ITEMS
    by_field = {e["field"]: e["message"] for e in err["errors"]}
    assert set(by_field) == {
        "acknowledgementItems[0].itemId",
        "acknowledgementItems[1].itemId",
        "acknowledgementItems[1].extPriceFloat",
    }
    assert "cl70xmen80002oodabq9syjlq" in by_field["acknowledgementItems[0].itemId"]
    text = by_field["acknowledgementItems[1].extPriceFloat"]
    assert "line 2" in text and "44.33" in text and "43.33" in text
    assert any("refused" in e["Summary"] for e in events(trade.buyer, key))
    assert lb_order(trade.buyer, key)["StatusCode"] == 150

    sent = _with_item_ids(load("kojo_acknowledge_corrected.json"), order)
    text_sent = raw("kojo_acknowledge_corrected.json")
    for seed_item, item in zip(
        load("kojo_acknowledge_corrected.json")["acknowledgementItems"], sent["acknowledgementItems"], strict=True
    ):
        text_sent = text_sent.replace(seed_item["itemId"].encode(), item["itemId"].encode())
    r = seller.post(f"/seller/order/{key}/acknowledge", content=text_sent)
    assert r.status_code == 200, r.text
    acked = r.json()
    assert acked["id"] == key and acked["state"] == "ACKNOWLEDGED"
    assert [i["quantityAcknowledged"] for i in acked["items"]] == [2, 1]
    assert lb_order(trade.buyer, key)["StatusCode"] == 500
    # The answer carries what the seed's response shows: orderId and the acknowledgementItems as sent,
    # the numbers with the caller's own digits (200.10, not 200.1).
    seed_answer = load("kojo_acknowledge_seed_response.json")
    assert acked.keys() >= seed_answer.keys()
    assert acked["orderId"] == key and acked["acknowledgementId"].isdigit()
    assert acked["acknowledgementItems"] == sent["acknowledgementItems"]
    assert [set(i) for i in acked["acknowledgementItems"]] == [set(i) for i in seed_answer["acknowledgementItems"]]
    assert '"extPriceFloat":200.10' in r.text.replace(" ", "")

    # Once cancelled, the order is CLOSED: Kojo's own error code for its state.
    assert trade.buyer.put(f"/Orders/{key}/Status/1100").status_code == 200
    r = seller.post(f"/seller/order/{key}/acknowledge", json=sent)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "INTEGRATION_API_CREATE_ORDER_ACKNOWLEDGEMENT_INVALID_ORDER_STATE"


def test_a_second_acknowledgement_is_an_update(server: LiveServer, trade: Trade) -> None:
    key = create_order(trade, "KOJO-UPD", SEED_LINES)
    seller = kojo(server, trade.supplier)
    # A partial first acknowledgement: line 1 only.
    first = {"acknowledgementItems": [{"lineNumber": 1, "quantity": 2, "unitsOfMeasure": "FT"}]}
    r = seller.post(f"/seller/order/{key}/acknowledge", json=first)
    assert r.status_code == 200, r.text
    assert [i["quantityAcknowledged"] for i in r.json()["items"]] == [2, 0]

    # Later, the line left out: accepted as an update of the first, which it leaves as it was.
    later = {"acknowledgementItems": [{"lineNumber": 2, "quantity": 1, "unitsOfMeasure": "FT"}]}
    r = seller.post(f"/seller/order/{key}/acknowledge", json=later)
    assert r.status_code == 200, r.text
    assert [i["quantityAcknowledged"] for i in r.json()["items"]] == [2, 1]
    assert [i["lineNumber"] for i in r.json()["acknowledgementItems"]] == [2]

    # A line named again takes the new figures (the hub's update rule).
    again = {"acknowledgementItems": [{"lineNumber": 1, "quantity": 1, "backorderQuantity": 1, "unitsOfMeasure": "FT"}]}
    r = seller.post(f"/seller/order/{key}/acknowledge", json=again)
    assert r.status_code == 200, r.text
    lines = lb_order(trade.buyer, key)["OrderLines"]
    assert [(ln["QuantityAcknowledged"], ln["QuantityBackordered"]) for ln in lines] == [(1, 1), (1, 0)]
    summaries = [e["Summary"] for e in events(trade.buyer, key)]
    assert sum("update" in s.lower() for s in summaries) == 2, summaries


def test_units_of_measure_must_be_the_lines(server: LiveServer, trade: Trade) -> None:
    key = create_order(
        trade,
        "KOJO-UOM",
        [{"LineNumber": 1, "Quantity": 4, "QuantityUOM": "EA", "ItemIdentifier": {"SupplierSKU": "B1"}}],
    )
    seller = kojo(server, trade.supplier)
    r = seller.post(
        f"/seller/order/{key}/acknowledge",
        json={"acknowledgementItems": [{"lineNumber": 1, "quantity": 4, "unitsOfMeasure": "FT"}]},
    )
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "acknowledgementItems[0].unitsOfMeasure"
    assert "item 0" in error["message"] and "EA" in error["message"] and "FT" in error["message"]
    assert lb_order(trade.buyer, key)["OrderLines"][0]["QuantityAcknowledged"] == 0
    # The same unit, written in lower case, is the line's unit.
    r = seller.post(
        f"/seller/order/{key}/acknowledge",
        json={"acknowledgementItems": [{"lineNumber": 1, "quantity": 4, "unitsOfMeasure": "ea"}]},
    )
    assert r.status_code == 200, r.text


def test_item_ids_and_keys_are_checked(server: LiveServer, trade: Trade) -> None:
    key = create_order(trade, "KOJO-KEYS", SEED_LINES)
    seller = kojo(server, trade.supplier)
    items = seller.get(f"/seller/order/{key}").json()["items"]
    url = f"/seller/order/{key}/acknowledge"

    r = seller.post(
        url, json={"acknowledgementItems": [{"itemId": "999999999", "quantity": 2, "unitsOfMeasure": "FT"}]}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "acknowledgementItems[0].itemId", r.text
    assert "999999999" in r.json()["errors"][0]["message"]

    # itemId and lineNumber naming two different lines.
    r = seller.post(
        url, json={"acknowledgementItems": [{"itemId": items[1]["id"], "lineNumber": 1, "unitsOfMeasure": "FT"}]}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "acknowledgementItems[0].itemId", r.text

    # "qty" is not Kojo's "quantity": refused by name, never taken as "accept the whole line".
    r = seller.post(url, json={"acknowledgementItems": [{"itemId": items[0]["id"], "qty": 1, "unitsOfMeasure": "FT"}]})
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "acknowledgementItems[0].qty" and "quantity" in error["message"]
    r = seller.post(url, json={"acknowledgmentItems": []})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"acknowledgmentItems", "acknowledgementItems"}
    assert [ln["QuantityAcknowledged"] for ln in lb_order(trade.buyer, key)["OrderLines"]] == [0, 0]
    assert lb_order(trade.buyer, key)["StatusCode"] == 150


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


def test_every_refusal_names_kojos_own_fields(server: LiveServer, trade: Trade) -> None:
    """Kojo's refusals, the hub's rules' ones included, name acknowledgementItems[i].<Kojo field>, never
    AckLines[i].Quantity or another field of the hub, and show numbers as sent (2.5, not Decimal('2.5'))."""
    key = create_order(trade, "KOJO-WORDS", SEED_LINES)
    seller = kojo(server, trade.supplier)
    url = f"/seller/order/{key}/acknowledge"
    item = {"lineNumber": 1, "quantity": 2, "unitsOfMeasure": "FT"}
    bodies: list[Any] = [
        [],
        {},
        {"acknowledgementItems": "all"},
        {"acknowledgementItems": [7]},
        {"acknowledgementItems": [{**item, "quantity": 2.5}]},
        {"acknowledgementItems": [{**item, "quantity": -1}]},
        {"acknowledgementItems": [{**item, "quantity": 3}]},  # more than the 2 ordered (the hub's rule)
        {"acknowledgementItems": [{**item, "backorderQuantity": 1}]},  # 2 + 1 > 2 (the hub's rule)
        {"acknowledgementItems": [{**item, "vendorPartNumber": "NOT-CU6"}]},  # the hub's SKU rule
        {"acknowledgementItems": [{**item, "unitPriceFloat": "1.50"}]},
        {"acknowledgementItems": [{**item, "unitPriceFloat": -1.5}]},
        {"acknowledgementItems": [{**item, "unitPriceFloat": 1.5, "extPriceFloat": 2.5}]},
        {"acknowledgementItems": [{**item, "unitPriceECM": "X"}]},
        {"acknowledgementItems": [{**item, "unitsOfMeasure": "EA"}]},
        {"acknowledgementItems": [{**item, "unitsOfMeasure": None}]},
        {"acknowledgementItems": [{**item, "description": 5}]},
        {"acknowledgementItems": [{**item, "lineNumber": 9}]},
        {"acknowledgementItems": [{**item, "lineNumber": None}]},
        {"acknowledgementItems": [{**item, "itemId": "nope"}]},
        {"acknowledgementItems": [item, item]},
        {"acknowledgementItems": [{**item, "qty": 2}], "extra": True},
    ]
    answers = [seller.post(url, json=b) for b in bodies]
    answers.append(seller.post(url, content=b'{"acknowledgementItems": [}'))
    answers.append(seller.post("/seller/order/999999999/acknowledge", json={"acknowledgementItems": [item]}))
    answers.append(seller.post(url, json={"acknowledgementItems": [item]}, headers={"Authorization": "Bearer no"}))
    assert trade.buyer.put(f"/Orders/{key}/Status/1100").status_code == 200
    answers.append(seller.post(url, json={"acknowledgementItems": [item]}))  # closed: the hub's state rule
    assert [r.status_code for r in answers][-4:] == [400, 404, 401, 409]
    assert all(r.status_code in (400, 422) for r in answers[: len(bodies)]), [r.text for r in answers]

    from pohub.dialects.kojo.translate import BODY_FIELDS, ITEM_FIELDS

    own = {*ITEM_FIELDS, *BODY_FIELDS, "body", "orderId", "acknowledgmentItems", "extra", "qty"}
    read = assert_in_own_words(
        answers,
        own,
        lambda body: [(e["field"], e["message"]) for e in body.get("errors", [])] + [(None, body["message"])],
    )
    assert read > len(answers)
    hub_refusals = [r.json()["errors"][0] for r in answers[6:9]]
    assert [e["field"] for e in hub_refusals] == [
        "acknowledgementItems[0].quantity",
        "acknowledgementItems[0].quantity",
        "acknowledgementItems[0].vendorPartNumber",
    ]
    assert hub_refusals[0]["message"].startswith("accepted 3") and "vendorPartNumber" in answers[8].json()["message"]
    assert "2.5" in answers[4].text
