"""Prometheus metrics kept by each process: HTTP requests, documents, deliveries, database pool.

With several server processes on one machine (``pohub serve --workers N``), prometheus-client's
multiprocess mode shares them through files in PROMETHEUS_MULTIPROC_DIR (set by ``pohub serve``),
so any process's /metrics answers for all of them. Figures that belong to the database rather than
a process (queues, jobs) are read at scrape time: see ``db_gauges``.
"""

from __future__ import annotations

import bisect
import collections
import functools
import os
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

from pohub.core import outcomes

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "pohub_http_requests_total",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "pohub_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HTTP_IN_FLIGHT = Gauge("pohub_http_requests_in_flight", "HTTP requests being answered", multiprocess_mode="livesum")
DOCUMENTS = Counter(
    "pohub_documents_total",
    "Documents received, by kind, channel and outcome (applied, duplicate, refused)",
    ["kind", "channel", "outcome"],
)
OUTBOUND = Counter(
    "pohub_outbound_attempts_total",
    "Attempts to send outbound exchanges (webhook deliveries, ...) by this process, by channel and outcome "
    "(sent, retry, failed, dead)",
    ["channel", "outcome"],
)
RATE_LIMITED = Counter("pohub_rate_limited_total", "Requests answered 429, by route group", ["group"])
POOL_IN_USE = Gauge(
    "pohub_db_pool_connections_in_use",
    "Database connections checked out of the pool",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge("pohub_db_pool_size", "Connections a pool keeps", ["pool"], multiprocess_mode="livemax")

DOCUMENT_OUTCOMES = frozenset({"applied", "duplicate", "refused", "failed"})
# An outbound exchange's state after an attempt -> the outcome counted.
_OUTBOUND = {"sent": "sent", "acknowledged": "sent", "queued": "retry", "failed": "failed", "dead": "dead"}


def request_recorder(route: str, method: str, status: int) -> Callable[[float], None]:
    """What one answered request adds, for this route, method and status: the request counted and
    its seconds observed, as ``HTTP_REQUESTS.labels(...).inc()`` and ``HTTP_DURATION.labels(...).observe()``
    do, straight on their children's values. Those calls check on every request what holds for every
    child ``labels()`` made (it is observable, the amount not negative, no exemplar) before the
    same ``inc`` on the same value objects, which are what /metrics reads (the multiprocess files
    included); ``tests/ops/test_metrics.py`` compares the two ways' exposition."""
    counter = HTTP_REQUESTS.labels(route=route, method=method, status=str(status))
    duration = HTTP_DURATION.labels(route=route, method=method)
    count = getattr(counter, "_value", None)
    total = getattr(duration, "_sum", None)
    buckets = getattr(duration, "_buckets", None)
    bounds = getattr(duration, "_upper_bounds", None)
    if count is None or total is None or buckets is None or bounds is None:  # another prometheus_client

        def public(seconds: float) -> None:
            counter.inc()
            duration.observe(seconds)

        return public

    if all(type(v) is values.MutexValue for v in (count, total, *buckets)):
        # In memory: MutexValue.inc's own two lines (its lock held around the addition), without
        # three Python calls a request.
        count_lock, total_lock = count._lock, total._lock
        locked = [(bucket._lock, bucket) for bucket in buckets]

        def record_in_memory(seconds: float) -> None:
            with count_lock:
                count._value += 1
            with total_lock:
                total._value += seconds
            lock, bucket = locked[bisect.bisect_left(bounds, seconds)]  # observe()'s bucket, as below
            with lock:
                bucket._value += 1

        return record_in_memory

    def record(seconds: float) -> None:
        count.inc(1)
        total.inc(seconds)
        # observe()'s first bound at or over the amount (the last is +Inf; a time is never NaN).
        buckets[bisect.bisect_left(bounds, seconds)].inc(1)

    return record


def in_flight() -> tuple[Callable[[], None], Callable[[], None]]:
    """What ``HTTP_IN_FLIGHT.inc`` and ``.dec`` do, for the request middleware (the same pair on
    every call). In memory, a request in flight is an item in a deque (append and pop are atomic,
    no lock nor Python call a request) and the gauge reads its length on top of its own value (which
    ``inc()``/``dec()`` still move); in multiprocess mode, straight on the gauge's value (the file
    every process's /metrics reads), as ``request_recorder``."""
    if not _IN_FLIGHT:
        _IN_FLIGHT.append(_in_flight())
    return _IN_FLIGHT[0]


_IN_FLIGHT: list[tuple[Callable[[], None], Callable[[], None]]] = []


def _in_flight() -> tuple[Callable[[], None], Callable[[], None]]:
    value = getattr(HTTP_IN_FLIGHT, "_value", None)
    if value is None:
        return HTTP_IN_FLIGHT.inc, HTTP_IN_FLIGHT.dec
    if getattr(value, "_multiprocess", True) is False:
        inside: collections.deque[None] = collections.deque()
        HTTP_IN_FLIGHT.set_function(lambda: value.get() + len(inside))
        return functools.partial(inside.append, None), inside.pop
    return lambda: value.inc(1), lambda: value.inc(-1)


def document_outcome(*, kind: str, channel: str, outcome: str) -> None:
    """Count one received message: kind (order, acknowledgement, ...), channel (api, kojo, x12, ...),
    outcome (applied, duplicate, refused, or failed: its handler crashed)."""
    if outcome not in DOCUMENT_OUTCOMES:
        raise ValueError(f"outcome must be one of {sorted(DOCUMENT_OUTCOMES)}, not {outcome!r}")
    DOCUMENTS.labels(kind=kind, channel=channel, outcome=outcome).inc()


def outbound_outcomes(*, channel: str, states: list[str]) -> None:
    """Count a batch of send attempts by the state each left its exchange in."""
    for state in states:
        OUTBOUND.labels(channel=channel, outcome=_OUTBOUND.get(state, "retry")).inc()


def instrument_pool(engine: Any, name: str) -> None:
    """Follow an engine's pool: connections in use (checkout/checkin events) and its size."""
    from sqlalchemy import event

    pool = engine.sync_engine.pool
    size = getattr(pool, "size", None)
    if callable(size):
        POOL_SIZE.labels(pool=name).set(size())
    gauge = POOL_IN_USE.labels(pool=name)
    event.listen(pool, "checkout", lambda *_: gauge.inc())
    event.listen(pool, "checkin", lambda *_: gauge.dec())


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def process_text() -> bytes:
    """This process's metrics, or every process's when running in multiprocess mode."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))
    return bytes(generate_latest(REGISTRY))


def mark_process_dead(pid: int) -> None:
    """Drop a finished process's live gauges (multiprocess mode)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def _count_send(channel: str, states: list[str]) -> None:
    outbound_outcomes(channel=channel, states=states)


# The exchanges pipeline reports every message and send attempt through pohub.core.outcomes.
outcomes.on_document(lambda kind, channel, outcome: document_outcome(kind=kind, channel=channel, outcome=outcome))
outcomes.on_send(_count_send)
