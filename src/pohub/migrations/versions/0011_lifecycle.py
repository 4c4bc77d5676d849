"""lifecycle: a return's receipts by number (a receipt is applied once), and stock published for one
buyer (inventory_items.buyer_id; 0 = every buyer, so that (supplier, buyer, SKU) is one unique key
on both databases)

Revision ID: lifecycle
Revises: dialect_gaps
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pohub.db.base

revision = "lifecycle"
down_revision = "dialect_gaps"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "return_receipts",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("return_id", BigId, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("created_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("return_id", "number", name="uq_return_receipts_number"),
    )
    with op.batch_alter_table("inventory_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buyer_id", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_constraint("uq_inventory_items_supplier_sku", type_="unique")
        batch_op.create_unique_constraint("uq_inventory_items_supplier_buyer_sku", ["supplier_id", "buyer_id", "sku"])


def downgrade() -> None:
    op.execute("DELETE FROM inventory_items WHERE buyer_id <> 0")  # one buyer's figures have no place before
    with op.batch_alter_table("inventory_items", schema=None) as batch_op:
        batch_op.drop_constraint("uq_inventory_items_supplier_buyer_sku", type_="unique")
        batch_op.create_unique_constraint("uq_inventory_items_supplier_sku", ["supplier_id", "sku"])
        batch_op.drop_column("buyer_id")
    op.drop_table("return_receipts")
