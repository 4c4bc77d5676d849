"""Small builders shared by the API tests."""

from __future__ import annotations

from typing import Any

from pohub.documents.examples import sales_order
from tests.support import Trade

SKU1 = {"SupplierSKU": "49-98760"}
SKU2 = {"SupplierSKU": "PIP-200"}


def order_body(trade: Trade, po: str, *, qty1: int = 5, qty2: int = 3) -> dict[str, Any]:
    return sales_order(
        PartnerPO=po,
        SenderCompanyId=trade.buyer.id,
        ReceiverCompanyId=trade.supplier.id,
        OrderLines=[
            {"LineNumber": "01", "Quantity": qty1, "Price": 31.02, "ItemIdentifier": SKU1},
            {"LineNumber": "02", "Quantity": qty2, "Price": 10.5, "ItemIdentifier": SKU2},
        ],
    )


def create_order(trade: Trade, po: str, **kw: int) -> str:
    r = trade.buyer.post("/Orders", json=order_body(trade, po, **kw))
    assert r.status_code == 201, r.text
    return str(r.json()["Body"]["LogicbrokerKey"])


def get_order(trade: Trade, key: str) -> dict[str, Any]:
    r = trade.supplier.get(f"/Orders/{key}")
    assert r.status_code == 200, r.text
    return dict(r.json()["Body"]["SalesOrder"])


def ack(po: str, number: str, lines: list[dict[str, Any]], *, update: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"AcknowledgementNumber": number, "PartnerPO": po, "AckLines": lines}
    if update:
        body["ExtendedAttributes"] = [{"Name": "Acknowledgement Update", "Value": "true"}]
    return body


def line(number: str | int, qty: int, sku: dict[str, str] = SKU1, **kw: Any) -> dict[str, Any]:
    return {"LineNumber": number, "Quantity": qty, "ItemIdentifier": sku, **kw}


def events(trade: Trade, key: str) -> list[dict[str, Any]]:
    return list(trade.buyer.get(f"/Orders/{key}/Events").json()["Body"]["ActivityEvents"])


def error_fields(response: Any) -> list[str]:
    return [e["Field"] for e in response.json().get("Errors", [])]
