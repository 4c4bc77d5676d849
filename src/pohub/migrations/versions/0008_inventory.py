"""inventory: a supplier's stock per SKU (inventory_items) and per warehouse (inventory_warehouses)

Revision ID: inventory
Revises: returns
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pohub.db.base

revision = "inventory"
# Chained on main's head (users <- exchanges <- 0002) so that there is one head; re-chain at merge.
down_revision = "returns"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inventory_items",
        sa.Column("id", BigId, nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("merchant_sku", sa.String(length=100), nullable=True),
        sa.Column("upc", sa.String(length=100), nullable=True),
        sa.Column("manufacturer_sku", sa.String(length=100), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("uom", sa.String(length=20), nullable=True),
        sa.Column("cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("next_available_quantity", sa.Integer(), nullable=True),
        sa.Column("next_available_date", pohub.db.base.AwareDateTime(timezone=True), nullable=True),
        sa.Column("lead_time", sa.String(length=50), nullable=True),
        sa.Column("status", sa.String(length=50), nullable=True),
        sa.Column("updated_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.Column("exchange_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["companies.id"], name=op.f("fk_inventory_items_supplier_id_companies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_items")),
        sa.UniqueConstraint("supplier_id", "sku", name="uq_inventory_items_supplier_sku"),
    )
    with op.batch_alter_table("inventory_items", schema=None) as batch_op:
        batch_op.create_index("ix_inventory_items_sku", ["sku"], unique=False)
        batch_op.create_index("ix_inventory_items_merchant_sku", ["merchant_sku"], unique=False)
        batch_op.create_index("ix_inventory_items_supplier_updated", ["supplier_id", "updated_at"], unique=False)

    op.create_table(
        "inventory_warehouses",
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("warehouse", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("next_available_quantity", sa.Integer(), nullable=True),
        sa.Column("next_available_date", pohub.db.base.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["inventory_items.id"],
            name=op.f("fk_inventory_warehouses_item_id_inventory_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "position", name=op.f("pk_inventory_warehouses")),
    )


def downgrade() -> None:
    op.drop_table("inventory_warehouses")
    with op.batch_alter_table("inventory_items", schema=None) as batch_op:
        batch_op.drop_index("ix_inventory_items_supplier_updated")
        batch_op.drop_index("ix_inventory_items_merchant_sku")
        batch_op.drop_index("ix_inventory_items_sku")
    op.drop_table("inventory_items")
