"""On SQLite the embedded worker is the only worker and voids every lease when it starts, so with
`pohub serve --workers K` only process 0 embeds it: a second process starting (or one the supervisor
replaces) must not free a lease the first one's worker holds (a webhook delivered twice)."""

from __future__ import annotations

from pathlib import Path

from pohub.ops.serving import SERVE_PROCESS_ENV
from tests.ops.helpers import make_app, serve
from tests.support import database_url, sql

HELD = (
    "INSERT INTO jobs (kind, company_id, status, params, total, processed, failed, created_at, updated_at,"
    " locked_by, locked_until) SELECT 'wms.bulk', id, 'processing', '{}', 1, 0, 0, '2026-12-01 00:00:00',"
    " '2026-12-01 00:00:00', 'process-0-worker', '2999-01-01 00:00:00' FROM companies"
)


def test_only_the_first_server_process_embeds_the_sqlite_worker(tmp_path: Path) -> None:
    with database_url("sqlite", tmp_path) as url:
        sql(url, "INSERT INTO companies (name, created_at) VALUES ('c', '2026-12-01 00:00:00')")
        sql(url, HELD)  # as process 0's worker holds a job
        second = make_app(url, serve_process=1)
        with serve(second, "sqlite"):
            assert getattr(second.state, "worker", None) is None
            assert sql(url, "SELECT locked_by FROM jobs") == [("process-0-worker",)]
    with database_url("sqlite", tmp_path / "b") as url:
        first = make_app(url)  # process 0 (or a lone `pohub serve`)
        with serve(first, "sqlite"):
            assert first.state.worker is not None


def test_the_process_index_reaches_the_settings(monkeypatch: object) -> None:
    from pohub.config import Settings

    monkeypatch.setenv(SERVE_PROCESS_ENV, "1")  # type: ignore[attr-defined]
    assert Settings(database_url="sqlite:///:memory:").serve_process == 1
