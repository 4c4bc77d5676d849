"""Read-only queries the dashboard needs beyond the API's: the orders list newest first with
per-status counts, partner names, line totals, and the company's jobs. SQLAlchemy Core, portable
to SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.documents.models import documents, order_lines
from pohub.jobs.models import jobs
from pohub.partners.models import companies

D = documents.c
L = order_lines.c
PAGE_SIZE = 25


@dataclass(frozen=True)
class OrderFilter:
    """What the orders page shows; every field round-trips through the URL."""

    status: int | None = None
    po: str = ""
    partner: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    def query(self, **changes: Any) -> dict[str, str]:
        """The URL query for this filter with some fields changed (empty ones left out)."""
        f = replace(self, **changes)
        out = {
            "status": "" if f.status is None else str(f.status),
            "po": f.po,
            "partner": "" if f.partner is None else str(f.partner),
            "from": f.date_from.isoformat() if f.date_from else "",
            "to": f.date_to.isoformat() if f.date_to else "",
            "page": "" if f.page == 1 else str(f.page),
        }
        return {k: v for k, v in out.items() if v}


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(company_id: int, f: OrderFilter, *, with_status: bool) -> list[Any]:
    conds: list[Any] = [
        D.kind == "order",
        or_(D.sender_company_id == company_id, D.receiver_company_id == company_id),
    ]
    if f.partner is not None:
        conds.append(or_(D.sender_company_id == f.partner, D.receiver_company_id == f.partner))
    if f.po.strip():
        pattern = f"%{_like_escape(f.po.strip().lower())}%"
        conds.append(func.lower(D.partner_po).like(pattern, escape="\\"))
    # Received dates are whole days in UTC, both ends included.
    if f.date_from is not None:
        conds.append(D.created_at >= datetime.combine(f.date_from, time(), tzinfo=UTC))
    if f.date_to is not None:
        conds.append(D.created_at < datetime.combine(f.date_to + timedelta(days=1), time(), tzinfo=UTC))
    if with_status and f.status is not None:
        conds.append(D.status == f.status)
    return conds


@dataclass(frozen=True)
class OrderRow:
    id: int
    partner_po: str | None
    status: int
    sender_company_id: int
    receiver_company_id: int
    created_at: datetime
    document_date: datetime
    total: Any
    lines: int
    ordered: int
    shipped: int
    cancelled: int


async def list_orders(conn: AsyncConnection, *, company_id: int, f: OrderFilter) -> tuple[list[OrderRow], int]:
    """One page of the company's orders, newest first, and how many match."""
    conds = _conditions(company_id, f, with_status=True)
    total = int((await conn.execute(select(func.count()).select_from(documents).where(and_(*conds)))).scalar_one())
    page_ids = (
        select(D.id).where(and_(*conds)).order_by(D.id.desc()).limit(PAGE_SIZE).offset((f.page - 1) * PAGE_SIZE)
    ).subquery()
    sums = (
        select(
            L.order_id,
            func.count().label("lines"),
            func.sum(L.quantity).label("ordered"),
            func.sum(L.qty_shipped).label("shipped"),
            func.sum(L.qty_cancelled).label("cancelled"),
        )
        .where(L.order_id.in_(select(page_ids.c.id)))
        .group_by(L.order_id)
        .subquery()
    )
    stmt = (
        select(
            D.id,
            D.partner_po,
            D.status,
            D.sender_company_id,
            D.receiver_company_id,
            D.created_at,
            D.document_date,
            D.total,
            sums.c.lines,
            sums.c.ordered,
            sums.c.shipped,
            sums.c.cancelled,
        )
        .join(sums, sums.c.order_id == D.id, isouter=True)
        .where(D.id.in_(select(page_ids.c.id)))
        .order_by(D.id.desc())
    )
    rows = [
        OrderRow(
            id=r.id,
            partner_po=r.partner_po,
            status=r.status,
            sender_company_id=r.sender_company_id,
            receiver_company_id=r.receiver_company_id,
            created_at=r.created_at,
            document_date=r.document_date,
            total=r.total,
            lines=int(r.lines or 0),
            ordered=int(r.ordered or 0),
            shipped=int(r.shipped or 0),
            cancelled=int(r.cancelled or 0),
        )
        for r in (await conn.execute(stmt)).all()
    ]
    return rows, total


async def status_counts(conn: AsyncConnection, *, company_id: int, f: OrderFilter) -> dict[int, int]:
    """How many of the company's orders are in each status, under every filter but the status."""
    conds = _conditions(company_id, f, with_status=False)
    stmt = select(D.status, func.count()).where(and_(*conds)).group_by(D.status)
    return {int(status): int(n) for status, n in (await conn.execute(stmt)).all()}


async def company_names(conn: AsyncConnection, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(companies.c.id, companies.c.name).where(companies.c.id.in_(sorted(ids)))
    return {int(i): str(n) for i, n in (await conn.execute(stmt)).all()}


async def list_jobs(conn: AsyncConnection, *, company_id: int, page: int) -> tuple[list[Any], int]:
    """One page of the company's background jobs, newest first, and how many it has."""
    J = jobs.c
    cond = J.company_id == company_id
    total = int((await conn.execute(select(func.count()).select_from(jobs).where(cond))).scalar_one())
    stmt = select(jobs).where(cond).order_by(J.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    return list((await conn.execute(stmt)).all()), total
