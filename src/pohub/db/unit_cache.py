"""What a unit of work may remember for itself: lookups other statements of the same unit repeat
(partners/pairs.py: a document's partnership, webhook subscriptions and EDI partner profiles).

The units of work (db/sqlite_units.py, db/pg_units.py) open it when a unit starts and drop it when
the unit ends, however it ends, so nothing is remembered across transactions: another process may
change the rows between two units. Outside those units (``engine.begin()``) there is none, and
every lookup runs its statement. It lives in the connection's ``info``, which outlives the unit
(the connection is kept): hence the drop at the end.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

_KEY = "pohub.unit_cache"


def open_for(conn: AsyncConnection) -> None:
    """A unit starts on this connection: an empty cache."""
    conn.sync_connection.info[_KEY] = {}  # type: ignore[union-attr]


def close_for(conn: AsyncConnection) -> None:
    """The unit ended (committed or rolled back): forget everything it looked up."""
    sync = conn.sync_connection
    if sync is not None and not sync.closed and not sync.invalidated:
        sync.info.pop(_KEY, None)


def of(conn: AsyncConnection) -> dict[Any, Any] | None:
    """The unit's cache, or None when the connection is not in one of the units above."""
    sync = conn.sync_connection
    if sync is None or sync.closed or sync.invalidated:
        return None
    return sync.info.get(_KEY)


def forget(conn: AsyncConnection) -> None:
    """The unit wrote what it may have remembered (or rolled back a savepoint that might have): forget it."""
    cache = of(conn)
    if cache:
        cache.clear()
