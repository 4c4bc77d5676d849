"""documents.wire: each order's answer rendered when it is written, with slots for the values the
hub changes later (documents/wire.py), so that a search page is filled in rather than re-rendered;
rendered here for the orders already stored

Revision ID: search
Revises: deliveries
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "search"
down_revision = "deliveries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wire", sa.Text(), nullable=True))
    # The orders already stored, in batches (the renderer is the application's: a template must be
    # what the running code would render, and one from other code is ignored when read).
    from pohub.documents import wire

    bind = op.get_bind()
    after = 0
    while rows := bind.execute(wire.STALE, {"after": after, "batch": 2000}).all():
        after = rows[-1].id
        if updates := wire.templates_for(rows):
            bind.execute(wire.SET_WIRE, updates)


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("wire")
