"""order_lines: a partial index on the lines whose figures the hub has changed (or a buyer's change
rewrote), so that filling a page of orders from their templates (documents/wire.py) finds the
few lines it needs without reading every line of the page's orders

Revision ID: touched
Revises: search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "touched"
down_revision = "search"
branch_labels = None
depends_on = None

# As documents.models.TOUCHED_LINE when this revision was written (a migration keeps its own copy).
_TOUCHED = (
    "qty_accepted != 0 OR qty_backordered != 0 OR qty_cancelled != 0 OR qty_shipped != 0 "
    "OR qty_invoiced != 0 OR changed_at IS NOT NULL"
)


def upgrade() -> None:
    op.create_index(
        "ix_order_lines_touched",
        "order_lines",
        ["order_id"],
        sqlite_where=sa.text(_TOUCHED),
        postgresql_where=sa.text(_TOUCHED),
    )


def downgrade() -> None:
    op.drop_index("ix_order_lines_touched", table_name="order_lines")
