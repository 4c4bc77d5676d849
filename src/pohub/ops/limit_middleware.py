"""Answers 429 with Retry-After when a caller's API key is over its route group's limit.

Off unless POHUB_RATE_LIMITS names limits. The clock is injected (``RateLimiter.clock``) so tests
step time instead of sleeping. If the counter store fails, the request goes through and the
failure is logged: a limiter must not take the hub down with it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from pohub.core import jsonio
from pohub.ops import metrics
from pohub.ops.limit_stores import Store
from pohub.ops.limits import Limit, caller_key, group_of

log = logging.getLogger("pohub.ops")
_KEY_PARAMS = frozenset({"subscription-key", "api_key", "apikey"})


class RateLimiter:
    def __init__(self, limits: dict[str, Limit], store: Store, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self.store = store
        self.clock = clock
        self._failures = 0


def api_key_of(scope: Scope) -> str | None:
    """The key as the hub's auth reads it: a Bearer header, SPECTRUM_API_TOKEN, or the query."""
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].decode("latin-1").strip() or None
        if name == b"spectrum_api_token":
            return value.decode("latin-1").strip() or None
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name.lower() in _KEY_PARAMS and value:
                return str(value)
    return None


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            group = group_of(scope.get("method", ""), scope.get("path", ""))
            limit = self.limiter.limits.get(group) if group else None
            if group and limit:
                client = (scope.get("client") or ("", 0))[0]
                bucket = f"{group}:{caller_key(api_key_of(scope), client)}"
                try:
                    decision = await self.limiter.store.take(bucket, now=self.limiter.clock(), limit=limit)
                except Exception as exc:
                    self.limiter._failures += 1
                    if self.limiter._failures in (1, 10) or self.limiter._failures % 1000 == 0:
                        log.warning(
                            "rate-limit store failed (%d times); letting requests through: %s",
                            self.limiter._failures,
                            type(exc).__name__,
                        )
                else:
                    if not decision.allowed:
                        metrics.RATE_LIMITED.labels(group=group).inc()
                        await _too_many(send, group=group, limit=limit, retry_after=decision.retry_after_header)
                        return
        await self.app(scope, receive, send)


async def _too_many(send: Send, *, group: str, limit: Limit, retry_after: str) -> None:
    body = jsonio.dumps(
        {
            "Code": "429",
            "Message": f"Too many requests: {group} requests are limited to {limit.describe()} per API key; "
            f"retry after {retry_after} s",
            "Errors": [{"Field": "request", "Error": f"rate limit of the {group} route group exceeded"}],
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", retry_after.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
