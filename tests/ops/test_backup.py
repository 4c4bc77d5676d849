"""`pohub backup` while servers write, `pohub restore` into a new database: every document the hub
acknowledged before the backup began is there, and nothing it never acknowledged."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.api.helpers import order_body
from tests.ops.helpers import pohub
from tests.support import PATIENCE, PG_ENV, LiveServer, _pg_admin, backends, database_url, live_server, make_trade, sql


class Writers:
    """Buyers creating POs as fast as the server takes them; `acked` holds every PO answered 201."""

    def __init__(self, server: LiveServer, threads: int = 2) -> None:
        self.trade = make_trade(server)
        self.acked: list[str] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(threads)]

    def run(self, n: int) -> None:
        client = httpx.Client(base_url=self.trade.buyer.client.base_url, headers=dict(self.trade.buyer.client.headers))
        i = 0
        while not self.stop.is_set():
            po = f"BK-{n}-{i}"
            r = client.post("/Orders", json=order_body(self.trade, po))
            if r.status_code == 201:
                with self.lock:
                    self.acked.append(po)
            else:
                self.errors.append(f"{r.status_code} {r.text[:200]}")
            i += 1
        client.close()

    def snapshot(self) -> set[str]:
        with self.lock:
            return set(self.acked)

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + PATIENCE
        while len(self.snapshot()) < count:
            assert time.monotonic() < deadline and not self.errors, self.errors[:3]
            time.sleep(0.05)


def restored_pos(url: str, buyer_id: int) -> set[str]:
    rows = sql(url, "SELECT partner_po FROM documents WHERE kind = 'order' AND sender_company_id = :b", b=buyer_id)
    return {r[0] for r in rows}


@pytest.mark.parametrize("backend", backends())
def test_backup_while_writing_then_restore(backend: str, tmp_path: Path) -> None:
    target = tmp_path / f"pohub-{backend}.backup"
    with database_url(backend, tmp_path) as url, live_server(url, backend) as server:
        writers = Writers(server)
        for t in writers.threads:
            t.start()
        try:
            writers.wait_for(20)
            before = writers.snapshot()
            done = pohub("backup", str(target), env={"POHUB_DATABASE_URL": url})
            assert done.returncode == 0, done.stdout + done.stderr
            writers.wait_for(len(writers.snapshot()) + 5)  # still writing after the backup
        finally:
            writers.stop.set()
            for t in writers.threads:
                t.join(timeout=30)
        everything = writers.snapshot()
        assert not writers.errors, writers.errors[:3]

    new_url = _new_database(backend, tmp_path)
    try:
        done = pohub("restore", str(target), env={"POHUB_DATABASE_URL": new_url})
        assert done.returncode == 0, done.stdout + done.stderr
        found = restored_pos(new_url, writers.trade.buyer.id)
        assert before <= found, f"{len(before - found)} acknowledged POs missing"
        assert found <= everything  # nothing that was never acknowledged
        assert len(found) < len(everything)  # the backup is a snapshot, not the later state
        # The restored database serves: a restored order reads back in full through the API.
        with live_server(new_url, backend) as again:
            po = sorted(before)[0]
            [(key,)] = sql(new_url, "SELECT id FROM documents WHERE partner_po = :po", po=po)
            client = httpx.Client(base_url=again.api, headers={"Authorization": f"Bearer {writers.trade.buyer.key}"})
            r = client.get(f"/Orders/{key}")
            assert r.status_code == 200 and r.json()["Body"]["SalesOrder"]["PartnerPO"] == po
            client.close()
        # A second restore over it is refused without --force.
        again_done = pohub("restore", str(target), env={"POHUB_DATABASE_URL": new_url})
        assert again_done.returncode == 1
    finally:
        _drop(backend, new_url)


def test_restore_refuses_the_wrong_kind_of_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a backup at all")
    done = pohub("restore", str(junk), env={"POHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    assert done.returncode == 1 and "neither a pohub SQLite backup nor a pg_dump" in done.stdout


def _new_database(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:6]}.db'}"
    base = make_url(os.environ[PG_ENV])
    name = f"pohub_restore_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(base.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"'))
    return base.set(database=name).render_as_string(hide_password=False)


def _drop(backend: str, url: str) -> None:
    if backend == "postgresql":
        name = make_url(url).database
        admin = os.environ[PG_ENV]
        asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
