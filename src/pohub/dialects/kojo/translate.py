"""Kojo's shapes to and from the canonical model. Pure functions: no queries, no lifecycle rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pohub.core.errors import FieldError, Unprocessable
from pohub.core.money import cents
from pohub.dialects.common import attribute, iso, number
from pohub.orders.status import OPEN, READY, OrderStatus

# E = price per each, C = per hundred, M = per thousand (unitPriceECM).
ECM = {"E": 1, "C": 100, "M": 1000}
MAX_QUANTITY = 1_000_000_000
INVALID_ITEMS = "INTEGRATION_API_CREATE_ORDER_ACKNOWLEDGEMENT_INVALID_ACKNOWLEDGEMENT_ITEMS"


def state(status: int) -> str:
    """Kojo's order state: OPEN until picked up, ACKNOWLEDGED while it takes documents, then CLOSED."""
    s = OrderStatus(status)
    if s in READY:
        return "OPEN"
    return "ACKNOWLEDGED" if s in OPEN else "CLOSED"


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _invalid(field, f"must be a number, got {value!r}")
    return Decimal(value)


def _int(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= MAX_QUANTITY:
        raise _invalid(field, f"must be between 0 and {MAX_QUANTITY}, got {value}")
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return int(value)
        raise _invalid(field, f"must be an integer, got {value!r}")
    return value


def _invalid(field: str, error: str) -> Unprocessable:
    return Unprocessable(f"{field}: {error}", [FieldError(field, error)])


def _line_number(item: dict[str, Any], i: int, lines: list[Any]) -> str:
    """The order line an item answers: lineNumber, else itemId (the line's id in items[].id)."""
    if item.get("lineNumber") is not None:
        return str(item["lineNumber"])
    item_id = item.get("itemId")
    for line in lines:
        if item_id is not None and str(line.id) == str(item_id):
            return str(line.line_number)
    raise _invalid(f"acknowledgementItems[{i}].lineNumber", "is required (or itemId naming one of the order's items)")


def acknowledgement(body: Any, *, order: Any, lines: list[Any]) -> dict[str, Any]:
    """A Kojo acknowledge body as a Logicbroker Acknowledgement; refuses an extended price that does not
    agree with quantity x unit price / the ECM basis, to the cent."""
    if not isinstance(body, dict):
        raise _invalid("body", "must be a JSON object")
    items = body.get("acknowledgementItems")
    if not isinstance(items, list) or not items:
        raise _invalid("acknowledgementItems", "is required and must have at least one item")
    ack_lines = []
    for i, item in enumerate(items):
        f = f"acknowledgementItems[{i}]"
        if not isinstance(item, dict):
            raise _invalid(f, "must be an object")
        uom = item.get("unitsOfMeasure")
        if not isinstance(uom, str) or not uom.strip():
            raise _invalid(f"{f}.unitsOfMeasure", "is required")
        ecm = str(item.get("unitPriceECM") or "E").strip().upper()
        if ecm not in ECM:
            raise _invalid(f"{f}.unitPriceECM", f"must be E, C or M, got {item.get('unitPriceECM')!r}")
        quantity = _int(item.get("quantity"), f"{f}.quantity")
        backordered = _int(item.get("backorderQuantity"), f"{f}.backorderQuantity")
        unit = _decimal(item.get("unitPriceFloat"), f"{f}.unitPriceFloat")
        ext = _decimal(item.get("extPriceFloat"), f"{f}.extPriceFloat")
        line_number = _line_number(item, i, lines)
        if ext is not None and unit is not None and quantity is not None:
            expected = cents(Decimal(quantity) * unit / ECM[ecm])
            if cents(ext) != expected:
                basis = f"per {ECM[ecm]} ({ecm})"
                raise Unprocessable(
                    f"Line {line_number}: extPriceFloat {ext} should be {expected}",
                    [
                        FieldError(
                            f"{f}.extPriceFloat",
                            f"line {line_number}: extPriceFloat {ext} does not match quantity {quantity} x "
                            f"unitPriceFloat {unit} {basis} = {expected}",
                        )
                    ],
                )
        attrs: list[dict[str, Any]] = []
        attribute(attrs, "Kojo itemId", item.get("itemId"))
        attribute(attrs, "Kojo unitPriceFloat", item.get("unitPriceFloat"))
        attribute(attrs, "Kojo unitPriceECM", ecm)
        attribute(attrs, "Kojo extPriceFloat", item.get("extPriceFloat"))
        attribute(attrs, "Kojo backorderLeadTime", item.get("backorderLeadTime"))
        identifier = {
            "SupplierSKU": item.get("vendorPartNumber"),
            "ManufacturerSKU": item.get("manufacturerPartNumber"),
            "UPC": item.get("universalProductCode"),
        }
        ack_lines.append(
            {
                "LineNumber": line_number,
                "Quantity": quantity,
                "QuantityBackordered": backordered,
                "Price": None if unit is None else (unit / ECM[ecm]).quantize(Decimal("0.000001")),
                "QuantityUOM": uom.strip(),
                "Description": item.get("description"),
                "ItemIdentifier": {k: v for k, v in identifier.items() if v is not None},
                "ExtendedAttributes": attrs,
            }
        )
    return {
        "PartnerPO": order.partner_po,
        "AckLines": ack_lines,
        "ExtendedAttributes": [{"Name": "Dialect", "Value": "kojo"}],
    }


def order(row: Any, lines: list[Any], body: dict[str, Any]) -> dict[str, Any]:
    """A canonical order in Kojo's shape."""
    wire_lines = body.get("OrderLines") or []
    items = []
    for line in lines:
        src = wire_lines[line.position] if line.position < len(wire_lines) else {}
        ident = src.get("ItemIdentifier") or {} if isinstance(src, dict) else {}
        ln = line.line_number
        items.append(
            {
                "id": str(line.id),
                "lineNumber": int(ln) if ln.isascii() and ln.isdigit() and len(ln) < 10 else ln,
                "description": line.description,
                "quantity": line.quantity,
                "unitsOfMeasure": line.uom,
                "unitPriceFloat": number(line.price),
                "unitPriceECM": "E",
                "extPriceFloat": number(cents(line.price * line.quantity)) if line.price is not None else None,
                "vendorPartNumber": line.supplier_sku,
                "manufacturerPartNumber": ident.get("ManufacturerSKU"),
                "universalProductCode": ident.get("UPC"),
                "quantityAcknowledged": line.qty_accepted,
                "backorderQuantity": line.qty_backordered,
                "quantityCancelled": line.qty_cancelled,
                "quantityShipped": line.qty_shipped,
                "acknowledgedUnitPriceFloat": number(line.ack_price),
            }
        )
    ship_to = body.get("ShipToAddress") or {}
    return {
        "id": str(row.id),
        "purchaseOrderNumber": row.partner_po,
        "state": state(row.status),
        "statusCode": row.status,
        "buyerId": str(row.sender_company_id),
        "sellerId": str(row.receiver_company_id),
        "items": items,
        "deliveryLocation": ship_to or None,
        "deliveryInstructions": None,
        "needByDateDay": body.get("RequestedShipDate") or body.get("ExpectedDeliveryDate"),
        "needByWindow": "UNSPECIFIED",
        "notes": body.get("Note"),
        "taxExempt": False,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }
