"""The write_volume migration makes the reference indexes partial (only rows where the reference is
set), as the models declare them; each query by a reference still reads its index, and a downgrade
restores the full indexes; on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Index, inspect, text

from pohub.db.engine import Database
from pohub.db.migrate import alembic_config
from pohub.documents.models import documents
from pohub.exchanges.models import exchanges
from tests.support import database_url

PARTIAL = {
    "exchanges": ["ix_exchanges_order", "ix_exchanges_document", "ix_exchanges_job", "ix_exchanges_parent",
                  "ix_exchanges_endpoint"],
    "documents": ["ix_documents_order"],
}  # fmt: skip

# Each reference asked for as the code asks (``=`` and ``IN``), and the index that query must read
# (alone in the WHERE clause, so that on an empty table no other index is as cheap).
QUERIES = [
    (f"SELECT id FROM {table} WHERE {column} {test}", index)
    for table, column, index in [
        ("exchanges", "order_id", "ix_exchanges_order"),
        ("exchanges", "document_id", "ix_exchanges_document"),
        ("exchanges", "job_id", "ix_exchanges_job"),
        ("exchanges", "parent_id", "ix_exchanges_parent"),
        ("exchanges", "endpoint_id", "ix_exchanges_endpoint"),
        ("documents", "order_id", "ix_documents_order"),
    ]
    for test in ("= :v", "IN (:v, 2)")
]


@pytest.fixture
def migrated(backend: str, tmp_path: Path) -> Iterator[str]:
    with database_url(backend, tmp_path) as url:
        yield url


def _where(index: dict[str, Any]) -> str | None:
    options = index.get("dialect_options", {})
    where = options.get("sqlite_where", options.get("postgresql_where"))
    return None if where is None else " ".join(str(where).replace("(", " ").replace(")", " ").split()).lower()


def _indexes(url: str) -> dict[str, dict[str, Any]]:
    async def go() -> dict[str, dict[str, Any]]:
        db = Database(url, pool_size=1)
        try:
            async with db.read() as conn:

                def read(sync: Any) -> dict[str, dict[str, Any]]:
                    found = {}
                    for table in PARTIAL:
                        for index in inspect(sync).get_indexes(table):
                            found[str(index["name"])] = dict(index)
                    return found

                return await conn.run_sync(read)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _plans(url: str) -> list[str]:
    async def go() -> list[str]:
        db = Database(url, pool_size=1)
        try:
            async with db.read() as conn:
                sqlite = db.sqlite
                if not sqlite:  # an empty table: make the planner show which index it can use at all
                    await conn.execute(text("SET LOCAL enable_seqscan = off"))
                    await conn.execute(text("SET LOCAL enable_bitmapscan = off"))
                plans = []
                for sql, _ in QUERIES:
                    rows = await conn.execute(text(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql), {"v": 1})
                    plans.append(" ".join(str(r[-1] if sqlite else r[0]) for r in rows))
                return plans
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_reference_indexes_are_partial_as_the_models_say(migrated: str) -> None:
    found = _indexes(migrated)
    declared: dict[str, Index] = {i.name: i for t in (exchanges, documents) for i in t.indexes if i.name}
    for names in PARTIAL.values():
        for name in names:
            index = found[name]
            column = declared[name].expressions[0].name  # type: ignore[union-attr]
            assert _where(index) == f"{column} is not null", name
            assert index["column_names"] == [c.name for c in declared[name].expressions]  # type: ignore[union-attr]


def test_each_query_by_a_reference_reads_its_index(migrated: str) -> None:
    for (sql, index), plan in zip(QUERIES, _plans(migrated), strict=True):
        assert index in plan, (sql, plan)


def test_downgrade_restores_the_full_indexes(migrated: str) -> None:
    command.downgrade(alembic_config(migrated), "write_volume-1")  # the revision before this one
    found = _indexes(migrated)
    for names in PARTIAL.values():
        for name in names:
            assert _where(found[name]) is None, name
    command.upgrade(alembic_config(migrated), "head")
    assert all(_where(_indexes(migrated)[name]) for names in PARTIAL.values() for name in names)
