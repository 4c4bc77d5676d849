"""Acknowledgements: the supplier's line-by-line answer to a PO (accepted, backordered, cancelled,
new price), the update rule for later ones, and what they do to the order's status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock
from pohub.core.errors import Conflict, FieldError, PohubError, invalid
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
from pohub.documents.logicbroker import Acknowledgement
from pohub.documents.store import line_update, quantities_after, store_document
from pohub.orders import events
from pohub.orders.service import Created, rederive
from pohub.orders.status import all_cancelled

UPDATE_ATTRIBUTE = "acknowledgement update"


def is_update(ack: Acknowledgement) -> bool:
    """Carries ExtendedAttributes [{"Name": "Acknowledgement Update", "Value": "true"}]."""
    for attr in ack.extended_attributes or []:
        if (attr.name or "").strip().casefold() == UPDATE_ATTRIBUTE:
            return (attr.value or "").strip().casefold() in ("true", "1", "yes")
    return False


@dataclass
class _LineFigures:
    accepted: int
    backordered: int
    cancelled: int


def _figures(i: int, ack_line: Any, line: Any) -> _LineFigures:
    field = f"AckLines[{i}]"
    backordered = ack_line.quantity_backordered or 0
    cancelled = ack_line.quantity_cancelled or 0
    # Quantity is the accepted quantity; left out, the line accepts whatever it does not
    # backorder or cancel.
    accepted = ack_line.quantity if ack_line.quantity is not None else line.quantity - backordered - cancelled
    for name, value in (
        ("Quantity", accepted),
        ("QuantityBackordered", backordered),
        ("QuantityCancelled", cancelled),
    ):
        if value < 0:
            raise invalid(f"{field}.{name}", f"must not be negative (got {value})")
    if accepted + backordered + cancelled > line.quantity:
        raise invalid(
            f"{field}.Quantity",
            f"accepted {accepted} + backordered {backordered} + cancelled {cancelled} = "
            f"{accepted + backordered + cancelled} exceeds the {line.quantity} ordered on line {line.line_number}",
        )
    if cancelled > line.quantity - line.qty_shipped:
        raise invalid(
            f"{field}.QuantityCancelled",
            f"cannot cancel {cancelled} on line {line.line_number}: {line.qty_shipped} of {line.quantity} "
            "have already shipped",
        )
    if ack_line.price is not None and ack_line.price < 0:
        raise invalid(f"{field}.Price", "must not be negative")
    return _LineFigures(accepted, backordered, cancelled)


async def receive(
    conn: AsyncConnection, *, company_id: int, inbound: Inbound[Acknowledgement], path_key: str | None = None
) -> Created:
    """Apply an acknowledgement to its order under the order's row lock."""
    ack = inbound.doc
    require(ack.ack_lines, "AckLines", "must have at least one line")
    order = await order_for_document(conn, company_id=company_id, kind="acknowledgement", path_key=path_key, doc=ack)
    try:
        return await _apply(conn, company_id=company_id, inbound=inbound, order=order)
    except PohubError as exc:
        exc.order_id = order.id
        raise


async def _apply(conn: AsyncConnection, *, company_id: int, inbound: Inbound[Acknowledgement], order: Any) -> Created:
    ack = inbound.doc
    dup, earlier = await duplicate_of(
        conn,
        order_id=order.id,
        kind="acknowledgement",
        sender_id=company_id,
        number=ack.acknowledgement_number,
        body_hash=inbound.body_hash,
        number_field="AcknowledgementNumber",
    )
    if isinstance(dup, Duplicate):
        return Created(dup.key, order.status, duplicate=True)
    ensure_open(order, "acknowledgement")
    update = is_update(ack)
    if earlier and not update:
        raise Conflict(
            f"Order {order.id} was already acknowledged (acknowledgement {earlier[0].id}); a second or later "
            'acknowledgement must carry ExtendedAttributes [{"Name": "Acknowledgement Update", "Value": "true"}]',
            [
                FieldError(
                    "ExtendedAttributes",
                    "must contain Acknowledgement Update = true for a later acknowledgement",
                )
            ],
        )

    lines = await repo.order_lines_of(conn, order_id=order.id)
    matched = match_lines(lines, ack.ack_lines, "AckLines")
    changes: dict[int, dict[str, Any]] = {}
    totals = _LineFigures(0, 0, 0)
    for i, ack_line, line in matched:
        if line.id in changes:
            raise invalid(f"AckLines[{i}].LineNumber", f"line {line.line_number} is acknowledged twice")
        fig = _figures(i, ack_line, line)
        totals = _LineFigures(
            totals.accepted + fig.accepted,
            totals.backordered + fig.backordered,
            totals.cancelled + fig.cancelled,
        )
        changes[line.id] = line_update(
            line,
            qty_accepted=fig.accepted,
            qty_backordered=fig.backordered,
            qty_cancelled=fig.cancelled,
            ack_price=ack_line.price if ack_line.price is not None else line.ack_price,
            change_reason=ack_line.change_reason or ack.change_reason,
        )

    doc_id = await store_document(
        conn, kind="acknowledgement", order=order, inbound=inbound, number=ack.acknowledgement_number
    )
    await repo.update_lines(conn, list(changes.values()))
    after = quantities_after(lines, changes)
    now = clock.now()
    status, status_events = await rederive(
        conn, order=order, lines=after, acknowledged=True, at=now, reason=f"Acknowledgement {doc_id} received"
    )
    rows = [
        events.acknowledgement_received(
            order=order,
            at=now,
            document_id=doc_id,
            number=ack.acknowledgement_number,
            accepted=totals.accepted,
            backordered=totals.backordered,
            cancelled=totals.cancelled,
            update=bool(earlier),
        ),
        *status_events,
    ]
    if all_cancelled(after):
        rows.append(events.all_lines_cancelled(order=order, at=now, document_id=doc_id))
    await repo.insert_events(conn, rows)
    return Created(doc_id, int(status))
