"""Transactional outbox for webhooks: called with the activity events a unit of work writes, in that
same transaction, so a delivery (an outbound exchange on the webhook channel) exists exactly when
its event does."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.exchanges import outbound
from pohub.inventory import notify as inventory_notify
from pohub.orders import events
from pohub.partners import pairs
from pohub.webhooks import topics
from pohub.webhooks.models import webhook_subscriptions

CHANNEL = "webhook"

S = webhook_subscriptions.c


def envelope(topic: str, data: dict[str, Any], at: datetime) -> str:
    """The Standard Webhooks payload shape: {type, timestamp, data}."""
    return _payload(topic, data, at.isoformat()).decode()


def _payload(topic: str, data: dict[str, Any], timestamp: str) -> bytes:
    return jsonio.dumps({"type": topic, "timestamp": timestamp, "data": data})


def event_data(row: dict[str, Any]) -> dict[str, Any]:
    """An activity event as the platform's LBActivityEvent spells it."""
    at = row.get("created_at")
    return _event_data(row, at.isoformat() if isinstance(at, datetime) else None)


def _event_data(row: dict[str, Any], date: str | None) -> dict[str, Any]:
    return {
        "Date": date,
        "SenderId": row.get("sender_id"),
        "ReceiverId": row.get("receiver_id"),
        "LogicbrokerKey": str(row["document_id"]) if row.get("document_id") is not None else None,
        "DocumentType": row.get("document_type"),
        "LinkKey": str(row["order_id"]) if row.get("order_id") is not None else None,
        "TypeId": row.get("type_id"),
        "Level": row.get("level"),
        "Category": row.get("category"),
        "Summary": row.get("summary"),
        "Details": row.get("details"),
    }


# A document's events name its two parties: that lookup, on every document, is read with the pair's
# partnership and EDI profiles, once per unit of work (partners/pairs.py).
_OF_PAIR = pairs.part(
    "webhook_subscriptions",
    (S.id, S.company_id, S.topic),
    lambda lo, hi: and_(S.enabled.is_(True), S.company_id.in_([lo, hi])),
    each=lambda company: and_(S.company_id == company, S.enabled.is_(True)),
)


async def _subscriptions(conn: AsyncConnection, company_ids: Iterable[int]) -> list[Any]:
    ids = sorted(set(company_ids))
    if not ids:
        return []
    if len(ids) <= 2:
        return await pairs.rows(conn, _OF_PAIR, ids[0], ids[-1])
    stmt = select(S.id, S.company_id, S.topic).where(S.enabled.is_(True), S.company_id.in_(ids))
    return list((await conn.execute(stmt)).all())


def _delivery(
    sub: Any, topic: str, payload: str, at: datetime, *, order_id: int | None = None, document_id: int | None = None
) -> dict[str, Any]:
    return outbound.outbound_row(
        channel=CHANNEL,
        operation=CHANNEL,
        company_id=sub.company_id,
        kind=topic,
        payload=payload.encode(),
        content_type="application/json",
        at=at,
        endpoint_id=sub.id,
        order_id=order_id,
        document_id=document_id,
    )


# A delivery row with the fields every delivery shares (an outbound exchange on this channel, as
# outbound_row writes it: the same keys in the same order); deliveries fills in the rest.
# Never changed: each row is a copy with its own fields.
_SHARED = outbound.outbound_row(
    channel=CHANNEL,
    operation=CHANNEL,
    company_id=None,
    kind=None,
    payload=b"",
    content_type="application/json",
    at=datetime.min,
)


def deliveries(rows: list[dict[str, Any]], subs: list[Any], now: datetime) -> list[dict[str, Any]]:
    """The delivery rows of a unit's events: one per subscription (of the event's sender or receiver)
    whose topic matches, each an outbound exchange due ``now`` with the event as its payload.

    The same rows ``_delivery`` makes, for less: every row is the shared fields (_SHARED, made
    once) with the nine that differ, the payload written once per event as bytes, and a time's
    isoformat (~12 k instructions) written once per time, not twice per event (its Date and the
    envelope's timestamp are the same text) nor again for each event of the document (they share
    their ``now``)."""
    out: list[dict[str, Any]] = []
    last: tuple[Any, str] = (None, "")
    for row in rows:
        topic = topics.BY_EVENT_TYPE.get(row["type_id"])
        if topic is None:
            continue
        at = row.get("created_at")
        if isinstance(at, datetime):
            if last[0] is not at:
                last = (at, at.isoformat())
            timestamp = last[1]
            date: str | None = timestamp
        else:
            date = None
            timestamp = (at or now).isoformat()
        payload: bytes | None = None
        sender, receiver = row.get("sender_id"), row.get("receiver_id")
        for sub in subs:
            if sub.company_id in (sender, receiver) and topics.matches(sub.topic, topic):
                if payload is None:
                    payload = _payload(topic, _event_data(row, date), timestamp)
                out.append(
                    {
                        **_SHARED,
                        "company_id": sub.company_id,
                        "kind": topic,
                        "endpoint_id": sub.id,
                        "raw": payload,
                        "document_id": row.get("document_id"),
                        "order_id": row.get("order_id"),
                        "next_attempt_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    return out


@events.listen
async def enqueue_for_events(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Write one delivery row per subscription (of the event's sender or receiver) whose topic matches."""
    parties = {r.get(k) for r in rows for k in ("sender_id", "receiver_id")} - {None}
    subs = await _subscriptions(conn, parties)  # type: ignore[arg-type]
    if not subs:
        return
    await outbound.queue(conn, deliveries(rows, subs, clock.now()))


@inventory_notify.listen
async def enqueue_for_inventory(conn: AsyncConnection, change: inventory_notify.Updated) -> None:
    """One inventory.updated delivery per subscription of the supplier and of each buyer it trades with
    (who may see the stock): the change itself, not the stock; receivers download what they need."""
    subs = [s for s in await _subscriptions(conn, change.audience) if topics.matches(s.topic, topics.INVENTORY_UPDATED)]
    if not subs:
        return
    now = clock.now()
    payload = envelope(topics.INVENTORY_UPDATED, change.as_wire(), change.at)
    await outbound.queue(conn, [_delivery(s, topics.INVENTORY_UPDATED, payload, now) for s in subs])


async def enqueue(conn: AsyncConnection, *, company_id: int, topic: str, data: dict[str, Any]) -> int:
    """Deliveries of one message to a company's subscriptions of ``topic``; returns how many."""
    subs = [s for s in await _subscriptions(conn, [company_id]) if topics.matches(s.topic, topic)]
    if not subs:
        return 0
    now = clock.now()
    payload = envelope(topic, data, now)
    await outbound.queue(conn, [_delivery(s, topic, payload, now) for s in subs])
    return len(subs)


async def enqueue_test(conn: AsyncConnection, *, subscription: Any, data: dict[str, Any]) -> int:
    now = clock.now()
    return await outbound.queue_one(conn, _delivery(subscription, topics.TEST, envelope(topics.TEST, data, now), now))
