"""Queries on exchanges. No commits: the unit of work decides."""

from __future__ import annotations

import mmap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.db.fast import Prepared
from pohub.exchanges.models import exchange_chunks, exchanges

X = exchanges.c
_INSERT = Prepared(insert(exchanges).returning(X.id))
# On SQLite the same INSERT without RETURNING, its id read from the connection (db/fast.Prepared.rowid).
_INSERT_ROWID = Prepared(insert(exchanges))
# One prepared UPDATE per set of columns changed (a handful: the pipeline's outcomes, retries).
_UPDATES: dict[frozenset[str], tuple[Prepared, dict[str, str]]] = {}

# Listing leaves the bodies out: a page of messages must not read megabytes of raw bytes.
SUMMARY = [c for c in exchanges.c if c.name not in ("raw", "params")]


# A body larger than this is stored in pieces of this size (exchange_chunks), its raw left b"".
CHUNK_BYTES = 1 << 20
C = exchange_chunks.c
_INSERT_CHUNK = Prepared(insert(exchange_chunks))


async def insert_exchange(conn: AsyncConnection, values: dict[str, Any]) -> int:
    """Write an exchange; a body over CHUNK_BYTES (a bulk upload, bytes or a mapped file) goes to
    exchange_chunks a piece at a time, so that memory does not grow with its size."""
    await flush(conn)  # a held message's exchange comes first (its id below this one), as if written first
    return await _insert(conn, values)


async def _insert(conn: AsyncConnection, values: dict[str, Any]) -> int:
    raw = values.get("raw")
    if raw is None or len(raw) <= CHUNK_BYTES:
        return await _insert_row(conn, values)
    exchange_id = await _insert_row(conn, values | {"raw": b""})
    await insert_chunks(conn, exchange_id=exchange_id, raw=raw)
    return exchange_id


async def _insert_row(conn: AsyncConnection, values: dict[str, Any]) -> int:
    found = await _INSERT_ROWID.rowid(conn, values)
    return int((await _INSERT.all(conn, values))[0][0]) if found is None else found


async def insert_chunks(conn: AsyncConnection, *, exchange_id: int, raw: Any) -> None:
    for seq, start in enumerate(range(0, len(raw), CHUNK_BYTES)):
        piece = bytes(raw[start : start + CHUNK_BYTES])
        await _INSERT_CHUNK.run(conn, {"exchange_id": exchange_id, "seq": seq, "data": piece})
        if isinstance(raw, mmap.mmap) and len(piece) == CHUNK_BYTES:
            # A mapped upload's pages once written leave the process (they stay in the page cache).
            raw.madvise(mmap.MADV_DONTNEED, start, CHUNK_BYTES)


async def chunks_of(conn: AsyncConnection, *, exchange_id: int) -> bytes | None:
    """The body stored in pieces, reassembled as received; None when it was not stored so."""
    stmt = select(C.data).where(C.exchange_id == exchange_id).order_by(C.seq)
    pieces = [bytes(r.data) for r in (await conn.execute(stmt)).all()]
    return b"".join(pieces) if pieces else None


async def _whole(conn: AsyncConnection, row: Any) -> Any:
    """The row with its raw body, put together again when it was stored in pieces (raw is b"" then)."""
    if row is None or row.raw is None or len(row.raw) > 0:
        return row
    body = await chunks_of(conn, exchange_id=int(row.id))
    return row if body is None else SimpleNamespace(**(row._asdict() | {"raw": body}))


async def get_exchange(conn: AsyncConnection, *, exchange_id: int, company_id: int | None) -> Any:
    """One exchange with its raw bytes; None when it is not the company's (tenancy looks like absence)."""
    stmt = select(exchanges).where(X.id == exchange_id)
    if company_id is not None:
        stmt = stmt.where(X.company_id == company_id)
    return await _whole(conn, (await conn.execute(stmt)).first())


async def lock_exchange(conn: AsyncConnection, *, exchange_id: int, company_id: int) -> Any:
    stmt = select(exchanges).where(X.id == exchange_id, X.company_id == company_id).with_for_update()
    return await _whole(conn, (await conn.execute(stmt)).first())


# A message whose handler never reads its exchange's id (exchanges/inbound.ID_UNREAD) need not be
# written before it runs and updated with its outcome after: it is held, and written once, with its
# outcome, at the end of its unit (one INSERT where it took an INSERT and an UPDATE). The outbound
# exchanges its unit queues meanwhile (webhook deliveries, EDI documents) are held behind it and
# written after it, in the order queued, so every exchange keeps the id, and so the order, it had.
# Anything else that writes an exchange first writes what is held (``flush``), and the outcome is
# then an UPDATE as before. Kept on the unit's SQLAlchemy Connection, as db/unit_cache keeps its
# lookups, from ``hold`` to ``settle`` or ``drop`` (the unit fails: nothing of it is written).
_HELD = "_pohub_held_exchange"


@dataclass
class Held:
    """The exchange of the message being handled, as received, and the outbound rows queued after it."""

    row: dict[str, Any]
    queued: list[list[dict[str, Any]]]
    exchange_id: int | None = None  # once written (``flush``): its outcome is then an UPDATE


Queue = Callable[[AsyncConnection, list[dict[str, Any]]], Awaitable[None]]


def hold(conn: AsyncConnection, row: dict[str, Any]) -> None:
    """Hold the exchange of the message about to be handled (see _HELD)."""
    conn.sync_connection.__dict__[_HELD] = Held(row, [])


def held(conn: AsyncConnection) -> Held | None:
    """What this unit holds and has not written yet (None: nothing, or written already)."""
    found: Held | None = getattr(conn.sync_connection, _HELD, None)
    return found if found is not None and found.exchange_id is None else None


def drop(conn: AsyncConnection) -> None:
    """The unit failed: forget what it held (its transaction is rolled back; nothing was written)."""
    sync = conn.sync_connection
    if sync is not None:
        sync.__dict__.pop(_HELD, None)


async def flush(conn: AsyncConnection) -> None:
    """Write what the unit holds, as received, then the rows held behind it."""
    found = held(conn)
    if found is None:
        return
    found.exchange_id = await _insert(conn, found.row)
    for rows in found.queued:
        await _QUEUE[0](conn, rows)
    found.queued.clear()


async def settle(conn: AsyncConnection, values: dict[str, Any]) -> int:
    """The held exchange with its outcome: written now, with the rows held behind it, or (written
    already) updated, as ``update_exchange`` would. Returns its id; nothing is held afterwards."""
    sync = conn.sync_connection
    found: Held = sync.__dict__.pop(_HELD)
    if found.exchange_id is not None:
        await update_exchange(conn, exchange_id=found.exchange_id, values=values)
        return found.exchange_id
    exchange_id = await _insert(conn, found.row | values)  # the same keys, in the same order
    for rows in found.queued:
        await _QUEUE[0](conn, rows)
    return exchange_id


async def _no_queue(_conn: AsyncConnection, _rows: list[dict[str, Any]]) -> None:
    raise RuntimeError("exchanges.outbound registers the writer of held rows")  # pragma: no cover


# exchanges/outbound's writer of outbound rows (it imports this module, so it registers itself).
_QUEUE: list[Queue] = [_no_queue]


def queued_by(write: Queue) -> None:
    _QUEUE[0] = write


async def update_exchange(conn: AsyncConnection, *, exchange_id: int, values: dict[str, Any]) -> None:
    keys = frozenset(values)
    found = _UPDATES.get(keys)
    if found is None:
        # Its parameters are named apart from the columns (SQLAlchemy keeps those names for itself).
        names = {k: f"x_{k}" for k in keys}
        stmt = Prepared(
            update(exchanges).where(X.id == bindparam("x_exchange_id")).values({k: bindparam(names[k]) for k in keys})
        )
        found = _UPDATES[keys] = (stmt, names)
    stmt, names = found
    params = {names[k]: v for k, v in values.items()}  # the names made once, not per call
    params["x_exchange_id"] = exchange_id
    await stmt.run(conn, params)


async def children(conn: AsyncConnection, *, parent_id: int) -> list[Any]:
    stmt = select(*SUMMARY).where(X.parent_id == parent_id).order_by(X.id)
    return list((await conn.execute(stmt)).all())


@dataclass
class ExchangeSearch:
    company_id: int
    direction: str | None = None
    channel: str | None = None
    operation: str | None = None
    kind: str | None = None
    state: str | None = None
    partner_id: int | None = None
    document_id: int | None = None
    order_id: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    page: int = 1
    page_size: int = 100

    def conditions(self) -> list[Any]:
        cond: list[Any] = [X.company_id == self.company_id]
        for column, value in (
            (X.direction, self.direction),
            (X.channel, self.channel),
            (X.operation, self.operation),
            (X.kind, self.kind),
            (X.state, self.state),
            (X.partner_id, self.partner_id),
            (X.document_id, self.document_id),
            (X.order_id, self.order_id),
        ):
            if value is not None:
                cond.append(column == value)
        if self.date_from is not None:
            cond.append(X.created_at >= self.date_from)
        if self.date_to is not None:
            cond.append(X.created_at <= self.date_to)
        return cond


async def search(conn: AsyncConnection, q: ExchangeSearch) -> tuple[list[Any], int]:
    """Newest first: the messages people look for are the recent ones."""
    cond = q.conditions()
    stmt = select(*SUMMARY).where(*cond).order_by(X.id.desc()).limit(q.page_size).offset((q.page - 1) * q.page_size)
    rows = list((await conn.execute(stmt)).all())
    total = int((await conn.execute(select(func.count()).select_from(exchanges).where(*cond))).scalar_one())
    return rows, total


async def of_order(conn: AsyncConnection, *, order_id: int, company_id: int) -> list[Any]:
    stmt = select(*SUMMARY).where(X.order_id == order_id, X.company_id == company_id).order_by(X.id)
    return list((await conn.execute(stmt)).all())
