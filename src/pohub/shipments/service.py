"""Shipments: add to each line's shipped quantity, never beyond what is still owed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock
from pohub.core.errors import PohubError, invalid
from pohub.documents import repository as repo
from pohub.documents.inbound import (
    Duplicate,
    Inbound,
    duplicate_of,
    ensure_open,
    match_lines,
    order_for_document,
    require,
)
from pohub.documents.logicbroker import Shipment
from pohub.documents.store import line_update, quantities_after, store_document
from pohub.orders import events
from pohub.orders.service import Created, rederive


def line_units(i: int, line: Any) -> int:
    """A shipment line's units: the sum of its ShipmentInfos' Qty (one per carton) when given."""
    field = f"ShipmentLines[{i}]"
    infos = [info for info in (line.shipment_infos or []) if info.qty is not None]
    if infos:
        units = sum(info.qty for info in infos)
        if line.quantity is not None and line.quantity != units:
            raise invalid(
                f"{field}.Quantity",
                f"is {line.quantity} but its ShipmentInfos' Qty add up to {units}",
            )
    elif line.quantity is not None:
        units = line.quantity
    else:
        raise invalid(f"{field}.Quantity", "is required (or ShipmentInfos[].Qty per carton)")
    if units < 1:
        raise invalid(f"{field}.Quantity", f"must be at least 1 (got {units})")
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


async def receive(
    conn: AsyncConnection, *, company_id: int, inbound: Inbound[Shipment], path_key: str | None = None
) -> Created:
    """Apply a shipment to its order under the order's row lock."""
    shipment = inbound.doc
    require(shipment.shipment_number, "ShipmentNumber")
    require(shipment.shipment_lines, "ShipmentLines", "must have at least one line")
    order = await order_for_document(conn, company_id=company_id, kind="shipment", path_key=path_key, doc=shipment)
    try:
        return await _apply(conn, company_id=company_id, inbound=inbound, order=order)
    except PohubError as exc:
        exc.order_id = order.id
        raise


async def _apply(conn: AsyncConnection, *, company_id: int, inbound: Inbound[Shipment], order: Any) -> Created:
    shipment = inbound.doc
    dup, _ = await duplicate_of(
        conn,
        order_id=order.id,
        kind="shipment",
        sender_id=company_id,
        number=shipment.shipment_number,
        body_hash=inbound.body_hash,
        number_field="ShipmentNumber",
    )
    if isinstance(dup, Duplicate):
        return Created(dup.key, order.status, duplicate=True)
    ensure_open(order, "shipment")

    lines = await repo.order_lines_of(conn, order_id=order.id)
    changes: dict[int, dict[str, Any]] = {}
    units_total = 0
    for i, ship_line, line in match_lines(lines, shipment.shipment_lines, "ShipmentLines"):
        units = line_units(i, ship_line)
        change = changes.get(line.id) or line_update(line)
        this_shipment = change["qty_shipped"] - line.qty_shipped + units
        if line.qty_shipped + this_shipment > line.quantity - line.qty_cancelled:
            room = line.quantity - line.qty_cancelled - line.qty_shipped
            raise invalid(
                f"ShipmentLines[{i}].Quantity",
                f"Cannot over-ship line {line.line_number}: ordered {line.quantity}, cancelled {line.qty_cancelled}, "
                f"already shipped {line.qty_shipped}, this shipment {this_shipment} (at most {max(room, 0)} more)",
                message=f"Cannot over-ship line {line.line_number}",
            )
        change["qty_shipped"] = line.qty_shipped + this_shipment
        changes[line.id] = change
        units_total += units

    doc_id = await store_document(conn, kind="shipment", order=order, inbound=inbound, number=shipment.shipment_number)
    await repo.update_lines(conn, list(changes.values()))
    now = clock.now()
    status, status_events = await rederive(
        conn,
        order=order,
        lines=quantities_after(lines, changes),
        acknowledged=False,
        at=now,
        reason=f"Shipment {doc_id} received",
    )
    await repo.insert_events(
        conn,
        [
            events.shipment_received(
                order=order,
                at=now,
                document_id=doc_id,
                number=shipment.shipment_number,
                units=units_total,
                tracking=tracking_numbers(shipment),
            ),
            *status_events,
        ],
    )
    return Created(doc_id, int(status))
