"""exchange_chunks: a large inbound body (a bulk upload) stored in 1 MiB pieces, so that writing it
does not cost the server its size in memory (exchanges/repository.py)

Revision ID: exchange_chunks
Revises: search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "exchange_chunks"
down_revision = "read_path"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_chunks",
        sa.Column(
            "exchange_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("exchanges.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("exchange_id", "seq"),
    )


def downgrade() -> None:
    op.drop_table("exchange_chunks")
