"""Bad input gets a 4xx naming the field and the rule, never a 500, and is kept as received."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pohub.core import jsonio
from tests.api.helpers import SKU1, ack, create_order, error_fields, events, get_order, line, order_body
from tests.support import FIXTURES, LiveServer, Trade, live_server

SEED_MALFORMED = (FIXTURES / "seed-002-order-malformed.json").read_bytes()


def test_seed_malformed_json_is_refused_with_where(trade: Trade) -> None:
    # Seed 002 writes "LineNumber": 01 and leaves trailing commas: not JSON.
    r = trade.buyer.post("/Orders", content=SEED_MALFORMED, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    body = r.json()
    assert body["Code"] == "400" and "Malformed JSON" in body["Message"]
    assert body["Errors"][0]["Field"] == "body" and "line" in body["Errors"][0]["Error"]


def test_seed_order_corrected_is_accepted_as_sent(trade: Trade) -> None:
    raw = (FIXTURES / "seed-002-order.json").read_text()
    raw = raw.replace('"SenderCompanyId": 0', f'"SenderCompanyId": {trade.buyer.id}')
    raw = raw.replace('"ReceiverCompanyId": 0', f'"ReceiverCompanyId": {trade.supplier.id}')
    r = trade.buyer.post("/Orders", content=raw.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    order = get_order(trade, r.json()["Body"]["LogicbrokerKey"])
    assert order["OrderLines"][0]["LineNumber"] == "01"
    assert order["OrderLines"][0]["ItemIdentifier"]["SupplierSKU"] == "49-98760"
    assert order["OrderLines"][0]["Taxes"][0]["TaxAmount"] == 3.20
    assert order["ExtendedAttributes"][0] == {"Name": "StoreNumber", "Value": "12345"}
    assert order["StatusCode"] == 150


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"OrderLines": [{"LineNumber": "1", "Quantity": "five", "ItemIdentifier": SKU1}]}, "OrderLines[0].Quantity"),
        ({"OrderLines": [{"LineNumber": "1", "Quantity": 2}]}, "OrderLines[0].ItemIdentifier"),
        ({"OrderLines": [{"LineNumber": "1", "Quantity": 0, "ItemIdentifier": SKU1}]}, "OrderLines[0].Quantity"),
        ({"OrderLines": [{"Quantity": 1, "ItemIdentifier": SKU1}]}, "OrderLines[0].LineNumber"),
        ({"OrderLines": []}, "OrderLines"),
        ({"OrderLines": [{"LineNumber": "1", "Quantity": 10**30, "ItemIdentifier": SKU1}]}, "OrderLines[0].Quantity"),
        ({"PartnerPO": None}, "PartnerPO"),
        ({"OrderDate": "8/6/2019 4:05PM"}, "OrderDate"),
        ({"HandlingAmount": "lots"}, "HandlingAmount"),
        ({"SalesRequirement": 7}, "SalesRequirement"),
        (
            {
                "OrderLines": [
                    {"LineNumber": "01", "Quantity": 1, "ItemIdentifier": SKU1},
                    {"LineNumber": 1, "Quantity": 1, "ItemIdentifier": SKU1},
                ]
            },
            "OrderLines[1].LineNumber",
        ),
    ],
)
def test_bad_order_fields_are_named(trade: Trade, change: dict[str, object], field: str) -> None:
    body = order_body(trade, "PO-BAD")
    body.update(change)
    r = trade.buyer.post("/Orders", json=body)
    assert r.status_code == 422, r.text
    assert field in error_fields(r)


def test_body_that_is_not_an_object(trade: Trade) -> None:
    r = trade.buyer.post("/Orders", json=[1, 2])
    assert r.status_code == 422 and error_fields(r) == ["body"]


def test_duplicate_partner_po_is_409(trade: Trade) -> None:
    key = create_order(trade, "PO-DUP")
    r = trade.buyer.post("/Orders", json=order_body(trade, "PO-DUP"))
    assert r.status_code == 409
    assert r.json()["LogicbrokerKey"] == key and "PartnerPO" in error_fields(r)


def test_unknown_key_and_other_tenants_look_the_same(server: LiveServer, trade: Trade) -> None:
    from tests.support import make_trade

    key = create_order(trade, "PO-TENANT")
    stranger = make_trade(server).supplier
    mine = trade.supplier.get(f"/Orders/{key}")
    theirs = stranger.get(f"/Orders/{key}")
    missing = stranger.get("/Orders/999999999")
    assert mine.status_code == 200
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["Message"].replace(key, "K") == missing.json()["Message"].replace("999999999", "K")
    assert stranger.get("/Orders/not-a-key").status_code == 404
    assert stranger.put(f"/Orders/{key}/Status/200").status_code == 404
    assert stranger.get("/Orders", params={"Filters.partnerPO": "PO-TENANT"}).json()["TotalRecords"] == 0
    r = stranger.post(f"/Shipment/{key}", json={"ShipmentNumber": "X", "ShipmentLines": [line(1, 1)]})
    assert r.status_code == 404


def test_no_key_or_wrong_key_is_401(server: LiveServer) -> None:
    assert httpx.get(f"{server.api}/Orders").status_code == 401
    r = httpx.get(f"{server.api}/Orders", params={"subscription-key": "pohub_nope"})
    assert r.status_code == 401 and r.json()["Code"] == "401"


def test_subscription_key_query_parameter(server: LiveServer, trade: Trade) -> None:
    r = httpx.get(f"{server.api}/Orders", params={"subscription-key": trade.supplier.key})
    assert r.status_code == 200


def test_not_connected_and_wrong_sender_are_refused(server: LiveServer, trade: Trade) -> None:
    from tests.support import make_party

    outsider = make_party(server)
    body = order_body(trade, "PO-NOTCONN")
    body["ReceiverCompanyId"] = outsider.id
    r = trade.buyer.post("/Orders", json=body)
    assert r.status_code == 403 and "not connected" in r.json()["Message"]
    body = order_body(trade, "PO-WRONGSENDER")
    body["SenderCompanyId"] = outsider.id
    r = trade.buyer.post("/Orders", json=body)
    assert r.status_code == 403 and error_fields(r) == ["SenderCompanyId"]
    # a buyer cannot acknowledge its own order
    key = create_order(trade, "PO-BUYER-ACK")
    r = trade.buyer.post(
        "/Acknowledgements", json={**ack("PO-BUYER-ACK", "A", [line(1, 1)]), "Identifier": {"LinkKey": key}}
    )
    assert r.status_code == 403


def test_second_acknowledgement_needs_the_update_flag(trade: Trade) -> None:
    key = create_order(trade, "PO-REACK")
    assert (
        trade.supplier.post(
            "/Acknowledgements", json=ack("PO-REACK", "A1", [line(1, 2, QuantityBackordered=3)])
        ).status_code
        == 201
    )
    r = trade.supplier.post("/Acknowledgements", json=ack("PO-REACK", "A2", [line(1, 5)]))
    assert r.status_code == 409
    assert "Acknowledgement Update" in r.json()["Message"] and error_fields(r) == ["ExtendedAttributes"]
    assert get_order(trade, key)["OrderLines"][0]["QuantityAcknowledged"] == 2
    r = trade.supplier.post("/Acknowledgements", json=ack("PO-REACK", "A2", [line(1, 5)], update=True))
    assert r.status_code == 201, r.text
    first = get_order(trade, key)["OrderLines"][0]
    assert (first["QuantityAcknowledged"], first["QuantityBackordered"]) == (5, 0)
    summaries = [e["Summary"] for e in events(trade, key)]
    assert any("Acknowledgement refused (409)" in s for s in summaries)
    assert any(s.startswith("Updated acknowledgement A2") for s in summaries)


def test_acknowledgement_quantities_may_not_exceed_ordered(trade: Trade) -> None:
    create_order(trade, "PO-ACKSUM")
    r = trade.supplier.post(
        "/Acknowledgements", json=ack("PO-ACKSUM", "A", [line(1, 3, QuantityBackordered=2, QuantityCancelled=1)])
    )
    assert r.status_code == 422
    assert error_fields(r) == ["AckLines[0].Quantity"]
    assert "= 6 exceeds the 5 ordered" in r.json()["Errors"][0]["Error"]


def test_acknowledgement_line_must_exist_and_match(trade: Trade) -> None:
    create_order(trade, "PO-ACKLINE")
    r = trade.supplier.post("/Acknowledgements", json=ack("PO-ACKLINE", "A", [line(9, 1)]))
    assert r.status_code == 422 and error_fields(r) == ["AckLines[0].LineNumber"]
    r = trade.supplier.post("/Acknowledgements", json=ack("PO-ACKLINE", "A", [line(1, 1, {"SupplierSKU": "WRONG"})]))
    assert r.status_code == 422 and error_fields(r) == ["AckLines[0].ItemIdentifier.SupplierSKU"]
    r = trade.supplier.post("/Acknowledgements", json=ack("PO-OTHER", "A", [line(1, 1)]))
    assert r.status_code == 404


def test_all_cancelled_acknowledgement_does_not_cancel(trade: Trade) -> None:
    key = create_order(trade, "PO-ALLCANCEL")
    body = ack(
        "PO-ALLCANCEL",
        "A",
        [line(1, 0, QuantityCancelled=5), line(2, 0, {"SupplierSKU": "PIP-200"}, QuantityCancelled=3)],
    )
    assert trade.supplier.post("/Acknowledgements", json=body).status_code == 201
    assert get_order(trade, key)["StatusCode"] == 200
    assert any("set to 1100" in e["Summary"] for e in events(trade, key))
    assert trade.supplier.put(f"/Orders/{key}/Status/Cancelled").status_code == 200
    assert get_order(trade, key)["StatusCode"] == 1100
    r = trade.supplier.post(f"/Shipment/{key}", json={"ShipmentNumber": "S", "ShipmentLines": [line(1, 1)]})
    assert r.status_code == 409


def test_document_duplicates(trade: Trade) -> None:
    key = create_order(trade, "PO-DOCDUP")
    ship = {"ShipmentNumber": "S-1", "ShipmentLines": [line(1, 2)]}
    first = trade.supplier.post(f"/Shipment/{key}", json=ship)
    assert first.status_code == 201
    again = trade.supplier.post(f"/Shipment/{key}", json=ship)
    assert again.status_code == 200
    assert again.json()["Body"]["LogicbrokerKey"] == first.json()["Body"]["LogicbrokerKey"]
    assert get_order(trade, key)["OrderLines"][0]["QuantityShipped"] == 2
    changed = trade.supplier.post(f"/Shipment/{key}", json={"ShipmentNumber": "S-1", "ShipmentLines": [line(1, 1)]})
    assert changed.status_code == 409 and error_fields(changed) == ["ShipmentNumber"]
    assert len(trade.supplier.get(f"/Orders/{key}/Shipments").json()["Body"]["Shipments"]) == 1


def test_over_shipment_names_everything(trade: Trade) -> None:
    key = create_order(trade, "PO-OVERSHIP")
    trade.supplier.post("/Acknowledgements", json=ack("PO-OVERSHIP", "A", [line(1, 4, QuantityCancelled=1)]))
    assert (
        trade.supplier.post(
            f"/Shipment/{key}", json={"ShipmentNumber": "S1", "ShipmentLines": [line(1, 3)]}
        ).status_code
        == 201
    )
    r = trade.supplier.post(f"/Shipment/{key}", json={"ShipmentNumber": "S2", "ShipmentLines": [line(1, 2)]})
    assert r.status_code == 422
    err = r.json()["Errors"][0]
    assert err["Field"] == "ShipmentLines[0].Quantity"
    for part in ("line 01", "ordered 5", "cancelled 1", "already shipped 3", "this shipment 2"):
        assert part in err["Error"], err
    # ShipmentInfos' Qty must agree with the line's Quantity when both are given
    r = trade.supplier.post(
        f"/Shipment/{key}",
        json={"ShipmentNumber": "S3", "ShipmentLines": [line(1, 1, ShipmentInfos=[{"Qty": 1}, {"Qty": 1}])]},
    )
    assert r.status_code == 422 and "add up to 2" in r.json()["Errors"][0]["Error"]
    assert trade.supplier.post(f"/Shipment/{key}", json={"ShipmentNumber": "S4"}).status_code == 422


def test_invoice_rules(trade: Trade) -> None:
    key = create_order(trade, "PO-INV")
    trade.supplier.post(f"/Shipment/{key}", json={"ShipmentNumber": "S1", "ShipmentLines": [line(1, 2)]})
    r = trade.supplier.post(f"/Invoice/{key}", json={"InvoiceNumber": "I1", "InvoiceLines": [line(1, 3)]})
    assert r.status_code == 422 and "shipped 2" in r.json()["Errors"][0]["Error"]
    r = trade.supplier.post(
        f"/Invoice/{key}", json={"InvoiceNumber": "I1", "InvoiceTotal": 62.05, "InvoiceLines": [line(1, 2)]}
    )
    assert r.status_code == 422
    assert r.json()["Errors"] == [{"Field": "InvoiceTotal", "Error": "must equal 62.04 (off by 0.01)"}]
    r = trade.supplier.post(
        f"/Invoice/{key}", json={"InvoiceNumber": "I1", "InvoiceTotal": 62.04, "InvoiceLines": [line(1, 2)]}
    )
    assert r.status_code == 201, r.text
    assert (
        trade.supplier.get(f"/Invoices/{r.json()['Body']['LogicbrokerKey']}").json()["Body"]["Invoice"]["InvoiceTotal"]
        == 62.04
    )


def test_status_moves(trade: Trade) -> None:
    key = create_order(trade, "PO-STATUS")
    assert trade.supplier.put(f"/Orders/{key}/Status/Acknowledged").status_code == 200
    assert trade.supplier.put(f"/Orders/{key}/Status/200").status_code == 200  # same again: no change
    r = trade.supplier.put(f"/Orders/{key}/Status/150")
    assert r.status_code == 409
    assert r.json()["AllowedStatuses"] == [500, 600, 1000, 1100, 1200]
    r = trade.supplier.put(f"/Orders/{key}/Status/999")
    assert r.status_code == 422 and error_fields(r) == ["Status"]
    assert trade.supplier.get(f"/Orders/{key}/Status").json()["Body"]["StatusCode"] == 200
    trade.buyer.put(f"/Orders/{key}/Status/1100")
    r = trade.supplier.put(f"/Orders/{key}/Status/500")
    assert r.status_code == 409 and r.json()["AllowedStatuses"] == []


def test_bulk_status(trade: Trade) -> None:
    a = create_order(trade, "PO-BULK-A")
    b = create_order(trade, "PO-BULK-B")
    trade.supplier.put(f"/Orders/{b}/Status/500")
    r = trade.supplier.put(
        "/Orders/Status",
        json={"Status": "Acknowledged", "OnlyIncreaseStatus": True, "LogicbrokerKeys": [a, b, "424242424"]},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["Records"] == [a]
    assert [u["LogicbrokerKey"] for u in body["Unchanged"]] == [b]
    assert [x["LogicbrokerKey"] for x in body["Refused"]] == ["424242424"]
    r = trade.supplier.put("/Orders/Status", json={"Status": 150, "LogicbrokerKeys": [b]})
    assert r.json()["Refused"][0]["LogicbrokerKey"] == b
    assert trade.supplier.put("/Orders/Status", json={"Status": 150}).status_code == 422


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageSize": 1_000_000}, "pageSize"),
        ({"Filters.pageSize": 0}, "Filters.pageSize"),
        ({"page": "x"}, "page"),
        ({"filters.status": "Shipped-ish"}, "filters.status"),
        ({"Filters.from": "yesterday"}, "Filters.from"),
    ],
)
def test_bad_search_parameters(trade: Trade, params: dict[str, object], field: str) -> None:
    r = trade.supplier.get("/Orders", params=params)
    assert r.status_code == 422 and error_fields(r) == [field]


def test_body_size_limit(tmp_path: Path, db_url: str, backend: str) -> None:
    with live_server(db_url, backend, max_body_bytes=1000) as small:
        from tests.support import make_trade

        trade = make_trade(small)
        r = trade.buyer.post("/Orders", json=order_body(trade, "PO-BIG"))
        assert r.status_code == 413 and r.json()["Code"] == "413"


def test_unknown_route_and_method_answer_json(trade: Trade) -> None:
    r = trade.supplier.get("/NoSuchThing")
    assert r.status_code == 404 and r.json()["Code"] == "404"
    r = trade.supplier.delete("/Orders")
    assert r.status_code == 405 and r.json()["Code"] == "405"


def test_prices_beyond_float_precision_come_back_digit_for_digit(trade: Trade) -> None:
    body = order_body(trade, "PO-EXACT")
    raw = jsonio.dumps(body).replace(b'"Price":31.02', b'"Price":12345678901234.123456')
    r = trade.buyer.post("/Orders", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    answer = trade.supplier.get(f"/Orders/{r.json()['Body']['LogicbrokerKey']}")
    assert b'"Price":12345678901234.123456' in answer.content


def test_interactive_docs_need_no_cdn(server: LiveServer) -> None:
    page = httpx.get(f"{server.url}/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "/docs-assets/swagger-ui-bundle.js" in page.text
    assert httpx.get(f"{server.url}/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert httpx.get(f"{server.url}/docs-assets/swagger-ui.css").status_code == 200


def test_reposting_the_document_that_completed_an_order_is_still_a_duplicate(trade: Trade) -> None:
    key = create_order(trade, "PO-REPOST-LAST", qty1=1, qty2=1)
    ship = {"ShipmentNumber": "S", "ShipmentLines": [line(1, 1), line(2, 1, {"SupplierSKU": "PIP-200"})]}
    assert trade.supplier.post(f"/Shipment/{key}", json=ship).status_code == 201
    invoice = {"InvoiceNumber": "I", "InvoiceLines": [line(1, 1), line(2, 1, {"SupplierSKU": "PIP-200"})]}
    first = trade.supplier.post(f"/Invoice/{key}", json=invoice)
    assert first.status_code == 201 and get_order(trade, key)["StatusCode"] == 1000
    again = trade.supplier.post(f"/Invoice/{key}", json=invoice)
    assert again.status_code == 200
    assert again.json()["Body"]["LogicbrokerKey"] == first.json()["Body"]["LogicbrokerKey"]
    other = trade.supplier.post(f"/Invoice/{key}", json={**invoice, "InvoiceNumber": "I-2"})
    assert other.status_code == 409 and "1000 Complete" in other.json()["Message"]


@pytest.mark.parametrize("key", ["¹", "٣", "-1", "1.5"])
def test_keys_that_only_look_like_numbers_are_not_found(trade: Trade, key: str) -> None:
    for path in (f"/Orders/{key}", f"/Shipments/{key}", f"/Invoices/{key}", f"/Acknowledgements/{key}"):
        assert trade.supplier.get(path).status_code == 404
    assert trade.supplier.put(f"/Orders/{key}/Status/200").status_code == 404
