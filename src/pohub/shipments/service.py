"""Shipments: add to each line's shipped quantity, never beyond what is still owed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core.errors import invalid
from pohub.documents import kinds
from pohub.documents.inbound import Inbound, LockedOrder, match_lines, require
from pohub.documents.logicbroker import Shipment
from pohub.orders import events
from pohub.orders.apply import Effect, apply_document
from pohub.orders.service import Created
from pohub.orders.store import LineChange, with_shipped

KIND = kinds.SHIPMENT


def line_units(i: int, line: Any) -> int:
    """A shipment line's units: the sum of its ShipmentInfos' Qty (one per carton) when given."""
    # The field's name is written only for a refusal, the cartons' Qty added in one loop (ten
    # lines a shipment).
    units = 0
    counted = False
    for info in line.shipment_infos or ():
        if info.qty is not None:
            units += info.qty
            counted = True
    quantity = line.quantity  # read once: a model's attribute is ~0.4 k a read
    if counted:
        if quantity is not None and quantity != units:
            raise invalid(
                f"ShipmentLines[{i}].Quantity",
                f"is {quantity} but its ShipmentInfos' Qty add up to {units}",
            )
    elif quantity is not None:
        units = quantity
    else:
        raise invalid(f"ShipmentLines[{i}].Quantity", "is required (or ShipmentInfos[].Qty per carton)")
    if units < 1:
        raise invalid(f"ShipmentLines[{i}].Quantity", f"must be at least 1 (got {units})")
    return int(units)


def tracking_numbers(shipment: Shipment) -> list[str]:
    infos = list(shipment.shipment_infos or [])
    for line in shipment.shipment_lines:
        infos.extend(line.shipment_infos or [])
    seen: dict[str, None] = {}
    for info in infos:
        if info.tracking_number:
            seen.setdefault(info.tracking_number, None)
    return list(seen)


def check_header(shipment: Shipment) -> None:
    """What a shipment needs before its order is looked up: its number and at least one line."""
    require(shipment.shipment_number, "ShipmentNumber")
    require(shipment.shipment_lines, "ShipmentLines", "must have at least one line")


async def receive(
    conn: AsyncConnection, *, company_id: int, inbound: Inbound[Shipment], path_key: str | None = None
) -> Created:
    """Apply a shipment to its order under the order's row lock."""
    shipment = inbound.doc
    check_header(shipment)
    return await apply_document(
        conn,
        company_id=company_id,
        inbound=inbound,
        path_key=path_key,
        kind=KIND,
        number=shipment.shipment_number,
        rules=lambda order, lines, _earlier: _rules(shipment, order, lines),
    )


def _rules(shipment: Shipment, order: LockedOrder, lines: list[Any]) -> Effect:
    changes: dict[int, LineChange] = {}
    units_total = 0
    for i, ship_line, line in match_lines(lines, shipment.shipment_lines, "ShipmentLines"):
        units = line_units(i, ship_line)
        change = changes.get(line.id)  # set when an earlier line of this shipment names the same line
        this_shipment = (0 if change is None else change.qty_shipped - line.qty_shipped) + units
        if line.qty_shipped + this_shipment > line.quantity - line.qty_cancelled:
            room = line.quantity - line.qty_cancelled - line.qty_shipped
            raise invalid(
                f"ShipmentLines[{i}].Quantity",
                f"Cannot over-ship line {line.line_number}: ordered {line.quantity}, cancelled {line.qty_cancelled}, "
                f"already shipped {line.qty_shipped}, this shipment {this_shipment} (at most {max(room, 0)} more)",
                message=f"Cannot over-ship line {line.line_number}",
            )
        shipped = line.qty_shipped + this_shipment
        # The line's figures made once (a replace builds its fields anew, ten lines a shipment).
        changes[line.id] = with_shipped(line, shipped) if change is None else change._replace(qty_shipped=shipped)
        units_total += units

    def event(doc_id: int, at: datetime) -> dict[str, Any]:
        return events.shipment_received(
            order=order,
            at=at,
            document_id=doc_id,
            number=shipment.shipment_number,
            units=units_total,
            tracking=tracking_numbers(shipment),
        )

    return Effect(changes, event)
