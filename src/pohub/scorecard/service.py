"""The figures buyers judge suppliers by, per trading partner, over a window of days.

Read-only: one query per kind of fact (orders, their line totals, their documents, completions),
then the statistics in Python over one row per order. Times are the hub's own arrival times
(``created_at``), which neither party can backdate; a shipment's ``ShipmentDate`` counts when it is
earlier than the notice's arrival.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.documents.models import documents, kind_literal, order_lines
from pohub.orders.status import OrderStatus
from pohub.partners import repository as partners_repo

D = documents.c
L = order_lines.c
WINDOWS = (30, 90)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class DayCount:
    day: date
    received: int
    completed: int


@dataclass
class PartnerScore:
    """One trading relationship's figures; ``role`` is what the partner is to the caller."""

    partner_id: int
    partner_name: str
    role: str  # "Supplier" (the caller buys from it) or "Buyer" (the caller supplies it)
    orders_received: int = 0
    orders_acknowledged: int = 0
    orders_completed: int = 0
    orders_cancelled: int = 0
    ack_hours_median: float | None = None
    ack_hours_p90: float | None = None
    ack_within_24h: float | None = None
    ack_measured: int = 0
    units_ordered: int = 0
    units_accepted: int = 0  # over the acknowledged POs: the fill rate's numerator
    units_ordered_acknowledged: int = 0  # the fill rate's denominator
    units_cancelled: int = 0
    fill_rate: float | None = None
    cancellation_rate: float | None = None
    on_time_shipment: float | None = None
    on_time_measured: int = 0
    invoice_hours_median: float | None = None
    invoice_measured: int = 0
    daily: list[DayCount] = field(default_factory=list)


@dataclass
class Scorecard:
    company_id: int
    days: int
    start: datetime
    end: datetime
    partners: list[PartnerScore]


@dataclass
class _Order:
    id: int
    pair: tuple[int, int]  # (buyer, supplier)
    status: int
    created_at: datetime
    ordered: int = 0
    accepted: int = 0
    cancelled: int = 0
    shipped: int = 0
    acks: list[tuple[datetime, str]] = field(default_factory=list)  # (arrival, raw)
    shipments: list[datetime] = field(default_factory=list)  # when each shipped (see _shipped_at)
    notices: list[datetime] = field(default_factory=list)  # when each ship notice arrived
    invoices: list[datetime] = field(default_factory=list)


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def _ratio(part: int | float, whole: int | float) -> float | None:
    return round(part / whole, 4) if whole else None


def percentile(values: list[float], pct: int) -> float | None:
    """The pct-th percentile by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (rank - low), 2)


def _parse_when(value: Any) -> datetime | None:
    """A date or date-time from a document body; date-only and offset-less values are UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def scheduled_ship_deadline(ack_raw: str) -> datetime | None:
    """The end of the day an acknowledgement promised to ship by (its ScheduledShipDate)."""
    try:
        body = jsonio.loads(ack_raw)
    except Exception:
        return None
    when = _parse_when(body.get("ScheduledShipDate")) if isinstance(body, dict) else None
    if when is None:
        return None
    day = when.astimezone(UTC).date()
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + DAY


def _shipped_at(raw: str, arrived: datetime) -> datetime:
    try:
        body = jsonio.loads(raw)
    except Exception:
        return arrived
    when = _parse_when(body.get("ShipmentDate")) if isinstance(body, dict) else None
    # A notice cannot report a shipment later than its own arrival.
    return min(when, arrived) if when is not None else arrived


async def _orders(conn: AsyncConnection, company_id: int, start: datetime) -> dict[int, _Order]:
    mine = or_(D.sender_company_id == company_id, D.receiver_company_id == company_id)
    window = and_(D.kind == kind_literal("order"), mine, D.created_at >= start)
    rows = (
        await conn.execute(
            select(D.id, D.sender_company_id, D.receiver_company_id, D.status, D.created_at).where(window)
        )
    ).all()
    out = {
        r.id: _Order(
            id=r.id,
            pair=(r.sender_company_id, r.receiver_company_id),
            status=r.status,
            created_at=clock.aware(r.created_at),
        )
        for r in rows
    }
    if not out:
        return out
    in_window = select(D.id).where(window)
    sums = select(
        L.order_id,
        func.sum(L.quantity).label("ordered"),
        func.sum(L.qty_accepted).label("accepted"),
        func.sum(L.qty_cancelled).label("cancelled"),
        func.sum(L.qty_shipped).label("shipped"),
    ).where(L.order_id.in_(in_window))
    for r in (await conn.execute(sums.group_by(L.order_id))).all():
        o = out[r.order_id]
        o.ordered, o.accepted, o.cancelled, o.shipped = (
            int(r.ordered),
            int(r.accepted),
            int(r.cancelled),
            int(r.shipped),
        )
    docs = select(D.order_id, D.kind, D.created_at, D.raw).where(
        D.order_id.in_(in_window), D.kind.in_(("acknowledgement", "shipment"))
    )
    for d in (await conn.execute(docs.order_by(D.id))).all():
        arrived = clock.aware(d.created_at)
        if d.kind == "acknowledgement":
            out[d.order_id].acks.append((arrived, d.raw))
        else:
            out[d.order_id].shipments.append(_shipped_at(d.raw, arrived))
            out[d.order_id].notices.append(arrived)
    invoices = select(D.order_id, D.created_at).where(D.order_id.in_(in_window), D.kind == "invoice")
    for i in (await conn.execute(invoices.order_by(D.id))).all():
        out[i.order_id].invoices.append(clock.aware(i.created_at))
    return out


async def _completions(conn: AsyncConnection, company_id: int, start: datetime) -> list[Any]:
    """Orders that reached 1000 Complete in the window: a final status, so ``updated_at`` is when."""
    mine = or_(D.sender_company_id == company_id, D.receiver_company_id == company_id)
    stmt = select(D.sender_company_id, D.receiver_company_id, D.updated_at).where(
        D.kind == kind_literal("order"), mine, D.status == int(OrderStatus.COMPLETE), D.updated_at >= start
    )
    return list((await conn.execute(stmt)).all())


def _score(
    score: PartnerScore, orders: list[_Order], completed: list[datetime], *, start: datetime, now: datetime
) -> None:
    ack_hours: list[float] = []
    within = decided = 0
    on_time = measured = 0
    invoice_hours: list[float] = []
    received_by_day: dict[date, int] = defaultdict(int)
    for o in orders:
        score.orders_received += 1
        received_by_day[o.created_at.date()] += 1
        cancelled_order = o.status == OrderStatus.CANCELLED
        score.orders_cancelled += cancelled_order
        score.units_ordered += o.ordered
        # An order set to Cancelled gives up every unit it had not shipped.
        score.units_cancelled += max(o.ordered - o.shipped, o.cancelled) if cancelled_order else o.cancelled
        if o.acks:
            score.orders_acknowledged += 1
            score.units_accepted += o.accepted
            score.units_ordered_acknowledged += o.ordered
            hours = _hours(o.acks[0][0] - o.created_at)
            ack_hours.append(hours)
            decided += 1
            within += hours <= 24
        elif now - o.created_at > DAY:
            decided += 1  # not acknowledged and already past 24 h: a miss
        owed = o.ordered - o.cancelled
        deadline = scheduled_ship_deadline(o.acks[0][1]) if o.acks else None
        if deadline is not None and not cancelled_order and owed > 0:
            if o.shipped >= owed and o.shipments:
                measured += 1
                on_time += max(o.shipments) <= deadline
            elif now > deadline:
                measured += 1  # the promised day has passed and units are still owed
        if o.notices and o.invoices:
            # Arrival to arrival: a ShipmentDate is often a bare day (midnight), which would count
            # the hours before the notice was even sent.
            invoice_hours.append(max(0.0, _hours(o.invoices[0] - min(o.notices))))
    score.ack_measured = len(ack_hours)
    score.ack_hours_median = round(statistics.median(ack_hours), 2) if ack_hours else None
    score.ack_hours_p90 = percentile(ack_hours, 90)
    score.ack_within_24h = _ratio(within, decided)
    score.fill_rate = _ratio(score.units_accepted, score.units_ordered_acknowledged)
    score.cancellation_rate = _ratio(score.units_cancelled, score.units_ordered)
    score.on_time_shipment = _ratio(on_time, measured)
    score.on_time_measured = measured
    score.invoice_measured = len(invoice_hours)
    score.invoice_hours_median = round(statistics.median(invoice_hours), 2) if invoice_hours else None
    done_by_day: dict[date, int] = defaultdict(int)
    for when in completed:
        done_by_day[when.date()] += 1
    score.orders_completed = len(completed)
    day = start.date()
    while day <= now.date():
        score.daily.append(DayCount(day, received_by_day.get(day, 0), done_by_day.get(day, 0)))
        day += DAY


async def scorecard(
    conn: AsyncConnection, *, company_id: int, days: int = 30, now: datetime | None = None
) -> Scorecard:
    """Every trading partner's figures over the last ``days`` days (today included)."""
    now = now or clock.now()
    today = now.astimezone(UTC).date()
    first = today - (days - 1) * DAY
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    orders = await _orders(conn, company_id, start)
    by_pair: dict[tuple[int, int], list[_Order]] = defaultdict(list)
    for o in orders.values():
        by_pair[o.pair].append(o)
    done: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for r in await _completions(conn, company_id, start):
        done[(r.sender_company_id, r.receiver_company_id)].append(clock.aware(r.updated_at))
    scores = []
    for link in await partners_repo.partners_of(conn, company_id):
        role = "Supplier" if link.buyer_id == company_id else "Buyer"
        score = PartnerScore(partner_id=link.partner_id, partner_name=link.partner_name, role=role)
        pair = (link.buyer_id, link.supplier_id)
        _score(score, by_pair.get(pair, []), done.get(pair, []), start=start, now=now)
        scores.append(score)
    return Scorecard(company_id=company_id, days=days, start=start, end=now, partners=scores)
