"""`pohub doctor` on a good and on a bad configuration (exit code and the findings it names)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from pohub.core import clock
from pohub.db.engine import Database
from pohub.ops import heartbeat
from tests.ops.helpers import pohub
from tests.support import PG_ENV, database_url, live_server, sql

GOOD_SECRET = "a-long-random-secret-key-for-tests-0123456789"


def findings(output: str) -> str:
    return " ".join(output.split())  # rich wraps long rows


def test_good_configuration_passes(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path) as url, live_server(url, backend):
        done = pohub("doctor", env={"POHUB_DATABASE_URL": url, "POHUB_SECRET_KEY": GOOD_SECRET})
    out = findings(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 error(s)" in out
    assert "1 server(s), 1 worker(s) alive" in out
    assert "at the newest migration" in out


def test_bad_configuration_fails_naming_each_problem(tmp_path: Path) -> None:
    with database_url("sqlite", tmp_path) as url:
        sql(url, "UPDATE alembic_version SET version_num = '0002'")
        sql(url, "INSERT INTO companies (name, created_at) VALUES ('c', CURRENT_TIMESTAMP)")
        sql(
            url,
            "INSERT INTO jobs (kind, company_id, status, params, total, processed, failed, created_at, updated_at) "
            "SELECT 'wms.bulk', id, 'queued', '{}', 1, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM companies",
        )
        _beat(url, "host-a:101:aaa", "server", skew=0.0)
        _beat(url, "host-a:102:bbb", "server", skew=0.0)
        done = pohub(
            "doctor",
            env={
                "POHUB_DATABASE_URL": url,
                "POHUB_HOST": "0.0.0.0",
                "POHUB_RATE_LIMITS": "search=fast",
                "POHUB_SECRET_KEY": "change-me-in-production",
            },
        )
    out = findings(done.stdout)
    assert done.returncode == 1, out
    assert "error secret key: POHUB_SECRET_KEY is the old published default (the server listens on 0.0.0.0)" in out
    assert "error rate limits: POHUB_RATE_LIMITS: 'search=fast'" in out
    assert "error schema: at 0002, behind the newest migration" in out
    assert "error worker: no worker heartbeat" in out and "jobs or outbound messages are waiting" in out
    assert "warning sqlite: 2 server processes share one SQLite file" in out
    assert "warning metrics: /metrics is open on 0.0.0.0" in out


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set")
def test_postgresql_clock_skew_and_schema(tmp_path: Path) -> None:
    with database_url("postgresql", tmp_path) as url:
        _beat(url, "far-away:7:ccc", "worker", skew=4.5)
        sql(url, "UPDATE alembic_version SET version_num = '0002'")
        done = pohub("doctor", env={"POHUB_DATABASE_URL": url, "POHUB_SECRET_KEY": GOOD_SECRET})
    out = findings(done.stdout)
    assert done.returncode == 1, out
    assert "error clock: worker far-away:7:ccc's clock is +4.50 s off the database's" in out
    assert "error schema: at 0002, behind" in out


def _beat(url: str, pid: str, role: str, *, skew: float) -> None:
    async def run() -> None:
        db = Database(url, pool_size=1)
        try:
            await heartbeat.beat(db, pid=pid, role=role, started_at=clock.now())
        finally:
            await db.dispose()

    asyncio.run(run())
    sql(url, "UPDATE ops_processes SET clock_skew_seconds = :s WHERE id = :p", s=skew, p=pid)
