"""Queries on exchanges. No commits: the unit of work decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.db.fast import Prepared
from pohub.exchanges.models import exchanges

X = exchanges.c
_INSERT = Prepared(insert(exchanges).returning(X.id))
# One prepared UPDATE per set of columns changed (a handful: the pipeline's outcomes, retries).
_UPDATES: dict[frozenset[str], Prepared] = {}

# Listing leaves the bodies out: a page of messages must not read megabytes of raw bytes.
SUMMARY = [c for c in exchanges.c if c.name not in ("raw", "params")]


async def insert_exchange(conn: AsyncConnection, values: dict[str, Any]) -> int:
    return int((await _INSERT.all(conn, values))[0][0])


async def get_exchange(conn: AsyncConnection, *, exchange_id: int, company_id: int | None) -> Any:
    """One exchange with its raw bytes; None when it is not the company's (tenancy looks like absence)."""
    stmt = select(exchanges).where(X.id == exchange_id)
    if company_id is not None:
        stmt = stmt.where(X.company_id == company_id)
    return (await conn.execute(stmt)).first()


async def lock_exchange(conn: AsyncConnection, *, exchange_id: int, company_id: int) -> Any:
    stmt = select(exchanges).where(X.id == exchange_id, X.company_id == company_id).with_for_update()
    return (await conn.execute(stmt)).first()


async def update_exchange(conn: AsyncConnection, *, exchange_id: int, values: dict[str, Any]) -> None:
    keys = frozenset(values)
    stmt = _UPDATES.get(keys)
    if stmt is None:
        stmt = Prepared(
            update(exchanges).where(X.id == bindparam("x_exchange_id")).values({k: bindparam(f"x_{k}") for k in keys})
        )
        _UPDATES[keys] = stmt
    await stmt.run(conn, {"x_exchange_id": exchange_id, **{f"x_{k}": v for k, v in values.items()}})


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
