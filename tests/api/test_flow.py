"""The seed's six-step partner flow end to end over HTTP: 150 -> 200 -> 500 -> 600 -> 1000, with a
backorder and partial shipments."""

from __future__ import annotations

from typing import Any

from pohub.documents.examples import sales_order
from tests.support import Trade

SKU1 = {"SupplierSKU": "49-98760"}
SKU2 = {"SupplierSKU": "PIP-200"}


def two_line_order(trade: Trade, po: str = "PO-FLOW-1") -> dict[str, Any]:
    return sales_order(
        PartnerPO=po,
        SenderCompanyId=trade.buyer.id,
        ReceiverCompanyId=trade.supplier.id,
        OrderLines=[
            {
                "LineNumber": "01",
                "Quantity": 5,
                "Price": 31.02,
                "QuantityUOM": "EA",
                "ItemIdentifier": {"SupplierSKU": "49-98760"},
            },
            {
                "LineNumber": 2,
                "Quantity": 3,
                "Price": 10.5,
                "QuantityUOM": "EA",
                "ItemIdentifier": {"SupplierSKU": "PIP-200"},
            },
        ],
    )


def create(trade: Trade, body: dict[str, Any]) -> str:
    r = trade.buyer.post("/Orders", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["Body"]["LogicbrokerKey"])


def order(trade: Trade, key: str) -> dict[str, Any]:
    r = trade.supplier.get(f"/Orders/{key}")
    assert r.status_code == 200, r.text
    return dict(r.json()["Body"]["SalesOrder"])


def status(trade: Trade, key: str) -> int:
    return int(order(trade, key)["StatusCode"])


def test_six_step_flow(trade: Trade) -> None:
    key = create(trade, two_line_order(trade))

    # (1) the POs ready to acknowledge, spelled as seed 000 spells it
    listed = trade.supplier.get("/Orders", params={"Filter.status": 150}).json()
    assert [r["Identifier"]["LogicbrokerKey"] for r in listed["Records"]] == [key]
    assert listed["TotalRecords"] == 1 and listed["CurrentPage"] == 1 and listed["TotalPages"] == 1

    # (2) read it: the body as sent, plus the hub's fields, in the definitions' types (line 2 was sent
    # as the number 2; LineNumber is a string)
    po = order(trade, key)
    assert po["PartnerPO"] == "PO-FLOW-1" and po["StatusCode"] == 150
    assert po["OrderLines"][0]["LineNumber"] == "01" and po["OrderLines"][1]["LineNumber"] == "2"
    assert po["OrderLines"][0]["Price"] == 31.02
    assert po["Note"] == "Get well soon!"  # a field the hub does not model, kept as received

    # (3) picked up
    r = trade.supplier.put(f"/Orders/{key}/Status/200")
    assert r.status_code == 200, r.text
    assert status(trade, key) == 200

    # (4) acknowledge: line 1 accepts 4 and backorders 1; line 2 accepts all
    ack = {
        "AcknowledgementNumber": "ACK-1",
        "PartnerPO": "PO-FLOW-1",
        "ScheduledShipDate": "2026-12-01",
        "AckLines": [
            {
                "LineNumber": "1",
                "Quantity": 4,
                "QuantityBackordered": 1,
                "ChangeReason": "Out of stock",
                "ItemIdentifier": {"SupplierSKU": "49-98760"},
            },
            {"LineNumber": "02", "Quantity": 3, "ItemIdentifier": {"SupplierSKU": "PIP-200"}},
        ],
    }
    r = trade.supplier.post("/Acknowledgements", json=ack)
    assert r.status_code == 201, r.text
    assert r.json()["Body"]["OrderStatusCode"] == 500
    lines = order(trade, key)["OrderLines"]
    assert (lines[0]["QuantityAcknowledged"], lines[0]["QuantityBackordered"]) == (4, 1)
    assert status(trade, key) == 500

    # (5) ship in two parts; the backordered unit ships in the second
    first = {
        "ShipmentNumber": "S-1",
        "ShipmentDate": "2026-12-01T10:00:00Z",
        "ShipmentLines": [
            {
                "LineNumber": "01",
                "ItemIdentifier": {"SupplierSKU": "49-98760"},
                "ShipmentInfos": [{"TrackingNumber": "1Z1", "Qty": 2}, {"TrackingNumber": "1Z2", "Qty": 2}],
            }
        ],
    }
    r = trade.supplier.post(f"/Shipment/{key}", json=first)
    assert r.status_code == 201, r.text
    assert status(trade, key) == 500
    second = {
        "ShipmentNumber": "S-2",
        "PartnerPO": "PO-FLOW-1",
        "Identifier": {"LinkKey": key},
        "ShipmentLines": [
            {"LineNumber": "01", "Quantity": 1, "ItemIdentifier": SKU1},
            {"LineNumber": "2", "Quantity": 3, "ItemIdentifier": SKU2},
        ],
    }
    r = trade.supplier.post("/Shipments", json=second)
    assert r.status_code == 201, r.text
    assert r.json()["Body"]["OrderStatusCode"] == 600
    assert [ln["QuantityShipped"] for ln in order(trade, key)["OrderLines"]] == [5, 3]

    # (6) invoice what shipped, in two invoices
    r = trade.supplier.post(
        f"/Invoice/{key}",
        json={
            "InvoiceNumber": "I-1",
            "InvoiceTotal": 124.08,
            "InvoiceLines": [{"LineNumber": "01", "Quantity": 4, "Price": 31.02, "ItemIdentifier": SKU1}],
        },
    )
    assert r.status_code == 201, r.text
    assert status(trade, key) == 600
    r = trade.supplier.post(
        "/Invoices",
        json={
            "InvoiceNumber": "I-2",
            "PartnerPO": "PO-FLOW-1",
            "HandlingAmount": 15,
            "Taxes": [{"TaxAmount": 3}],
            "Discounts": [{"DiscountAmount": 5}],
            "InvoiceTotal": 75.52,
            "InvoiceLines": [
                {"LineNumber": "1", "Quantity": 1, "ItemIdentifier": SKU1},
                {"LineNumber": "2", "Quantity": 3, "ItemIdentifier": SKU2},
            ],
        },
    )
    assert r.status_code == 201, r.text
    assert status(trade, key) == 1000

    lines = order(trade, key)["OrderLines"]
    assert [ln["QuantityInvoiced"] for ln in lines] == [5, 3]

    # the documents and the timeline
    assert len(trade.buyer.get(f"/Orders/{key}/Shipments").json()["Body"]["Shipments"]) == 2
    assert len(trade.buyer.get(f"/Orders/{key}/Invoices").json()["Body"]["Invoices"]) == 2
    events = trade.buyer.get(f"/Orders/{key}/Events").json()["Body"]["ActivityEvents"]
    summaries = [e["Summary"] for e in events]
    assert summaries[0].startswith("Order PO-FLOW-1 received")
    for code in (
        "150 Ready to Acknowledge to 200",
        "200 Acknowledged to 500",
        "500 Ready to Ship to 600",
        "600 Ready to Invoice to 1000",
    ):
        assert any(code in s for s in summaries), (code, summaries)


def test_no_invoice_partner_completes_on_shipment(server: Any) -> None:
    from tests.support import make_trade

    trade = make_trade(server, invoice_required=False)
    key = create(trade, two_line_order(trade, "PO-NOINV"))
    r = trade.supplier.post(
        f"/Shipment/{key}",
        json={
            "ShipmentNumber": "S-1",
            "ShipmentLines": [
                {"LineNumber": 1, "Quantity": 5, "ItemIdentifier": SKU1},
                {"LineNumber": 2, "Quantity": 3, "ItemIdentifier": SKU2},
            ],
        },
    )
    assert r.status_code == 201, r.text
    assert status(trade, key) == 1000


def test_cancelled_lines_do_not_need_shipping(trade: Trade) -> None:
    key = create(trade, two_line_order(trade, "PO-CANCEL-LINE"))
    r = trade.supplier.post(
        "/Acknowledgements",
        json={
            "PartnerPO": "PO-CANCEL-LINE",
            "AckLines": [
                {"LineNumber": 1, "Quantity": 5, "ItemIdentifier": SKU1},
                {
                    "LineNumber": 2,
                    "Quantity": 0,
                    "QuantityCancelled": 3,
                    "ItemIdentifier": SKU2,
                    "ChangeReason": "Discontinued item",
                },
            ],
        },
    )
    assert r.status_code == 201, r.text
    r = trade.supplier.post(
        f"/Shipment/{key}",
        json={
            "ShipmentNumber": "S-1",
            "ShipmentLines": [{"LineNumber": 1, "Quantity": 5, "ItemIdentifier": SKU1}],
        },
    )
    assert r.status_code == 201
    assert status(trade, key) == 600
