"""documents.details: what an order's buyer added after the order itself (a Spectrum full order's
addresses after its acknowledgement), laid over the body as received, which stays unchanged

Revision ID: dialect_gaps
Revises: edi_partners
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "dialect_gaps"
down_revision = "edi_partners"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("details")
