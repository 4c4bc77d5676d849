"""money keeps every digit sent; line keys as wide as casefolding makes them

Money columns were NUMERIC(18, 4): 0.00001 was stored as 0.0000, and a large invoice total did not
fit. They become NUMERIC(38, 6) on PostgreSQL and text on SQLite (its NUMERIC affinity keeps a REAL,
15 significant digits), matching documents/types.Money (6 decimal places, 20 digits).
order_lines.line_key holds the casefolded line number, up to three times longer than its 50
characters ("ß" -> "ss", "ΐ" -> three characters).

Revision ID: trust_input
Revises: ops
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pohub.db.base

revision = "trust_input"
down_revision = "ops"
branch_labels = None
depends_on = None

OLD_MONEY = sa.Numeric(precision=18, scale=4)
MONEY_COLUMNS = {"documents": ["total"], "order_lines": ["price", "ack_price"]}


def upgrade() -> None:
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column, existing_type=OLD_MONEY, type_=pohub.db.base.ExactDecimal(), existing_nullable=True
                )
            if table == "order_lines":
                batch_op.alter_column(
                    "line_key", existing_type=sa.String(length=50), type_=sa.String(length=150), existing_nullable=False
                )


def downgrade() -> None:
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column, existing_type=pohub.db.base.ExactDecimal(), type_=OLD_MONEY, existing_nullable=True
                )
            if table == "order_lines":
                batch_op.alter_column(
                    "line_key", existing_type=sa.String(length=150), type_=sa.String(length=50), existing_nullable=False
                )
