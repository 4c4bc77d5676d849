"""`pohub doctor`: what is wrong or risky in this configuration and the deployment it points at.

Each check is one function returning findings; errors make the command exit non-zero. Checks
that need the database are skipped (with one error saying why) when it cannot be reached.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from pohub import secret_key as installation_key
from pohub.config import Settings
from pohub.core import clock
from pohub.db.engine import Database, is_sqlite
from pohub.ops import heartbeat, limits, schema
from pohub.ops.waiting import work_waiting

OK, WARNING, ERROR = "ok", "warning", "error"
# Leases (jobs, deliveries) and webhook timestamps compare clocks of different processes.
SKEW_WARNING_SECONDS = 0.5
SKEW_ERROR_SECONDS = 2.0


@dataclass(frozen=True)
class Finding:
    level: str
    check: str
    message: str


def _key_from_file(settings: Settings) -> bool:
    path = settings.secret_key_file or installation_key.default_file(settings.database_url)
    try:
        return path.read_text().strip() == settings.secret_key
    except OSError:
        return False


def check_settings(settings: Settings) -> list[Finding]:
    out = []
    public = not installation_key.is_loopback(settings.host)
    if settings.secret_key == installation_key.LEGACY_DEFAULT:
        level = ERROR if public else WARNING
        where = f"the server listens on {settings.host}" if public else "tolerable on loopback only"
        out.append(
            Finding(
                level,
                "secret key",
                f"POHUB_SECRET_KEY is the old published default ({where}): unset it or set a long random one",
            )
        )
    elif len(settings.secret_key) < 32:
        out.append(Finding(WARNING, "secret key", "POHUB_SECRET_KEY is shorter than 32 characters"))
    elif not is_sqlite(settings.database_url) and _key_from_file(settings):
        out.append(
            Finding(
                WARNING,
                "secret key",
                "the key was generated into a file on this machine: every process on every machine using this "
                "PostgreSQL needs the same one (copy the file or set POHUB_SECRET_KEY)",
            )
        )
    else:
        out.append(Finding(OK, "secret key", "set"))
    if settings.log_format.lower() not in ("text", "json"):
        out.append(Finding(ERROR, "logs", f"POHUB_LOG_FORMAT is {settings.log_format!r}: use text or json"))
    try:
        rules = limits.parse(settings.rate_limits)
        out.append(Finding(OK, "rate limits", ", ".join(f"{g} {v.describe()}" for g, v in rules.items()) or "off"))
    except ValueError as exc:
        out.append(Finding(ERROR, "rate limits", str(exc)))
    if public and not settings.metrics_token and not settings.metrics_address:
        out.append(
            Finding(
                WARNING,
                "metrics",
                f"/metrics is open on {settings.host}: set POHUB_METRICS_TOKEN or POHUB_METRICS_ADDRESS",
            )
        )
    return out


async def check_redis(settings: Settings) -> list[Finding]:
    if not settings.redis_url:
        return []
    import redis.asyncio as aioredis

    client: Any = aioredis.from_url(settings.redis_url, socket_timeout=3)
    try:
        await client.ping()
        return [Finding(OK, "redis", "answers")]
    except Exception as exc:
        return [Finding(ERROR, "redis", f"POHUB_REDIS_URL does not answer: {type(exc).__name__}: {exc}")]
    finally:
        await client.aclose()


async def check_schema(db: Database, settings: Settings) -> list[Finding]:
    async with db.read() as conn:
        found = await schema.state(conn)
    if found.behind:
        return [Finding(ERROR, "schema", found.describe())]
    return [Finding(WARNING if found.newer else OK, "schema", found.describe())]


async def check_processes(db: Database, settings: Settings) -> list[Finding]:
    within = timedelta(seconds=settings.heartbeat_seconds * 3)
    out = []
    async with db.read() as conn:
        alive = await heartbeat.recent(conn, within=within)
        waiting = await work_waiting(conn, now=clock.now())
    servers = [p for p in alive if p.role == "server"]
    workers = [p for p in alive if p.role == "worker"]
    out.append(Finding(OK, "processes", f"{len(servers)} server(s), {len(workers)} worker(s) alive"))
    if db.sqlite and len(servers) > 1:
        out.append(
            Finding(
                WARNING,
                "sqlite",
                f"{len(servers)} server processes share one SQLite file: their writers take its one write lock "
                "in turn, and answer fewer writes than one process. Run one server process, or use PostgreSQL",
            )
        )
    if not workers:
        level = ERROR if waiting else WARNING
        why = "jobs or outbound messages are waiting" if waiting else "nothing is waiting yet"
        out.append(
            Finding(
                level, "worker", f"no worker heartbeat in {within.total_seconds():g} s ({why}): start `pohub worker`"
            )
        )
    for p in alive:
        skew = abs(p.clock_skew_seconds)
        if skew > SKEW_WARNING_SECONDS:
            level = ERROR if skew > SKEW_ERROR_SECONDS else WARNING
            out.append(
                Finding(
                    level,
                    "clock",
                    f"{p.role} {p.id}'s clock is {p.clock_skew_seconds:+.2f} s off the database's: run NTP "
                    "(leases and webhook timestamps compare clocks)",
                )
            )
    async with db.read() as conn:
        mine = await heartbeat.database_clock_skew(conn, sqlite_db=db.sqlite)
    if abs(mine) > SKEW_WARNING_SECONDS:
        level = ERROR if abs(mine) > SKEW_ERROR_SECONDS else WARNING
        out.append(Finding(level, "clock", f"this machine's clock is {mine:+.2f} s off the database's"))
    return out


async def check_postgresql(db: Database, settings: Settings) -> list[Finding]:
    if db.sqlite:
        return []
    out = []
    async with db.read() as conn:
        autovacuum = (await conn.execute(text("SHOW autovacuum"))).scalar_one()
        max_conn = int((await conn.execute(text("SHOW max_connections"))).scalar_one())
        alive = await heartbeat.recent(conn, within=timedelta(seconds=settings.heartbeat_seconds * 3))
    if autovacuum != "on":
        out.append(
            Finding(
                WARNING,
                "autovacuum",
                "autovacuum is off: dead rows pile up in exchanges and jobs and slow the claim queries; "
                "turn it on or VACUUM (ANALYZE) those tables regularly (docs/operations.md)",
            )
        )
    # Each process may open pool_size + overflow (= pool_size) connections.
    wanted = max(len(alive), 1) * settings.db_pool_size * 2
    if wanted > max_conn * 0.8:
        out.append(
            Finding(
                WARNING,
                "connections",
                f"{max(len(alive), 1)} process(es) x {settings.db_pool_size * 2} connections can reach {wanted}, "
                f"near PostgreSQL's max_connections {max_conn}: lower POHUB_DB_POOL_SIZE or add a pooler",
            )
        )
    return out


DatabaseCheck = Callable[[Database, Settings], Awaitable[list[Finding]]]
DATABASE_CHECKS: list[DatabaseCheck] = [check_schema, check_processes, check_postgresql]


async def run(settings: Settings) -> list[Finding]:
    """Every check against ``settings`` and the database they name."""
    out = check_settings(settings)
    out += await check_redis(settings)
    db = Database(settings.database_url, pool_size=1)
    try:
        try:
            async with db.read() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            out.append(Finding(ERROR, "database", f"cannot be reached: {type(exc).__name__}: {_first(exc)}"))
            return out
        out.append(Finding(OK, "database", "PostgreSQL" if not db.sqlite else "SQLite"))
        for check in DATABASE_CHECKS:
            if out[-1].check == "schema" and "not migrated" in out[-1].message:
                break  # the other checks read tables that are not there yet
            try:
                out += await check(db, settings)
            except Exception as exc:
                name = check.__name__.removeprefix("check_")
                out.append(Finding(ERROR, name, f"{type(exc).__name__}: {_first(exc)}"))
    finally:
        await db.dispose()
    return out


def _first(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else ""
