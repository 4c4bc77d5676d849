"""Inventory tables: one row per supplier and SKU (the item, with its total), and its warehouses.

A broadcast replaces what it names (an item and all its warehouses) and leaves other SKUs alone.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from pohub.db.base import AwareDateTime, BigId, MoneyColumn, metadata

inventory_items = Table(
    "inventory_items",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("companies.id", ondelete="CASCADE"), nullable=False),
    Column("sku", String(100), nullable=False),  # SupplierSKU
    # The buyer this figure is for (the feed's MerchantId), or 0 for every buyer: a sentinel, not NULL,
    # so that (supplier, buyer, SKU) is one unique key, and one upsert target, on both databases.
    Column("buyer_id", Integer, nullable=False, server_default="0"),
    Column("merchant_sku", String(100), nullable=True),
    Column("upc", String(100), nullable=True),
    Column("manufacturer_sku", String(100), nullable=True),
    Column("description", String(500), nullable=True),  # SupplierDescription
    Column("uom", String(20), nullable=True),
    Column("cost", MoneyColumn, nullable=True),
    Column("quantity", Integer, nullable=False),  # in stock, all warehouses together
    Column("next_available_quantity", Integer, nullable=True),
    Column("next_available_date", AwareDateTime(), nullable=True),
    Column("lead_time", String(50), nullable=True),
    Column("status", String(50), nullable=True),
    Column("updated_at", AwareDateTime(), nullable=False),  # LastUpdate
    # The message (exchange) that last set this item: where a figure came from.
    Column("exchange_id", BigId, nullable=True),
    UniqueConstraint("supplier_id", "buyer_id", "sku", name="uq_inventory_items_supplier_buyer_sku"),
    Index("ix_inventory_items_sku", "sku"),
    Index("ix_inventory_items_merchant_sku", "merchant_sku"),
    Index("ix_inventory_items_supplier_updated", "supplier_id", "updated_at"),
)

inventory_warehouses = Table(
    "inventory_warehouses",
    metadata,
    Column("item_id", BigId, ForeignKey("inventory_items.id", ondelete="CASCADE"), primary_key=True),
    # The slot on the wire (1 = Warehouse, 2 = Warehouse2 ...), so a download lists them as sent.
    Column("position", Integer, primary_key=True),
    Column("warehouse", String(100), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("next_available_quantity", Integer, nullable=True),
    Column("next_available_date", AwareDateTime(), nullable=True),
)
