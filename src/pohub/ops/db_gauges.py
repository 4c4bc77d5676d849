"""Figures that belong to the database, read at scrape time: every process answers the same.

Each source is one cheap query (index ranges, no full scans of growing tables) turned into gauge
samples. Add a source by appending to SOURCES.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock
from pohub.exchanges.models import exchanges
from pohub.jobs.models import jobs
from pohub.ops.models import ops_processes
from pohub.ops.waiting import PENDING_OUT


@dataclass
class Gauge:
    """One gauge family with its samples: (label values, value)."""

    name: str
    help: str
    labels: list[str]
    samples: list[tuple[list[str], float]] = field(default_factory=list)


Source = Callable[[AsyncConnection, datetime], Awaitable[list[Gauge]]]
X = exchanges.c
J = jobs.c
P = ops_processes.c


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - clock.aware(then)).total_seconds()) if then is not None else 0.0


async def outbound_waiting(conn: AsyncConnection, now: datetime) -> list[Gauge]:
    """Outbound exchanges (webhook deliveries, ...) waiting to be sent, by channel and state, and how
    late the most overdue one is. Only waiting rows are in the partial index these reads use."""
    stmt = (
        select(X.channel, X.state, func.count(), func.min(X.next_attempt_at))
        .where(*PENDING_OUT)
        .group_by(X.channel, X.state)
    )
    waiting = Gauge(
        "pohub_exchanges_waiting", "Outbound exchanges waiting to be sent, by channel and state", ["channel", "state"]
    )
    late = Gauge(
        "pohub_exchanges_lateness_seconds",
        "How long the most overdue waiting exchange has been due, by channel",
        ["channel"],
    )
    oldest: dict[str, datetime] = {}
    for channel, state, count, first_due in (await conn.execute(stmt)).all():
        waiting.samples.append(([channel, state], float(count)))
        if first_due is not None:
            due = clock.aware(first_due)
            oldest[channel] = min(oldest.get(channel, due), due)
    late.samples.extend(([channel], _age(now, due)) for channel, due in oldest.items())
    return [waiting, late]


async def job_progress(conn: AsyncConnection, now: datetime) -> list[Gauge]:
    """Jobs not finished yet, each with its items processed and total."""
    stmt = select(J.id, J.kind, J.status, J.processed, J.failed, J.total).where(J.status.in_(("queued", "processing")))
    open_jobs = Gauge("pohub_jobs_open", "Jobs queued or processing", ["status"])
    processed = Gauge("pohub_job_items_processed", "Items a running job has processed", ["job", "kind"])
    total = Gauge("pohub_job_items_total", "Items a running job has", ["job", "kind"])
    counts = {"queued": 0, "processing": 0}
    for row in (await conn.execute(stmt)).all():
        counts[row.status] = counts.get(row.status, 0) + 1
        processed.samples.append(([str(row.id), row.kind], float(row.processed)))
        total.samples.append(([str(row.id), row.kind], float(row.total)))
    open_jobs.samples.extend(([status], float(n)) for status, n in counts.items())
    return [open_jobs, processed, total]


async def processes(conn: AsyncConnection, now: datetime) -> list[Gauge]:
    """Seconds since each role's freshest heartbeat (a worker missing shows as a growing figure)."""
    stmt = select(P.role, func.max(P.beat_at)).group_by(P.role)
    since = Gauge("pohub_heartbeat_age_seconds", "Seconds since the freshest heartbeat of each role", ["role"])
    for role, beat in (await conn.execute(stmt)).all():
        since.samples.append(([role], _age(now, beat)))
    return [since]


SOURCES: list[Source] = [outbound_waiting, job_progress, processes]


class _Snapshot(Collector):
    def __init__(self, gauges: list[Gauge]) -> None:
        self.gauges = gauges

    def collect(self) -> list[GaugeMetricFamily]:
        out = []
        for g in self.gauges:
            family = GaugeMetricFamily(g.name, g.help, labels=g.labels)
            for values, value in g.samples:
                family.add_metric(values, value)
            out.append(family)
        return out


async def text(conn: AsyncConnection) -> bytes:
    """Every source's gauges in the Prometheus text format."""
    now = clock.now()
    gauges: list[Gauge] = []
    for source in SOURCES:
        gauges.extend(await source(conn, now))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(gauges))
    return bytes(generate_latest(registry))
