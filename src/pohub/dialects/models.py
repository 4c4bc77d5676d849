"""Exchange records: every message a dialect receives, kept as received with its state and error."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from pohub.db.base import AwareDateTime, BigId, metadata

dialect_exchanges = Table(
    "dialect_exchanges",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("dialect", String(20), nullable=False),
    Column("direction", String(10), nullable=False),
    Column("operation", String(100), nullable=False),
    Column("company_id", Integer, nullable=True),
    Column("order_id", BigId, nullable=True),
    Column("document_id", BigId, nullable=True),
    Column("job_id", BigId, nullable=True),
    # done | error
    Column("state", String(10), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Column("raw", Text, nullable=False),
    Column("created_at", AwareDateTime(), nullable=False),
    Index("ix_dialect_exchanges_order", "order_id", "id"),
    Index("ix_dialect_exchanges_job", "job_id", "id"),
)
