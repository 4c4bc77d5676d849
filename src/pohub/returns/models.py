"""A return is a row of ``documents`` (kind ``return``: sent by the buyer to the supplier, linked to
its order, its status a ReturnStatus). These tables hold what the lifecycle needs beside it: the
lines with their requested / received / credited units, and the supplier's RMA number."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from pohub.db.base import AwareDateTime, BigId, MoneyColumn, metadata

return_lines = Table(
    "return_lines",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("return_id", BigId, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("order_line_id", BigId, ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),  # requested
    Column("qty_received", Integer, nullable=False, default=0),
    Column("qty_credited", Integer, nullable=False, default=0),
    Column("amount_credited", MoneyColumn, nullable=True),
    Column("reason_code", String(50), nullable=True),
    Column("reason", String(500), nullable=True),
    Column("condition", String(50), nullable=True),  # as the last receipt of the line gave it
    UniqueConstraint("return_id", "order_line_id", name="uq_return_lines_line"),
    Index("ix_return_lines_order_line", "order_line_id"),
)

return_details = Table(
    "return_details",
    metadata,
    Column("return_id", BigId, ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("rma_number", String(100), nullable=True),
    Column("rejection_reason", String(500), nullable=True),
)

# Receipts by their number: one receipt is applied once (its number again is a duplicate, 409).
return_receipts = Table(
    "return_receipts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("return_id", BigId, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("number", String(100), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("created_at", AwareDateTime(), nullable=False),
    UniqueConstraint("return_id", "number", name="uq_return_receipts_number"),
)
