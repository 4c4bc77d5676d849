"""one_order_index: a supplier document's row wrote two entries of the same key into two indexes,
ix_documents_order (order_id, kind) where order_id is set, and the unique uq_documents_number
(order_id, kind, sender, number) where kind <> 'order'; one index now does both jobs:
ix_documents_order becomes that unique index, on the rows whose order_id is set. The rule is the
same: an order's own order_id is NULL, every other document has one, and a NULL order_id never met
another in a unique index anyway. Every query by order_id (``=`` or ``IN``) still reads it on both
databases; an acknowledgement, shipment or invoice writes one index page fewer (docs/sqlite-pages.md).

Index DDL only (no batch rebuild of documents on SQLite, so its order_counts triggers stay); the
new index is built from the rows whose order_id is set, in one pass over documents.

Revision ID: one_order_index
Revises: write_order_counts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "one_order_index"
down_revision = "write_order_counts"
branch_labels = None
depends_on = None

_NUMBER = ["order_id", "kind", "sender_company_id", "number"]


def _create(columns: list[str], *, unique: bool, where: str, name: str = "ix_documents_order") -> None:
    condition = sa.text(where)
    op.create_index(name, "documents", columns, unique=unique, sqlite_where=condition, postgresql_where=condition)


def upgrade() -> None:
    # The new index before the old rule goes, so that the rule holds all along.
    op.drop_index("ix_documents_order", table_name="documents")
    _create(_NUMBER, unique=True, where="order_id IS NOT NULL")
    op.drop_index("uq_documents_number", table_name="documents")


def downgrade() -> None:
    _create(_NUMBER, unique=True, where="kind <> 'order'", name="uq_documents_number")
    op.drop_index("ix_documents_order", table_name="documents")
    _create(["order_id", "kind"], unique=False, where="order_id IS NOT NULL")
