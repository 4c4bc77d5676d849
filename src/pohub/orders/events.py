"""One function per activity-event type. Each returns the row to insert; the service writes it in
the same transaction as the change it records."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import actor
from pohub.documents import repository as repo
from pohub.documents.kinds import ACKNOWLEDGEMENT, INVOICE, KINDS, ORDER, SHIPMENT
from pohub.orders.status import OrderStatus

# Event type ids, stable on the wire (LBActivityEvent.TypeId). "<kind> received" comes from the
# kind's spec; the others are the order's own.
ORDER_CREATED = ORDER.event_type
STATUS_CHANGED = 2
ACKNOWLEDGEMENT_RECEIVED = ACKNOWLEDGEMENT.event_type
SHIPMENT_RECEIVED = SHIPMENT.event_type
INVOICE_RECEIVED = INVOICE.event_type
DOCUMENT_REFUSED = 6
ALL_LINES_CANCELLED = 7
ORDER_DETAILS_RECEIVED = 8

EVENT_TYPES = {
    ORDER_CREATED: "Order created",
    **{k.event_type: f"{k.label} received" for k in KINDS.values() if k is not ORDER},
    STATUS_CHANGED: "Status changed",
    DOCUMENT_REFUSED: "Document refused",
    ALL_LINES_CANCELLED: "All lines cancelled",
    ORDER_DETAILS_RECEIVED: "Order details received",
}


EventRows = list[dict[str, Any]]
Listener = Callable[[AsyncConnection, EventRows], Awaitable[None]]
# Who else writes something in the same transaction as an event (the webhook outbox). Registered
# by the higher layer, so that the order's timeline knows nothing of webhooks.
LISTENERS: list[Listener] = []


def listen(fn: Listener) -> Listener:
    if fn not in LISTENERS:
        LISTENERS.append(fn)
    return fn


async def record(conn: AsyncConnection, rows: EventRows) -> None:
    """Write activity events, and what listeners derive from them, in the caller's transaction."""
    if not rows:
        return
    await repo.insert_events(conn, rows)
    for fn in LISTENERS:
        await fn(conn, rows)


def _event(
    *,
    order: Any,
    at: datetime,
    type_id: int,
    level: str,
    category: str,
    summary: str,
    details: str | None = None,
    document_id: int | None = None,
    document_type: str = "Order",
) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "document_id": document_id if document_id is not None else order.id,
        "document_type": document_type,
        "created_at": at,
        "type_id": type_id,
        "level": level,
        "category": category,
        "summary": summary,
        "details": details,
        "sender_id": order.sender_company_id,
        "receiver_id": order.receiver_company_id,
        "actor": actor.current(),
    }


def order_created(*, order: Any, at: datetime, line_count: int) -> dict[str, Any]:
    return _event(
        order=order,
        at=at,
        type_id=ORDER_CREATED,
        level="Info",
        category="Order",
        summary=f"Order {order.partner_po} received with {line_count} line(s)",
    )


def order_details_received(*, order: Any, at: datetime, fields: list[str]) -> dict[str, Any]:
    """The buyer sent more of the order (addresses, contacts) after it; its lines did not change."""
    return _event(
        order=order,
        at=at,
        type_id=ORDER_DETAILS_RECEIVED,
        level="Info",
        category="Order",
        summary=f"Order {order.partner_po} details received: {', '.join(fields) or 'nothing new'}",
    )


def status_changed(*, order: Any, at: datetime, old: OrderStatus, new: OrderStatus, reason: str) -> dict[str, Any]:
    return _event(
        order=order,
        at=at,
        type_id=STATUS_CHANGED,
        level="Info",
        category="Status",
        summary=f"Status changed from {int(old)} {old.label} to {int(new)} {new.label}",
        details=reason,
    )


def acknowledgement_received(
    *,
    order: Any,
    at: datetime,
    document_id: int,
    number: str | None,
    accepted: int,
    backordered: int,
    cancelled: int,
    update: bool,
) -> dict[str, Any]:
    what = "Updated acknowledgement" if update else "Acknowledgement"
    return _event(
        order=order,
        at=at,
        type_id=ACKNOWLEDGEMENT_RECEIVED,
        level="Info",
        category="Acknowledgement",
        summary=f"{what} {number or document_id}: {accepted} accepted, {backordered} backordered, "
        f"{cancelled} cancelled",
        document_id=document_id,
        document_type="Acknowledgement",
    )


def all_lines_cancelled(*, order: Any, at: datetime, document_id: int) -> dict[str, Any]:
    return _event(
        order=order,
        at=at,
        type_id=ALL_LINES_CANCELLED,
        level="Warning",
        category="Acknowledgement",
        summary="Every line was cancelled by acknowledgement; the order stays open until its status is set "
        "to 1100 (Cancelled)",
        details="PUT /api/v1/Orders/{key}/Status/1100 cancels the order.",
        document_id=document_id,
        document_type="Acknowledgement",
    )


def shipment_received(
    *, order: Any, at: datetime, document_id: int, number: str | None, units: int, tracking: list[str]
) -> dict[str, Any]:
    track = f" (tracking {', '.join(tracking)})" if tracking else ""
    return _event(
        order=order,
        at=at,
        type_id=SHIPMENT_RECEIVED,
        level="Info",
        category="Shipment",
        summary=f"Shipment {number or document_id}: {units} unit(s) shipped{track}",
        document_id=document_id,
        document_type="Shipment",
    )


def invoice_received(
    *, order: Any, at: datetime, document_id: int, number: str | None, units: int, total: str
) -> dict[str, Any]:
    return _event(
        order=order,
        at=at,
        type_id=INVOICE_RECEIVED,
        level="Info",
        category="Invoice",
        summary=f"Invoice {number or document_id}: {units} unit(s), total {total}",
        document_id=document_id,
        document_type="Invoice",
    )


def document_refused(
    *, order: Any, at: datetime, document_type: str, status_code: int, message: str, details: str | None
) -> dict[str, Any]:
    return _event(
        order=order,
        at=at,
        type_id=DOCUMENT_REFUSED,
        level="Error",
        category=document_type,
        summary=f"{document_type} refused ({status_code}): {message}",
        details=details,
        document_type=document_type,
    )
