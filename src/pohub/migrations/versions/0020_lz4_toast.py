"""lz4_toast: on PostgreSQL the large columns (a document's body as received and its wire template,
an exchange's bytes and chunks, a job item's row) are compressed with lz4 instead of pglz, where
the server has lz4 (PostgreSQL 14 and newer, built with it; otherwise nothing changes).

A search page reads a hundred ~4.9 K templates, each stored compressed out of line: the backend
decompresses every one. lz4 decompresses several times faster than pglz and compresses faster on
write (docs/postgresql-performance.md, "lz4 for the large columns (stop 24)": the Step 1 page's
statement 5.4-5.9 → 4.1-4.2 ms). The answers are the same bytes: compression is the storage's only.

Catalogue only: values already stored keep pglz (both stay readable) until they are written again
(`pohub migrate` re-rendering templates writes `wire` anew). SQLite: nothing to do.

Revision ID: lz4_toast
Revises: one_order_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "lz4_toast"
down_revision = "one_order_index"
branch_labels = None
depends_on = None

COLUMNS = [
    ("documents", "raw"),
    ("documents", "wire"),
    ("documents", "details"),
    ("exchanges", "raw"),
    ("exchange_chunks", "data"),
    ("job_items", "raw"),
]


def _has_lz4() -> bool:
    row = op.get_bind().execute(
        sa.text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
    )
    return bool(row.scalar())


def _set(method: str) -> None:
    if op.get_bind().dialect.name != "postgresql" or not _has_lz4():
        return
    for table, column in COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}")


def upgrade() -> None:
    _set("lz4")


def downgrade() -> None:
    _set("DEFAULT")  # as before: the server's default_toast_compression
