"""Webhook subscriptions, the deliveries the outbox writes, and every attempt to send one.

The tables are the truth, not a broker: a delivery row is written in the same transaction as the
event that causes it, and the worker sends what is due.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from pohub.db.base import AwareDateTime, BigId, metadata

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

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("subscription_id", Integer, ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("topic", String(100), nullable=False),
    Column("order_id", BigId, nullable=True),
    Column("payload", Text, nullable=False),
    # pending -> delivered | dead; a replay puts it back to pending.
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", AwareDateTime(), nullable=False),
    Column("locked_until", AwareDateTime(), nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(1000), nullable=True),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("delivered_at", AwareDateTime(), nullable=True),
    Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("delivery_id", BigId, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("attempted_at", AwareDateTime(), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", String(1000), nullable=True),
    Column("response_body", String(2000), nullable=True),
    Index("ix_webhook_attempts_delivery", "delivery_id", "id"),
)
