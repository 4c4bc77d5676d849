"""The lz4_toast migration (0020): on PostgreSQL the large columns compress with lz4 (values written
after it are lz4; those written before stay pglz and read back the same); a downgrade sets the
server's default again. On SQLite it changes nothing and both directions run."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command

from pohub.db.migrate import alembic_config
from tests.support import database_url, sql

BEFORE = "one_order_index"
COLUMNS = [
    ("documents", "raw"),
    ("documents", "wire"),
    ("documents", "details"),
    ("exchanges", "raw"),
    ("exchange_chunks", "data"),
    ("job_items", "raw"),
]
# Compressible and far over the 2 KB at which PostgreSQL compresses a value.
BIG = '{"Lines": [' + ",".join(f'{{"LineNumber": "{n}", "Quantity": 4}}' for n in range(300)) + "]}"


def _methods(url: str) -> dict[tuple[str, str], str]:
    """Each column's compression as the catalogue says ('l' lz4, '' the server's default)."""
    rows = sql(
        url,
        "SELECT c.relname, a.attname, a.attcompression::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        " WHERE c.relname IN ('documents', 'exchanges', 'exchange_chunks', 'job_items') AND a.attnum > 0",
    )
    return {(str(t), str(c)): str(m) for t, c, m in rows}


def _store(url: str, id: int) -> str:
    """A document row with a large body: the method its stored value was compressed with."""
    if not sql(url, "SELECT 1 FROM companies WHERE id = 1"):
        sql(url, "INSERT INTO companies (id, name, created_at) VALUES (1, 'lz4', '2026-01-01 00:00:00')")
    sql(
        url,
        "INSERT INTO documents (id, kind, sender_company_id, receiver_company_id, number, status, document_date,"
        " created_at, updated_at, body_hash, raw) VALUES (:id, 'order', 1, 1, :number, 150, '2026-01-01 00:00:00',"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'h', :raw)",
        id=id,
        number=f"PO-{id}",
        raw=BIG,
    )
    return str(sql(url, "SELECT pg_column_compression(raw) FROM documents WHERE id = :id", id=id)[0][0])


def test_large_columns_compress_with_lz4_and_downgrade_restores_the_default(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path, revision=BEFORE) as url:
        if backend == "sqlite":
            command.upgrade(alembic_config(url), "head")
            command.downgrade(alembic_config(url), BEFORE)
            command.upgrade(alembic_config(url), "head")
            return
        if not sql(url, "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")[0][0]:
            pytest.skip("this PostgreSQL has no lz4")
        assert _store(url, 1) == "pglz"
        command.upgrade(alembic_config(url), "head")
        methods = _methods(url)
        assert {column: methods[column] for column in COLUMNS} == dict.fromkeys(COLUMNS, "l")
        assert _store(url, 2) == "lz4"
        # The value written before still reads back as written, beside the new one.
        assert [r[0] for r in sql(url, "SELECT raw FROM documents ORDER BY id")] == [BIG, BIG]
        command.downgrade(alembic_config(url), BEFORE)
        methods = _methods(url)
        assert {column: methods[column] for column in COLUMNS} == dict.fromkeys(COLUMNS, "")
        default = sql(url, "SELECT current_setting('default_toast_compression')")[0][0]
        assert _store(url, 3) == default
