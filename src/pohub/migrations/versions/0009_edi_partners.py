"""edi partners: partner profiles, control numbers per partner, interchanges received

Revision ID: edi_partners
Revises: inventory
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pohub.db.base

revision = "edi_partners"
down_revision = "inventory"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "edi_partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("counterparty_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("standard", sa.String(length=10), nullable=False),
        sa.Column("version", sa.String(length=10), nullable=False),
        sa.Column("their_qualifier", sa.String(length=4), nullable=False),
        sa.Column("their_id", sa.String(length=35), nullable=False),
        sa.Column("our_qualifier", sa.String(length=4), nullable=False),
        sa.Column("our_id", sa.String(length=35), nullable=False),
        sa.Column("their_group_id", sa.String(length=15), nullable=False),
        sa.Column("our_group_id", sa.String(length=15), nullable=False),
        sa.Column("usage", sa.String(length=1), nullable=False),
        sa.Column("expects_997", sa.Boolean(), nullable=False),
        sa.Column("ack_within_minutes", sa.Integer(), nullable=False),
        sa.Column("transport", sa.String(length=10), nullable=False),
        sa.Column("as2_url", sa.String(length=500), nullable=True),
        sa.Column("as2_their_id", sa.String(length=128), nullable=True),
        sa.Column("as2_our_id", sa.String(length=128), nullable=True),
        sa.Column("as2_settings", sa.String(length=4000), nullable=True),
        sa.Column("folder", sa.String(length=500), nullable=True),
        sa.Column("created_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_edi_partners_company_id_companies"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["counterparty_id"],
            ["companies.id"],
            name=op.f("fk_edi_partners_counterparty_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edi_partners")),
        sa.UniqueConstraint("company_id", "counterparty_id", name="uq_edi_partners_pair"),
        sa.UniqueConstraint(
            "company_id",
            "standard",
            "their_qualifier",
            "their_id",
            "our_qualifier",
            "our_id",
            name="uq_edi_partners_ids",
        ),
    )
    op.create_table(
        "edi_control_numbers",
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("last", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["edi_partners.id"],
            name=op.f("fk_edi_control_numbers_partner_id_edi_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partner_id", "kind", name=op.f("pk_edi_control_numbers")),
    )
    op.create_table(
        "edi_received",
        sa.Column("id", BigId, nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("control", sa.String(length=14), nullable=False),
        sa.Column("exchange_id", BigId, nullable=True),
        sa.Column("received_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["edi_partners.id"],
            name=op.f("fk_edi_received_partner_id_edi_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edi_received")),
        sa.UniqueConstraint("partner_id", "control", name="uq_edi_received_control"),
    )
    with op.batch_alter_table("edi_received", schema=None) as batch_op:
        batch_op.create_index("ix_edi_received_at", ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_table("edi_received")
    op.drop_table("edi_control_numbers")
    op.drop_table("edi_partners")
