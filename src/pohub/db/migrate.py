"""Schema upgrades with Alembic; the scripts ship inside the package so an installed pohub can migrate."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from pohub.db.engine import async_url

INVALID_CATALOG_NAME = "3D000"  # PostgreSQL's SQLSTATE for "database does not exist"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return cfg


class DatabaseMissing(RuntimeError):
    """The PostgreSQL server is there but the database is not: pohub never creates one itself."""


@dataclass(frozen=True)
class Applied:
    revision: str
    doc: str


def upgrade(url: str) -> list[Applied]:
    """Bring the database at ``url`` to the newest schema; returns the revisions applied, oldest first
    (none when it was already there)."""
    database = make_url(async_url(url)).database
    if make_url(async_url(url)).get_backend_name() == "sqlite" and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    applied: list[Applied] = []

    def record(*, step: Any, **_: Any) -> None:
        if step.is_upgrade:
            applied.append(Applied(str(step.up_revision_id), str(step.up_revision.doc or "").strip()))

    cfg = alembic_config(url)
    cfg.attributes["on_version_apply"] = record
    try:
        command.upgrade(cfg, "head")
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != INVALID_CATALOG_NAME:
            raise
        u = make_url(url)
        user = f" -U {u.username}" if u.username else ""
        raise DatabaseMissing(
            f"PostgreSQL at {u.host or 'localhost'}:{u.port or 5432} has no database {u.database!r}: create it "
            f"first (createdb -h {u.host or 'localhost'} -p {u.port or 5432}{user} {u.database}), then migrate"
        ) from None
    return applied


def head() -> str:
    """The newest revision this pohub ships."""
    return str(ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head())


async def upgrade_async(url: str) -> list[Applied]:
    return await asyncio.to_thread(upgrade, url)
