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
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, bindparam, exists, func, insert, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.core import outcomes as reported
from pohub.core.retry import RetryPolicy, is_retryable_status
from pohub.db.engine import Database
from pohub.db.fast import Prepared
from pohub.exchanges import repository
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


# Every document with a subscriber queues its deliveries: compiled once (db/fast.py).
_INSERT = Prepared(insert(exchanges))


async def queue(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Write outbound exchanges in the caller's transaction (one executemany); while the unit holds
    its message's exchange (exchanges/repository.hold), behind it, when that is written."""
    if not rows:
        return
    held = repository.held(conn)
    if held is not None:
        held.queued.append(list(rows))
        return
    await _write(conn, rows)


async def _write(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    keys = rows[0].keys()
    if all(r.keys() == keys for r in rows):
        await _INSERT.many(conn, rows)
    else:  # rows of different shapes: SQLAlchemy sorts them out
        await conn.execute(insert(exchanges), rows)


repository.queued_by(_write)


async def queue_one(conn: AsyncConnection, row: dict[str, Any]) -> int:
    await repository.flush(conn)  # its id is wanted now: what is held is written first, below it
    return int((await conn.execute(insert(exchanges).returning(X.id), row)).scalar_one())


def pending(table: Any = exchanges) -> Any:
    """Outbound and on its way: spelled with constants, as the partial indexes' predicate is, so that
    the planner can use them with any bound parameters (a prepared statement's generic plan on
    PostgreSQL cannot prove that ``state IN ($1, $2)`` implies the index's predicate, and SQLite
    never can)."""
    c = table.c
    return and_(
        c.direction == literal_column("'out'"),
        c.state.in_([literal_column("'queued'"), literal_column("'sending'")]),
    )


def _due(channel: Any, now: Any) -> Any:
    return and_(
        pending(),
        X.channel == channel,
        X.next_attempt_at <= now,
        or_(X.locked_until.is_(None), X.locked_until < now),
    )


CLAIMED = (X.id, X.endpoint_id, X.kind, X.raw, X.attempts, X.created_at, X.content_type, X.next_attempt_at)


def _waits_behind(now: Any) -> Any:
    """The endpoint's oldest pending exchange is an earlier one that cannot go now (in flight, or
    backing off): this one waits, so that an endpoint receives its exchanges in order. Only the
    oldest is looked at (one index probe, where every earlier one would make a claim quadratic in
    the backlog); one further back that the claim does not get is caught by _in_order."""
    first = exchanges.alias("first")
    head = (
        select(func.min(first.c.id))
        .where(pending(first), first.c.channel == X.channel, first.c.endpoint_id == X.endpoint_id)
        .correlate(exchanges)
        .scalar_subquery()
    )
    earlier = exchanges.alias("earlier")
    E = earlier.c
    return (
        exists()
        .where(E.id == head, E.id < X.id, or_(E.next_attempt_at > now, E.locked_until >= now))
        .correlate(exchanges)
    )


def _claim(by_endpoint: bool) -> Any:
    """The claim, built once (its parameters bound at each call): due, in order, SKIP LOCKED."""
    now: Any = bindparam("c_now")
    due = _due(bindparam("c_channel"), now)
    if by_endpoint:
        # Read in id order, so the run starts at the endpoint's oldest due one; one still pending
        # before it (in flight elsewhere, backing off) is a gap that _in_order cuts at. No probe per
        # row: on a table full of dead row versions each probe would step over them again.
        chosen = select(X.id).where(due, X.endpoint_id == bindparam("c_endpoint")).order_by(X.id)
    else:
        chosen = select(X.id).where(due, ~_waits_behind(now)).order_by(X.next_attempt_at, X.id)
    ids = chosen.limit(bindparam("c_limit", type_=Integer)).with_for_update(skip_locked=True).scalar_subquery()
    return (
        update(exchanges)
        .where(X.id.in_(ids))
        .values(state=SENDING, locked_until=bindparam("c_lease_end"), updated_at=now)
        .returning(*CLAIMED)
    )


_CLAIM_BY_TIME = _claim(by_endpoint=False)
_CLAIM_BY_ENDPOINT = _claim(by_endpoint=True)


async def claim_due(
    conn: AsyncConnection,
    *,
    channel: str,
    now: datetime,
    limit: int,
    lease: timedelta,
    endpoints: list[int] | None = None,
) -> list[Any]:
    """Due exchanges of a channel, leased to the caller in one statement (FOR UPDATE SKIP LOCKED on
    PostgreSQL, so any number of workers share the queue); a "sending" one whose lease lapsed is due
    again. Of each endpoint only an unbroken run from its oldest pending exchange is kept, ordered
    by id: the caller sends them one after the other. With ``endpoints``, the next ``limit`` of each
    of those (whose earlier ones were just recorded), read by endpoint rather than by time: one
    statement each (usually one or two endpoints a call)."""
    params = {"c_now": now, "c_channel": channel, "c_limit": limit, "c_lease_end": now + lease}
    found: list[Any] = []
    if endpoints:
        for ep in sorted(set(endpoints)):
            found += (await conn.execute(_CLAIM_BY_ENDPOINT, {**params, "c_endpoint": ep})).all()
    else:
        found = list((await conn.execute(_CLAIM_BY_TIME, params)).all())
    rows = sorted(found, key=lambda r: r.id)
    keep, back = await _in_order(conn, channel=channel, rows=rows)
    if back:
        await conn.execute(
            update(exchanges).where(X.id.in_(back)).values(state=QUEUED, locked_until=None, updated_at=now)
        )
    return keep


async def _in_order(conn: AsyncConnection, *, channel: str, rows: list[Any]) -> tuple[list[Any], list[int]]:
    """Split a claim into what may be sent and what goes back: an endpoint's claimed exchanges after
    one still pending that this claim did not get (another worker's, one backing off, or one the
    LIMIT cut off) wait for it."""
    endpoints = {r.endpoint_id for r in rows if r.endpoint_id is not None}
    if not endpoints:
        return rows, []
    ours = [r.id for r in rows]
    stmt = (
        select(X.endpoint_id, func.min(X.id))
        .where(
            pending(),
            X.channel == channel,
            X.endpoint_id.in_(sorted(endpoints)),
            X.id < max(ours),
            X.id.not_in(ours),
        )
        .group_by(X.endpoint_id)
    )
    first_gap = dict((await conn.execute(stmt)).all())
    keep: list[Any] = []
    back: list[int] = []
    for row in rows:  # by id
        gap = first_gap.get(row.endpoint_id)
        if gap is not None and row.id > gap:
            back.append(row.id)
        else:
            keep.append(row)
    return keep, back


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
    await conn.execute(update(exchanges).where(pending(), X.locked_until.is_not(None)).values(locked_until=None))


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
# in the claim's transaction; and the sender itself: deliver one exchange with the channel's client
# (an httpx.AsyncClient unless the channel opens its own), say what happened.
Load = Callable[[AsyncConnection, list[Any]], Awaitable[Any]]
Deliver = Callable[[Any, Any, Any], Awaitable[Outcome]]
OpenClient = Callable[[], AbstractAsyncContextManager[Any]]
# Which receiver an exchange goes to (a host), so that one slow receiver gets only a few sending slots.
Receiver = Callable[[Any, Any], str]


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
    open_client: OpenClient | None = None
    timeout: float = 30.0  # the longest one attempt takes: no attempt starts that its lease would not cover
    receiver: Receiver | None = None


def state_after(channel: Channel, row: Any, outcome: Outcome) -> str:
    """Sent, failed for good, dead (the attempts ran out), or queued again."""
    if outcome.error is None:
        return SENT
    if outcome.final or not is_retryable_status(outcome.status_code):
        return FAILED
    return DEAD if row.attempts + 1 >= channel.retry.attempts else QUEUED


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
        "state": state_after(channel, row, outcome),
    }
    if values["state"] == QUEUED:
        values["next_attempt_at"] = at + timedelta(seconds=channel.retry.delay(attempts, outcome.retry_after))
    return values


async def timed(channel: Channel, client: Any, row: Any, context: Any) -> Outcome:
    """One attempt, timed; a sender that raises is an attempt that failed (retried like no answer)."""
    started = time.perf_counter()
    try:
        outcome = await channel.deliver(client, row, context)
    except Exception as exc:  # a bug in one sender must not lose the batch's other results
        outcome = Outcome(None, f"{type(exc).__name__}: {exc}"[:1000])
    outcome.duration_ms = outcome.duration_ms or int((time.perf_counter() - started) * 1000)
    return outcome


@dataclass
class Result:
    """An attempt made, to be recorded."""

    channel: Channel
    row: Any
    outcome: Outcome
    at: datetime


_WHERE_ID = X.id == bindparam("v_id")
_SETTLE: dict[str, Any] = {
    c: bindparam(f"v_{c}") for c in ("state", "attempts", "locked_until", "status_code", "error", "updated_at")
}
# The partner's own answer (a 997 over AS2) can arrive before the attempt is recorded: an exchange
# already acknowledged stays so (the attempt is on record).
_SENT = update(exchanges).where(_WHERE_ID, X.state != ACKNOWLEDGED).values(**_SETTLE)
_OTHER = (
    update(exchanges)
    .where(_WHERE_ID)
    .values(**_SETTLE, next_attempt_at=func.coalesce(bindparam("v_next_attempt_at"), X.next_attempt_at))
)
_RELEASE = (
    update(exchanges)
    .where(_WHERE_ID, X.state == SENDING)
    .values(state=QUEUED, locked_until=None, updated_at=bindparam("v_updated_at"))
)
# An endpoint's exchange backing off holds back the later ones: they are moved to its time, so that
# the claim does not read them again and again before then (and they keep their order).
_PARK = (
    update(exchanges)
    .where(
        pending(),
        X.state == literal_column("'queued'"),
        X.channel == bindparam("v_channel"),
        X.endpoint_id == bindparam("v_endpoint_id"),
        X.id > bindparam("v_id"),
        X.next_attempt_at < bindparam("v_until"),
    )
    .values(next_attempt_at=bindparam("v_until"))
)


async def record(
    conn: AsyncConnection, results: list[Result], released: list[int], at: datetime
) -> list[dict[str, Any]]:
    """Record a batch of attempts and their exchanges' new states in a few statements, and put back
    what was claimed but not sent; returns the new values."""
    updates = [next_values(r.channel, r.row, r.outcome, r.at) for r in results]
    if results:
        await conn.execute(
            insert(exchange_attempts),
            [
                {
                    "exchange_id": r.row.id,
                    "attempted_at": r.at,
                    "duration_ms": r.outcome.duration_ms,
                    "status_code": r.outcome.status_code,
                    "error": (r.outcome.error or None) and r.outcome.error[:1000],
                    "response_body": (r.outcome.body or None) and r.outcome.body[:2000],
                }
                for r in results
            ],
        )
    sent: list[dict[str, Any]] = []
    other: list[dict[str, Any]] = []
    for values in updates:
        params = {f"v_{k}": v for k, v in values.items() if k != "next_attempt_at"}
        if values["error"] is not None:
            params["v_error"] = _error_json(values["error"], values["status_code"])
        if values["state"] == SENT:
            sent.append(params)
        else:
            other.append({**params, "v_next_attempt_at": values.get("next_attempt_at")})
    if sent:
        await conn.execute(_SENT, sent)
    if other:
        await conn.execute(_OTHER, other)
    if released:
        await conn.execute(_RELEASE, [{"v_id": i, "v_updated_at": at} for i in released])
    parked = [
        {
            "v_channel": r.channel.name,
            "v_endpoint_id": r.row.endpoint_id,
            "v_id": r.row.id,
            "v_until": v["next_attempt_at"],
        }
        for r, v in zip(results, updates, strict=True)
        if v["state"] == QUEUED and r.row.endpoint_id is not None
    ]
    if parked:
        await conn.execute(_PARK, parked)
    return updates


async def send_due(db: Database, client: Any, channel: Channel) -> list[dict[str, Any]]:
    """Claim, send and record one batch of a channel's due exchanges; returns their new values.
    Each endpoint's exchanges go one after the other, in order; different endpoints at once."""
    now = clock.now()
    async with db.write() as conn:
        rows = await claim_due(conn, channel=channel.name, now=now, limit=channel.batch, lease=channel.lease)
        context = await channel.load(conn, rows) if rows else None
    if not rows:
        return []
    results: list[Result] = []
    released: list[int] = []

    async def run(run_rows: list[Any]) -> None:
        for i, row in enumerate(run_rows):
            outcome = await timed(channel, client, row, context)
            results.append(Result(channel, row, outcome, clock.now()))
            if state_after(channel, row, outcome) == QUEUED:
                released.extend(r.id for r in run_rows[i + 1 :])  # they wait behind it
                return

    await asyncio.gather(*(run(r) for r in by_endpoint(rows)))
    async with db.write() as conn:
        updates = await record(conn, results, released, clock.now())
    reported.sent(channel=channel.name, states=[values["state"] for values in updates])
    return updates


def by_endpoint(rows: list[Any]) -> list[list[Any]]:
    """A claim's exchanges in runs to send one after the other: an endpoint's in order of id; one
    without an endpoint alone."""
    runs: dict[Any, list[Any]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        runs.setdefault(row.endpoint_id if row.endpoint_id is not None else ("id", row.id), []).append(row)
    return list(runs.values())


def _error_json(text: str, status_code: int | None) -> str:
    return jsonio.dumps({"Code": status_code, "Message": text}).decode()
