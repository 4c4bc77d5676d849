"""One canonical order, three dialects: created through one API, acknowledged through another,
visible in a third (and in the Logicbroker-compatible API)."""

from __future__ import annotations

from tests.dialects.helpers import kojo, lb_order, load, spectrum, wait_job, wms
from tests.support import LiveServer, Trade


def test_spectrum_order_kojo_acknowledgement_wms_view(server: LiveServer, trade: Trade) -> None:
    ack = load("spectrum_acknowledgements_corrected.json")[0]
    r = spectrum(server, trade.buyer).post("/api/order/acknowledgement", json=ack)
    assert r.status_code == 200 and r.json()["allSuccessful"], r.text

    seller = kojo(server, trade.supplier)
    [order] = seller.get("/seller/orders").json()["orders"]
    assert order["purchaseOrderNumber"] == "42015953" and order["state"] == "OPEN"
    assert [(i["lineNumber"], i["vendorPartNumber"], i["quantity"]) for i in order["items"]] == [
        (1, "ABC1234", 4),
        (2, "ABC1235", 2),
        (3, "ABC1236", 3),
        (4, "ABC1237", 6),
    ]
    items = [
        {
            "itemId": i["id"],
            "quantity": i["quantity"],
            "unitsOfMeasure": "EA",
            "vendorPartNumber": i["vendorPartNumber"],
        }
        for i in order["items"]
    ]
    items[3] = {**items[3], "quantity": 4, "backorderQuantity": 2, "backorderLeadTime": "2 weeks"}
    r = seller.post(f"/seller/order/{order['id']}/acknowledge", json={"acknowledgementItems": items})
    assert r.status_code == 200 and r.json()["state"] == "ACKNOWLEDGED", r.text

    seen = wms(server, trade.buyer).get(f"/business_units/{trade.supplier.id}/sales_orders/42015953").json()["data"]
    assert seen["status"] == "RELEASED" and seen["statusCode"] == 500
    assert [ln["quantityAcknowledged"] for ln in seen["orderLines"]] == [4, 2, 3, 4]
    assert seen["orderLines"][3]["quantityBackordered"] == 2
    lines = lb_order(trade.buyer, order["id"])["OrderLines"]
    assert [ln["QuantityAcknowledged"] for ln in lines] == [4, 2, 3, 4]
    assert spectrum(server, trade.buyer).get("/api/order/order-number/42015953").json()["workflowStatus"] == "completed"


def test_wms_bulk_order_logicbroker_acknowledgement_kojo_view(server: LiveServer, trade: Trade) -> None:
    client = wms(server, trade.buyer)
    order = {
        "customerOrderNumber": "WMS-X-1",
        "orderLines": [{"customerLineNumber": "1", "skuId": "SKU-A", "quantity": 3, "amount": 2.5}],
    }
    r = client.post(f"/business_units/{trade.supplier.id}/sales_orders/bulk", json={"data": [order]})
    assert r.status_code == 202
    assert wait_job(client, r.json()["data"]["jobId"])["failedOrders"] == []

    [record] = trade.supplier.get("/Orders", params={"Filters.partnerPO": "WMS-X-1"}).json()["Records"]
    key = record["Identifier"]["LogicbrokerKey"]
    ack = {
        "AcknowledgementNumber": "A-1",
        "AckLines": [{"LineNumber": "1", "Quantity": 3, "ItemIdentifier": {"SupplierSKU": "SKU-A"}}],
    }
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=ack)
    assert r.status_code == 201, r.text

    seen = kojo(server, trade.supplier).get(f"/seller/order/{key}").json()
    assert seen["state"] == "ACKNOWLEDGED" and seen["items"][0]["quantityAcknowledged"] == 3
    assert seen["items"][0]["unitPriceFloat"] == 2.5
