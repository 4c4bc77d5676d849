"""The one way a supplier document changes its order. Each kind brings only its own rules (a
function from the order's lines to the line changes and its event); finding and locking the order,
the duplicate rule, storing the document, re-deriving the status and writing the events happen here,
the same for acknowledgements, shipments and invoices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock
from pohub.core.errors import Conflict, PohubError
from pohub.documents import repository as repo
from pohub.documents.inbound import Duplicate, Inbound, LockedOrder, duplicate_and_lines, order_for_document
from pohub.documents.kinds import KindSpec
from pohub.orders import events
from pohub.orders.service import Created, rederive
from pohub.orders.status import OPEN, LineQuantities, status_of
from pohub.orders.store import LineChange, quantities_after, store_document

EventRow = dict[str, Any]


@dataclass
class Effect:
    """What a document does to its order, as its own rules work it out."""

    changes: dict[int, LineChange]  # line id -> the line's figures after the document
    event: Callable[[int, datetime], EventRow]  # the document's own event, given its key and the time
    total: Decimal | None = None
    # Further events once the new line figures are known (e.g. "every line was cancelled").
    follow_up: Callable[[int, datetime, list[LineQuantities]], list[EventRow]] = field(
        default=lambda _doc_id, _at, _lines: []
    )


# (order, its lines, the order's earlier documents of this kind) -> Effect; raises to refuse.
Rules = Callable[[LockedOrder, list[Any], list[Any]], Effect]


def ensure_open(order: LockedOrder, kind: str) -> None:
    """Only open orders take new documents (a re-post of an earlier one is answered before this)."""
    status = status_of(order.status)
    if status not in OPEN:
        raise Conflict(f"Order {order.id} is {int(status)} {status.label}: it takes no more {kind}s")


async def apply_document(
    conn: AsyncConnection,
    *,
    company_id: int,
    inbound: Inbound[Any],
    path_key: str | None,
    kind: KindSpec,
    number: str | None,
    rules: Rules,
) -> Created:
    """Apply a supplier document to its order under the order's row lock."""
    order = await order_for_document(conn, company_id=company_id, kind=kind.name, path_key=path_key, doc=inbound.doc)
    try:
        dup, earlier, lines = await duplicate_and_lines(
            conn,
            order_id=order.id,
            kind=kind.name,
            sender_id=company_id,
            number=number,
            body_hash=inbound.body_hash,
            number_field=kind.number_field or "number",
        )
        if isinstance(dup, Duplicate):
            return Created(dup.key, order.status, duplicate=True, order_id=order.id, partner_id=order.sender_company_id)
        ensure_open(order, kind.name)
        effect = rules(order, lines, earlier)
        doc_id = await store_document(
            conn, kind=kind.name, order=order, inbound=inbound, number=number, total=effect.total
        )
        await repo.update_line_changes(conn, list(effect.changes.values()))
        after = quantities_after(lines, effect.changes)
        now = clock.now()
        status, status_events = await rederive(
            conn,
            order=order,
            lines=after,
            acknowledged=kind.acknowledges,
            at=now,
            reason=f"{kind.label} {doc_id} received",
        )
        await events.record(conn, [effect.event(doc_id, now), *status_events, *effect.follow_up(doc_id, now, after)])
        return Created(doc_id, int(status), order_id=order.id, partner_id=order.sender_company_id)
    except PohubError as exc:
        exc.order_id = order.id
        raise
