"""Writing a supplier document once its rules have passed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock
from pohub.documents import repository as repo
from pohub.documents.inbound import Inbound
from pohub.orders.status import LineQuantities, OrderStatus


async def store_document(
    conn: AsyncConnection,
    *,
    kind: str,
    order: Any,
    inbound: Inbound[Any],
    number: str | None,
    total: Decimal | None = None,
) -> int:
    now = clock.now()
    doc = inbound.doc
    identifier = getattr(doc, "identifier", None)
    return await repo.insert_document(
        conn,
        {
            "kind": kind,
            "sender_company_id": order.receiver_company_id,
            "receiver_company_id": order.sender_company_id,
            "order_id": order.id,
            "partner_po": order.partner_po,
            "number": number,
            "source_key": (identifier.source_key if identifier else None) or order.partner_po,
            "link_key": str(order.id),
            # A supplier document is complete once applied (the platform's documents have statuses too).
            "status": int(OrderStatus.COMPLETE),
            "document_date": getattr(doc, "document_date", None) or now,
            "created_at": now,
            "updated_at": now,
            "total": total,
            "body_hash": inbound.body_hash,
            "raw": inbound.raw.decode(),
            "float_safe": inbound.float_safe,
        },
    )


def line_update(line: Any, **changes: Any) -> dict[str, Any]:
    """A full row for repository.update_lines: the line's current figures with some changed."""
    row = {
        "line_id": line.id,
        "qty_accepted": line.qty_accepted,
        "qty_backordered": line.qty_backordered,
        "qty_cancelled": line.qty_cancelled,
        "qty_shipped": line.qty_shipped,
        "qty_invoiced": line.qty_invoiced,
        "ack_price": line.ack_price,
        "change_reason": line.change_reason,
    }
    row.update(changes)
    return row


def quantities_after(lines: list[Any], changes: dict[int, dict[str, Any]]) -> list[LineQuantities]:
    """Every line's figures once ``changes`` (line id -> line_update row) are applied."""
    out = []
    for line in lines:
        c = changes.get(line.id) or line_update(line)
        out.append(
            LineQuantities(
                ordered=line.quantity,
                accepted=c["qty_accepted"],
                backordered=c["qty_backordered"],
                cancelled=c["qty_cancelled"],
                shipped=c["qty_shipped"],
                invoiced=c["qty_invoiced"],
            )
        )
    return out
