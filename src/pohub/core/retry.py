"""When to try a request again, and how long to wait: network errors, 5xx, 408 and 429, with
exponential backoff and full jitter, or exactly what the server's Retry-After asks for.

The one policy of every sender: the agent's client, the webhook sender, the coming EDI senders."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({408, 429})


def is_retryable_status(status_code: int | None) -> bool:
    """No answer at all (None: a network error), 5xx, 408 and 429 may succeed later; any other 4xx
    will not (a receiver that refuses will refuse again)."""
    return status_code is None or status_code >= 500 or status_code in RETRY_STATUSES


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; waits grow from ``base`` seconds, doubled each time, up to ``cap``."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 30.0
    # A server asking for longer than this is not waited for: the call fails and the next run retries.
    max_retry_after: float = 300.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait before try ``attempt + 1`` (``attempt`` counts from 1)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        # Full jitter: many agents throttled at once do not come back in step.
        return self.rng.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))

    @classmethod
    def none(cls) -> RetryPolicy:
        return cls(attempts=1)
