"""The receipt duplicate rule: a return's ReceiptNumber is applied once. The same receipt again (a
retry) and another receipt under the same number are both 409 naming ReceiptNumber, through the
hub's API and the warehouse API's Inbound RMA update, and the units are counted once."""

from __future__ import annotations

from tests.api.helpers import error_fields
from tests.dialects.helpers import wms
from tests.returns.helpers import get_return, request_return, shipped_order
from tests.support import LiveServer, Trade


def test_a_receipt_number_is_applied_once(trade: Trade) -> None:
    order_key = shipped_order(trade, "PO-RCPT-1")
    key = request_return(trade, order_key, "R-RCPT-1", [("01", 3)])
    assert trade.supplier.post(f"/Returns/{key}/Authorisation", json={}).status_code == 201
    receipt = {"ReceiptNumber": "GRN-1", "ReceiptLines": [{"LineNumber": "01", "Quantity": 1}]}
    first = trade.supplier.post(f"/Returns/{key}/Receipts", json=receipt)
    assert first.status_code == 201, first.text

    again = trade.supplier.post(f"/Returns/{key}/Receipts", json=receipt)
    assert again.status_code == 409 and error_fields(again) == ["ReceiptNumber"], again.text
    assert "the same receipt again" in again.json()["Message"]
    other = trade.supplier.post(
        f"/Returns/{key}/Receipts",
        json={"ReceiptNumber": "GRN-1", "ReceiptLines": [{"LineNumber": "01", "Quantity": 2}]},
    )
    assert other.status_code == 409 and error_fields(other) == ["ReceiptNumber"]
    assert "a different receipt" in other.json()["Message"]
    assert get_return(trade, key)["ReturnLines"][0]["QuantityReceived"] == 1  # counted once

    # A new number is a new receipt; receipts without a number keep working as before.
    nxt = {"ReceiptNumber": "GRN-2", "ReceiptLines": [{"LineNumber": "01", "Quantity": 1}]}
    assert trade.supplier.post(f"/Returns/{key}/Receipts", json=nxt).status_code == 201
    bare = {"ReceiptLines": [{"LineNumber": "01", "Quantity": 1}]}
    assert trade.supplier.post(f"/Returns/{key}/Receipts", json=bare).status_code == 201
    assert get_return(trade, key)["ReturnLines"][0]["QuantityReceived"] == 3


def test_the_same_receipt_number_on_another_return_is_its_own(trade: Trade) -> None:
    order_key = shipped_order(trade, "PO-RCPT-2")
    first = request_return(trade, order_key, "R-RCPT-2A", [("01", 1)])
    second = request_return(trade, order_key, "R-RCPT-2B", [("01", 1)])
    receipt = {"ReceiptNumber": "GRN-9", "ReceiptLines": [{"LineNumber": "01", "Quantity": 1}]}
    for key in (first, second):
        assert trade.supplier.post(f"/Returns/{key}/Authorisation", json={}).status_code == 201
        r = trade.supplier.post(f"/Returns/{key}/Receipts", json=receipt)
        assert r.status_code == 201, r.text


def test_warehouse_receipt_number_is_applied_once(server: LiveServer, trade: Trade) -> None:
    shipped_order(trade, "PO-RCPT-W")
    merchant, warehouse = wms(server, trade.buyer), wms(server, trade.supplier)
    base = f"/business_units/{trade.supplier.id}/inbound/rmas"
    body = {
        "rmaNumber": "WR-RCPT",
        "customerOrderNumber": "PO-RCPT-W",
        "lines": [{"customerLineNumber": "01", "quantity": 3, "reasonCode": "WRONG_ITEM"}],
    }
    r = merchant.post(base, json=body)
    assert r.status_code == 201, r.text
    rma_id = r.json()["data"]["id"]
    assert warehouse.put(f"{base}/{rma_id}", json={"status": "AUTHORISED"}).status_code == 200
    receipt = {"receiptNumber": "WH-GRN-1", "receiptLines": [{"customerLineNumber": "01", "quantity": 2}]}
    r = warehouse.put(f"{base}/{rma_id}", json=receipt)
    assert r.status_code == 200 and r.json()["data"]["lines"][0]["receivedQuantity"] == 2, r.text
    again = warehouse.put(f"{base}/{rma_id}", json=receipt)
    assert again.status_code == 409, again.text
    assert [e["field"] for e in again.json()["errors"]] == ["receiptNumber"]
    lines = merchant.get(f"{base}/{rma_id}/receipt_lines").json()["data"]
    assert lines[0]["receivedQuantity"] == 2
    # The refused retry is kept as an exchange with its bytes, like every message.
    refused = trade.supplier.get("/Exchanges", params={"channel": "wms", "state": "refused"}).json()["Records"]
    assert [(x["Operation"], x["StatusCode"]) for x in refused] == [("wms.rma_update", 409)]
    assert "receiptNumber" in str(refused[0]["Error"])
