"""The warehouse API end to end over HTTP: bulk import as a job, its status and salesOrderAck,
and a sales order's read, list, update, cancel and shipments."""

from __future__ import annotations

from typing import Any

from tests.dialects.helpers import assert_in_own_words, lb_order, load, wait_job, wms
from tests.support import LiveServer, Trade, connect, make_party


def sales_order(con: str, *lines: tuple[str, str, int]) -> dict[str, Any]:
    return {
        "customerOrderNumber": con,
        "buyerOrderNumber": f"B-{con}",
        "carrierId": "UPS",
        "shippingSpeed": "GROUND",
        "shipTo": {
            "name": "Ada Lovelace",
            "address1": "1 Analytical Row",
            "city": "London",
            "state": "LN",
            "postalCode": "N1 9GU",
            "country": "GB",
        },
        "customerDates": {"requestedShipDate": "2024-07-05", "requestedDeliveryDate": "2024-07-09"},
        "orderLines": [
            {"customerLineNumber": n, "skuId": sku, "quantity": q, "quantityMeasure": "EA", "amount": 9.5}
            for n, sku, q in lines
        ],
    }


def test_bulk_import_job(server: LiveServer, trade: Trade) -> None:
    client = wms(server, trade.buyer)
    unit = trade.supplier.id
    orders = [
        sales_order("SO-1", ("10", "SKU-A", 2), ("20", "SKU-B", 1)),
        sales_order("SO-2", ("10", "SKU-A", 1), ("20", "SKU-B", 0)),  # line 20: quantity 0
        sales_order("SO-1", ("10", "SKU-A", 5)),  # the same customerOrderNumber again
        sales_order("SO-3-" + "X" * 30, ("1", "SKU-C", 1)),  # longer than 30 characters
        sales_order("SO-4", ("1", "SKU-C", 3)),
    ]
    r = client.post(f"/business_units/{unit}/sales_orders/bulk", json={"data": orders})
    assert r.status_code == 202, r.text
    job_id = r.json()["data"]["jobId"]
    assert r.json()["data"]["progress"] == {"processed": 0, "total": 5}

    data = wait_job(client, job_id)
    assert data["progress"] == {"processed": 5, "total": 5}
    failed = {f["customerOrderNumber"]: f for f in data["failedOrders"]}
    assert sorted(failed) == ["SO-1", "SO-2", "SO-3-" + "X" * 30]
    assert failed["SO-2"]["lines"] == [
        {"customerLineNumber": "20", "message": "quantity: is required and must be at least 1"}
    ]
    assert "already submitted" in failed["SO-1"]["message"]
    assert "at most 30 characters" in failed["SO-3-" + "X" * 30]["message"]

    got = client.get(f"/business_units/{unit}/sales_orders/SO-1").json()["data"]
    assert got["status"] == "RECEIVED" and got["statusCode"] == 150
    assert [(ln["customerLineNumber"], ln["skuId"], ln["quantity"]) for ln in got["orderLines"]] == [
        ("10", "SKU-A", 2),
        ("20", "SKU-B", 1),
    ]
    assert got["shipTo"]["city"] == "London" and got["customerDates"]["requestedShipDate"] == "2024-07-05"
    listed = client.get(f"/business_units/{unit}/sales_orders", params={"limit": 10}).json()
    assert [o["customerOrderNumber"] for o in listed["data"]] == ["SO-1", "SO-4"] and listed["meta"]["total"] == 2
    # The warehouse (the supplier) sees the same orders; the hub's own API has them too.
    assert wms(server, trade.supplier).get(f"/business_units/{unit}/sales_orders/SO-4").status_code == 200
    po = trade.supplier.get("/Orders", params={"Filters.partnerPO": "SO-4"}).json()["Records"]
    assert po[0]["OrderLines"][0]["ItemIdentifier"]["SupplierSKU"] == "SKU-C"

    # A warehouse's salesOrderAck is recorded against the job it names (the seed's own example, its jobId set).
    ack = load("wms_sales_order_ack_seed.json")
    r = wms(server, trade.supplier).post("/salesOrderAck", json=ack)
    assert r.status_code == 404  # "string" names no job
    ack["data"]["jobId"] = job_id
    r = wms(server, trade.supplier).post("/salesOrderAck", json=ack)
    assert r.status_code == 200 and r.json()["jobId"] == job_id and isinstance(r.json()["exchangeId"], int)
    # Another company neither sees the job nor can acknowledge it.
    assert wms(server, trade.supplier).get(f"/jobs/{job_id}").status_code == 404


def test_malformed_upload_is_refused_at_once(server: LiveServer, trade: Trade) -> None:
    client = wms(server, trade.buyer)
    url = f"/business_units/{trade.supplier.id}/sales_orders/bulk"
    r = client.post(url, content=b'{"data": [{"customerOrderNumber": "A"}, {"customerOrderNumber": ]}')
    assert r.status_code == 400 and r.json()["errors"][0]["field"] in ("body", "data[1]")
    r = client.post(url, content=b'{"data": [1, 2]}')
    assert r.status_code == 400
    r = client.post(url, json={"orders": []})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "data"


def test_update_cancel_and_shipments(server: LiveServer, trade: Trade) -> None:
    client = wms(server, trade.buyer)
    unit = trade.supplier.id
    body = sales_order("SO-9", ("1", "SKU-A", 4))
    r = client.post(f"/business_units/{unit}/sales_orders", json=body)
    assert r.status_code == 201, r.text
    key = trade.buyer.get("/Orders", params={"Filters.partnerPO": "SO-9"}).json()["Records"][0]["Identifier"][
        "LogicbrokerKey"
    ]
    assert client.put(f"/business_units/{unit}/sales_orders/SO-9", json=body).status_code == 200
    # An update is a buyer's change: before the supplier acknowledged, it applies at once.
    changed = sales_order("SO-9", ("1", "SKU-A", 5))
    r = client.put(f"/business_units/{unit}/sales_orders/SO-9", json=changed)
    assert r.status_code == 200 and r.json()["data"]["orderLines"][0]["quantity"] == 5, r.text
    header_only = {**changed, "buyerOrderNumber": "B-2"}
    r = client.put(f"/business_units/{unit}/sales_orders/SO-9", json=header_only)
    assert r.status_code == 409 and "changes neither" in r.json()["message"]

    shipment = {
        "ShipmentNumber": "SH-1",
        "ShipmentDate": "2024-07-06",
        "ShipmentLines": [
            {
                "LineNumber": "1",
                "ItemIdentifier": {"SupplierSKU": "SKU-A"},
                "ShipmentInfos": [{"Qty": 1, "TrackingNumber": "1Z1"}],
            }
        ],
    }
    r = trade.supplier.post(f"/Shipment/{key}", json=shipment)
    assert r.status_code == 201, r.text
    shipped = client.get(f"/business_units/{unit}/sales_orders/SO-9/shipments").json()["data"]
    assert shipped[0]["shipmentNumber"] == "SH-1" and shipped[0]["trackingNumbers"] == ["1Z1"]
    assert shipped[0]["lines"] == [{"customerLineNumber": "1", "skuId": "SKU-A", "quantity": 1}]

    # A unit has shipped: the order can no longer be cancelled (the authority table, orders/status.py).
    r = client.delete(f"/business_units/{unit}/sales_orders/SO-9")
    assert r.status_code == 403 and "already shipped" in r.json()["message"], r.text
    r = client.post(f"/business_units/{unit}/sales_orders", json=sales_order("SO-10", ("1", "SKU-A", 4)))
    assert r.status_code == 201, r.text
    r = client.delete(f"/business_units/{unit}/sales_orders/SO-10")
    assert r.status_code == 200 and r.json()["data"]["status"] == "CANCELLED", r.text
    assert client.delete(f"/business_units/{unit}/sales_orders/SO-404").status_code == 404


def _key(party: Any, con: str, supplier_id: int) -> str:
    records = party.get("/Orders", params={"Filters.partnerPO": con}).json()["Records"]
    [record] = [r for r in records if r["ReceiverCompanyId"] == supplier_id]
    return str(record["Identifier"]["LogicbrokerKey"])


def test_ship_confirmation(server: LiveServer, trade: Trade) -> None:
    buyer = wms(server, trade.buyer)
    warehouse = wms(server, trade.supplier)
    unit = trade.supplier.id
    r = buyer.post(
        f"/business_units/{unit}/sales_orders", json=sales_order("SO-SHIP", ("1", "SKU-A", 3), ("2", "SKU-B", 1))
    )
    assert r.status_code == 201, r.text
    key = _key(trade.buyer, "SO-SHIP", unit)
    url = f"/business_units/{unit}/sales_orders/SO-SHIP/shipments"
    confirmation = {
        "shipmentNumber": "WH-1",
        "shipDate": "2024-07-06",
        "carrierId": "UPS",
        "shippingSpeed": "GROUND",
        "trackingNumbers": ["1Z1"],
        "lines": [{"customerLineNumber": "1", "skuId": "SKU-A", "quantity": 2}, {"skuId": "SKU-B", "quantity": 1}],
    }
    r = warehouse.post(url, json=confirmation)
    assert r.status_code == 201, r.text
    shipped = r.json()["data"]
    assert shipped["shipmentNumber"] == "WH-1" and shipped["trackingNumbers"] == ["1Z1"]
    assert shipped["carrierId"] == "UPS" and shipped["shippingSpeed"] == "GROUND"
    assert [(ln["customerLineNumber"], ln["quantity"]) for ln in shipped["lines"]] == [("1", 2), (None, 1)]
    assert buyer.get(url).json()["data"] == [shipped]
    lines = trade.buyer.get(f"/Orders/{key}").json()["Body"]["SalesOrder"]["OrderLines"]
    assert [ln["QuantityShipped"] for ln in lines] == [2, 1]
    # The same confirmation again changes nothing.
    r = warehouse.post(url, json=confirmation)
    assert r.status_code == 200 and r.json()["data"]["shipmentId"] == shipped["shipmentId"]

    # The hub's shipment rules, in the warehouse's words: 2 more on a line that has 1 left.
    over = {"shipmentNumber": "WH-2", "lines": [{"customerLineNumber": "1", "quantity": 2}]}
    r = warehouse.post(url, json=over)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "lines[0].quantity" and "over-ship" in r.json()["message"]
    r = warehouse.post(url, json={"shipmentNumber": "WH-3", "lines": [{"customerLineNumber": "1", "qty": 1}]})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"lines[0].qty", "lines[0].quantity"}
    # Only the order's supplier confirms its shipments.
    r = buyer.post(url, json={**confirmation, "shipmentNumber": "WH-4"})
    assert r.status_code == 403, r.text
    assert [ln["QuantityShipped"] for ln in lb_order(trade.buyer, key)["OrderLines"]] == [2, 1]


def test_the_business_unit_picks_the_order(server: LiveServer, trade: Trade) -> None:
    buyer = wms(server, trade.buyer)
    other = make_party(server)
    connect(server, trade.buyer, other)
    first, second = trade.supplier.id, other.id
    for unit, sku in ((first, "SKU-1"), (second, "SKU-2")):
        r = buyer.post(f"/business_units/{unit}/sales_orders", json=sales_order("SO-TWICE", ("1", sku, 1)))
        assert r.status_code == 201, r.text
    for unit, sku in ((first, "SKU-1"), (second, "SKU-2")):
        r = buyer.get(f"/business_units/{unit}/sales_orders/SO-TWICE")
        assert r.status_code == 200, r.text
        assert r.json()["data"]["orderLines"][0]["skuId"] == sku and r.json()["data"]["businessUnitId"] == str(unit)
        assert buyer.get(f"/business_units/{unit}/sales_orders/SO-TWICE/shipments").status_code == 200
    r = buyer.delete(f"/business_units/{second}/sales_orders/SO-TWICE")
    assert r.status_code == 200 and r.json()["data"]["status"] == "CANCELLED", r.text
    assert buyer.get(f"/business_units/{first}/sales_orders/SO-TWICE").json()["data"]["status"] == "RECEIVED"
    assert buyer.get(f"/business_units/{second + 10_000}/sales_orders/SO-TWICE").status_code == 404

    # One business unit, two customers with the same number: the warehouse names the customer.
    rival = make_party(server)
    connect(server, rival, trade.supplier)
    r = wms(server, rival).post(
        f"/business_units/{first}/sales_orders", json=sales_order("SO-TWICE", ("1", "SKU-9", 1))
    )
    assert r.status_code == 201, r.text
    warehouse = wms(server, trade.supplier)
    r = warehouse.get(f"/business_units/{first}/sales_orders/SO-TWICE")
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "customerId", r.text
    r = warehouse.get(f"/business_units/{first}/sales_orders/SO-TWICE", params={"customerId": rival.id})
    assert r.status_code == 200 and r.json()["data"]["orderLines"][0]["skuId"] == "SKU-9"


def test_sales_order_ack_every_field_optional_each_typed(server: LiveServer, trade: Trade) -> None:
    warehouse = wms(server, trade.supplier)
    r = warehouse.post("/salesOrderAck", json={})
    assert r.status_code == 200, r.text
    assert r.json()["jobId"] is None
    kept = trade.supplier.get(f"/Exchanges/{r.json()['exchangeId']}").json()
    kept = kept.get("Body", kept)
    assert kept["State"] == "applied" and kept["Raw"] == "{}", kept
    assert warehouse.post("/salesOrderAck", json={"data": {}}).status_code == 200

    r = warehouse.post("/salesOrderAck", json={"data": {"progress": "lots"}})
    assert r.status_code == 422, r.text
    assert [(e["field"], e["message"]) for e in r.json()["errors"]] == [
        ("data.progress", 'must be an object, got "lots"')
    ]
    wrong = {
        "data": {
            "jobId": 7,
            "status": True,
            "failedOrders": [{"customerOrderNumber": "A", "lines": [{"message": 5}]}],
            "progress": {"processed": 1.5, "total": -1},
        }
    }
    r = warehouse.post("/salesOrderAck", json=wrong)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == [
        "data.jobId",
        "data.status",
        "data.failedOrders[0].lines[0].message",
        "data.progress.processed",
        "data.progress.total",
    ]
    assert "1.5" in r.json()["errors"][3]["message"]


WMS_FIELDS = {
    "body",
    "data",
    "customerId",
    "businessUnitId",
    "customerOrderNumber",
    "buyerOrderNumber",
    "orderLines",
    "customerLineNumber",
    "skuId",
    "customerSku",
    "quantity",
    "quantityMeasure",
    "amount",
    "description",
    "lineType",
    "shipTo",
    "billTo",
    "name",
    "address1",
    "city",
    "state",
    "postalCode",
    "country",
    "customerDates",
    "requestedShipDate",
    "requestedDeliveryDate",
    "status",
    "shipmentNumber",
    "shipDate",
    "carrierId",
    "shippingSpeed",
    "trackingNumbers",
    "lines",
    "trackingNumber",
    "qty",
    "jobId",
    "progress",
    "failedOrders",
    "total",
    "message",
}


def _wms_errors(body: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["message"]) for e in body.get("errors", [])] + [(None, body["message"])]


def test_every_refusal_names_the_warehouses_own_fields(server: LiveServer, trade: Trade) -> None:
    """The warehouse API's refusals, the hub's rules' ones included, name orderLines[i].quantity and the
    warehouse's other fields, never OrderLines[0].Quantity or PartnerPO, and show numbers as sent."""
    buyer = wms(server, trade.buyer)
    unit = trade.supplier.id
    url = f"/business_units/{unit}/sales_orders"
    good = sales_order("SO-W", ("1", "SKU-A", 2))
    line = good["orderLines"][0]
    bodies: list[Any] = [
        [],
        {},
        {"customerOrderNumber": "SO-W1"},
        {**good, "customerOrderNumber": "X" * 31},
        {**good, "orderLines": [{**line, "quantity": "x"}]},
        {**good, "orderLines": [{**line, "quantity": 2.5}]},
        {**good, "orderLines": [{**line, "quantity": 0}]},  # the hub's rules from here on
        {**good, "orderLines": [{**line, "amount": -1}]},
        {**good, "orderLines": [{**line, "amount": "cheap"}]},
        {**good, "orderLines": [line, line]},
        {**good, "orderLines": [{**line, "skuId": None}]},
        {**good, "shipTo": {**good["shipTo"], "postalCode": 97205}},
        {**good, "customerDates": {"requestedShipDate": "soon"}},
    ]
    answers = [buyer.post(url, json=b) for b in bodies]
    assert buyer.post(url, json=good).status_code == 201
    answers.append(buyer.post(url, json=good))  # already submitted
    # An update that changes no line is refused (one that changes lines is a buyer's change).
    answers.append(buyer.put(f"{url}/SO-W", json={**good, "shipTo": {**good["shipTo"], "city": "Elsewhere"}}))
    answers.append(buyer.get(f"{url}/SO-NONE"))
    answers.append(buyer.get(f"{url}/SO-W", headers={"Authorization": "Bearer no"}))
    answers.append(wms(server, make_party(server)).post(url, json=good))  # not connected to the unit (the hub's rule)
    warehouse = wms(server, trade.supplier)
    ship = f"{url}/SO-W/shipments"
    answers.append(warehouse.post(ship, json={"lines": [{"qty": 1}], "trackingNumbers": "1Z"}))
    answers.append(
        warehouse.post(ship, json={"shipmentNumber": "S", "lines": [{"customerLineNumber": "9", "quantity": 1}]})
    )
    answers.append(warehouse.post(ship, json={"shipmentNumber": "S", "lines": [{"skuId": "SKU-Z", "quantity": 1}]}))
    answers.append(warehouse.post(ship, json={"shipmentNumber": "S", "lines": [{"skuId": "SKU-A", "quantity": 3}]}))
    answers.append(
        warehouse.post(
            ship, json={"shipmentNumber": "S", "shipDate": "later", "lines": [{"skuId": "SKU-A", "quantity": 1}]}
        )
    )
    answers.append(warehouse.post("/salesOrderAck", json={"data": {"progress": {"total": "all"}}}))
    answers.append(warehouse.post("/salesOrderAck", json={"data": {"jobId": "999999999"}}))
    assert buyer.delete(f"{url}/SO-W").status_code == 200
    answers.append(warehouse.post(ship, json={"shipmentNumber": "S2", "lines": [{"skuId": "SKU-A", "quantity": 1}]}))

    read = assert_in_own_words(answers, WMS_FIELDS, _wms_errors)
    assert read > len(answers)
    hub = {b: r.json()["errors"][0]["field"] for b, r in zip(range(6, 13), answers[6:13], strict=True)}
    assert hub == {
        6: "orderLines[0].quantity",
        7: "orderLines[0].amount",
        8: "orderLines[0].amount",
        9: "orderLines[1].customerLineNumber",
        10: "orderLines[0].skuId",
        11: "shipTo.postalCode",
        12: "customerDates.requestedShipDate",
    }, hub
    assert answers[5].json()["errors"][0]["message"] == "must be a whole number, got 2.5"

    # A bulk job's failedOrders speak the same words.
    r = buyer.post(f"{url}/bulk", json={"data": [bodies[7], {**bodies[11], "customerOrderNumber": "SO-W2"}]})
    failed = wait_job(buyer, r.json()["data"]["jobId"])["failedOrders"]
    assert [f["lines"] for f in failed[:1]] == [
        [{"customerLineNumber": "1", "message": "amount: must not be negative"}]
    ]
    assert failed[1]["message"].startswith("shipTo.postalCode:"), failed
