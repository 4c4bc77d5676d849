"""The warehouse API's Inbound RMAs are the hub's returns: created by the merchant, authorised and
received by the warehouse (the business unit), cancelled by the merchant; the same rules refuse in
the warehouse's own field names, and every call is an exchange on the wms channel."""

from __future__ import annotations

from tests.dialects.helpers import wms
from tests.returns.helpers import get_return, shipped_order
from tests.support import LiveServer, Trade


def test_inbound_rma_lifecycle(server: LiveServer, trade: Trade) -> None:
    order_key = shipped_order(trade, "PO-WMS-RMA")
    merchant, warehouse = wms(server, trade.buyer), wms(server, trade.supplier)
    unit = trade.supplier.id
    base = f"/business_units/{unit}/inbound/rmas"
    body = {
        "rmaNumber": "WR-1",
        "customerOrderNumber": "PO-WMS-RMA",
        "lines": [{"customerLineNumber": "01", "quantity": 2, "reasonCode": "WRONG_ITEM"}],
    }
    r = merchant.post(base, json=body)
    assert r.status_code == 201, r.text
    rma = r.json()["data"]
    assert (rma["status"], rma["rmaNumber"], rma["lines"][0]["quantity"]) == ("REQUESTED", "WR-1", 2)
    rma_id = rma["id"]
    assert merchant.post(base, json=body).status_code == 200  # the same RMA again changes nothing

    too_many = {**body, "rmaNumber": "WR-2", "lines": [{"skuId": "49-98760", "quantity": 9, "reasonCode": "X"}]}
    r = merchant.post(base, json=too_many)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "lines[0].quantity"
    assert "shipped 4, already returned 2" in r.json()["errors"][0]["message"]

    r = warehouse.put(f"{base}/{rma_id}", json={"status": "AUTHORISED", "authorisationNumber": "WH-RMA-9"})
    assert r.status_code == 200, r.text
    assert (r.json()["data"]["status"], r.json()["data"]["authorisationNumber"]) == ("AUTHORISED", "WH-RMA-9")
    r = warehouse.put(f"{base}/{rma_id}", json={"receiptLines": [{"customerLineNumber": "01", "quantity": 3}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "receiptLines[0].quantity"
    r = warehouse.put(
        f"{base}/{rma_id}", json={"receiptLines": [{"customerLineNumber": "01", "quantity": 2, "condition": "NEW"}]}
    )
    assert r.status_code == 200 and r.json()["data"]["status"] == "RECEIVED"
    lines = merchant.get(f"{base}/{rma_id}/receipt_lines").json()["data"]
    assert lines == [{"customerLineNumber": "01", "skuId": "49-98760", "receivedQuantity": 2, "condition": "NEW"}]
    # The same return through the hub's API.
    assert get_return(trade, rma_id)["ReturnLines"][0]["QuantityReceived"] == 2

    assert [x["id"] for x in warehouse.get(base).json()["data"]] == [rma_id]
    assert merchant.delete(f"{base}/{rma_id}").status_code == 409  # units arrived: too late to cancel
    r = warehouse.put(f"{base}/{rma_id}", json={"status": "SHIPPED"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"

    other = merchant.post(
        base,
        json={**body, "rmaNumber": "WR-3", "lines": [{"customerLineNumber": "02", "quantity": 1, "reasonCode": "X"}]},
    )
    assert other.status_code == 201, other.text
    r = merchant.delete(f"{base}/{other.json()['data']['id']}")
    assert r.status_code == 200 and r.json()["data"]["status"] == "CANCELLED"
    assert merchant.get(f"/business_units/{unit}/inbound/rmas/999999").status_code == 404

    ops = sorted(
        (x["Operation"], x["State"])
        for x in trade.supplier.get("/Exchanges", params={"channel": "wms", "orderKey": order_key}).json()["Records"]
    )
    assert ops == [
        ("wms.rma_update", "applied"),
        ("wms.rma_update", "applied"),
        ("wms.rma_update", "refused"),
        ("wms.rma_update", "refused"),
    ]
