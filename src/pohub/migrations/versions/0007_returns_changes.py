"""returns and changes: the lines of a return (requested, received, credited units) and its RMA number;
the lines of a buyer's change, and a line's requested ship date

Revision ID: returns
Revises: trust_input
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pohub.db.base

revision = "returns"
# After main's 0004_users; the lead re-chains revisions at merge time.
down_revision = "trust_input"
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

    op.create_table(
        "change_lines",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("change_id", BigId, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("line_number", sa.String(50), nullable=False),
        sa.Column("order_line_id", BigId, sa.ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=True),
        sa.Column("supplier_sku", sa.String(100), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("price", Money, nullable=True),
        sa.Column("requested_ship_date", pohub.db.base.AwareDateTime(), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
    )
    op.create_index("ix_change_lines_change", "change_lines", ["change_id", "position"])
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("requested_ship_date", pohub.db.base.AwareDateTime(), nullable=True))
        batch.add_column(sa.Column("changed_at", pohub.db.base.AwareDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("changed_at")
        batch.drop_column("requested_ship_date")
    op.drop_index("ix_change_lines_change", table_name="change_lines")
    op.drop_table("change_lines")
    op.drop_table("return_details")
    op.drop_index("ix_return_lines_order_line", table_name="return_lines")
    op.drop_table("return_lines")
