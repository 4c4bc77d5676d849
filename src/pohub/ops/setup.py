"""Wiring operations into the app: routes, middleware, pool metrics, and what runs while it serves."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import AsyncIterator

from fastapi import FastAPI

from pohub.ops import heartbeat, limits, listener, metrics, routes
from pohub.ops.limit_middleware import RateLimiter, RateLimitMiddleware
from pohub.ops.limit_stores import DatabaseStore, RedisStore, Store


def install(app: FastAPI) -> None:
    """Add /healthz, /readyz, /metrics and, when configured, rate limits (the request middleware,
    outermost, is put around the built stack by api/app.py: it asks the fast lane first)."""
    settings = app.state.settings
    db = app.state.db
    app.include_router(routes.router)
    metrics.instrument_pool(db.writer, "writer")
    if db.reader is not db.writer:
        metrics.instrument_pool(db.reader, "reader")
    rules = limits.parse(settings.rate_limits)
    app.state.rate_limiter = None
    if rules:
        store: Store = RedisStore(settings.redis_url) if settings.redis_url else DatabaseStore(db)
        app.state.rate_limiter = RateLimiter(rules, store)
        app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter)


def freeze_start_up_objects() -> None:
    """Move what start-up allocated (modules, the app, its routes, statements built once: some
    240,000 objects in `pohub serve`) out of the cyclic collector's reach: each full collection
    walked all of them again, 300-500 ms on a loaded 2-core machine with every connection waiting
    (docs/read-path.md, "Tail latency at 32 connections"). Collected first, so start-up's garbage
    is freed rather than kept for good; once a process (a test session starts many apps)."""
    if gc.get_freeze_count():
        return
    gc.collect()
    gc.freeze()


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[None]:
    """While the app serves: its heartbeat, and the separate metrics listener when configured."""
    settings = app.state.settings
    freeze_start_up_objects()
    server = None
    if settings.metrics_address:
        server = await listener.start(settings.metrics_address, lambda: routes.metrics_text(app.state.db))
    try:
        async with heartbeat.running(app.state.db, role="server", every=settings.heartbeat_seconds):
            yield
    finally:
        await listener.stop(server)
        limiter: RateLimiter | None = app.state.rate_limiter
        if limiter is not None:
            await limiter.store.close()
        metrics.mark_process_dead(os.getpid())
