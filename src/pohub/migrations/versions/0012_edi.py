"""edi_partners.guide: a partner's implementation guide (required segments, allowed codes per set),
checked on what it sends and on what pohub sends it

Revision ID: edi
Revises: lifecycle
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "edi"
down_revision = "lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("edi_partners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guide", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("edi_partners", schema=None) as batch_op:
        batch_op.drop_column("guide")
