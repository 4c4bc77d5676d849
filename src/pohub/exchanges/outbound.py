"""The one road out: a message to send is an outbound exchange, written in the same transaction as
the change that causes it (a transactional outbox); a channel's sender claims what is due, sends it
and records every attempt. Nothing is lost if a process dies between commit and send: a claim is a
lease, and a lapsed lease makes the exchange due again, under the same id.

States: queued -> sending -> sent (-> acknowledged, when the partner's own answer comes) | failed
(refused by the receiver, not worth retrying) | dead (the attempts ran out). Retry puts it back to
queued with a fresh budget; earlier attempts stay on record.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.core import outcomes as reported
from pohub.core.retry import RetryPolicy, is_retryable_status
from pohub.db.engine import Database
from pohub.exchanges.models import exchange_attempts, exchanges

X = exchanges.c
A = exchange_attempts.c

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
ACKNOWLEDGED = "acknowledged"
FAILED = "failed"
DEAD = "dead"
PENDING = frozenset({QUEUED, SENDING})


def outbound_row(
    *,
    channel: str,
    operation: str,
    company_id: int | None,
    kind: str | None,
    payload: bytes,
    content_type: str,
    at: datetime,
    endpoint_id: int | None = None,
    order_id: int | None = None,
    document_id: int | None = None,
    parent_id: int | None = None,
    partner_id: int | None = None,
) -> dict[str, Any]:
    """An outbound exchange, due now."""
    return {
        "direction": "out",
        "channel": channel,
        "operation": operation,
        "kind": kind,
        "company_id": company_id,
        "partner_id": partner_id,
        "endpoint_id": endpoint_id,
        "state": QUEUED,
        "content_type": content_type,
        "raw": payload,
        "params": None,
        "error": None,
        "status_code": None,
        "trace_id": None,
        "document_id": document_id,
        "order_id": order_id,
        "job_id": None,
        "parent_id": parent_id,
        "attempts": 0,
        "next_attempt_at": at,
        "locked_until": None,
        "created_at": at,
        "updated_at": at,
    }


async def queue(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Write outbound exchanges in the caller's transaction."""
    if rows:
        await conn.execute(insert(exchanges), rows)


async def queue_one(conn: AsyncConnection, row: dict[str, Any]) -> int:
    return int((await conn.execute(insert(exchanges).returning(X.id), row)).scalar_one())


def _due(channel: str, now: datetime) -> Any:
    return and_(
        X.direction == "out",
        X.channel == channel,
        X.state.in_(PENDING),
        X.next_attempt_at <= now,
        or_(X.locked_until.is_(None), X.locked_until < now),
    )


async def claim_due(conn: AsyncConnection, *, channel: str, now: datetime, limit: int, lease: timedelta) -> list[Any]:
    """Due exchanges of a channel, leased to the caller (FOR UPDATE SKIP LOCKED on PostgreSQL, so
    any number of workers share the queue); a "sending" one whose lease lapsed is due again."""
    stmt = (
        select(X.id, X.endpoint_id, X.kind, X.raw, X.attempts, X.created_at, X.content_type)
        .where(_due(channel, now))
        .order_by(X.next_attempt_at, X.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await conn.execute(stmt)).all())
    if rows:
        ids = [r.id for r in rows]
        await conn.execute(
            update(exchanges).where(X.id.in_(ids)).values(state=SENDING, locked_until=now + lease, updated_at=now)
        )
    return rows


async def requeue(conn: AsyncConnection, *, exchange_id: int, at: datetime) -> None:
    """Send again: due now, with a fresh attempt budget; earlier attempts stay on record."""
    await conn.execute(
        update(exchanges)
        .where(X.id == exchange_id)
        .values(state=QUEUED, attempts=0, next_attempt_at=at, locked_until=None, updated_at=at)
    )


RESENDABLE = frozenset({SENT, ACKNOWLEDGED, FAILED, DEAD})


async def resend(conn: AsyncConnection, *, exchange_id: int, company_id: int) -> bool:
    """Queue an outbound exchange again (the receiver fixed, or it asks for the message once more);
    False when it is still on its way."""
    stmt = select(X.state).where(X.id == exchange_id, X.company_id == company_id, X.direction == "out")
    state = (await conn.execute(stmt.with_for_update())).scalar_one_or_none()
    if state not in RESENDABLE:
        return False
    await requeue(conn, exchange_id=exchange_id, at=clock.now())
    return True


async def release_leases(conn: AsyncConnection) -> None:
    """Void every lease (the one worker of a SQLite installation starting: whoever held them is gone)."""
    await conn.execute(
        update(exchanges).where(X.direction == "out", X.locked_until.is_not(None)).values(locked_until=None)
    )


async def attempts_of(conn: AsyncConnection, *, exchange_ids: list[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {i: [] for i in exchange_ids}
    if exchange_ids:
        stmt = select(exchange_attempts).where(A.exchange_id.in_(exchange_ids)).order_by(A.id)
        for row in (await conn.execute(stmt)).all():
            out[row.exchange_id].append(row)
    return out


@dataclass
class Outcome:
    """What one attempt got: the receiver's status (None: no answer), an error, and its body."""

    status_code: int | None
    error: str | None
    body: str | None = None
    duration_ms: int = 0
    retry_after: float | None = None
    final: bool = False  # no point retrying, whatever the status (e.g. nothing to sign with)


# What a sender needs besides the exchange (a webhook's address and secret), loaded once a batch
# in the claim's transaction; and the sender itself: deliver one exchange, say what happened.
Load = Callable[[AsyncConnection, list[Any]], Awaitable[Any]]
Deliver = Callable[[httpx.AsyncClient, Any, Any], Awaitable[Outcome]]


async def _nothing(_conn: AsyncConnection, _rows: list[Any]) -> None:
    return None


@dataclass(frozen=True)
class Channel:
    name: str
    deliver: Deliver
    retry: RetryPolicy
    load: Load = _nothing
    batch: int = 20
    lease: timedelta = timedelta(seconds=60)


def next_values(channel: Channel, row: Any, outcome: Outcome, at: datetime) -> dict[str, Any]:
    """The exchange after an attempt: sent, failed for good, dead, or due again after a backoff."""
    attempts = row.attempts + 1
    values: dict[str, Any] = {
        "id": row.id,
        "attempts": attempts,
        "locked_until": None,
        "status_code": outcome.status_code,
        "error": outcome.error,
        "updated_at": at,
    }
    if outcome.error is None:
        values["state"] = SENT
    elif outcome.final or not is_retryable_status(outcome.status_code):
        values["state"] = FAILED
    elif attempts >= channel.retry.attempts:
        values["state"] = DEAD
    else:
        values["state"] = QUEUED
        values["next_attempt_at"] = at + timedelta(seconds=channel.retry.delay(attempts, outcome.retry_after))
    return values


async def _timed(channel: Channel, client: httpx.AsyncClient, row: Any, context: Any) -> Outcome:
    started = time.perf_counter()
    outcome = await channel.deliver(client, row, context)
    outcome.duration_ms = outcome.duration_ms or int((time.perf_counter() - started) * 1000)
    return outcome


async def send_due(db: Database, client: httpx.AsyncClient, channel: Channel) -> list[dict[str, Any]]:
    """Claim, send and record one batch of a channel's due exchanges; returns their new values."""
    now = clock.now()
    async with db.write() as conn:
        rows = await claim_due(conn, channel=channel.name, now=now, limit=channel.batch, lease=channel.lease)
        context = await channel.load(conn, rows) if rows else None
    if not rows:
        return []
    outcomes = await asyncio.gather(*(_timed(channel, client, r, context) for r in rows))
    at = clock.now()
    attempts = [
        {
            "exchange_id": row.id,
            "attempted_at": at,
            "duration_ms": o.duration_ms,
            "status_code": o.status_code,
            "error": (o.error or None) and o.error[:1000],
            "response_body": (o.body or None) and o.body[:2000],
        }
        for row, o in zip(rows, outcomes, strict=True)
    ]
    updates = [next_values(channel, row, o, at) for row, o in zip(rows, outcomes, strict=True)]
    async with db.write() as conn:
        await conn.execute(insert(exchange_attempts), attempts)
        for values in updates:
            changes = dict(values)
            exchange_id = changes.pop("id")
            if changes["error"] is not None:
                changes["error"] = _error_json(changes["error"], changes["status_code"])
            stmt = update(exchanges).where(X.id == exchange_id)
            if changes["state"] == SENT:
                # The partner's own answer (a 997 over AS2) can arrive before this attempt is
                # recorded: an exchange already acknowledged stays so (the attempt is on record).
                stmt = stmt.where(X.state != ACKNOWLEDGED)
            await conn.execute(stmt.values(**changes))
    reported.sent(channel=channel.name, states=[values["state"] for values in updates])
    return updates


def _error_json(text: str, status_code: int | None) -> str:
    return jsonio.dumps({"Code": status_code, "Message": text}).decode()
