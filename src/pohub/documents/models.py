"""Every document the hub holds, in one table: orders, acknowledgements, shipments, invoices.

One table gives one key space (a LogicbrokerKey names exactly one document of any kind), one
search, and one duplicate rule. Each row keeps the body exactly as received (``raw``) beside the
columns queries need. Order lines carry the per-line quantities the lifecycle is derived from.
"""

from __future__ import annotations

import re

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
    text,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from pohub.db.base import AwareDateTime, BigId, MoneyColumn, metadata

documents = Table(
    "documents",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("sender_company_id", Integer, ForeignKey("companies.id"), nullable=False),
    Column("receiver_company_id", Integer, ForeignKey("companies.id"), nullable=False),
    Column("order_id", BigId, ForeignKey("documents.id"), nullable=True),
    Column("partner_po", String(100), nullable=True),
    # AcknowledgementNumber / ShipmentNumber / InvoiceNumber; OrderNumber for orders.
    Column("number", String(100), nullable=True),
    Column("source_key", String(100), nullable=True),
    Column("link_key", String(100), nullable=True),
    Column("status", Integer, nullable=False),
    Column("document_date", AwareDateTime(), nullable=False),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("updated_at", AwareDateTime(), nullable=False),
    Column("total", MoneyColumn, nullable=True),
    Column("body_hash", String(64), nullable=False),
    Column("raw", Text, nullable=False),
    # Fields the order's buyer sent after the order (a Spectrum full order's addresses after its
    # acknowledgement), as a canonical JSON object laid over raw when the order is read; raw itself
    # never changes (documents/render.overlay).
    Column("details", Text, nullable=True),
    # Every number in raw reads back exactly as a float: the fast JSON path may render it.
    Column("float_safe", Boolean, nullable=False, server_default=true()),
    # An order's answer rendered when it was written, with slots for what changes (documents/wire.py).
    Column("wire", Text, nullable=True),
    Index("ix_documents_receiver", "kind", "receiver_company_id", "status", "id"),
    Index("ix_documents_sender", "kind", "sender_company_id", "status", "id"),
    # An order's documents, and the rule that a sender uses a document number once per order and
    # kind (uq_documents_number until migration 0019 merged the two: they held the same rows). An
    # order's own order_id is NULL: orders are left out (every query asks for an order_id).
    Index(
        "ix_documents_order",
        "order_id",
        "kind",
        "sender_company_id",
        "number",
        unique=True,
        sqlite_where=text("order_id IS NOT NULL"),
        postgresql_where=text("order_id IS NOT NULL"),
    ),
    Index("ix_documents_partner_po", "partner_po"),
    # A buyer sends a PartnerPO to a supplier once.
    Index(
        "uq_documents_order_po",
        "sender_company_id",
        "receiver_company_id",
        "partner_po",
        unique=True,
        sqlite_where=text("kind = 'order'"),
        postgresql_where=text("kind = 'order'"),
    ),
)

_KIND_NAME = re.compile(r"[a-z_]{1,40}")


def kind_literal(kind: str) -> ColumnElement[str]:
    """A document kind written into the statement, never bound: on SQLite a parameter compared with
    the literal of a partial index's condition (uq_documents_order_po: kind = 'order')
    makes the statement depend on the value bound, so sqlite3
    prepares it again on every execution (parse and plan: three fifths of GET one's database part).
    Kinds are pohub's own names (documents.kinds), never a caller's text."""
    if not _KIND_NAME.fullmatch(kind):
        raise ValueError(f"not a document kind: {kind!r}")
    return literal_column(f"'{kind}'", String)


TOUCHED_LINE = (
    "qty_accepted != 0 OR qty_backordered != 0 OR qty_cancelled != 0 OR qty_shipped != 0 "
    "OR qty_invoiced != 0 OR changed_at IS NOT NULL"
)
order_lines = Table(
    "order_lines",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("order_id", BigId, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("line_number", String(50), nullable=False),  # as sent
    # "01", "1" and 1 are the same line; casefolding can triple the length of the 50 characters sent.
    Column("line_key", String(150), nullable=False),
    Column("supplier_sku", String(100), nullable=True),
    Column("partner_sku", String(100), nullable=True),
    Column("description", String(500), nullable=True),
    Column("uom", String(20), nullable=True),
    Column("price", MoneyColumn, nullable=True),
    Column("quantity", Integer, nullable=False),
    Column("qty_accepted", Integer, nullable=False, default=0),
    Column("qty_backordered", Integer, nullable=False, default=0),
    Column("qty_cancelled", Integer, nullable=False, default=0),
    Column("qty_shipped", Integer, nullable=False, default=0),
    Column("qty_invoiced", Integer, nullable=False, default=0),
    Column("ack_price", MoneyColumn, nullable=True),
    Column("change_reason", String(200), nullable=True),
    # Set by a buyer's change (the order's body keeps what was first sent).
    Column("requested_ship_date", AwareDateTime(), nullable=True),
    Column("changed_at", AwareDateTime(), nullable=True),
    UniqueConstraint("order_id", "line_key", name="uq_order_lines_order_line"),
    # The lines a read must look at (documents/wire.py, _IS_TOUCHED: written the same, so both
    # databases' planners match it): a page of orders nobody has answered finds none without
    # reading their lines.
    Index(
        "ix_order_lines_touched",
        "order_id",
        sqlite_where=text(TOUCHED_LINE),
        postgresql_where=text(TOUCHED_LINE),
    ),
)

# How many orders each company has received ("r") and sent ("s") in each status: the search's total
# (TotalRecords) without counting the matching rows on every page. Kept by triggers on documents
# (migration 0015 read_path), so every write of any code moves it in the same transaction; the count
# is the sum over ``shard``: on PostgreSQL each server connection (backend) writes rows of its own,
# so concurrent writers never wait on one counter row (nor deadlock on two); on SQLite, one writer,
# shard 0. A migration that rebuilds documents on SQLite (batch mode) drops its triggers and must
# create them again (tests/integration/test_order_counts.py fails otherwise).
order_counts = Table(
    "order_counts",
    metadata,
    Column("company_id", Integer, nullable=False),
    Column("side", String(1), nullable=False),
    Column("status", Integer, nullable=False),
    Column("shard", Integer, nullable=False),
    Column("n", BigInteger, nullable=False),
    PrimaryKeyConstraint("company_id", "side", "status", "shard"),
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("order_id", BigId, ForeignKey("documents.id", ondelete="CASCADE"), nullable=True),
    Column("document_id", BigId, nullable=True),
    Column("document_type", String(20), nullable=True),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("type_id", Integer, nullable=False),
    Column("level", String(20), nullable=False),
    Column("category", String(50), nullable=False),
    Column("summary", String(500), nullable=False),
    Column("details", Text, nullable=True),
    Column("sender_id", Integer, nullable=True),
    Column("receiver_id", Integer, nullable=True),
    # The person behind a dashboard action (pohub.core.actor); None for API keys and machines.
    Column("actor", String(200), nullable=True),
    Index("ix_events_order", "order_id", "id"),
)
