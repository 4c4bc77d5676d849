"""Retention prunes the bodies of settled exchanges past the age, keeps the rows, and never touches
what is still on its way; --dry-run only counts."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from pohub.core import clock
from pohub.db.engine import Database
from pohub.exchanges import retention
from tests.api.helpers import create_order
from tests.support import LiveServer, database_url, live_server, make_trade, sql


def _prune(url: str, days: float) -> retention.Pruned:
    async def go() -> retention.Pruned:
        db = Database(url, pool_size=1)
        try:
            return await retention.prune(db, older_than=timedelta(days=days), now=clock.now())
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_prune_old_bodies_keep_rows_and_pending_ones(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path) as url, live_server(url, backend, retention_days=0) as server:
        _prune_old_bodies(server)


def _prune_old_bodies(server: LiveServer) -> None:
    trade = make_trade(server)
    create_order(trade, "RET-1")
    create_order(trade, "RET-2")
    [old, recent] = [
        r[0]
        for r in sql(server.database_url, f"SELECT id FROM exchanges WHERE company_id = {trade.buyer.id} ORDER BY id")
    ]
    long_ago = clock.now() - timedelta(days=400)
    sql(server.database_url, f"UPDATE exchanges SET created_at = :at WHERE id = {old}", at=long_ago)
    # An outbound exchange still waiting to go (a channel no sender here serves), as old: its body stays.
    sql(
        server.database_url,
        "INSERT INTO exchanges (direction, channel, operation, company_id, state, raw, attempts, created_at, "
        f"updated_at, next_attempt_at) VALUES ('out', 'x12', 'x12', {trade.buyer.id}, 'queued', :raw, 0, "
        ":at, :at, :at)",
        raw=b"{}",
        at=long_ago,
    )

    env = {**os.environ, "POHUB_DATABASE_URL": server.database_url}
    pohub = str(Path(sys.executable).parent / "pohub")
    dry = subprocess.run([pohub, "prune", "--dry-run", "--older-than", "365"], env=env, capture_output=True, text=True)
    assert dry.returncode == 0 and "would prune the bodies of" in dry.stdout, dry.stdout + dry.stderr
    assert trade.buyer.get(f"/Exchanges/{old}").json()["Body"]["Raw"] is not None  # a dry run changes nothing

    done = subprocess.run([pohub, "prune", "--older-than", "365"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "pruned the bodies of" in done.stdout, done.stdout + done.stderr
    one = trade.buyer.get(f"/Exchanges/{old}").json()["Body"]
    assert one["Raw"] is None and one["PrunedAt"] and one["State"] == "applied" and one["DocumentKey"]
    assert trade.buyer.get(f"/Exchanges/{recent}").json()["Body"]["Raw"] is not None
    [(raw,)] = sql(
        server.database_url, f"SELECT raw FROM exchanges WHERE company_id = {trade.buyer.id} AND direction = 'out'"
    )
    assert bytes(raw) == b"{}"  # type: ignore[arg-type]
    # A pruned message cannot be run again: there is nothing left to run.
    assert trade.buyer.post(f"/Exchanges/{old}/Retry").status_code == 409
    # Pruning again finds nothing more of this age.
    assert _prune(server.database_url, 365).exchanges == 0
