"""returns: the lines of a return (requested, received, credited units) and its RMA number

Revision ID: returns
Revises: exchanges
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "returns"
# main already holds 0003_exchanges; the lead re-chains revisions at merge time.
down_revision = "exchanges"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Money = sa.Numeric(18, 4, asdecimal=True)


def upgrade() -> None:
    op.create_table(
        "return_lines",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("return_id", BigId, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("order_line_id", BigId, sa.ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("qty_received", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("qty_credited", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("amount_credited", Money, nullable=True),
        sa.Column("reason_code", sa.String(50), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("condition", sa.String(50), nullable=True),
        sa.UniqueConstraint("return_id", "order_line_id", name="uq_return_lines_line"),
    )
    op.create_index("ix_return_lines_order_line", "return_lines", ["order_line_id"])
    op.create_table(
        "return_details",
        sa.Column("return_id", BigId, sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("rma_number", sa.String(100), nullable=True),
        sa.Column("rejection_reason", sa.String(500), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("return_details")
    op.drop_index("ix_return_lines_order_line", table_name="return_lines")
    op.drop_table("return_lines")
