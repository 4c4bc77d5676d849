"""One place that tells the time, always timezone-aware (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """Naive datetimes from the wire or from SQLite are taken to be UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
