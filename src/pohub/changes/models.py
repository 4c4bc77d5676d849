"""A change is a row of ``documents`` (kind ``change``, from the buyer to the supplier, linked to its
order, its status a ChangeStatus). Its lines, with what each asks and what became of it, are here."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from pohub.db.base import AwareDateTime, BigId, MoneyColumn, metadata

change_lines = Table(
    "change_lines",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("change_id", BigId, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("action", String(20), nullable=False),  # change, add, cancel, cancel_order
    Column("line_number", String(50), nullable=False),
    Column("order_line_id", BigId, ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=True),
    Column("supplier_sku", String(100), nullable=True),
    Column("quantity", Integer, nullable=True),
    Column("price", MoneyColumn, nullable=True),
    Column("requested_ship_date", AwareDateTime(), nullable=True),
    Column("state", String(10), nullable=False),  # pending, applied, rejected
    Column("reason", String(200), nullable=True),  # the supplier's, when it rejects the line
    Index("ix_change_lines_change", "change_id", "position"),
)
