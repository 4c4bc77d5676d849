"""The warehouse API end to end over HTTP: bulk import as a job, its status and salesOrderAck,
and a sales order's read, list, update, cancel and shipments."""

from __future__ import annotations

from typing import Any

from tests.dialects.helpers import load, wait_job, wms
from tests.support import LiveServer, Trade


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
    assert r.status_code == 200 and r.json() == {}
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
