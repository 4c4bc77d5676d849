"""ops: process heartbeats and rate-limit counters

Revision ID: ops
Revises: users
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pohub.db.base

revision = "ops"
down_revision = "users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ops_processes",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("started_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.Column("clock_skew_seconds", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_processes")),
    )
    with op.batch_alter_table("ops_processes", schema=None) as batch_op:
        batch_op.create_index("ix_ops_processes_role_beat", ["role", "beat_at"], unique=False)
    op.create_table(
        "rate_limit_buckets",
        sa.Column("bucket", sa.String(length=200), nullable=False),
        sa.Column("tat", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_rate_limit_buckets")),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_buckets")
    with op.batch_alter_table("ops_processes", schema=None) as batch_op:
        batch_op.drop_index("ix_ops_processes_role_beat")
    op.drop_table("ops_processes")
