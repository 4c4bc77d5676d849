"""Where the database's schema stands against the migrations this pohub ships."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.db.migrate import alembic_config


@lru_cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def heads() -> frozenset[str]:
    return frozenset(_scripts().get_heads())


def known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:
        return False


@dataclass(frozen=True)
class SchemaState:
    current: frozenset[str]
    heads: frozenset[str]

    @property
    def at_head(self) -> bool:
        return self.current == self.heads

    @property
    def newer(self) -> bool:
        """Migrated by a newer pohub: revisions this one does not know. Old and new processes both
        run against it during a rolling upgrade, so it is not a reason to stop serving."""
        return bool(self.current) and not all(known(r) for r in self.current)

    @property
    def behind(self) -> bool:
        return not self.at_head and not self.newer

    def describe(self) -> str:
        now = ", ".join(sorted(self.current)) or "none (not migrated)"
        want = ", ".join(sorted(self.heads))
        if self.at_head:
            return f"at the newest migration ({want})"
        if self.newer:
            return f"at {now}, newer than this pohub's {want}"
        return f"at {now}, behind the newest migration {want}: run `pohub migrate`"


async def state(conn: AsyncConnection) -> SchemaState:
    """The revisions the database is at (give it a connection of its own: a missing table aborts
    a PostgreSQL transaction)."""
    try:
        rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except Exception:
        rows = []
    return SchemaState(frozenset(r[0] for r in rows), heads())
