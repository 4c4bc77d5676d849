"""The documents the agent sends, built from a PO, a policy's decision, shipment rows or a shipment.
Pure functions: the same input gives the same bytes (the runner stores them before sending)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from pohub.agent.csvfiles import ShipmentRequest
from pohub.agent.kinds import ACK, BILL, SHIP, sent, shipped_units
from pohub.agent.policies import Decision, POLine, PurchaseOrder
from pohub.agent.rows import OrderRecord
from pohub.core import jsonio
from pohub.core.money import ZERO, cents
from pohub.documents.logicbroker import SalesOrder
from pohub.documents.types import line_key

UPDATE_ATTRIBUTE = {"Name": "Acknowledgement Update", "Value": "true"}
# A double keeps 15 significant digits: an InvoiceTotal with more cannot reach the buyer to the cent.
DOUBLE_DIGITS = 15


class BuildError(ValueError):
    """The input cannot make a valid document (unknown line, no price ...); nothing is sent."""


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def date_time(value: date | str) -> str:
    """A date or date-time as the definitions' date-time (RFC 3339, with an offset): a date is its
    midnight UTC, a date-time without an offset is UTC."""
    if isinstance(value, str):
        text = value.strip()
        value = datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat().replace("+00:00", "Z")


def purchase_order(order: SalesOrder) -> PurchaseOrder:
    """A PO as policies see it, with the hub's per-line figures where the server gives them. A PO the
    agent cannot work on (no key, a negative quantity or price, a line without its figures) raises
    BuildError naming the field; the run reports it and goes on with the other POs."""
    key = order.identifier.logicbroker_key if order.identifier is not None else None
    po = order.partner_po or ""
    if not key:
        raise BuildError(f"PO {po!r}: Identifier.LogicbrokerKey is missing")
    lines = []
    for i, ln in enumerate(order.order_lines):
        where = f"PO {po!r} (LogicbrokerKey {key}): OrderLines[{i}]"
        if ln.quantity is not None and ln.quantity < 0:
            raise BuildError(f"{where}.Quantity is {ln.quantity}; a quantity cannot be negative")
        if ln.price is not None and ln.price < 0:
            raise BuildError(f"{where}.Price is {ln.price}; a price cannot be negative")
        extra = ln.model_extra or {}
        figures = {}
        for name in ("QuantityAcknowledged", "QuantityBackordered", "QuantityCancelled", "QuantityShipped"):
            figures[name] = _int(extra.get(name))
            if figures[name] < 0:
                raise BuildError(f"{where}.{name} is {figures[name]}; a quantity cannot be negative")
        lines.append(
            POLine(
                line_number=ln.line_number or str(i + 1),
                sku=ln.item_identifier.supplier_sku,
                quantity=ln.quantity or 0,
                price=ln.price,
                uom=ln.quantity_uom,
                accepted=figures["QuantityAcknowledged"],
                backordered=figures["QuantityBackordered"],
                cancelled=figures["QuantityCancelled"],
                shipped=figures["QuantityShipped"],
            )
        )
    return PurchaseOrder(str(key), po, tuple(lines), order.sales_requirement)


def _parties(record: OrderRecord) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # The supplier sends; the buyer receives (the reverse of the order).
    if record.supplier_id is not None:
        out["SenderCompanyId"] = record.supplier_id
    if record.buyer_id is not None:
        out["ReceiverCompanyId"] = record.buyer_id
    return out


def _item(sku: str | None) -> dict[str, str]:
    return {"SupplierSKU": sku} if sku else {}


def decision_hash(decision: Decision) -> str:
    """What a decision says, without its dates: a refused acknowledgement is sent again only when this changes."""
    lines = [[ln.line_number, ln.accepted, ln.backordered, ln.cancelled, ln.reason, ln.price] for ln in decision.lines]
    return hashlib.sha256(jsonio.dumps(lines)).hexdigest()


def acknowledgement(
    *, record: OrderRecord, decision: Decision, number: str, update: bool, today: date
) -> dict[str, Any]:
    """An acknowledgement of every line of the PO, as the policy decided."""
    lines: list[dict[str, Any]] = []
    for ack in decision.lines:
        ordered = record.line(ack.line_number)
        line: dict[str, Any] = {
            "LineNumber": ack.line_number,
            "ItemIdentifier": _item(ack.sku),
            "Quantity": ack.accepted,
            "QuantityBackordered": ack.backordered,
            "QuantityCancelled": ack.cancelled,
        }
        if ack.reason:
            line["ChangeReason"] = ack.reason
        if ack.price is not None:
            line["Price"] = ack.price
        if ordered is not None and ordered.uom:
            line["QuantityUOM"] = ordered.uom
        lines.append(line)
    body: dict[str, Any] = {
        sent(ACK).number_field: number,
        "PartnerPO": record.partner_po,
        "Identifier": {"LinkKey": record.key},
        **_parties(record),
        "AcknowledgementDate": date_time(today),
        "ScheduledShipDate": date_time(decision.ship_date or today),
        sent(ACK).spec.lines_field: lines,
    }
    if update:
        body["ExtendedAttributes"] = [dict(UPDATE_ATTRIBUTE)]
    return body


def shipment(*, record: OrderRecord, request: ShipmentRequest) -> dict[str, Any]:
    """One shipment from rows sharing a ShipmentNumber: one line per order line, one ShipmentInfo per row."""
    by_line: dict[str, dict[str, Any]] = {}
    for row in request.rows:
        line = _find_line(record, line_number=row.line_number, sku=row.sku, where=f"row {row.line_no}")
        out = by_line.setdefault(
            line_key(line.line_number),
            {"LineNumber": line.line_number, "ItemIdentifier": _item(line.sku), "Quantity": 0, "ShipmentInfos": []},
        )
        out["Quantity"] += row.quantity
        info: dict[str, Any] = {"Qty": row.quantity}
        for name, value in (
            ("TrackingNumber", row.tracking_number),
            ("CarrierCode", row.carrier),
            ("ServiceLevelCode", row.service_level),
            ("DateShipped", date_time(row.ship_date) if row.ship_date else ""),
        ):
            if value:
                info[name] = value
        out["ShipmentInfos"].append(info)
        if line.uom:
            out["QuantityUOM"] = line.uom
    body: dict[str, Any] = {
        sent(SHIP).number_field: request.number,
        "PartnerPO": record.partner_po,
        "Identifier": {"LinkKey": record.key},
        **_parties(record),
    }
    ship_date = next((r.ship_date for r in request.rows if r.ship_date), None)
    if ship_date:
        body["ShipmentDate"] = date_time(ship_date)
    body[sent(SHIP).spec.lines_field] = list(by_line.values())
    return body


def _find_line(record: OrderRecord, *, line_number: str, sku: str, where: str) -> POLine:
    if line_number:
        line = record.line(line_number)
        if line is None:
            known = ", ".join(ln.line_number for ln in record.lines)
            raise BuildError(f"{where}: PO {record.partner_po} has no line {line_number!r} (lines: {known})")
        if sku and line.sku and sku != line.sku:
            raise BuildError(f"{where}: line {line_number} of PO {record.partner_po} is SKU {line.sku}, not {sku}")
        return line
    found = [ln for ln in record.lines if ln.sku == sku]
    if len(found) != 1:
        why = "has no line with" if not found else "has several lines with"
        raise BuildError(f"{where}: PO {record.partner_po} {why} SupplierSKU {sku!r}; give the LineNumber")
    return found[0]


@dataclass(frozen=True)
class InvoiceDraft:
    body: dict[str, Any]
    input_hash: str
    total: Decimal


def invoice(*, record: OrderRecord, shipment_body: dict[str, Any], number: str, today: date) -> InvoiceDraft:
    """Bill a shipment's units at the acknowledged price, else the order's price; the total to the cent."""
    lines: list[dict[str, Any]] = []
    amount = ZERO
    for ship_line in sent(SHIP).lines(shipment_body):
        line_number = str(ship_line.get("LineNumber") or "")
        sku = (ship_line.get("ItemIdentifier") or {}).get("SupplierSKU") or ""
        line = _find_line(record, line_number=line_number, sku=sku, where="shipment line")
        units = shipped_units(ship_line)
        price = record.ack_prices.get(line.line_number, line.price)
        if price is None:
            raise BuildError(f"line {line.line_number} of PO {record.partner_po} has no price to invoice at")
        amount += price * units
        out: dict[str, Any] = {
            "LineNumber": line.line_number,
            "ItemIdentifier": _item(line.sku),
            "Quantity": units,
            "Price": price,
        }
        if line.uom:
            out["QuantityUOM"] = line.uom
        lines.append(out)
    if not lines:
        raise BuildError(f"shipment {shipment_body.get('ShipmentNumber')} has no lines to invoice")
    try:
        total = cents(amount)
    except InvalidOperation:
        total = amount
    if len(total.as_tuple().digits) > DOUBLE_DIGITS:
        raise BuildError(
            f"PO {record.partner_po}: InvoiceTotal {amount:E} has more than {DOUBLE_DIGITS} digits to the cent "
            "(a JSON number the buyer reads as a double cannot keep them); check the lines' Price"
        )
    body: dict[str, Any] = {
        sent(BILL).number_field: number,
        "PartnerPO": record.partner_po,
        "Identifier": {"LinkKey": record.key},
        **_parties(record),
        "InvoiceDate": date_time(today),
        "InvoiceTotal": total,
        sent(BILL).spec.lines_field: lines,
    }
    if record.currency:
        body["Currency"] = record.currency
    digest = hashlib.sha256(jsonio.dumps([number, lines])).hexdigest()
    return InvoiceDraft(body, digest, total)


def invoice_number(template: str, *, shipment_number: str, record: OrderRecord) -> str:
    """The configured numbering (default: the ShipmentNumber)."""
    return template.format(ShipmentNumber=shipment_number, PartnerPO=record.partner_po, LogicbrokerKey=record.key)


def shipment_totals(bodies: Sequence[dict[str, Any]]) -> int:
    return sum(shipped_units(ln) for body in bodies for ln in sent(SHIP).lines(body))
