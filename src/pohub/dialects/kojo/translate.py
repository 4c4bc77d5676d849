"""Kojo's shapes to and from the canonical model. Pure functions: no queries, no lifecycle rules."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pohub.core.errors import FieldError, Unprocessable
from pohub.core.money import cents
from pohub.dialects import bounds
from pohub.dialects.common import attribute, iso, number
from pohub.dialects.fields import FieldTable, Problems, shown
from pohub.documents.logicbroker import AckLine, DataAttribute, ItemIdentifier
from pohub.documents.types import LBModel, line_key
from pohub.orders.status import OPEN, READY, OrderStatus

# E = price per each, C = per hundred, M = per thousand (unitPriceECM).
ECM = {"E": 1, "C": 100, "M": 1000}
MAX_QUANTITY = 1_000_000_000
INVALID_ITEMS = "INTEGRATION_API_CREATE_ORDER_ACKNOWLEDGEMENT_INVALID_ACKNOWLEDGEMENT_ITEMS"
# An acknowledgement item's text and the wire field it is carried in (whose limit it takes).
ITEM_TEXT: dict[str, tuple[type[LBModel], str]] = {
    "vendorPartNumber": (ItemIdentifier, "SupplierSKU"),
    "manufacturerPartNumber": (ItemIdentifier, "ManufacturerSKU"),
    "universalProductCode": (ItemIdentifier, "UPC"),
    "description": (AckLine, "Description"),
    "itemId": (DataAttribute, "Value"),
    "backorderLeadTime": (DataAttribute, "Value"),
}


def state(status: int) -> str:
    """Kojo's order state: OPEN until picked up, ACKNOWLEDGED while it takes documents, then CLOSED."""
    s = OrderStatus(status)
    if s in READY:
        return "OPEN"
    return "ACKNOWLEDGED" if s in OPEN else "CLOSED"


# The fields of an acknowledgement item, as seed 003 lists them. Anything else is refused by name:
# a misspelt key ("qty") must never let a line be accepted on a quantity pohub guessed.
ITEM_FIELDS = (
    "backorderLeadTime",
    "backorderQuantity",
    "description",
    "extPriceFloat",
    "itemId",
    "lineNumber",
    "manufacturerPartNumber",
    "quantity",
    "unitPriceECM",
    "unitPriceFloat",
    "unitsOfMeasure",
    "universalProductCode",
    "vendorPartNumber",
)
TEXT_FIELDS = (
    "backorderLeadTime",
    "description",
    "manufacturerPartNumber",
    "unitsOfMeasure",
    "universalProductCode",
    "vendorPartNumber",
)
BODY_FIELDS = ("acknowledgementItems",)
UPDATE = {"Name": "Acknowledgement Update", "Value": "true"}

ITEM = "acknowledgementItems[{0}]"
# The hub's acknowledgement fields in Kojo's words: every refusal of the hub's rules is rewritten
# through this table (pohub.dialects.fields) before it is answered or recorded.
FIELDS = FieldTable(
    dialect="kojo",
    line=ITEM,
    names={"Acknowledgement": "acknowledgement"},
    paths={
        "body": "body",
        "AckLines": "acknowledgementItems",
        "AckLines[]": ITEM,
        "AckLines[].LineNumber": ITEM + ".lineNumber",
        "AckLines[].Quantity": ITEM + ".quantity",
        "AckLines[].QuantityBackordered": ITEM + ".backorderQuantity",
        "AckLines[].QuantityCancelled": ITEM,
        "AckLines[].Price": ITEM + ".unitPriceFloat",
        "AckLines[].QuantityUOM": ITEM + ".unitsOfMeasure",
        "AckLines[].Description": ITEM + ".description",
        "AckLines[].ItemIdentifier": ITEM,
        "AckLines[].ItemIdentifier.SupplierSKU": ITEM + ".vendorPartNumber",
        "AckLines[].ItemIdentifier.ManufacturerSKU": ITEM + ".manufacturerPartNumber",
        "AckLines[].ItemIdentifier.UPC": ITEM + ".universalProductCode",
        "AckLines[].ExtendedAttributes": ITEM,
        # The order the acknowledgement is for is the one the URL names.
        "PartnerPO": "orderId",
        "Identifier": "orderId",
        "Identifier.LinkKey": "orderId",
        "SenderCompanyId": "orderId",
        "ReceiverCompanyId": "orderId",
        "ExtendedAttributes": "body",
    },
)


@dataclass
class Acknowledgement:
    """A Kojo acknowledgement as the hub's document, and its items as the answer echoes them (each
    with the itemId and lineNumber of the line it acknowledged)."""

    body: dict[str, Any]
    items: list[dict[str, Any]]


def _decimal(value: Any, field: str, errors: Problems) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        errors.add(field, f"must be a number, got {shown(value)}")
        return None
    exact = errors.bounded(bounds.amount, value, field)
    if exact is not None and exact < 0:
        errors.add(field, f"must not be negative, got {shown(value)}")
        return None
    return exact


def _int(value: Any, field: str, errors: Problems) -> int | None:
    if value is None:
        return None
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return errors.bounded(bounds.whole, value, field, high=MAX_QUANTITY)  # 1e400 shown as sent
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(field, f"must be an integer, got {shown(value)}")
        return None
    return errors.bounded(bounds.whole, value, field, high=MAX_QUANTITY)


def _invalid(field: str, error: str) -> Unprocessable:
    return Unprocessable(f"{field}: {error}", [FieldError(field, error)])


def _unknown_keys(obj: dict[str, Any], known: tuple[str, ...], prefix: str, errors: Problems) -> None:
    for key in obj:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]}?)" if close else f" (the fields are {', '.join(known)})"
        path = f"{prefix}.{key}" if prefix else key
        errors.add(path, f"is not a field of {'an acknowledgement item' if prefix else 'an acknowledgement'}{hint}")


def _line_of(item: dict[str, Any], f: str, lines: list[Any], errors: Problems) -> Any:
    """The order line an item answers: lineNumber and/or itemId (the line's id in items[].id);
    when both are given they must name the same line."""
    by_number = None
    number = item.get("lineNumber")
    known = ", ".join(line.line_number for line in lines)
    if number is not None:
        if isinstance(number, bool) or not isinstance(number, int | str | Decimal):
            errors.add(f"{f}.lineNumber", f"must be an integer, got {shown(number)}")
            return None
        if errors.bounded(bounds.text, number, f"{f}.lineNumber", (AckLine, "LineNumber")) is None:
            return None
        wanted = line_key(str(number))
        by_number = next((line for line in lines if line.line_key == wanted), None)
        if by_number is None:
            errors.add(f"{f}.lineNumber", f"the order has no line {shown(number)} (lines: {known})")
            return None
    item_id = item.get("itemId")
    if item_id is None:
        if by_number is None:
            errors.add(f"{f}.lineNumber", "is required (or itemId naming one of the order's items)")
        return by_number
    by_id = next((line for line in lines if str(line.id) == str(item_id)), None)
    if by_id is None:
        ids = ", ".join(str(line.id) for line in lines)
        errors.add(f"{f}.itemId", f"{shown(item_id)} names no item of this order (its items: {ids})")
        return None
    if by_number is not None and by_number.id != by_id.id:
        errors.add(
            f"{f}.itemId",
            f"{shown(item_id)} is the item of line {by_id.line_number}, "
            f"but lineNumber says line {by_number.line_number}",
        )
        return None
    return by_id


def _wire_line_number(line: Any) -> int | str:
    ln = str(line.line_number)
    return int(ln) if ln.isascii() and ln.isdigit() and len(ln) < 10 else ln


def acknowledgement(body: Any, *, order: Any, lines: list[Any], update: bool = False) -> Acknowledgement:
    """A Kojo acknowledge body as a Logicbroker Acknowledgement (an update of the earlier ones when
    ``update``). Every problem of every item is reported at once; refused are unknown keys, an itemId
    or lineNumber that names no line of the order, a unit of measure other than the line's, and an
    extended price that does not agree with quantity x unit price / the ECM basis, to the cent."""
    if not isinstance(body, dict):
        raise _invalid("body", "must be a JSON object")
    errors = Problems()
    _unknown_keys(body, BODY_FIELDS, "", errors)
    items = body.get("acknowledgementItems")
    if not isinstance(items, list) or not items:
        errors.add("acknowledgementItems", "is required and must have at least one item")
        errors.raise_any()
        return Acknowledgement({}, [])  # unreachable: raise_any raised
    ack_lines = []
    echoes = []
    seen: dict[int, int] = {}
    for i, item in enumerate(items):
        f = f"acknowledgementItems[{i}]"
        if not isinstance(item, dict):
            errors.add(f, "must be an object")
            continue
        _unknown_keys(item, ITEM_FIELDS, f, errors)
        for name in TEXT_FIELDS:
            if item.get(name) is not None and not isinstance(item[name], str):
                errors.add(f"{f}.{name}", f"must be a string, got {shown(item[name])}")
        for name, onto in ITEM_TEXT.items():
            errors.bounded(bounds.text, item.get(name), f"{f}.{name}", onto)
        errors.bounded(bounds.text, item.get("unitsOfMeasure"), f"{f}.unitsOfMeasure", (AckLine, "QuantityUOM"))
        uom = item.get("unitsOfMeasure")
        if uom is None or (isinstance(uom, str) and not uom.strip()):
            errors.add(f"{f}.unitsOfMeasure", "is required")
        ecm_given = item.get("unitPriceECM")
        ecm = str(ecm_given if ecm_given is not None else "E").strip().upper()
        if ecm not in ECM:
            errors.add(f"{f}.unitPriceECM", f"must be E, C or M, got {shown(ecm_given)}")
            ecm = "E"
        quantity = _int(item.get("quantity"), f"{f}.quantity", errors)
        backordered = _int(item.get("backorderQuantity"), f"{f}.backorderQuantity", errors)
        unit = _decimal(item.get("unitPriceFloat"), f"{f}.unitPriceFloat", errors)
        ext = _decimal(item.get("extPriceFloat"), f"{f}.extPriceFloat", errors)
        line = _line_of(item, f, lines, errors)
        named = line.line_number if line is not None else item.get("lineNumber")
        label = f"item {i}" + (f" (line {named})" if named is not None and not isinstance(named, dict | list) else "")
        if ext is not None and unit is not None and quantity is not None:
            expected = cents(Decimal(quantity) * unit / ECM[ecm])
            if cents(ext) != expected:
                basis = f"per {ECM[ecm]} ({ecm})"
                errors.add(
                    f"{f}.extPriceFloat",
                    f"{label}: extPriceFloat {shown(item.get('extPriceFloat'))} does not match "
                    f"quantity {quantity} x unitPriceFloat {shown(item.get('unitPriceFloat'))} {basis} = {expected}",
                )
        if line is None:
            continue
        if line.id in seen:
            errors.add(f, f"acknowledges line {line.line_number} again (item {seen[line.id]} did already)")
            continue
        seen[line.id] = i
        if isinstance(uom, str) and uom.strip() and line.uom and uom.strip().casefold() != line.uom.casefold():
            errors.add(
                f"{f}.unitsOfMeasure",
                f"item {i} (line {line.line_number}) is in {line.uom}, the order line's unit, not {uom.strip()}",
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
                "LineNumber": line.line_number,
                "Quantity": quantity,
                "QuantityBackordered": backordered,
                "Price": None if unit is None else (unit / ECM[ecm]).quantize(Decimal("0.000001")),
                "QuantityUOM": uom.strip() if isinstance(uom, str) else None,
                "Description": item.get("description"),
                "ItemIdentifier": {k: v for k, v in identifier.items() if v is not None},
                "ExtendedAttributes": attrs,
            }
        )
        echoes.append({"itemId": str(line.id), "lineNumber": _wire_line_number(line)} | item)
    errors.raise_any()
    extended = [{"Name": "Dialect", "Value": "kojo"}, *([UPDATE] if update else [])]
    return Acknowledgement(
        {"PartnerPO": order.partner_po, "AckLines": ack_lines, "ExtendedAttributes": extended}, echoes
    )


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
