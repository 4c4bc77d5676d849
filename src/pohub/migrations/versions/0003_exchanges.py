"""exchanges: one table for every message in or out; refusals and dialect_exchanges move into it

Revision ID: exchanges
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pohub.db.base

revision = "exchanges"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Old dialect operations -> the handlers that receive them now.
OPERATIONS = {
    ("kojo", "acknowledge"): "kojo.acknowledge",
    ("spectrum", "acknowledgement"): "spectrum.order",
    ("spectrum", "order"): "spectrum.order",
    ("spectrum", "acknowledgements"): "spectrum.order",
    ("spectrum", "ship-notification"): "spectrum.ship-notification",
    ("spectrum", "status"): "spectrum.status",
    ("wms", "create"): "wms.order",
    ("wms", "salesOrderAck"): "wms.sales_order_ack",
}


def upgrade() -> None:
    op.create_table(
        "exchanges",
        sa.Column("id", BigId, nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("operation", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("params", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("trace_id", sa.String(length=32), nullable=True),
        sa.Column("document_id", BigId, nullable=True),
        sa.Column("order_id", BigId, nullable=True),
        sa.Column("job_id", BigId, nullable=True),
        sa.Column("parent_id", BigId, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", pohub.db.base.AwareDateTime(timezone=True), nullable=True),
        sa.Column("locked_until", pohub.db.base.AwareDateTime(timezone=True), nullable=True),
        sa.Column("created_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["exchanges.id"], name=op.f("fk_exchanges_parent_id_exchanges"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchanges")),
    )
    with op.batch_alter_table("exchanges", schema=None) as batch_op:
        batch_op.create_index("ix_exchanges_company", ["company_id", "id"], unique=False)
        batch_op.create_index("ix_exchanges_order", ["order_id", "id"], unique=False)
        batch_op.create_index("ix_exchanges_document", ["document_id"], unique=False)
        batch_op.create_index("ix_exchanges_job", ["job_id", "id"], unique=False)
        batch_op.create_index("ix_exchanges_parent", ["parent_id"], unique=False)

    _move_rows()

    with op.batch_alter_table("refusals", schema=None) as batch_op:
        batch_op.drop_index("ix_refusals_order")
    op.drop_table("refusals")
    with op.batch_alter_table("dialect_exchanges", schema=None) as batch_op:
        batch_op.drop_index("ix_dialect_exchanges_job")
        batch_op.drop_index("ix_dialect_exchanges_order")
    op.drop_table("dialect_exchanges")


def _move_rows() -> None:
    bind = op.get_bind()
    to_bytes = "convert_to(raw, 'UTF8')" if bind.dialect.name == "postgresql" else "CAST(raw AS BLOB)"
    # The hub's and the dashboard's refusals (a dialect's were also in dialect_exchanges: taken from there).
    channel = "CASE WHEN path LIKE '/api/%' THEN 'api' WHEN path LIKE '/orders/%' THEN 'dashboard' ELSE 'api' END"
    bind.execute(
        sa.text(
            "INSERT INTO exchanges (direction, channel, operation, kind, company_id, state, raw, params, error, "
            "status_code, order_id, attempts, created_at, updated_at) "
            f"SELECT 'in', {channel}, 'document', kind, company_id, 'refused', raw, NULL, errors, status_code, "
            "order_id, 1, received_at, received_at FROM refusals "
            "WHERE path NOT LIKE '/kojo/%' AND path NOT LIKE '/spectrum/%' AND path NOT LIKE '/wms/%' ORDER BY id"
        )
    )
    operation = (
        "CASE "
        + " ".join(f"WHEN dialect = '{d}' AND operation = '{o}' THEN '{new}'" for (d, o), new in OPERATIONS.items())
        + " ELSE dialect || '.' || operation END"
    )
    bind.execute(
        sa.text(
            "INSERT INTO exchanges (direction, channel, operation, company_id, state, raw, error, status_code, "
            "document_id, order_id, job_id, attempts, created_at, updated_at) "
            f"SELECT 'in', dialect, {operation}, company_id, "
            "CASE WHEN state = 'error' THEN 'refused' ELSE 'applied' END, "
            f"{to_bytes}, error, status_code, document_id, order_id, job_id, 1, created_at, created_at "
            "FROM dialect_exchanges ORDER BY id"
        )
    )


def downgrade() -> None:
    op.create_table(
        "dialect_exchanges",
        sa.Column("id", BigId, nullable=False),
        sa.Column("dialect", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("order_id", BigId, nullable=True),
        sa.Column("document_id", BigId, nullable=True),
        sa.Column("job_id", BigId, nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("created_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialect_exchanges")),
    )
    with op.batch_alter_table("dialect_exchanges", schema=None) as batch_op:
        batch_op.create_index("ix_dialect_exchanges_job", ["job_id", "id"], unique=False)
        batch_op.create_index("ix_dialect_exchanges_order", ["order_id", "id"], unique=False)
    op.create_table(
        "refusals",
        sa.Column("id", BigId, nullable=False),
        sa.Column("received_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("order_id", BigId, nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refusals")),
    )
    with op.batch_alter_table("refusals", schema=None) as batch_op:
        batch_op.create_index("ix_refusals_order", ["order_id"], unique=False)
    # Messages received since the upgrade stay in exchanges' history only (dropped here).
    with op.batch_alter_table("exchanges", schema=None) as batch_op:
        for name in ("ix_exchanges_parent", "ix_exchanges_job", "ix_exchanges_document", "ix_exchanges_order"):
            batch_op.drop_index(name)
        batch_op.drop_index("ix_exchanges_company")
    op.drop_table("exchanges")
