"""Webhook subscriptions. Their deliveries are outbound exchanges (pohub.exchanges), written in the
same transaction as the event that causes them, with every attempt to send them."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from pohub.db.base import AwareDateTime, metadata

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("company_id", Integer, ForeignKey("companies.id", ondelete="CASCADE"), nullable=False),
    Column("address", String(2000), nullable=False),
    Column("topic", String(100), nullable=False),
    Column("format", String(20), nullable=False),
    Column("enabled", Boolean, nullable=False),
    # Sealed with the server's secret key (pohub.webhooks.secrets): needed in clear to sign.
    Column("secret_sealed", Text, nullable=False),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("updated_at", AwareDateTime(), nullable=False),
    Index("ix_webhook_subscriptions_company", "company_id", "topic"),
)
