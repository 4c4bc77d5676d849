"""Read-only queries the dashboard needs beyond the API's: the orders list newest first with
per-status counts, partner names, line totals, and the company's jobs. SQLAlchemy Core, portable
to SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, cast, func, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import jsonio
from pohub.core.errors import PohubError
from pohub.documents import kinds
from pohub.documents import repository as repo
from pohub.documents.models import documents, order_lines
from pohub.exchanges.models import exchanges
from pohub.jobs.models import jobs
from pohub.partners.models import companies
from pohub.web import views

D = documents.c
L = order_lines.c
PAGE_SIZE = 25


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    """Pages of ``size`` a list of ``total`` rows fills (one, when it is empty)."""
    return max((total + size - 1) // size, 1)


def other_party(row: Any, company_id: int | None) -> int:
    """The company on the other side of a document from ``company_id``."""
    return int(row.receiver_company_id if row.sender_company_id == company_id else row.sender_company_id)


PAGE_SIZES = (25, 50, 100)
FLAGS = {"backordered": "Backordered", "late": "Late (past ship-by, not shipped)"}
SORTS = {"date": "Received", "po": "PartnerPO", "status": "Status", "total": "Total"}
# Statuses in which units are still to ship: an order past its ship-by day in one of these is late.
UNSHIPPED = (100, 150, 200, 500)
CSV_LIMIT = 10_000


@dataclass(frozen=True)
class OrderFilter:
    """What the orders page shows; every field round-trips through the URL."""

    status: int | None = None
    po: str = ""
    partner: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    flag: str = ""  # "backordered" or "late"
    sort: str = "date"
    desc: bool = True
    size: int = PAGE_SIZE

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
            "flag": f.flag,
            "sort": "" if f.sort == "date" else f.sort,
            "dir": "" if f.desc else "asc",
            "size": "" if f.size == PAGE_SIZE else str(f.size),
        }
        return {k: v for k, v in out.items() if v}


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(
    company_id: int, f: OrderFilter, *, with_status: bool, dialect: str = "sqlite", today: date | None = None
) -> list[Any]:
    conds: list[Any] = [
        D.kind == kinds.ORDER.name,
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
    if f.flag == "backordered":
        # Units backordered and not yet shipped or cancelled.
        conds.append(
            select(L.id)
            .where(L.order_id == D.id, L.qty_backordered > 0, L.qty_shipped + L.qty_cancelled < L.quantity)
            .exists()
        )
    elif f.flag == "late" and today is not None:
        conds.append(D.status.in_(UNSHIPPED))
        conds.append(func.substr(ship_by_column(dialect), 1, 10) < today.isoformat())
    return conds


def _body_field(dialect: str, name: str) -> Any:
    """A top-level text field of an order's body as received, in SQL (the body is JSON text)."""
    if dialect == "postgresql":
        return cast(D.raw, postgresql.JSON)[name].astext
    return func.json_extract(D.raw, f"$.{name}")


def ship_by_column(dialect: str) -> Any:
    """The ship-by day as views.ship_by reads it: DoNotShipAfter, else RequestedShipDate."""
    return func.coalesce(_body_field(dialect, "DoNotShipAfter"), _body_field(dialect, "RequestedShipDate"))


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
    ship_by: str | None = None
    backorder_date: str | None = None


async def _extras(conn: AsyncConnection, rows: list[OrderRow]) -> list[OrderRow]:
    """Ship-by and backorder dates for a page of orders: read from their bodies and their
    acknowledgements (one query each for the page)."""
    if not rows:
        return rows
    ids = [r.id for r in rows]
    bodies = {r.id: r.raw for r in (await conn.execute(select(D.id, D.raw).where(D.id.in_(ids)))).all()}
    acks: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    stmt = select(D.order_id, D.raw).where(D.order_id.in_(ids), D.kind == kinds.ACKNOWLEDGEMENT.name).order_by(D.id)
    for r in (await conn.execute(stmt)).all():
        acks[r.order_id].append(views.body_of(r))
    lines = await repo.lines_of_orders(conn, order_ids=ids)
    return [
        replace(
            r,
            ship_by=views.ship_by(views.body_of(_Raw(bodies.get(r.id, "")))),
            backorder_date=views.earliest_backorder(acks[r.id], lines.get(r.id, [])),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class _Raw:
    raw: str


def _order_by(f: OrderFilter) -> list[Any]:
    column = {"po": D.partner_po, "status": D.status, "total": D.total}.get(f.sort, D.id)
    primary = column.desc() if f.desc else column.asc()
    if f.sort in ("po", "total"):
        primary = primary.nulls_last()
    return [primary, D.id.desc() if f.desc else D.id.asc()]


async def list_orders(
    conn: AsyncConnection, *, company_id: int, f: OrderFilter, today: date | None = None, limit: int | None = None
) -> tuple[list[OrderRow], int]:
    """One page of the company's orders in the filter's order (or, with ``limit``, the first that
    many), and how many match."""
    conds = _conditions(company_id, f, with_status=True, dialect=conn.dialect.name, today=today)
    total = int((await conn.execute(select(func.count()).select_from(documents).where(and_(*conds)))).scalar_one())
    order_by = _order_by(f)
    ids_stmt = select(D.id).where(and_(*conds)).order_by(*order_by)
    ids_stmt = ids_stmt.limit(limit) if limit is not None else ids_stmt.limit(f.size).offset((f.page - 1) * f.size)
    page_ids = ids_stmt.subquery()
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
        .order_by(*order_by)
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
    return await _extras(conn, rows), total


async def status_counts(
    conn: AsyncConnection, *, company_id: int, f: OrderFilter, today: date | None = None
) -> dict[int, int]:
    """How many of the company's orders are in each status, under every filter but the status."""
    conds = _conditions(company_id, f, with_status=False, dialect=conn.dialect.name, today=today)
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


@dataclass(frozen=True)
class FormRefusal:
    """A dashboard form the hub refused: shown on its author's timeline only (it never reached the
    partner), shaped like an event for the template."""

    created_at: datetime
    level: str
    category: str
    summary: str
    details: str | None
    actor: str | None = None


async def form_refusals(conn: AsyncConnection, *, order_id: int, company_id: int) -> list[FormRefusal]:
    """The company's own refused dashboard forms for an order (exchanges of the dashboard channel),
    oldest first."""
    X = exchanges.c
    stmt = (
        select(X.created_at, X.kind, X.status_code, X.error)
        .where(X.order_id == order_id, X.company_id == company_id, X.channel == "dashboard", X.state == "refused")
        .order_by(X.id)
    )
    out = []
    for r in (await conn.execute(stmt)).all():
        try:
            wire = jsonio.loads(r.error) if r.error else {}
        except PohubError:
            wire = {}
        errors = wire.get("Errors") if isinstance(wire, dict) else None
        details = "; ".join(f"{e.get('Field')}: {e.get('Error')}" for e in errors or [] if isinstance(e, dict)) or (
            str(wire.get("Message")) if isinstance(wire, dict) and wire.get("Message") else None
        )
        label = str(r.kind or "document").capitalize()
        out.append(
            FormRefusal(
                created_at=r.created_at,
                level="Warning",
                category="Not sent",
                summary=f"{label} form refused ({r.status_code}); not sent to the trading partner",
                details=details,
            )
        )
    return out


# The EDI channels whose exchanges carry a document (issue 9): linked from the order page.
EDI_CHANNELS = ("x12", "edifact", "as2")


@dataclass(frozen=True)
class ExchangeLink:
    id: int
    channel: str
    direction: str
    state: str
    created_at: datetime


async def edi_exchanges(
    conn: AsyncConnection, *, document_ids: list[int], company_id: int
) -> dict[int, list[ExchangeLink]]:
    """The company's EDI exchanges (X12, EDIFACT, AS2) behind each document, oldest first."""
    if not document_ids:
        return {}
    X = exchanges.c
    stmt = (
        select(X.id, X.document_id, X.channel, X.direction, X.state, X.created_at)
        .where(X.document_id.in_(document_ids), X.channel.in_(EDI_CHANNELS), X.company_id == company_id)
        .order_by(X.id)
    )
    out: dict[int, list[ExchangeLink]] = {}
    for r in (await conn.execute(stmt)).all():
        out.setdefault(int(r.document_id), []).append(
            ExchangeLink(int(r.id), r.channel, r.direction, r.state, r.created_at)
        )
    return out


async def documents_of_kind(
    conn: AsyncConnection, *, company_id: int, kind: str, order_id: int | None, page: int
) -> tuple[list[Any], int]:
    """One page of the company's documents of a kind (sent or received), newest first, and how many."""
    conds = [D.kind == kind, or_(D.sender_company_id == company_id, D.receiver_company_id == company_id)]
    if order_id is not None:
        conds.append(D.order_id == order_id)
    total = int((await conn.execute(select(func.count()).select_from(documents).where(and_(*conds)))).scalar_one())
    stmt = select(documents).where(and_(*conds)).order_by(D.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    return list((await conn.execute(stmt)).all()), total
