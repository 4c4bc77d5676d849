"""The one_order_index migration (0019) merges documents' two indexes on (order_id, kind, ...) into
one: ix_documents_order, unique on (order_id, kind, sender, number) where order_id is set. The
rule uq_documents_number kept holds as before (a sender's number once per order and kind; orders,
numbers left NULL and other orders' documents do not meet), each query by order_id still reads an
index (the merged one), also on SQLite after ANALYZE, and a downgrade restores both indexes; on
both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from pohub.db.engine import Database
from pohub.db.migrate import alembic_config
from pohub.documents.models import documents
from tests.support import database_url, index_where, indexes_of, query_plans

BEFORE = "write_order_counts"  # the revision before one_order_index
NUMBER = ["order_id", "kind", "sender_company_id", "number"]

_DOC = (
    "INSERT INTO documents (id, kind, sender_company_id, receiver_company_id, order_id, number, status,"
    " document_date, created_at, updated_at, body_hash, raw) VALUES (:id, :kind, :s, :r, :order_id, :number,"
    " :status, '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'h', '{}')"
)

# Every shape of query by order_id the code runs (documents/repository, documents/inbound, web,
# scorecard, returns): a value or a list, alone or with the kind (bound or literal), with the
# duplicate rule's ``kind <> 'order'``.
QUERIES = [
    "SELECT id FROM documents WHERE order_id = :v ORDER BY id",
    "SELECT id FROM documents WHERE order_id IN (:v, 2)",
    "SELECT id FROM documents WHERE order_id = :v AND kind = :k ORDER BY id",
    "SELECT id, number, sender_company_id, body_hash FROM documents"
    " WHERE order_id = :v AND kind = 'acknowledgement' AND kind <> 'order' ORDER BY id",
    "SELECT count(*) FROM documents WHERE order_id IN (:v, 2)",
]


async def _with(url: str, work: Any) -> Any:
    db = Database(url, pool_size=1)
    try:
        return await work(db)
    finally:
        await db.dispose()


def _indexes(url: str) -> dict[str, dict[str, Any]]:
    return indexes_of(url, ["documents"])


async def _companies(db: Database) -> None:
    async with db.write() as conn:
        for n in (1, 2, 3):
            await conn.execute(
                text("INSERT INTO companies (id, name, created_at) VALUES (:n, :name, '2026-01-01 00:00:00')"),
                {"n": n, "name": f"order-index-{n}"},
            )


def _insert(url: str, rows: list[dict[str, Any]]) -> list[str]:
    """Each row in a unit of its own: 'ok', or 'unique' where the database refused it."""

    async def go(db: Database) -> list[str]:
        await _companies(db)
        out = []
        for row in rows:
            try:
                async with db.write() as conn:
                    await conn.execute(text(_DOC), row)
                out.append("ok")
            except IntegrityError:
                out.append("unique")
        return out

    return asyncio.run(_with(url, go))


def _doc(id: int, kind: str, s: int, order_id: int | None, number: str | None) -> dict[str, Any]:
    status = 150 if kind == "order" else 1000
    return {"id": id, "kind": kind, "s": s, "r": 3 - s if s < 3 else 1, "order_id": order_id, "number": number,
            "status": status}  # fmt: skip


RULE = [
    (_doc(1, "order", 1, None, "PO-1"), "ok"),
    (_doc(2, "order", 1, None, "PO-1"), "ok"),  # orders: the number is no document number here
    (_doc(3, "acknowledgement", 2, 1, "A-1"), "ok"),
    (_doc(4, "acknowledgement", 2, 1, "A-1"), "unique"),  # the same number again: refused
    (_doc(5, "shipment", 2, 1, "A-1"), "ok"),  # another kind
    (_doc(6, "acknowledgement", 3, 1, "A-1"), "ok"),  # another sender
    (_doc(7, "acknowledgement", 2, 2, "A-1"), "ok"),  # another order
    (_doc(8, "acknowledgement", 2, 1, None), "ok"),  # no number: never meets another
    (_doc(9, "acknowledgement", 2, 1, None), "ok"),
    (_doc(10, "invoice", 2, 2, "I-1"), "ok"),
    (_doc(11, "invoice", 2, 2, "I-1"), "unique"),
]


def test_the_merged_index_is_as_the_models_declare(migrated: str) -> None:
    found = _indexes(migrated)
    assert "uq_documents_number" not in found
    index = found["ix_documents_order"]
    assert index["unique"]
    assert index["column_names"] == NUMBER
    assert index_where(index) == "order_id is not null"
    declared = next(i for i in documents.indexes if i.name == "ix_documents_order")
    assert [c.name for c in declared.expressions] == NUMBER  # type: ignore[union-attr]
    assert declared.unique


@pytest.mark.parametrize("revision", [BEFORE, "head"])
def test_a_number_is_unique_per_order_kind_and_sender_as_before(backend: str, tmp_path: Path, revision: str) -> None:
    with database_url(backend, tmp_path, revision=revision) as url:
        assert _insert(url, [row for row, _ in RULE]) == [expected for _, expected in RULE]


def _plans(url: str, *, analyze: bool) -> list[str]:
    # analyze: the statistics that once sent the duplicate rule's query to a full scan
    return query_plans(url, QUERIES, {"v": 1, "k": "acknowledgement"}, analyze=analyze)


def test_each_query_by_order_reads_the_merged_index(migrated: str) -> None:
    for sql, plan in zip(QUERIES, _plans(migrated, analyze=False), strict=True):
        assert "ix_documents_order" in plan, (sql, plan)


def test_sqlite_keeps_the_index_after_analyze(backend: str, migrated: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's statistics")
    orders = [_doc(n, "order", 1, None, f"PO-{n}") for n in range(1, 201)]
    answers = [_doc(1000 + n, "acknowledgement", 2, n, f"A-{n}") for n in range(1, 41)]
    assert set(_insert(migrated, orders + answers)) == {"ok"}
    for sql, plan in zip(QUERIES, _plans(migrated, analyze=True), strict=True):
        assert "ix_documents_order" in plan, (sql, plan)


def test_downgrade_restores_both_indexes(migrated: str) -> None:
    command.downgrade(alembic_config(migrated), BEFORE)
    found = _indexes(migrated)
    number, order = found["uq_documents_number"], found["ix_documents_order"]
    assert number["unique"] and number["column_names"] == NUMBER
    assert index_where(number) == "kind <> 'order'"
    assert not order["unique"] and order["column_names"] == ["order_id", "kind"]
    assert index_where(order) == "order_id is not null"
    assert _insert(migrated, [row for row, _ in RULE]) == [expected for _, expected in RULE]
    command.upgrade(alembic_config(migrated), "head")
    assert "uq_documents_number" not in _indexes(migrated)
