"""One function per activity-event type. Each returns the row to insert; the service writes it in
the same transaction as the change it records."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import actor
from pohub.documents import repository as repo
from pohub.documents.kinds import ACKNOWLEDGEMENT, CHANGE, INVOICE, KINDS, ORDER, RETURN, SHIPMENT
from pohub.orders.status import OrderStatus, Party

# Event type ids, stable on the wire (LBActivityEvent.TypeId). "<kind> received" comes from the
# kind's spec; the others are the order's own.
ORDER_CREATED = ORDER.event_type
STATUS_CHANGED = 2
ACKNOWLEDGEMENT_RECEIVED = ACKNOWLEDGEMENT.event_type
SHIPMENT_RECEIVED = SHIPMENT.event_type
INVOICE_RECEIVED = INVOICE.event_type
DOCUMENT_REFUSED = 6
ALL_LINES_CANCELLED = 7
RETURN_REQUESTED = RETURN.event_type
RETURN_AUTHORISED, RETURN_REJECTED, RETURN_RECEIVED, RETURN_CREDITED, RETURN_CANCELLED = (
    t for t, _name, _topic in RETURN.lifecycle
)
CHANGE_RECEIVED = CHANGE.event_type
((CHANGE_ANSWERED, _, _),) = CHANGE.lifecycle
EDI_FLAGGED = 8
ORDER_DETAILS_RECEIVED = 9

EVENT_TYPES = {
    ORDER_CREATED: "Order created",
    **{k.event_type: f"{k.label} received" for k in KINDS.values() if k is not ORDER},
    STATUS_CHANGED: "Status changed",
    DOCUMENT_REFUSED: "Document refused",
    ALL_LINES_CANCELLED: "All lines cancelled",
    RETURN_REQUESTED: "Return requested",
    **{t: name for k in KINDS.values() for t, name, _topic in k.lifecycle},
    EDI_FLAGGED: "EDI not acknowledged",
    ORDER_DETAILS_RECEIVED: "Order details received",
}


SUMMARY_MAX = 500  # events.summary
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
    if len(summary) > SUMMARY_MAX:
        # A summary quotes what was sent (numbers, tracking numbers, a refusal's reasons) and must fit
        # its column on every backend: the whole text moves to the details, nothing is lost.
        details = summary if details is None else f"{summary}\n{details}"
        summary = summary[: SUMMARY_MAX - 1] + "…"
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


# "150 Ready to Acknowledge" of each status, as the summary writes it (f"{int(s)} {s.label}"), made
# once: formatting both ends cost 3 k instructions an event (one a supplier document that moves it).
_STATUS_TEXT: dict[OrderStatus, str] = {s: f"{int(s)} {s.label}" for s in OrderStatus}


def status_changed(*, order: Any, at: datetime, old: OrderStatus, new: OrderStatus, reason: str) -> dict[str, Any]:
    return _event(
        order=order,
        at=at,
        type_id=STATUS_CHANGED,
        level="Info",
        category="Status",
        summary=f"Status changed from {_STATUS_TEXT[old]} to {_STATUS_TEXT[new]}",
        details=reason,
    )


@dataclass(frozen=True)
class Actor:
    """Who made a manual change: the company of the API key or dashboard session, its side of the
    order, and the dashboard user when there is one (None for API keys and dialects)."""

    party: Party
    company_id: int
    company_name: str | None = None
    user: str | None = None

    def describe(self) -> str:
        """ "the buyer, company 5 (ZAGENO), user jane"."""
        name = f" ({self.company_name})" if self.company_name else ""
        user = f", user {self.user}" if self.user else ""
        return f"the {self.party}, company {self.company_id}{name}{user}"


def status_set_by_hand(
    *, order: Any, at: datetime, old: OrderStatus, new: OrderStatus, actor: Actor, reason: str | None, override: bool
) -> dict[str, Any]:
    """A status someone set (not one derived from documents): who, and why when they said."""
    details = [f"Set by hand by {actor.describe()}."]
    if override:
        details.append(f"Override: {int(new)} {new.label} normally follows from the order's documents.")
    if reason:
        details.append(f"Reason: {reason}")
    return _event(
        order=order,
        at=at,
        type_id=STATUS_CHANGED,
        level="Warning" if override else "Info",
        category="Status",
        summary=f"Status changed from {int(old)} {old.label} to {int(new)} {new.label} by the {actor.party}"
        + (" (override)" if override else ""),
        details=" ".join(details),
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


def _return_event(
    *, order: Any, at: datetime, type_id: int, summary: str, return_id: int, details: str | None = None
) -> dict[str, Any]:
    return _event(
        order=order,
        at=at,
        type_id=type_id,
        level="Info",
        category="Return",
        summary=summary,
        details=details,
        document_id=return_id,
        document_type="Return",
    )


def return_requested(*, order: Any, at: datetime, return_id: int, number: str | None, units: int) -> dict[str, Any]:
    return _return_event(
        order=order,
        at=at,
        type_id=RETURN_REQUESTED,
        summary=f"Return {number or return_id} requested: {units} unit(s)",
        return_id=return_id,
    )


def return_authorised(*, order: Any, at: datetime, return_id: int, number: str | None, rma: str) -> dict[str, Any]:
    return _return_event(
        order=order,
        at=at,
        type_id=RETURN_AUTHORISED,
        summary=f"Return {number or return_id} authorised as RMA {rma}",
        return_id=return_id,
    )


def return_rejected(*, order: Any, at: datetime, return_id: int, number: str | None, reason: str) -> dict[str, Any]:
    return _return_event(
        order=order,
        at=at,
        type_id=RETURN_REJECTED,
        summary=f"Return {number or return_id} rejected",
        details=reason,
        return_id=return_id,
    )


def return_received(
    *, order: Any, at: datetime, return_id: int, number: str | None, units: int, conditions: list[str]
) -> dict[str, Any]:
    return _return_event(
        order=order,
        at=at,
        type_id=RETURN_RECEIVED,
        summary=f"Return {number or return_id}: {units} unit(s) received",
        details=f"Condition: {', '.join(conditions)}" if conditions else None,
        return_id=return_id,
    )


def return_credited(
    *, order: Any, at: datetime, return_id: int, number: str | None, credit: str, units: int, total: str
) -> dict[str, Any]:
    return _return_event(
        order=order,
        at=at,
        type_id=RETURN_CREDITED,
        summary=f"Return {number or return_id} credited by {credit}: {units} unit(s), total {total}",
        return_id=return_id,
    )


def return_cancelled(*, order: Any, at: datetime, return_id: int, number: str | None) -> dict[str, Any]:
    return _return_event(
        order=order,
        at=at,
        type_id=RETURN_CANCELLED,
        summary=f"Return {number or return_id} cancelled by the buyer",
        return_id=return_id,
    )


def change_received(
    *, order: Any, at: datetime, change_id: int, number: str | None, what: list[str], waits: bool
) -> dict[str, Any]:
    when = "waits for the supplier's answer" if waits else "applied at once (not yet acknowledged)"
    return _event(
        order=order,
        at=at,
        type_id=CHANGE_RECEIVED,
        level="Info",
        category="Change",
        summary=f"Change {number or change_id} received: {'; '.join(what)}; {when}",
        document_id=change_id,
        document_type="Change",
    )


def change_answered(
    *, order: Any, at: datetime, change_id: int, number: str | None, outcomes: list[str]
) -> dict[str, Any]:
    return _event(
        order=order,
        at=at,
        type_id=CHANGE_ANSWERED,
        level="Info",
        category="Change",
        summary=f"Change {number or change_id} answered: {'; '.join(outcomes)}",
        document_id=change_id,
        document_type="Change",
    )


def edi_flagged(*, order: Any, at: datetime, document_type: str, message: str, details: str | None) -> dict[str, Any]:
    """An EDI document pohub sent for this order that the partner rejected (997 / CONTRL) or did not
    acknowledge in time."""
    return _event(
        order=order,
        at=at,
        type_id=EDI_FLAGGED,
        level="Error",
        category=document_type,
        summary=message,
        details=details,
        document_type=document_type,
    )
