"""EDI partner profiles, their control numbers, and the interchanges already received from them.

A profile is one trading relationship seen from pohub: ``company_id`` is the pohub company that
speaks EDI (its API key posts to ``/edi``), ``counterparty_id`` the company it trades with through
pohub, ``role`` what ``company_id`` is in that pair (``buyer`` or ``supplier``).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pohub.db.base import AwareDateTime, BigId, metadata

edi_partners = Table(
    "edi_partners",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("company_id", Integer, ForeignKey("companies.id", ondelete="CASCADE"), nullable=False),
    Column("counterparty_id", Integer, ForeignKey("companies.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(10), nullable=False),  # buyer | supplier: what company_id is
    Column("standard", String(10), nullable=False),  # x12 | edifact
    Column("version", String(10), nullable=False),  # 004010 | 005010 | D96A
    # The EDI company's identity (ISA05/06, GS02; UNB 0007/0004) and pohub's on its behalf
    # (ISA07/08, GS03; UNB 0007/0010).
    Column("their_qualifier", String(4), nullable=False),
    Column("their_id", String(35), nullable=False),
    Column("our_qualifier", String(4), nullable=False),
    Column("our_id", String(35), nullable=False),
    Column("their_group_id", String(15), nullable=False),  # GS02 they send (GS03 of what we send)
    Column("our_group_id", String(15), nullable=False),
    Column("usage", String(1), nullable=False),  # P production | T test (ISA15, UNB 0035)
    Column("expects_997", Boolean, nullable=False),  # do they answer our groups with 997 / CONTRL
    Column("ack_within_minutes", Integer, nullable=False),  # overdue after this
    Column("transport", String(10), nullable=False),  # api | as2 | folder
    Column("as2_url", String(500), nullable=True),
    Column("as2_their_id", String(128), nullable=True),
    Column("as2_our_id", String(128), nullable=True),
    Column("as2_settings", String(4000), nullable=True),  # JSON: signing, encryption, MDN mode
    Column("folder", String(500), nullable=True),
    Column("guide", Text, nullable=True),  # JSON: the partner's implementation guide (edi/guides.py)
    Column("created_at", AwareDateTime(), nullable=False),
    UniqueConstraint("company_id", "counterparty_id", name="uq_edi_partners_pair"),
    UniqueConstraint(
        "company_id", "standard", "their_qualifier", "their_id", "our_qualifier", "our_id", name="uq_edi_partners_ids"
    ),
)

# The last control number used per partner and kind (isa, gs, st, unb, unh): allocated under the
# row's lock (UPDATE ... RETURNING), so two processes never hand out the same number.
edi_control_numbers = Table(
    "edi_control_numbers",
    metadata,
    Column("partner_id", Integer, ForeignKey("edi_partners.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(4), primary_key=True),
    Column("last", BigId, nullable=False),
)

# Interchanges received, by the sender's control number (ISA13, UNB 0020): the same one again within
# the window is a duplicate and is not applied twice.
edi_received = Table(
    "edi_received",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("partner_id", Integer, ForeignKey("edi_partners.id", ondelete="CASCADE"), nullable=False),
    Column("control", String(14), nullable=False),
    Column("exchange_id", BigId, nullable=True),
    Column("received_at", AwareDateTime(), nullable=False),
    UniqueConstraint("partner_id", "control", name="uq_edi_received_control"),
    Index("ix_edi_received_at", "received_at"),
)
