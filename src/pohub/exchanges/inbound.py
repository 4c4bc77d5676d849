"""The one road in: every message received on any channel is recorded as an exchange, parsed and
applied by its registered handler, and marked with what became of it.

Where a message succeeds, its exchange row commits in the same transaction as its effect. Where it
is refused or its handler crashes, the effect rolls back and the exchange is written in a
transaction of its own, with the error (or the trace id of the 500), so that every message that
reached pohub can be found afterwards with its bytes, malformed ones included.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio, outcomes
from pohub.core.errors import Conflict, PohubError
from pohub.db import unit_cache
from pohub.db.engine import Database
from pohub.documents import kinds
from pohub.documents import repository as documents_repo
from pohub.exchanges import outbound
from pohub.exchanges import repository as repo
from pohub.orders import events
from pohub.webhooks import outbox  # noqa: F401  (it listens to the events every message writes)

log = logging.getLogger("pohub.exchanges")

APPLIED = "applied"
DUPLICATE = "duplicate"
REFUSED = "refused"
FAILED = "failed"
RECEIVED = "received"
RETRYABLE = frozenset({REFUSED, FAILED})


@dataclass
class Message:
    """A message as received: who sent it, on which channel, its bytes, and what its handler needs."""

    channel: str
    operation: str
    company_id: int | None
    raw: bytes
    kind: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    content_type: str | None = None
    parent_id: int | None = None
    job_id: int | None = None
    exchange_id: int | None = None  # set by the pipeline once the exchange is written
    order_id: int | None = None  # the order the channel knows the message is about (a dashboard form's)
    # A refusal is noted on the order's timeline, unless the message never left its sender's desk
    # (a dashboard form the clerk is still correcting).
    note_refusal: bool = True


@dataclass
class Applied:
    """What a handler did: the document it created or answered, and anything the route answers with."""

    document_id: int | None = None
    order_id: int | None = None
    partner_id: int | None = None
    kind: str | None = None
    duplicate: bool = False
    status_code: int = 200
    job_id: int | None = None
    result: Any = None
    # What was refused inside a message that was applied (the bad rows of an inventory feed whose good
    # rows imported): kept as the exchange's error, in the API's error shape.
    error: dict[str, Any] | None = None


Handler = Callable[[AsyncConnection, Message], Awaitable[Applied]]
HANDLERS: dict[str, Handler] = {}


# Operations whose handlers never read ``msg.exchange_id`` (nor anything that does): their exchange
# is held and written once with its outcome (exchanges/repository.hold), one statement fewer a
# message. Said where the handler is registered (``id_unread=True``).
ID_UNREAD: set[str] = set()


def handler(operation: str, *, id_unread: bool = False) -> Callable[[Handler], Handler]:
    """Register the handler of an operation (``"api.document"``, ``"kojo.acknowledge"``);
    ``id_unread``: it never reads the message's exchange id, so its exchange can be held."""

    def register(fn: Handler) -> Handler:
        HANDLERS[operation] = fn
        if id_unread:
            ID_UNREAD.add(operation)
        return fn

    return register


class _Busy(Conflict):
    """The exchange changed state while this retry waited for its lock."""


class Crashed(Exception):
    """A handler raised something other than a refusal; the 500 answer quotes the trace id."""

    def __init__(self, trace_id: str, exchange_id: int | None) -> None:
        super().__init__(f"unexpected error, trace id {trace_id}")
        self.trace_id = trace_id
        self.exchange_id = exchange_id


def _row(msg: Message, *, state: str, now: Any) -> dict[str, Any]:
    return {
        "direction": "in",
        "channel": msg.channel,
        "operation": msg.operation,
        "kind": msg.kind,
        "company_id": msg.company_id,
        "partner_id": None,
        "state": state,
        "content_type": msg.content_type,
        "raw": msg.raw,
        "params": jsonio.dumps(msg.params).decode() if msg.params else None,
        "error": None,
        "status_code": None,
        "trace_id": None,
        "document_id": None,
        "order_id": msg.order_id,
        "job_id": msg.job_id,
        "parent_id": msg.parent_id,
        "attempts": 1,
        "next_attempt_at": None,
        "locked_until": None,
        "created_at": now,
        "updated_at": now,
    }


def _outcome(applied: Applied) -> dict[str, Any]:
    # Built in place, in the order the merged literal had (kind and job_id only when known).
    values: dict[str, Any] = {
        "state": DUPLICATE if applied.duplicate else APPLIED,
        "status_code": applied.status_code,
        "document_id": applied.document_id,
        "order_id": applied.order_id,
        "partner_id": applied.partner_id,
    }
    if applied.kind:
        values["kind"] = applied.kind
    if applied.job_id is not None:
        values["job_id"] = applied.job_id
    values["error"] = jsonio.dumps(applied.error).decode() if applied.error else None
    values["trace_id"] = None
    return values


def _refusal(exc: PohubError) -> dict[str, Any]:
    values: dict[str, Any] = {
        "state": REFUSED,
        "status_code": exc.status_code,
        "error": jsonio.dumps(exc.as_wire()).decode(),
        "trace_id": None,
    }
    if exc.order_id is not None:
        values["order_id"] = exc.order_id
    return values


def _failure(trace_id: str, exc: BaseException) -> dict[str, Any]:
    error = {"Code": "500", "Message": f"Unexpected error ({type(exc).__name__}); trace id {trace_id}"}
    return {"state": FAILED, "status_code": 500, "error": jsonio.dumps(error).decode(), "trace_id": trace_id}


async def _note_on_timeline(conn: AsyncConnection, msg: Message, exc: PohubError, now: Any) -> None:
    if exc.order_id is None or not msg.note_refusal:
        return
    order = await documents_repo.get_document(conn, doc_id=exc.order_id, company_id=msg.company_id or 0)
    if order is None:
        return
    details = "; ".join(f"{e.field}: {e.error}" for e in exc.errors) or None
    row = events.document_refused(
        order=order,
        at=now,
        document_type=kinds.label(msg.kind or "document"),
        status_code=exc.status_code,
        message=exc.message,
        details=details,
    )
    await events.record(conn, [row])


async def record(db: Database, msg: Message, values: dict[str, Any]) -> int:
    """Write an exchange in a transaction of its own (a message refused before any handler ran)."""
    now = clock.now()
    async with db.write() as conn:
        return await repo.insert_exchange(conn, _row(msg, state=RECEIVED, now=now) | values)


async def refuse(db: Database, msg: Message, exc: PohubError) -> int:
    """Keep a refused message with its reason (and note it on its order's timeline)."""
    now = clock.now()
    async with db.write() as conn:
        exchange_id = await repo.insert_exchange(conn, _row(msg, state=REFUSED, now=now) | _refusal(exc))
        await _note_on_timeline(conn, msg, exc, now)
    outcomes.document(kind=msg.kind or "unknown", channel=msg.channel, outcome=REFUSED)
    return exchange_id


async def _crash(db: Database, msg: Message, exc: BaseException) -> Crashed:
    trace_id = uuid.uuid4().hex
    log.error("unexpected error, trace id %s, %s %s", trace_id, msg.channel, msg.operation, exc_info=exc)
    exchange_id: int | None = None
    try:
        exchange_id = await record(db, msg, _failure(trace_id, exc))
    except Exception:  # the database itself may be what failed; the log still has the trace id
        log.exception("could not record the failed exchange, trace id %s", trace_id)
    return Crashed(trace_id, exchange_id)


async def _held(
    conn: AsyncConnection, run: Handler, msg: Message, received: dict[str, Any]
) -> tuple[Applied, dict[str, Any]]:
    """Run the handler with its exchange held; write the exchange with its outcome (the same row as
    written before the handler and updated after)."""
    repo.hold(conn, received)
    try:
        applied = await run(conn, msg)
    except BaseException:
        repo.drop(conn)  # the unit rolls back: nothing held is written
        raise
    values = _outcome(applied)
    values["updated_at"] = clock.now()
    msg.exchange_id = await repo.settle(conn, values)
    return applied, values


async def receive(db: Database, msg: Message) -> Applied:
    """Apply a message through its handler in one unit of work, recording its exchange either way."""
    run = HANDLERS[msg.operation]
    try:
        async with db.write() as conn:
            received = _row(msg, state=RECEIVED, now=clock.now())
            if msg.operation in ID_UNREAD:
                applied, values = await _held(conn, run, msg, received)
            else:
                # Written first, so that the handler's own records (children, replies) can point at it.
                msg.exchange_id = await repo.insert_exchange(conn, received)
                applied = await run(conn, msg)
                values = _outcome(applied)
                values["updated_at"] = clock.now()
                await repo.update_exchange(conn, exchange_id=msg.exchange_id, values=values)
        outcomes.document(kind=msg.kind or applied.kind or "unknown", channel=msg.channel, outcome=values["state"])
        return applied
    except PohubError as exc:
        msg.exchange_id = await refuse(db, msg, exc)
        raise
    except Exception as exc:
        crashed = await _crash(db, msg, exc)
        outcomes.document(kind=msg.kind or "unknown", channel=msg.channel, outcome=FAILED)
        msg.exchange_id = crashed.exchange_id
        raise crashed from exc


async def receive_in(conn: AsyncConnection, msg: Message) -> tuple[Applied | None, PohubError | str | None]:
    """Apply a message inside the caller's transaction (a job's batch), in a savepoint: a refusal or
    a crash undoes only this message. Returns (applied, None), (None, refusal) or (None, trace id)."""
    now = clock.now()
    try:
        async with conn.begin_nested():
            msg.exchange_id = await repo.insert_exchange(conn, _row(msg, state=RECEIVED, now=now))
            applied = await HANDLERS[msg.operation](conn, msg)
            await repo.update_exchange(conn, exchange_id=msg.exchange_id, values=_outcome(applied))
        outcomes.document(
            kind=msg.kind or applied.kind or "unknown",
            channel=msg.channel,
            outcome=DUPLICATE if applied.duplicate else APPLIED,
        )
        return applied, None
    except PohubError as exc:
        unit_cache.forget(conn)  # the savepoint may have undone a write the unit's lookups saw
        msg.exchange_id = await repo.insert_exchange(conn, _row(msg, state=REFUSED, now=now) | _refusal(exc))
        await _note_on_timeline(conn, msg, exc, now)
        outcomes.document(kind=msg.kind or "unknown", channel=msg.channel, outcome=REFUSED)
        return None, exc
    except Exception as exc:
        unit_cache.forget(conn)
        trace_id = uuid.uuid4().hex
        log.error("unexpected error, trace id %s, %s %s", trace_id, msg.channel, msg.operation, exc_info=exc)
        msg.exchange_id = await repo.insert_exchange(conn, _row(msg, state=FAILED, now=now) | _failure(trace_id, exc))
        outcomes.document(kind=msg.kind or "unknown", channel=msg.channel, outcome=FAILED)
        return None, trace_id


def message_of(row: Any) -> Message:
    """The message an exchange row recorded, to run again."""
    return Message(
        channel=row.channel,
        operation=row.operation,
        company_id=row.company_id,
        raw=bytes(row.raw or b""),
        kind=row.kind,
        params=jsonio.loads(row.params) if row.params else {},
        content_type=row.content_type,
        parent_id=row.parent_id,
        job_id=row.job_id,
    )


async def retry(db: Database, *, exchange_id: int, company_id: int) -> Any:
    """Run a refused or failed inbound message again (its cause fixed; the same exchange records the
    new outcome and one more attempt), or queue an outbound one to be sent again. Returns the exchange
    row as it is now."""
    async with db.read() as conn:
        row = await repo.get_exchange(conn, exchange_id=exchange_id, company_id=company_id)
    if row is None:
        return None
    if row.pruned_at is not None:
        raise Conflict(f"Exchange {exchange_id}'s body was pruned on {row.pruned_at.isoformat()}: nothing to run again")
    if row.direction == "out":
        async with db.write() as conn:
            if not await outbound.resend(conn, exchange_id=exchange_id, company_id=company_id):
                raise Conflict(f"Exchange {exchange_id} is {row.state}: it is on its way already")
            # Read in the same unit: the answer is the state this retry set (queued), not whatever a
            # worker has made of it since (it may claim the row as soon as this unit commits).
            return await repo.get_exchange(conn, exchange_id=exchange_id, company_id=company_id)
    if row.state not in RETRYABLE:
        raise Conflict(f"Exchange {exchange_id} is {row.state}: only refused or failed messages are run again")
    if row.operation not in HANDLERS:
        raise Conflict(f"Exchange {exchange_id} was received by {row.operation!r}, which this server does not run")
    msg = message_of(row)
    values: dict[str, Any]
    try:
        async with db.write() as conn:
            locked = await repo.lock_exchange(conn, exchange_id=exchange_id, company_id=company_id)
            if locked is None or locked.state not in RETRYABLE:
                raise Conflict(
                    f"Exchange {exchange_id} was retried meanwhile; it is {locked.state if locked else 'gone'}"
                )
            msg.exchange_id = exchange_id
            applied = await HANDLERS[msg.operation](conn, msg)
            values = _outcome(applied) | {"attempts": locked.attempts + 1, "updated_at": clock.now()}
            await repo.update_exchange(conn, exchange_id=exchange_id, values=values)
    except _Busy:
        raise
    except PohubError as exc:
        values = _refusal(exc) | {"attempts": row.attempts + 1, "updated_at": clock.now()}
        async with db.write() as conn:
            await repo.update_exchange(conn, exchange_id=exchange_id, values=values)
    except Exception as exc:
        trace_id = uuid.uuid4().hex
        log.error("unexpected error on retry, trace id %s, exchange %s", trace_id, exchange_id, exc_info=exc)
        values = _failure(trace_id, exc) | {"attempts": row.attempts + 1, "updated_at": clock.now()}
        async with db.write() as conn:
            await repo.update_exchange(conn, exchange_id=exchange_id, values=values)
    async with db.read() as conn:
        return await repo.get_exchange(conn, exchange_id=exchange_id, company_id=company_id)
