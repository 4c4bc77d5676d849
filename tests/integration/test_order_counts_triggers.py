"""order_counts' triggers (0015 read_path; on SQLite one upsert per trigger since 0099
write_order_counts) keep the counts exact through every kind of write on documents: inserts of
orders and of other documents, status moves up and back, a party changed on one side or on both,
sender and receiver swapped, a kind changed to and from an order, an update of many rows, deletes.
After each step the counters equal counting the orders; the whole sequence leaves the same counter
rows as the triggers of the revision before (on SQLite row for row, rowid included; on PostgreSQL,
whose shards are backend pids, summed per counter). On both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from pohub.db.engine import Database
from pohub.db.migrate import alembic_config
from tests.support import database_url

BEFORE = "write_volume"  # the revision before write_order_counts

_DOC = (
    "INSERT INTO documents (id, kind, sender_company_id, receiver_company_id, order_id, status, document_date,"
    " created_at, updated_at, body_hash, raw) VALUES (:id, :kind, :s, :r, :order_id, :status,"
    " '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'h', '{}')"
)

# Each step: (statement, params); the counts are checked after every one.
STEPS: list[tuple[str, dict[str, Any]]] = [
    (_DOC, {"id": 1, "kind": "order", "s": 1, "r": 2, "order_id": None, "status": 150}),
    (_DOC, {"id": 2, "kind": "order", "s": 1, "r": 2, "order_id": None, "status": 150}),
    (_DOC, {"id": 3, "kind": "order", "s": 3, "r": 2, "order_id": None, "status": 150}),
    (_DOC, {"id": 4, "kind": "acknowledgement", "s": 2, "r": 1, "order_id": 1, "status": 1000}),
    ("UPDATE documents SET status = 500 WHERE id = 1", {}),  # up
    ("UPDATE documents SET status = 600 WHERE id = 1", {}),
    ("UPDATE documents SET status = 500 WHERE id = 1", {}),  # and back
    ("UPDATE documents SET status = 150 WHERE id = 1", {}),
    ("UPDATE documents SET status = 150 WHERE id = 2", {}),  # no move: the trigger's WHEN is false
    ("UPDATE documents SET status = 200 WHERE id = 4", {}),  # not an order: no counter moves
    ("UPDATE documents SET sender_company_id = 3 WHERE id = 2", {}),  # one side's party
    ("UPDATE documents SET receiver_company_id = 1 WHERE id = 3", {}),
    ("UPDATE documents SET sender_company_id = 2, receiver_company_id = 3, status = 500 WHERE id = 2", {}),
    ("UPDATE documents SET sender_company_id = receiver_company_id, receiver_company_id = sender_company_id"
     " WHERE id = 1", {}),  # swapped
    ("UPDATE documents SET kind = 'invoice' WHERE id = 3", {}),  # no longer an order
    ("UPDATE documents SET kind = 'order', status = 600 WHERE id = 4", {}),  # now one
    ("UPDATE documents SET kind = 'order' WHERE id = 3", {}),  # and back
    ("UPDATE documents SET status = 1000 WHERE kind = 'order'", {}),  # many rows at once
    ("DELETE FROM documents WHERE id = 4", {}),
    ("DELETE FROM documents WHERE id IN (1, 2)", {}),
    (_DOC, {"id": 5, "kind": "order", "s": 2, "r": 1, "order_id": None, "status": 1000}),
    ("DELETE FROM documents WHERE kind <> 'order'", {}),  # nothing left to delete but orders
]  # fmt: skip


@pytest.fixture
def before(backend: str, tmp_path: Path) -> Iterator[str]:
    with database_url(backend, tmp_path, revision=BEFORE) as url:
        yield url


@pytest.fixture
def head(backend: str, tmp_path: Path) -> Iterator[str]:
    with database_url(backend, tmp_path) as url:
        yield url


async def _counted_and_kept(conn: Any) -> tuple[dict[Any, int], dict[Any, int]]:
    counted: dict[Any, int] = {}
    for side, column in (("r", "receiver_company_id"), ("s", "sender_company_id")):
        rows = await conn.execute(
            text(f"SELECT {column}, status, count(*) FROM documents WHERE kind = 'order' GROUP BY {column}, status")
        )
        counted |= {(company, side, status): int(n) for company, status, n in rows}
    rows = await conn.execute(text("SELECT company_id, side, status, sum(n) FROM order_counts GROUP BY 1, 2, 3"))
    kept = {(company, side, status): int(n) for company, side, status, n in rows if n}
    return counted, kept


async def _run(url: str) -> tuple[list[tuple[Any, ...]], list[dict[Any, int]]]:
    """Every step in a unit of its own, the counts checked after each; (the counter rows at the end,
    the counts after each step)."""
    db = Database(url, pool_size=1)
    seen = []
    try:
        async with db.write() as conn:
            for n in (1, 2, 3):
                await conn.execute(
                    text("INSERT INTO companies (id, name, created_at) VALUES (:n, :name, '2026-01-01 00:00:00')"),
                    {"n": n, "name": f"counts-{n}"},
                )
        for statement, params in STEPS:
            async with db.write() as conn:
                await conn.execute(text(statement), params)
                counted, kept = await _counted_and_kept(conn)
            assert kept == counted, statement
            seen.append(kept)
        async with db.read() as conn:
            if db.sqlite:
                query = "SELECT rowid, company_id, side, status, shard, n FROM order_counts ORDER BY rowid"
            else:
                query = "SELECT company_id, side, status, sum(n) FROM order_counts GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            rows = [tuple(r) for r in await conn.execute(text(query))]
        return rows, seen
    finally:
        await db.dispose()


def test_counts_stay_exact_through_every_write(head: str) -> None:
    rows, seen = asyncio.run(_run(head))
    assert seen[4] == {(2, "r", 150): 2, (1, "s", 150): 1, (2, "r", 500): 1, (1, "s", 500): 1, (3, "s", 150): 1}
    # Left: order 3 (sender 3, receiver 1 since its change) and order 5, both complete.
    assert seen[-1] == {(1, "r", 1000): 2, (3, "s", 1000): 1, (2, "s", 1000): 1}
    assert len(rows) > len(seen[-1])  # counters of every status ever held stay, at 0


def test_the_counter_rows_are_those_the_revision_before_wrote(before: str, head: str) -> None:
    old_rows, old_seen = asyncio.run(_run(before))
    new_rows, new_seen = asyncio.run(_run(head))
    assert new_seen == old_seen
    assert new_rows == old_rows


def test_downgrade_restores_the_triggers_of_the_revision_before(backend: str, before: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path) as url:
        command.downgrade(alembic_config(url), BEFORE)
        assert asyncio.run(_triggers(url)) == asyncio.run(_triggers(before))
        command.upgrade(alembic_config(url), "head")
        rows, _ = asyncio.run(_run(url))
        assert rows


async def _triggers(url: str) -> list[tuple[Any, ...]]:
    db = Database(url, pool_size=1)
    try:
        async with db.read() as conn:
            if db.sqlite:
                query = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
            else:
                query = (
                    "SELECT tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t"
                    " JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname = 'documents' AND NOT tgisinternal"
                    " ORDER BY tgname"
                )
            return [tuple(r) for r in await conn.execute(text(query))]
    finally:
        await db.dispose()
