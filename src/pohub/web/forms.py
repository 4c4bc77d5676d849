"""The dashboard's forms as Logicbroker documents, and the API's errors back onto form fields.

Translation only: each form becomes the JSON body a client would POST, and goes through
``pohub.documents.inbound.parse`` and the same service as the API, so every rule (and every error
message) is the hub's. The only checks here are whether a box holds a whole number or a date.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pohub.core.errors import FieldError, PohubError
from pohub.core.ids import is_ascii_int

ACK_ACTIONS = {
    "accept": "Accept all",
    "backorder": "Backorder all",
    "cancel": "Cancel all",
    "split": "Split…",
}
UPDATE_ATTRIBUTE = {"Name": "Acknowledgement Update", "Value": "true"}


@dataclass
class FormErrors:
    """Errors to show: a summary, one message per form field, and what belongs to no field."""

    message: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.message or self.fields or self.general)

    def add(self, name: str, error: str) -> None:
        self.fields.setdefault(name, error)


class FormInvalid(Exception):
    def __init__(self, errors: FormErrors) -> None:
        super().__init__(errors.message)
        self.errors = errors


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _whole(form: Mapping[str, Any], name: str, errors: FormErrors) -> int:
    text = _text(form, name)
    if not text:
        return 0
    if not is_ascii_int(text, signed=True):
        errors.add(name, f"must be a whole number, got {text!r}")
        return 0
    return int(text)


def _day(form: Mapping[str, Any], name: str, errors: FormErrors) -> str | None:
    text = _text(form, name)
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        errors.add(name, f"must be a date (YYYY-MM-DD), got {text!r}")
        return None


def _amount(form: Mapping[str, Any], name: str, errors: FormErrors) -> Decimal | None:
    text = _text(form, name)
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.add(name, f"must be an amount, got {text!r}")
        return None
    if not value.is_finite():
        errors.add(name, f"must be an amount, got {text!r}")
        return None
    return value


def _check(errors: FormErrors) -> None:
    if errors:
        errors.message = errors.message or "Some fields need a look"
        raise FormInvalid(errors)


def _item(line: Any) -> dict[str, Any]:
    return {"SupplierSKU": line.supplier_sku} if line.supplier_sku else {}


@dataclass
class Built:
    """A document body and, for each of its lines, the order line's position (for errors)."""

    body: dict[str, Any]
    positions: list[int]


def acknowledgement(form: Mapping[str, Any], *, order: Any, lines: Sequence[Any], update: bool) -> Built:
    errors = FormErrors()
    body: dict[str, Any] = {"PartnerPO": order.partner_po, "AckLines": []}
    if number := _text(form, "ack_number"):
        body["AcknowledgementNumber"] = number
    if scheduled := _day(form, "scheduled_ship_date", errors):
        body["ScheduledShipDate"] = scheduled
    if reason := _text(form, "change_reason"):
        body["ChangeReason"] = reason
    if update:
        body["ExtendedAttributes"] = [dict(UPDATE_ATTRIBUTE)]
    positions = []
    for line in lines:
        i = line.position
        action = _text(form, f"action-{i}") or "split"
        if action not in ACK_ACTIONS:
            errors.add(f"action-{i}", "choose accept, backorder, cancel or split")
            continue
        whole = line.quantity
        accepted, backordered, cancelled = {
            "accept": (whole, 0, 0),
            "backorder": (0, whole, 0),
            "cancel": (0, 0, whole),
        }.get(action) or (
            _whole(form, f"accept-{i}", errors),
            _whole(form, f"backorder-{i}", errors),
            _whole(form, f"cancel-{i}", errors),
        )
        ack_line: dict[str, Any] = {
            "LineNumber": line.line_number,
            "ItemIdentifier": _item(line),
            "Quantity": accepted,
            "QuantityBackordered": backordered,
            "QuantityCancelled": cancelled,
        }
        if line_reason := _text(form, f"reason-{i}"):
            ack_line["ChangeReason"] = line_reason
        if backordered and (when := _day(form, f"backorder_date-{i}", errors)):
            ack_line["ExtendedAttributes"] = [{"Name": "BackorderDate", "Value": when}]
        body["AckLines"].append(ack_line)
        positions.append(i)
    _check(errors)
    return Built(body, positions)


def shipment(form: Mapping[str, Any], *, order: Any, lines: Sequence[Any]) -> Built:
    errors = FormErrors()
    body: dict[str, Any] = {"PartnerPO": order.partner_po, "ShipmentLines": []}
    if number := _text(form, "shipment_number"):
        body["ShipmentNumber"] = number
    shipped_on = _day(form, "ship_date", errors)
    if shipped_on:
        body["ShipmentDate"] = shipped_on
    info: dict[str, Any] = {}
    if carrier := _text(form, "carrier"):
        info["CarrierCode"] = carrier
    if tracking := _text(form, "tracking"):
        info["TrackingNumber"] = tracking
    if shipped_on:
        info["DateShipped"] = shipped_on
    if info:
        body["ShipmentInfos"] = [info]
    positions = []
    for line in lines:
        qty = _whole(form, f"qty-{line.position}", errors)
        if qty == 0:
            continue
        body["ShipmentLines"].append(
            {"LineNumber": line.line_number, "ItemIdentifier": _item(line), "Quantity": qty, "QuantityUOM": line.uom}
        )
        positions.append(line.position)
    _check(errors)
    return Built(body, positions)


def invoice(form: Mapping[str, Any], *, order: Any, lines: Sequence[Any]) -> Built:
    errors = FormErrors()
    body: dict[str, Any] = {"PartnerPO": order.partner_po, "InvoiceLines": []}
    if number := _text(form, "invoice_number"):
        body["InvoiceNumber"] = number
    if invoiced_on := _day(form, "invoice_date", errors):
        body["InvoiceDate"] = invoiced_on
    positions = []
    for line in lines:
        i = line.position
        qty = _whole(form, f"qty-{i}", errors)
        price = _amount(form, f"price-{i}", errors)
        if qty == 0:
            continue
        inv_line: dict[str, Any] = {"LineNumber": line.line_number, "ItemIdentifier": _item(line), "Quantity": qty}
        if price is not None:
            inv_line["Price"] = price
        body["InvoiceLines"].append(inv_line)
        positions.append(i)
    _check(errors)
    return Built(body, positions)


_INDEXED = re.compile(r"^(?P<list>\w+)\[(?P<index>\d+)\]\.?(?P<rest>.*)$")

ACK_FIELDS = {
    "list": "AckLines",
    "header": {
        "AcknowledgementNumber": "ack_number",
        "ScheduledShipDate": "scheduled_ship_date",
        "ChangeReason": "change_reason",
    },
    "line": {
        "Quantity": "accept",
        "QuantityBackordered": "backorder",
        "QuantityCancelled": "cancel",
        "ChangeReason": "reason",
    },
}
SHIP_FIELDS = {
    "list": "ShipmentLines",
    "header": {"ShipmentNumber": "shipment_number", "ShipmentDate": "ship_date"},
    "line": {"Quantity": "qty"},
}
INVOICE_FIELDS = {
    "list": "InvoiceLines",
    "header": {"InvoiceNumber": "invoice_number", "InvoiceDate": "invoice_date", "InvoiceTotal": "invoice_number"},
    "line": {"Quantity": "qty", "Price": "price"},
}


def from_error(exc: PohubError, built: Built | None, spec: Mapping[str, Any]) -> FormErrors:
    """The API's refusal, its field errors put next to the form fields they are about."""
    # A refusal about one field says "<field>: <error>"; the field's own message says it already.
    repeats = any(exc.message == f"{e.field}: {e.error}" for e in exc.errors)
    errors = FormErrors(message=None if repeats else exc.message)
    header: Mapping[str, str] = spec["header"]
    line_fields: Mapping[str, str] = spec["line"]
    for err in exc.errors:
        name = _form_field(err, built, spec["list"], header, line_fields)
        if name is None:
            errors.general.append(f"{err.field}: {err.error}")
        else:
            errors.add(name, err.error)
    return errors


def _form_field(
    err: FieldError, built: Built | None, list_name: str, header: Mapping[str, str], line_fields: Mapping[str, str]
) -> str | None:
    if err.field in header:
        return header[err.field]
    m = _INDEXED.match(err.field)
    if m is None or m["list"] != list_name or built is None:
        return None
    index = int(m["index"])
    if index >= len(built.positions):
        return None
    position = built.positions[index]
    return f"{line_fields.get(m['rest'], 'line')}-{position}"
