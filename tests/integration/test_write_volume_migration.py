"""The write_volume migration makes the reference indexes partial (only rows where the reference is
set), as the models declare them; each query by a reference still reads its index, and a downgrade
restores the full indexes; on both databases."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import Index

from pohub.db.migrate import alembic_config
from pohub.documents.models import documents
from pohub.exchanges.models import exchanges
from tests.support import index_where, indexes_of, query_plans

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


def _indexes(url: str) -> dict[str, dict[str, Any]]:
    return indexes_of(url, list(PARTIAL))


def _plans(url: str) -> list[str]:
    return query_plans(url, [sql for sql, _ in QUERIES], {"v": 1})


def test_reference_indexes_are_partial_as_the_models_say(migrated: str) -> None:
    found = _indexes(migrated)
    declared: dict[str, Index] = {i.name: i for t in (exchanges, documents) for i in t.indexes if i.name}
    for names in PARTIAL.values():
        for name in names:
            index = found[name]
            column = declared[name].expressions[0].name  # type: ignore[union-attr]
            assert index_where(index) == f"{column} is not null", name
            assert index["column_names"] == [c.name for c in declared[name].expressions]  # type: ignore[union-attr]


def test_each_query_by_a_reference_reads_its_index(migrated: str) -> None:
    for (sql, index), plan in zip(QUERIES, _plans(migrated), strict=True):
        assert index in plan, (sql, plan)


def test_downgrade_restores_the_full_indexes(migrated: str) -> None:
    command.downgrade(alembic_config(migrated), "write_volume-1")  # the revision before this one
    found = _indexes(migrated)
    for names in PARTIAL.values():
        for name in names:
            assert index_where(found[name]) is None, name
    command.upgrade(alembic_config(migrated), "head")
    assert all(index_where(_indexes(migrated)[name]) for names in PARTIAL.values() for name in names)
