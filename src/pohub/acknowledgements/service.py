"""Acknowledgements: the supplier's line-by-line answer to a PO (accepted, backordered, cancelled,
new price), the update rule for later ones, and what they do to the order's status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core.errors import Conflict, FieldError, invalid
from pohub.documents import kinds
from pohub.documents.inbound import Inbound, LockedOrder, match_lines, require
from pohub.documents.logicbroker import Acknowledgement
from pohub.orders import events
from pohub.orders.apply import Effect, apply_document
from pohub.orders.service import Created
from pohub.orders.status import LineQuantities, all_cancelled
from pohub.orders.store import LineChange, line_update

KIND = kinds.ACKNOWLEDGEMENT
UPDATE_ATTRIBUTE = "acknowledgement update"


def is_update(ack: Acknowledgement) -> bool:
    """Carries ExtendedAttributes [{"Name": "Acknowledgement Update", "Value": "true"}]."""
    for attr in ack.extended_attributes or []:
        if (attr.name or "").strip().casefold() == UPDATE_ATTRIBUTE:
            return (attr.value or "").strip().casefold() in ("true", "1", "yes")
    return False


def _figures(i: int, ack_line: Any, line: Any) -> tuple[int, int, int]:
    """One acknowledgement line's (accepted, backordered, cancelled), or the line's refusal (its
    field named only then). A plain tuple: a named tuple's __new__ is a Python function (2.4 k
    instructions more a line), and the caller unpacks it at once."""
    backordered = ack_line.quantity_backordered or 0
    cancelled = ack_line.quantity_cancelled or 0
    # Quantity is the accepted quantity; left out, the line accepts whatever it does not
    # backorder or cancel.
    accepted = ack_line.quantity if ack_line.quantity is not None else line.quantity - backordered - cancelled
    if accepted < 0 or backordered < 0 or cancelled < 0:
        for name, value in (
            ("Quantity", accepted),
            ("QuantityBackordered", backordered),
            ("QuantityCancelled", cancelled),
        ):
            if value < 0:
                raise invalid(f"AckLines[{i}].{name}", f"must not be negative (got {value})")
    if accepted + backordered + cancelled > line.quantity:
        raise invalid(
            f"AckLines[{i}].Quantity",
            f"accepted {accepted} + backordered {backordered} + cancelled {cancelled} = "
            f"{accepted + backordered + cancelled} exceeds the {line.quantity} ordered on line {line.line_number}",
        )
    if cancelled > line.quantity - line.qty_shipped:
        raise invalid(
            f"AckLines[{i}].QuantityCancelled",
            f"cannot cancel {cancelled} on line {line.line_number}: {line.qty_shipped} of {line.quantity} "
            "have already shipped",
        )
    price = ack_line.price  # read once: a model's attribute is ~0.4 k a read, ten lines a document
    if price is not None and price < 0:
        raise invalid(f"AckLines[{i}].Price", "must not be negative")
    return accepted, backordered, cancelled


def check_header(ack: Acknowledgement) -> None:
    """What an acknowledgement needs before its order is looked up: at least one line."""
    require(ack.ack_lines, "AckLines", "must have at least one line")


async def receive(
    conn: AsyncConnection, *, company_id: int, inbound: Inbound[Acknowledgement], path_key: str | None = None
) -> Created:
    """Apply an acknowledgement to its order under the order's row lock."""
    ack = inbound.doc
    check_header(ack)
    return await apply_document(
        conn,
        company_id=company_id,
        inbound=inbound,
        path_key=path_key,
        kind=KIND,
        number=ack.acknowledgement_number,
        rules=lambda order, lines, earlier: _rules(ack, order, lines, earlier),
    )


def _rules(ack: Acknowledgement, order: LockedOrder, lines: list[Any], earlier: list[Any]) -> Effect:
    if earlier and not is_update(ack):  # the seed's rule: later acknowledgements say they are updates
        raise Conflict(
            f"Order {order.id} was already acknowledged (acknowledgement {earlier[0].id}); a second or later "
            'acknowledgement must carry ExtendedAttributes [{"Name": "Acknowledgement Update", "Value": "true"}]',
            [
                FieldError(
                    "ExtendedAttributes", "must contain Acknowledgement Update = true for a later acknowledgement"
                )
            ],
        )
    changes: dict[int, LineChange] = {}
    total_accepted = total_backordered = total_cancelled = 0
    for i, ack_line, line in match_lines(lines, ack.ack_lines, "AckLines"):
        if line.id in changes:
            raise invalid(f"AckLines[{i}].LineNumber", f"line {line.line_number} is acknowledged twice")
        accepted, backordered, cancelled = _figures(i, ack_line, line)
        total_accepted += accepted
        total_backordered += backordered
        total_cancelled += cancelled
        price = ack_line.price
        changes[line.id] = line_update(
            line,
            qty_accepted=accepted,
            qty_backordered=backordered,
            qty_cancelled=cancelled,
            ack_price=price if price is not None else line.ack_price,
            change_reason=ack_line.change_reason or ack.change_reason,
        )

    def event(doc_id: int, at: datetime) -> dict[str, Any]:
        return events.acknowledgement_received(
            order=order,
            at=at,
            document_id=doc_id,
            number=ack.acknowledgement_number,
            accepted=total_accepted,
            backordered=total_backordered,
            cancelled=total_cancelled,
            update=bool(earlier),
        )

    def follow_up(doc_id: int, at: datetime, after: list[LineQuantities]) -> list[dict[str, Any]]:
        return [events.all_lines_cancelled(order=order, at=at, document_id=doc_id)] if all_cancelled(after) else []

    return Effect(changes, event, follow_up=follow_up)
