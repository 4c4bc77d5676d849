"""The dashboard's forms as Logicbroker documents, and the API's errors back onto form fields.

Each form becomes the JSON body a client would POST, and goes through
``pohub.documents.inbound.parse`` and the same service as the API, so every rule of the hub applies
(and its refusal is mapped back onto the fields). Before sending, a form checks what a person can
get wrong on the page itself, all at once, each field marked: whole numbers, amounts and dates;
that an acknowledgement answers every unit of every line; that a backorder date has units to
backorder and is not in the past; that a document has its number; and that quantities fit the
figures the page shows. The hub checks all of this again (or more strictly): these checks only let
a person see every mistake in one go instead of one refusal at a time.
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
from pohub.web import invoice_total

ACK_ACTIONS = {
    "accept": "Accept all",
    "backorder": "Backorder all",
    "cancel": "Cancel all",
    "split": "Split…",
}
UPDATE_ATTRIBUTE = {"Name": "Acknowledgement Update", "Value": "true"}
# The line attribute a backorder's expected date travels in (read back by views.backorder_dates).
BACKORDER_DATE = "BackorderDate"


@dataclass
class FormErrors:
    """Errors to show: a summary, one message per form field, and what belongs to no field."""

    message: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    # Fields marked invalid whose message is another field's (the three boxes of an unbalanced
    # line point at the line's message): field -> the field whose message describes it.
    marks: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.message or self.fields or self.general)

    def add(self, name: str, error: str) -> None:
        self.fields.setdefault(name, error)

    def mark(self, name: str, described_by: str) -> None:
        if name not in self.fields:
            self.marks.setdefault(name, described_by)

    def described_by(self, name: str) -> str | None:
        """The id of the message that explains this field, when it is invalid."""
        if name in self.fields:
            return f"{name}-error"
        if name in self.marks:
            return f"{self.marks[name]}-error"
        return None


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
        n = len(errors.fields) + len(errors.general)
        errors.message = errors.message or f"{n} field{'' if n == 1 else 's'} need{'s' if n == 1 else ''} a look"
        raise FormInvalid(errors)


def _number(form: Mapping[str, Any], name: str, label: str, errors: FormErrors) -> str:
    """A document number: required (an empty box is never silently replaced by an internal id)."""
    number = _text(form, name)
    if not number:
        errors.add(name, f"is required: type the {label}")
    return number


def unanswered_message(ordered: int, answered: int) -> str | None:
    """What a line's three boxes say together, or None when they add up to what was ordered."""
    if answered < ordered:
        left = ordered - answered
        return f"{left} of {ordered} unit{'' if ordered == 1 else 's'} unanswered: accept, backorder or cancel them"
    if answered > ordered:
        return f"{answered} answered, {answered - ordered} more than the {ordered} ordered"
    return None


def _item(line: Any) -> dict[str, Any]:
    return {"SupplierSKU": line.supplier_sku} if line.supplier_sku else {}


@dataclass
class Built:
    """A document body and, for each of its lines, the order line's position (for errors)."""

    body: dict[str, Any]
    positions: list[int]


def acknowledgement(form: Mapping[str, Any], *, order: Any, lines: Sequence[Any], update: bool, today: date) -> Built:
    """Every line answered in full (accepted + backordered + cancelled = ordered); a backorder date
    only with units to backorder, and not before ``today``."""
    errors = FormErrors()
    body: dict[str, Any] = {"PartnerPO": order.partner_po, "AckLines": []}
    body["AcknowledgementNumber"] = _number(form, "ack_number", "acknowledgement number", errors)
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
        boxes = (f"accept-{i}", f"backorder-{i}", f"cancel-{i}")
        if not any(name in errors.fields for name in boxes):
            for name, value in zip(boxes, (accepted, backordered, cancelled), strict=True):
                if value < 0:
                    errors.add(name, f"must not be negative (got {value})")
            if (problem := unanswered_message(whole, accepted + backordered + cancelled)) is not None:
                errors.add(f"line-{i}", f"Line {line.line_number}: {problem}")
                for name in boxes:
                    errors.mark(name, f"line-{i}")
        ack_line: dict[str, Any] = {
            "LineNumber": line.line_number,
            "ItemIdentifier": _item(line),
            "Quantity": accepted,
            "QuantityBackordered": backordered,
            "QuantityCancelled": cancelled,
        }
        if line_reason := _text(form, f"reason-{i}"):
            ack_line["ChangeReason"] = line_reason
        date_box = f"backorder_date-{i}"
        if when := _day(form, date_box, errors):
            if backordered <= 0:
                errors.add(
                    date_box, "a backorder date needs units to backorder: type them in Backorder, or clear the date"
                )
            elif date.fromisoformat(when) < today:
                errors.add(date_box, f"is in the past ({when}); the earliest is today, {today.isoformat()}")
            else:
                ack_line["ExtendedAttributes"] = [{"Name": BACKORDER_DATE, "Value": when}]
        body["AckLines"].append(ack_line)
        positions.append(i)
    _check(errors)
    return Built(body, positions)


def accept_all(*, order: Any, lines: Sequence[Any]) -> dict[str, Any]:
    """The acknowledgement that accepts every line in full (the orders list's bulk action)."""
    return {
        "PartnerPO": order.partner_po,
        "AcknowledgementNumber": f"ACK-{order.partner_po or order.id}-1",
        "AckLines": [
            {
                "LineNumber": line.line_number,
                "ItemIdentifier": _item(line),
                "Quantity": line.quantity,
                "QuantityBackordered": 0,
                "QuantityCancelled": 0,
            }
            for line in lines
        ],
    }


def _all_zero(errors: FormErrors, names: Sequence[str], text: str) -> None:
    """Every quantity box is marked; the first carries the message the others point at."""
    if names:
        errors.add(names[0], text)
        for name in names[1:]:
            errors.mark(name, names[0])


def ship_now(line: Any) -> int:
    """What a ship form offers for a line: accepted and not yet shipped (never backordered units)."""
    return max(int(line.qty_accepted) - int(line.qty_shipped), 0)


def shippable(line: Any) -> int:
    """The most a line may still ship, as the hub counts it: ordered less cancelled less shipped."""
    return max(int(line.quantity) - int(line.qty_cancelled) - int(line.qty_shipped), 0)


MAX_CARTONS = 50


def carton_count(form: Mapping[str, Any]) -> int:
    """How many cartons the ship form has (1 to MAX_CARTONS)."""
    text = _text(form, "cartons")
    n = int(text) if is_ascii_int(text) and len(text) < 4 else 1
    return min(max(n, 1), MAX_CARTONS)


def _one_carton_names(form: Mapping[str, Any], lines: Sequence[Any]) -> Mapping[str, Any]:
    """The single-carton form's names (``qty-<line>``, ``tracking``), as scripts posting it still
    send them, read as carton 1's."""
    aliases = {f"qty-{line.position}": f"qty-{line.position}-0" for line in lines} | {"tracking": "tracking-0"}
    if not any(old in form and new not in form for old, new in aliases.items()):
        return form
    out = dict(form)
    for old, new in aliases.items():
        if old in form and new not in form:
            out[new] = form[old]
    return out


def shipment(form: Mapping[str, Any], *, order: Any, lines: Sequence[Any]) -> Built:
    """One ship notice of one or more cartons: each carton has its tracking number and units per
    line (``qty-<line>-<carton>``); a line's Quantity is the sum over its cartons, each carton one
    of its ShipmentInfos (ContainerCode CTN-<n>, TrackingNumber, CarrierCode, Qty)."""
    form = _one_carton_names(form, lines)
    errors = FormErrors()
    body: dict[str, Any] = {"PartnerPO": order.partner_po, "ShipmentLines": []}
    body["ShipmentNumber"] = _number(form, "shipment_number", "shipment number", errors)
    shipped_on = _day(form, "ship_date", errors)
    if shipped_on:
        body["ShipmentDate"] = shipped_on
    carrier = _text(form, "carrier")
    info: dict[str, Any] = {}
    if carrier:
        info["CarrierCode"] = carrier
    if shipped_on:
        info["DateShipped"] = shipped_on
    if info:
        body["ShipmentInfos"] = [info]
    n = carton_count(form)
    tracking = [_text(form, f"tracking-{c}") for c in range(n)]
    used = [False] * n
    positions = []
    for line in lines:
        per_carton: list[int] = []
        for c in range(n):
            name = f"qty-{line.position}-{c}"
            qty = _whole(form, name, errors)
            if qty < 0:
                errors.add(name, f"must not be negative (got {qty})")
                qty = 0
            per_carton.append(qty)
        units = sum(per_carton)
        if units > shippable(line):
            errors.add(
                f"line-{line.position}",
                f"Line {line.line_number}: {units} in the cartons, at most {shippable(line)} can still ship",
            )
            for c in range(n):
                errors.mark(f"qty-{line.position}-{c}", f"line-{line.position}")
        if units <= 0:
            continue
        infos = []
        for c, qty in enumerate(per_carton):
            if qty <= 0:
                continue
            used[c] = True
            box: dict[str, Any] = {"ContainerCode": f"CTN-{c + 1}", "Qty": qty}
            if tracking[c]:
                box["TrackingNumber"] = tracking[c]
            if carrier:
                box["CarrierCode"] = carrier
            infos.append(box)
        body["ShipmentLines"].append(
            {
                "LineNumber": line.line_number,
                "ItemIdentifier": _item(line),
                "Quantity": units,
                "QuantityUOM": line.uom,
                "ShipmentInfos": infos,
            }
        )
        positions.append(line.position)
    for c in range(n):
        if tracking[c] and not used[c] and body["ShipmentLines"]:
            errors.add(f"tracking-{c}", f"carton {c + 1} has a tracking number but no units: type them, or clear it")
    if not body["ShipmentLines"] and not errors:
        _all_zero(errors, [f"qty-{line.position}-{c}" for c in range(n) for line in lines], "type the units shipped")
        errors.message = "Nothing to ship: every quantity is 0"
    _check(errors)
    return Built(body, positions)


def billable(line: Any) -> int:
    """Units a line may still invoice: shipped and not yet invoiced."""
    return max(int(line.qty_shipped) - int(line.qty_invoiced), 0)


def invoice_extras(form: Mapping[str, Any], errors: FormErrors) -> dict[str, Decimal | None]:
    """The invoice's discount, charges and tax rate boxes (amounts, not negative; a rate up to 100%)."""
    values = {name: _amount(form, name, errors) for name in ("discount", "charges", "tax_rate")}
    for name, value in values.items():
        if value is not None and value < 0:
            errors.add(name, "must not be negative")
    rate = values["tax_rate"]
    if rate is not None and rate > 100:
        errors.add("tax_rate", "is a percentage: at most 100")
    return values


def invoice_amounts(form: Mapping[str, Any], lines: Sequence[Any]) -> list[tuple[int, Decimal | None]]:
    """(units, unit price) per line as typed, a blank price being the line's own (for the running total)."""
    scratch = FormErrors()
    out = []
    for line in lines:
        qty = _whole(form, f"qty-{line.position}", scratch)
        price = _amount(form, f"price-{line.position}", scratch)
        out.append((max(qty, 0), price if price is not None else invoice_total.line_price(line)))
    return out


def invoice_preview(form: Mapping[str, Any], lines: Sequence[Any]) -> invoice_total.Total:
    """The running total of the form as typed (boxes that are not amounts count as empty)."""
    extras = invoice_extras(form, FormErrors())
    return invoice_total.compute(
        invoice_amounts(form, lines),
        discount=extras["discount"] if extras["discount"] and extras["discount"] > 0 else None,
        charges=extras["charges"] if extras["charges"] and extras["charges"] > 0 else None,
        tax_rate=extras["tax_rate"] if extras["tax_rate"] and 0 < extras["tax_rate"] <= 100 else None,
    )


def invoice(form: Mapping[str, Any], *, order: Any, lines: Sequence[Any]) -> Built:
    """The invoice with its discount, charges and tax, and the InvoiceTotal the page showed (the hub
    checks it adds up to the cent)."""
    errors = FormErrors()
    body: dict[str, Any] = {"PartnerPO": order.partner_po, "InvoiceLines": []}
    body["InvoiceNumber"] = _number(form, "invoice_number", "invoice number", errors)
    if invoiced_on := _day(form, "invoice_date", errors):
        body["InvoiceDate"] = invoiced_on
    extras = invoice_extras(form, errors)
    positions = []
    for line in lines:
        i = line.position
        qty = _whole(form, f"qty-{i}", errors)
        price = _amount(form, f"price-{i}", errors)
        if qty < 0:
            errors.add(f"qty-{i}", f"must not be negative (got {qty})")
        elif qty > billable(line):
            errors.add(
                f"qty-{i}", f"at most {billable(line)} shipped unit(s) of line {line.line_number} are not invoiced"
            )
        if price is not None and price < 0:
            errors.add(f"price-{i}", "must not be negative")
        if qty <= 0:
            continue
        inv_line: dict[str, Any] = {"LineNumber": line.line_number, "ItemIdentifier": _item(line), "Quantity": qty}
        if price is not None:
            inv_line["Price"] = price
        body["InvoiceLines"].append(inv_line)
        positions.append(i)
    if not body["InvoiceLines"] and not errors.fields:
        _all_zero(errors, [f"qty-{line.position}" for line in lines], "type the units billed on at least one line")
        errors.message = "Nothing to invoice: every quantity is 0"
    _check(errors)
    billed = {line.position: line for line in lines}
    parts = invoice_total.compute(
        [
            (int(ln["Quantity"]), ln.get("Price", invoice_total.line_price(billed[pos])))
            for ln, pos in zip(body["InvoiceLines"], positions, strict=True)
        ],
        discount=extras["discount"],
        charges=extras["charges"],
        tax_rate=extras["tax_rate"],
    )
    if parts.discount > parts.lines + parts.charges:
        errors.add("discount", f"is more than the lines and charges ({parts.lines + parts.charges:.2f})")
        _check(errors)
    if parts.discount:
        body["Discounts"] = [{"DiscountName": "Discount", "DiscountAmount": parts.discount}]
    if parts.charges:
        body["ExtendedAttributes"] = [{"Name": invoice_total.CHARGE_ATTRIBUTE, "Value": format(parts.charges, "f")}]
    if parts.tax_rate:
        body["Taxes"] = [{"TaxTitle": "Tax", "TaxRate": parts.tax_rate, "TaxAmount": parts.tax}]
    body["InvoiceTotal"] = parts.total
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
    "line": {"Quantity": "line"},
}
INVOICE_FIELDS = {
    "list": "InvoiceLines",
    "header": {"InvoiceNumber": "invoice_number", "InvoiceDate": "invoice_date", "InvoiceTotal": "total"},
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
