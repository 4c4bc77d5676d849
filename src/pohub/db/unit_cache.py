"""What a unit of work may remember for itself: lookups other statements of the same unit repeat
(partners/pairs.py: a document's partnership, webhook subscriptions and EDI partner profiles).

The units of work (db/sqlite_units.py, db/pg_units.py) open it when a unit starts and drop it when
the unit ends, however it ends, so nothing is remembered across transactions: another process may
change the rows between two units. Outside those units (``engine.begin()``) there is none, and
every lookup runs its statement. It is an attribute of the unit's SQLAlchemy ``Connection``, which
the units keep between units (hence the drop at the end) and which, unlike the connection's
``info``, does not follow the driver connection back into the pool.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

_ATTR = "_pohub_unit_cache"


class UnitCache(dict[Any, Any]):
    """The unit's lookups, and which database it runs on (what is cheaper differs: partners/pairs.py)."""

    __slots__ = ("sqlite",)

    def __init__(self, *, sqlite: bool) -> None:
        super().__init__()
        self.sqlite = sqlite


def open_for(conn: AsyncConnection, *, sqlite: bool) -> None:
    """A unit starts on this connection: an empty cache."""
    setattr(conn.sync_connection, _ATTR, UnitCache(sqlite=sqlite))


def close_for(conn: AsyncConnection) -> None:
    """The unit ended (committed or rolled back): forget everything it looked up."""
    sync = conn.sync_connection
    if sync is not None:
        sync.__dict__.pop(_ATTR, None)


def of(conn: AsyncConnection) -> UnitCache | None:
    """The unit's cache, or None when the connection is not in one of the units above."""
    return getattr(conn.sync_connection, _ATTR, None)


def forget(conn: AsyncConnection) -> None:
    """The unit wrote what it may have remembered (or rolled back a savepoint that might have): forget it."""
    cache = of(conn)
    if cache:
        cache.clear()
