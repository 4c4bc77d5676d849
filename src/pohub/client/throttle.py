"""Client-side rate limits: a token bucket per kind of call, shared by threads and tasks.

The default is the commercial API's published v3 limits: searches 1 request every 2 s with a burst of
25, bulk status 1 a second with a burst of 25. Other calls are not limited unless asked.

Time comes from a ``Clock`` the client is given (the system's by default), so a test can run the
real client against a real server on a clock it moves itself: what the throttle decides then does
not depend on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

OFF = frozenset({"", "0", "off", "none", "no", "false"})


@dataclass(frozen=True)
class RateLimit:
    """``per_second`` requests a second on average, ``burst`` at once after a quiet spell."""

    per_second: float
    burst: int = 1

    @classmethod
    def parse(cls, spec: str | float | None) -> RateLimit | None:
        """``"0.5/25"`` (rate per second / burst), ``"2"`` (burst 1), or ``off`` / ``0`` for no limit."""
        if spec is None:
            return None
        if isinstance(spec, int | float):
            return cls(float(spec)) if spec > 0 else None
        text = spec.strip().lower()
        if text in OFF:
            return None
        rate_text, _, burst_text = text.partition("/")
        try:
            rate = float(rate_text)
            burst = int(burst_text) if burst_text else 1
        except ValueError:
            raise ValueError(f"a rate is 'REQUESTS_PER_SECOND[/BURST]' or 'off', got {spec!r}") from None
        if rate < 0 or burst < 1:
            raise ValueError(f"a rate must be positive with a burst of at least 1, got {spec!r}")
        return cls(rate, burst) if rate > 0 else None

    def __str__(self) -> str:
        return f"{self.per_second:g}/s burst {self.burst}"


class Clock(Protocol):
    """Where the client reads the time and waits: rate limits and retry backoff both go through it."""

    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    def sleep(self, seconds: float) -> None: ...

    async def asleep(self, seconds: float) -> None: ...


class SystemClock:
    """``time.monotonic``, ``time.sleep`` and ``asyncio.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK = SystemClock()
SEARCH_DEFAULT = RateLimit(0.5, 25)
BULK_DEFAULT = RateLimit(1.0, 25)


class TokenBucket:
    """Hands out reservations: the caller learns how long to wait, then sleeps the way it sleeps
    (``time.sleep`` or ``asyncio.sleep``), so one bucket serves the sync and the async client."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def available(self) -> bool:
        """Whether a token is free now (nothing taken)."""
        with self._lock:
            refill = (self._clock() - self._stamp) * self.limit.per_second
            return min(float(self.limit.burst), self._tokens + refill) >= 1.0

    def reserve(self) -> float:
        """Take a token; return the seconds to wait before using it (0 when one is free now)."""
        with self._lock:
            now = self._clock()
            refill = (now - self._stamp) * self.limit.per_second
            self._tokens = min(float(self.limit.burst), self._tokens + refill)
            self._stamp = now
            # Tokens may go negative: each waiter holds its own future slot, so waiters never race.
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.limit.per_second


@dataclass(frozen=True)
class Limits:
    """The rate limit of each kind of call; None means unlimited."""

    search: RateLimit | None = SEARCH_DEFAULT
    bulk: RateLimit | None = BULK_DEFAULT
    other: RateLimit | None = None

    @classmethod
    def off(cls) -> Limits:
        return cls(None, None, None)


class Throttle:
    """The buckets of one client."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._buckets: dict[str, TokenBucket] = {}
        for kind in ("search", "bulk", "other"):
            limit = getattr(limits, kind)
            if limit is not None:
                self._buckets[kind] = TokenBucket(limit, clock)

    def reserve(self, kind: str) -> float:
        """Seconds to wait before a call of this kind."""
        bucket = self._buckets.get(kind)
        return bucket.reserve() if bucket is not None else 0.0

    def free(self, kind: str) -> bool:
        """Whether a call of this kind could go now without waiting (always, when it is unlimited)."""
        bucket = self._buckets.get(kind)
        return bucket is None or bucket.available()
