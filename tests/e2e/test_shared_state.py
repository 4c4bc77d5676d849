"""Nothing a server keeps for itself breaks with several processes on one database: two servers
(each with its own key cache, pools and rate limiter) on loopback, on SQLite and PostgreSQL.

The rest of what processes share is tested beside its code: rate-limit buckets
(tests/ops/test_rate_limits.py::test_two_servers_count_one_bucket), EDI control numbers
(tests/edi_wiring/test_control_numbers.py::test_two_processes_never_share_a_number), deliveries
(tests/exchanges/test_delivery_pump.py::test_two_workers_send_each_delivery_once_and_in_order)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from pohub.api.app import create_app
from pohub.config import Settings
from pohub.core import clock
from pohub.db.engine import Database
from pohub.jobs import repository as jobs_repo
from pohub.partners import repository as partners_repo
from pohub.partners import service as partners
from pohub.users import service as users
from tests.ops.helpers import serve
from tests.support import LiveServer, database_url, make_trade
from tests.web.helpers import browser, in_thread, make_user, sign_in_as

CACHE_SECONDS = 30.0


class StepClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def two_servers(backend: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    with database_url(backend, tmp_path) as url:

        def app() -> FastAPI:
            return create_app(Settings(database_url=url, key_cache_seconds=CACHE_SECONDS))

        with (
            serve(app(), backend) as one,
            serve(app(), backend) as two,
        ):
            yield one, two


def _write(url: str, work: object) -> object:
    async def run() -> object:
        db = Database(url, pool_size=1)
        try:
            async with db.write() as conn:
                return await work(conn)  # type: ignore[operator]
        finally:
            await db.dispose()

    return in_thread(run)


def test_a_key_made_or_revoked_anywhere_is_honoured_by_every_process_within_the_cache_bound(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = StepClock()
    monkeypatch.setattr(partners, "time", SimpleNamespace(monotonic=step))  # the key cache's clock only
    with two_servers(backend, tmp_path) as (one, two):
        trade = make_trade(one)
        # A key made now works on a process that has never seen it: only hits are remembered.
        key = str(_write(one.database_url, lambda c: partners.create_key(c, company_id=trade.supplier.id)))
        on_one, on_two = (httpx.Client(base_url=s.api, headers={"Authorization": f"Bearer {key}"}) for s in (one, two))
        assert on_two.get("/Orders?pageSize=1").status_code == 200  # two has it in its cache now
        revoked = _write(
            one.database_url, lambda c: partners_repo.revoke_key(c, prefix=key[:12], revoked_at=clock.now())
        )
        assert revoked == 1
        assert on_one.get("/Orders?pageSize=1").status_code == 401  # not cached there: refused at once
        # Two remembered the key: it goes on working there until POHUB_KEY_CACHE_SECONDS have passed ...
        step.now += CACHE_SECONDS - 0.5
        assert on_two.get("/Orders?pageSize=1").status_code == 200
        step.now += 1.0  # ... and not a moment longer
        refused = on_two.get("/Orders?pageSize=1")
        assert refused.status_code == 401 and "not valid" in refused.text
        on_one.close()
        on_two.close()


def test_a_dashboard_session_opens_on_every_process_and_ends_on_every_process(backend: str, tmp_path: Path) -> None:
    with two_servers(backend, tmp_path) as (one, two):
        trade = make_trade(one)
        person = make_user(one, trade.supplier)
        signed, _token, _ = sign_in_as(one, person)
        elsewhere = browser(two)
        elsewhere.cookies = signed.cookies  # the same browser, its next request sent to the other process
        assert elsewhere.get("/orders").status_code == 200
        _write(one.database_url, lambda c: users.remove_by_email(c, email=person.email))
        gone = elsewhere.get("/orders")
        assert gone.status_code == 303 and gone.headers["location"].startswith("/signin")
        assert signed.get("/orders").status_code == 303
        signed.close()
        elsewhere.close()


async def _claim_all(url: str, company_id: int, count: int) -> list[list[int]]:
    """Two processes' worth of claimers (each its own pool) race for ``count`` queued jobs."""
    dbs = [Database(url, pool_size=4) for _ in range(2)]
    try:
        now = clock.now()
        async with dbs[0].write() as conn:
            for _ in range(count):
                await jobs_repo.insert_job(
                    conn,
                    {
                        "kind": "test",
                        "company_id": company_id,
                        "status": "queued",
                        "params": "{}",
                        "total": 0,
                        "processed": 0,
                        "failed": 0,
                        "created_at": now,
                        "updated_at": now,
                    },
                )

        async def claimer(db: Database, name: str) -> list[int]:
            mine: list[int] = []
            while True:
                async with db.write() as conn:
                    job = await jobs_repo.claim(conn, worker_id=name, now=now, lease=timedelta(minutes=5))
                if job is None:
                    return mine
                mine.append(int(job.id))

        return list(
            await asyncio.gather(
                *(claimer(db, f"{i}-{j}-{uuid.uuid4().hex[:4]}") for i, db in enumerate(dbs) for j in range(3))
            )
        )
    finally:
        for db in dbs:
            await db.dispose()


def test_two_processes_claiming_jobs_never_take_the_same_one(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path) as url:
        [(company_id, _key)] = asyncio.run(_companies(url))
        claimed = asyncio.run(_claim_all(url, company_id, 60))
    every = [j for mine in claimed for j in mine]
    assert len(every) == 60 and len(set(every)) == 60, claimed  # each job once, none left


async def _companies(url: str) -> list[tuple[int, str]]:
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            company = await partners.add_company(conn, name=f"jobs-{uuid.uuid4().hex[:6]}")
            return [(company.id, await partners.create_key(conn, company_id=company.id))]
    finally:
        await db.dispose()
