"""order_counts' compaction (documents/counts.py) on PostgreSQL: while writers on connections that
come and go add, move and delete orders, compactions fold the rows of the backends that are gone;
every snapshot taken meanwhile, and the one after, counts exactly what counting the orders says,
and at the end no row of a dead backend is left."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.engine import make_url

from pohub.db.engine import Database
from pohub.documents import counts
from pohub.documents.models import documents
from pohub.partners import service as partners
from tests.support import PATIENCE, database_url

D = documents.c

_COUNTED = (
    "SELECT company, side, status, count(*) FROM ("
    " SELECT receiver_company_id AS company, 'r' AS side, status FROM documents WHERE kind = 'order'"
    " UNION ALL SELECT sender_company_id, 's', status FROM documents WHERE kind = 'order') o"
    " GROUP BY company, side, status"
)
_KEPT = "SELECT company_id, side, status, sum(n) FROM order_counts GROUP BY 1, 2, 3 HAVING sum(n) <> 0"


@pytest.fixture
def url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend != "postgresql":
        pytest.skip("one shard per backend is PostgreSQL's (SQLite has shard 0 only)")
    with database_url(backend, tmp_path) as u:
        yield u


async def _snapshot(raw: asyncpg.Connection) -> tuple[dict[Any, int], dict[Any, int]]:
    """(counted from documents, kept in order_counts) in one snapshot."""
    async with raw.transaction(isolation="repeatable_read", readonly=True):
        counted = {(r[0], r[1], r[2]): int(r[3]) for r in await raw.fetch(_COUNTED)}
        kept = {(r[0], r[1], r[2]): int(r[3]) for r in await raw.fetch(_KEPT)}
    return counted, kept


async def _writer(url: str, buyer: int, supplier: int, tag: str) -> None:
    """Orders added, moved between statuses and deleted, each round on a connection of its own
    (so a backend of its own, which ends when the round's Database is disposed)."""
    now = datetime.now(UTC)
    for rnd in range(4):
        db = Database(url, pool_size=1)
        try:
            ids = []
            for i in range(6):
                async with db.write() as conn:
                    row = await conn.execute(
                        insert(documents)
                        .values(
                            kind="order",
                            sender_company_id=buyer,
                            receiver_company_id=supplier,
                            partner_po=f"{tag}-{rnd}-{i}",
                            status=150,
                            document_date=now,
                            created_at=now,
                            updated_at=now,
                            body_hash="x",
                            raw="{}",
                        )
                        .returning(D.id)
                    )
                    ids.append(row.scalar_one())
            async with db.write() as conn:
                await conn.execute(update(documents).where(D.id.in_(ids[:3])).values(status=200))
            async with db.write() as conn:
                await conn.execute(delete(documents).where(D.id == ids[5]))
        finally:
            await db.dispose()


async def test_compaction_under_concurrent_writers_keeps_every_count_exact(url: str) -> None:
    db = Database(url, pool_size=2)
    raw = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        async with db.write() as conn:
            buyer = (await partners.add_company(conn, name="Buyer")).id
            supplier = (await partners.add_company(conn, name="Supplier")).id
        writers = asyncio.gather(*(_writer(url, buyer, supplier, f"w{k}-{uuid.uuid4().hex[:4]}") for k in range(4)))
        folded = 0
        snapshots = 0
        while not writers.done():
            folded += await counts.compact(db)
            counted, kept = await _snapshot(raw)
            assert kept == counted
            snapshots += 1
            await asyncio.sleep(0)
        await writers
        # The writers' backends end once their connections close; fold until none of theirs is left.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PATIENCE
        while True:
            folded += await counts.compact(db)
            alive = {r[0] for r in await raw.fetch("SELECT pid FROM pg_stat_activity")}
            shards = {r[0] for r in await raw.fetch("SELECT DISTINCT shard FROM order_counts")}
            if shards <= alive | {0} or loop.time() > deadline:
                break
            await asyncio.sleep(0.05)
        assert shards <= alive | {0}
        assert folded > 0 and snapshots > 0
        counted, kept = await _snapshot(raw)
        assert kept == counted
        async with db.read() as conn:  # 4 writers x 4 rounds x 5 orders (one deleted of 6)
            n = len((await conn.execute(select(D.id).where(D.kind == "order"))).all())
        assert n == 80
        assert counted[(supplier, "r", 200)] == 48 and counted[(supplier, "r", 150)] == 32
    finally:
        await raw.close()
        await db.dispose()


def test_compaction_is_a_no_op_on_sqlite(tmp_path: Path) -> None:
    async def compact(u: str) -> int:
        db = Database(u, pool_size=1)
        try:
            return await counts.compact(db)
        finally:
            await db.dispose()

    with database_url("sqlite", tmp_path) as u:
        assert asyncio.run(compact(u)) == 0


def test_the_worker_and_migrate_fold_the_rows_of_closed_connections(url: str) -> None:
    """A shard no backend can have (past Linux's pid_max) stands for a closed connection's rows."""
    from pohub.config import Settings
    from pohub.jobs.worker import Worker
    from tests.integration.test_migrate_cli import migrate

    gone = 2**31 - 1

    async def rows(db: Database) -> list[tuple[int, int, int]]:
        async with db.read() as conn:
            found = await conn.execute(text("SELECT status, shard, n FROM order_counts ORDER BY status, shard"))
            return [(int(r[0]), int(r[1]), int(r[2])) for r in found]

    async def plant(db: Database, status: int) -> None:
        async with db.write() as conn:
            await conn.execute(
                text("INSERT INTO order_counts (company_id, side, status, shard, n) VALUES (1, 'r', :s, :g, 5)"),
                {"s": status, "g": gone},
            )

    async def by_worker() -> list[tuple[int, int, int]]:
        db = Database(url, pool_size=1)
        try:
            await plant(db, 150)
            worker = Worker(db, Settings(database_url=url))
            await worker.compact_counts_if_due()
            await worker.compact_counts_if_due()  # not due again yet: nothing to do either way
            assert worker.counts_compacted_at is not None
            found = await rows(db)
            await plant(db, 200)
            return found
        finally:
            await db.dispose()

    assert asyncio.run(by_worker()) == [(150, 0, 5)]
    assert "folded 1 order_counts row(s)" in migrate(url)

    async def after_migrate() -> list[tuple[int, int, int]]:
        db = Database(url, pool_size=1)
        try:
            return await rows(db)
        finally:
            await db.dispose()

    assert asyncio.run(after_migrate()) == [(150, 0, 5), (200, 0, 5)]
