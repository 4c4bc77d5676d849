"""Trading partners: companies, their API keys (hashed), and who trades with whom."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, UniqueConstraint

from pohub.db.base import AwareDateTime, metadata

companies = Table(
    "companies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", AwareDateTime(), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("company_id", Integer, ForeignKey("companies.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=True),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("revoked_at", AwareDateTime(), nullable=True),
)

partnerships = Table(
    "partnerships",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("buyer_id", Integer, ForeignKey("companies.id", ondelete="CASCADE"), nullable=False),
    Column("supplier_id", Integer, ForeignKey("companies.id", ondelete="CASCADE"), nullable=False),
    # False where the buyer settles without invoices: a fully shipped order is then Complete.
    Column("invoice_required", Boolean, nullable=False, default=True),
    Column("created_at", AwareDateTime(), nullable=False),
    UniqueConstraint("buyer_id", "supplier_id", name="uq_partnerships_buyer_supplier"),
)
