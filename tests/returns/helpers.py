"""Builders for the returns tests: an order shipped in part, and a return of it."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import SKU1, SKU2, ack, create_order, line
from tests.support import Trade


def shipped_order(trade: Trade, po: str, *, ship1: int = 4, ship2: int = 3) -> str:
    """A two-line order (5 x line 01, 3 x line 02), acknowledged in full and shipped in part."""
    key = create_order(trade, po)
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=ack(po, f"A-{po}", [line("01", 5), line("02", 3, SKU2)]))
    assert r.status_code == 201, r.text
    ship_lines = [line("01", ship1)] + ([line("02", ship2, SKU2)] if ship2 else [])
    r = trade.supplier.post(f"/Shipment/{key}", json={"ShipmentNumber": f"S-{po}", "ShipmentLines": ship_lines})
    assert r.status_code == 201, r.text
    return key


def return_body(number: str, lines: list[tuple[str, int]], **kw: Any) -> dict[str, Any]:
    return {
        "ReturnNumber": number,
        "ReturnLines": [
            {"LineNumber": n, "Quantity": q, "ReturnReasonCode": "DAMAGED", "ReturnReason": "crushed box"}
            for n, q in lines
        ],
        **kw,
    }


def request_return(trade: Trade, order_key: str, number: str, lines: list[tuple[str, int]]) -> str:
    r = trade.buyer.post(f"/Orders/{order_key}/Returns", json=return_body(number, lines))
    assert r.status_code == 201, r.text
    return str(r.json()["Body"]["LogicbrokerKey"])


def get_return(trade: Trade, key: str) -> dict[str, Any]:
    r = trade.buyer.get(f"/Returns/{key}")
    assert r.status_code == 200, r.text
    return dict(r.json()["Body"]["Return"])


__all__ = ["SKU1", "get_return", "request_return", "return_body", "shipped_order"]
