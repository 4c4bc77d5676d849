"""/healthz and /readyz against real servers: readiness follows the database and the schema, and
names the check that fails."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from pohub.core import clock
from pohub.db.engine import Database
from pohub.ops import heartbeat
from tests.ops.helpers import make_app, serve
from tests.support import PG_ENV, _pg_admin, database_url, sql


def checks(resp: httpx.Response) -> dict[str, bool]:
    return {c["Name"]: c["Ok"] for c in resp.json()["Checks"]}


def test_healthz_and_ready(server: object) -> None:
    url = server.url  # type: ignore[attr-defined]
    assert httpx.get(f"{url}/healthz").json() == {"Status": "ok"}
    resp = httpx.get(f"{url}/readyz")
    assert resp.status_code == 200, resp.text
    assert checks(resp) == {"database": True, "schema": True, "worker": True}


def test_sqlite_file_gone_then_back(tmp_path: Path) -> None:
    with database_url("sqlite", tmp_path) as url, serve(make_app(url), "sqlite") as live:
        assert httpx.get(f"{live.url}/readyz").status_code == 200
        path = Path(make_url(url).database or "")
        moved = path.with_name(path.name + ".moved")
        path.rename(moved)  # the volume went away under the server: writes would go to a ghost
        resp = httpx.get(f"{live.url}/readyz")
        assert resp.status_code == 503
        assert resp.json()["Status"] == "not ready: database, schema, worker"
        assert "cannot be read" in resp.json()["Checks"][0]["Detail"]
        assert httpx.get(f"{live.url}/healthz").status_code == 200  # alive, just not ready
        moved.rename(path)
        assert httpx.get(f"{live.url}/readyz").status_code == 200


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_schema_behind_then_migrated(backend: str, tmp_path: Path) -> None:
    if backend == "postgresql" and not os.environ.get(PG_ENV):
        pytest.skip(f"{PG_ENV} not set")
    with database_url(backend, tmp_path) as url, serve(make_app(url), backend) as live:
        [(head,)] = sql(url, "SELECT version_num FROM alembic_version")
        sql(url, "UPDATE alembic_version SET version_num = '0002'")
        resp = httpx.get(f"{live.url}/readyz")
        assert resp.status_code == 503
        assert checks(resp) == {"database": True, "schema": False, "worker": True}
        assert "behind the newest migration" in resp.json()["Checks"][1]["Detail"]
        # A revision this pohub does not know (a newer pohub migrated it): still ready.
        sql(url, "UPDATE alembic_version SET version_num = 'from_the_future'")
        assert httpx.get(f"{live.url}/readyz").status_code == 200
        sql(url, "UPDATE alembic_version SET version_num = :v", v=head)
        assert httpx.get(f"{live.url}/readyz").status_code == 200


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set")
def test_postgresql_database_stops_answering_then_back(tmp_path: Path) -> None:
    admin = os.environ[PG_ENV]
    with database_url("postgresql", tmp_path) as url, serve(make_app(url), "postgresql") as live:
        assert httpx.get(f"{live.url}/readyz").status_code == 200
        name = make_url(url).database
        away = f"{name}_away"

        async def take_away() -> None:
            await _pg_admin(admin, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            await _pg_admin(admin, f'ALTER DATABASE "{name}" RENAME TO "{away}"')

        asyncio.run(take_away())
        try:
            resp = httpx.get(f"{live.url}/readyz")
            assert resp.status_code == 503
            assert not checks(resp)["database"]
            # The pool's connections were killed and new ones find no database: still 503.
            assert httpx.get(f"{live.url}/readyz").status_code == 503
        finally:
            asyncio.run(_pg_admin(admin, f'ALTER DATABASE "{away}" RENAME TO "{name}"'))
        assert httpx.get(f"{live.url}/readyz").status_code == 200


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set")
def test_waiting_work_needs_a_worker_heartbeat(tmp_path: Path) -> None:
    with database_url("postgresql", tmp_path) as url, serve(make_app(url, embedded_worker=False), "pg") as live:
        assert httpx.get(f"{live.url}/readyz").status_code == 200  # nothing waiting
        sql(url, "INSERT INTO companies (name, created_at) VALUES ('c', now())")
        sql(
            url,
            "INSERT INTO jobs (kind, company_id, status, params, total, processed, failed, created_at, updated_at) "
            "SELECT 'wms.bulk', id, 'queued', '{}', 1, 0, 0, now(), now() FROM companies",
        )
        resp = httpx.get(f"{live.url}/readyz")
        assert resp.status_code == 503
        assert checks(resp) == {"database": True, "schema": True, "worker": False}

        async def a_worker_beats() -> None:
            db = Database(url, pool_size=1)
            try:
                await heartbeat.beat(db, pid="elsewhere:1:abc", role="worker", started_at=clock.now())
            finally:
                await db.dispose()

        asyncio.run(a_worker_beats())
        assert httpx.get(f"{live.url}/readyz").status_code == 200
