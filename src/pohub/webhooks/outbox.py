"""Transactional outbox for webhooks: called with the activity events a unit of work writes, in that
same transaction, so a delivery exists exactly when its event does."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.orders import events
from pohub.webhooks import topics
from pohub.webhooks.models import webhook_deliveries, webhook_subscriptions

S = webhook_subscriptions.c


def envelope(topic: str, data: dict[str, Any], at: datetime) -> str:
    """The Standard Webhooks payload shape: {type, timestamp, data}."""
    return jsonio.dumps({"type": topic, "timestamp": at.isoformat(), "data": data}).decode()


def event_data(row: dict[str, Any]) -> dict[str, Any]:
    """An activity event as the platform's LBActivityEvent spells it."""
    at = row.get("created_at")
    return {
        "Date": at.isoformat() if isinstance(at, datetime) else None,
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


async def _subscriptions(conn: AsyncConnection, company_ids: Iterable[int]) -> list[Any]:
    ids = sorted(set(company_ids))
    if not ids:
        return []
    stmt = select(S.id, S.company_id, S.topic).where(S.enabled.is_(True), S.company_id.in_(ids))
    return list((await conn.execute(stmt)).all())


def _delivery(subscription_id: int, topic: str, payload: str, order_id: int | None, at: datetime) -> dict[str, Any]:
    return {
        "subscription_id": subscription_id,
        "topic": topic,
        "order_id": order_id,
        "payload": payload,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": at,
        "locked_until": None,
        "created_at": at,
    }


@events.listen
async def enqueue_for_events(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Write one delivery row per subscription (of the event's sender or receiver) whose topic matches."""
    parties = {r.get(k) for r in rows for k in ("sender_id", "receiver_id")} - {None}
    subs = await _subscriptions(conn, parties)  # type: ignore[arg-type]
    if not subs:
        return
    now = clock.now()
    out = []
    for row in rows:
        topic = topics.BY_EVENT_TYPE.get(row["type_id"])
        if topic is None:
            continue
        payload = envelope(topic, event_data(row), row.get("created_at") or now)
        for sub in subs:
            if sub.company_id in (row.get("sender_id"), row.get("receiver_id")) and topics.matches(sub.topic, topic):
                out.append(_delivery(sub.id, topic, payload, row.get("order_id"), now))
    if out:
        await conn.execute(insert(webhook_deliveries), out)


async def enqueue(conn: AsyncConnection, *, company_id: int, topic: str, data: dict[str, Any]) -> int:
    """Deliveries of one message to a company's subscriptions of ``topic``; returns how many."""
    subs = [s for s in await _subscriptions(conn, [company_id]) if topics.matches(s.topic, topic)]
    if not subs:
        return 0
    now = clock.now()
    payload = envelope(topic, data, now)
    await conn.execute(insert(webhook_deliveries), [_delivery(s.id, topic, payload, None, now) for s in subs])
    return len(subs)


async def enqueue_test(conn: AsyncConnection, *, subscription_id: int, data: dict[str, Any]) -> int:
    now = clock.now()
    result = await conn.execute(
        insert(webhook_deliveries)
        .values(_delivery(subscription_id, topics.TEST, envelope(topics.TEST, data, now), None, now))
        .returning(webhook_deliveries.c.id)
    )
    return int(result.scalar_one())
