"""The exchanges table: one row per message received or sent, on any channel.

Inbound:  received -> applied | duplicate | refused | failed   (a retry of refused/failed runs it again)
Outbound: queued -> sending -> sent -> acknowledged | failed | dead   (a retry puts it back to queued)
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text, text

from pohub.db.base import AwareDateTime, BigId, metadata

# Indexed only where the first column is set (index name suffix: columns).
REFERENCES = {
    "order": ("order_id", "id"),
    "document": ("document_id",),
    "job": ("job_id", "id"),
    "parent": ("parent_id",),
    "endpoint": ("endpoint_id", "id"),
}


def _where_set(name: str, *columns: str) -> Index:
    where = text(f"{columns[0]} IS NOT NULL")
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


exchanges = Table(
    "exchanges",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("direction", String(3), nullable=False),  # in | out
    Column("channel", String(20), nullable=False),  # api, dashboard, kojo, spectrum, wms, webhook, x12 ...
    Column("operation", String(50), nullable=False),  # the registered handler (in) or sender (out)
    Column("kind", String(30), nullable=True),  # a document kind, or what else the message is (status, job)
    # Whose message it is: the sender of an inbound one, the company an outbound one is for.
    Column("company_id", Integer, nullable=True),
    Column("partner_id", Integer, nullable=True),  # the other party, when known
    # Where an outbound one goes: a webhook subscription (later: an EDI partner profile).
    Column("endpoint_id", Integer, nullable=True),
    Column("state", String(20), nullable=False),
    Column("content_type", String(200), nullable=True),
    Column("raw", LargeBinary, nullable=True),  # exactly as received or sent; None once pruned
    Column("pruned_at", AwareDateTime(), nullable=True),  # when retention took the body away
    Column("params", Text, nullable=True),  # JSON: what the handler needs besides the body (path key, unit)
    Column("error", Text, nullable=True),  # JSON: the refusal as the API answered it
    Column("status_code", Integer, nullable=True),  # the HTTP answer (in) or the receiver's (out)
    Column("trace_id", String(32), nullable=True),
    Column("document_id", BigId, nullable=True),
    Column("order_id", BigId, nullable=True),
    Column("job_id", BigId, nullable=True),
    Column("parent_id", BigId, ForeignKey("exchanges.id", ondelete="SET NULL"), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", AwareDateTime(), nullable=True),
    Column("locked_until", AwareDateTime(), nullable=True),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("updated_at", AwareDateTime(), nullable=False),
    Index("ix_exchanges_company", "company_id", "id"),
    # The references most exchanges lack are indexed only where set (every query asks for a value):
    # an inbound message then writes none of these indexes when received, and only the order and
    # document ones when its outcome names them (migration 0017 write_volume).
    *(_where_set(f"ix_exchanges_{name}", *columns) for name, columns in REFERENCES.items()),
    # Only what a sender may claim is in this index, so claiming stays cheap however long the
    # history grows; a channel's in the order they are due, so a claim reads no more than it takes.
    Index(
        "ix_exchanges_due",
        "channel",
        "next_attempt_at",
        "id",
        sqlite_where=text("direction = 'out' AND state IN ('queued', 'sending')"),
        postgresql_where=text("direction = 'out' AND state IN ('queued', 'sending')"),
    ),
    # A subscription's (an endpoint's) deliveries go in order: the claim asks whether an earlier one
    # of the same endpoint is still on its way. Pending rows only, so the answer is a short range.
    Index(
        "ix_exchanges_pending_endpoint",
        "channel",
        "endpoint_id",
        "id",
        sqlite_where=text("direction = 'out' AND state IN ('queued', 'sending')"),
        postgresql_where=text("direction = 'out' AND state IN ('queued', 'sending')"),
    ),
)

# Every attempt to send an outbound exchange, kept: what was answered, how long it took.
exchange_attempts = Table(
    "exchange_attempts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("exchange_id", BigId, ForeignKey("exchanges.id", ondelete="CASCADE"), nullable=False),
    Column("attempted_at", AwareDateTime(), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", String(1000), nullable=True),
    Column("response_body", String(2000), nullable=True),
    Index("ix_exchange_attempts_exchange", "exchange_id", "id"),
)

# A large inbound body (a bulk upload) kept in pieces, in order: a driver copies each value it binds
# whole, so one 100 MB value would cost the server that much memory again. The exchange's raw is then
# b"" (repository.py reassembles it when the exchange is read).
exchange_chunks = Table(
    "exchange_chunks",
    metadata,
    Column("exchange_id", BigId, ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)
