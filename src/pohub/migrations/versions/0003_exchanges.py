"""exchanges: one table for every message in or out; refusals, dialect_exchanges and webhook
deliveries (with their attempts) move into it

Revision ID: exchanges
Revises: 0002
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

import pohub.db.base

revision = "exchanges"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
EXCHANGE_COLUMNS = (
    "id",
    "direction",
    "channel",
    "operation",
    "kind",
    "company_id",
    "endpoint_id",
    "state",
    "content_type",
    "raw",
    "error",
    "status_code",
    "order_id",
    "attempts",
    "next_attempt_at",
    "locked_until",
    "created_at",
    "updated_at",
)
DUE = "direction = 'out' AND state IN ('queued', 'sending')"
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
        sa.Column("endpoint_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("pruned_at", pohub.db.base.AwareDateTime(timezone=True), nullable=True),
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
        batch_op.create_index("ix_exchanges_endpoint", ["endpoint_id", "id"], unique=False)
        batch_op.create_index(
            "ix_exchanges_due",
            ["next_attempt_at", "id"],
            unique=False,
            sqlite_where=sa.text(DUE),
            postgresql_where=sa.text(DUE),
        )
    op.create_table(
        "exchange_attempts",
        sa.Column("id", BigId, nullable=False),
        sa.Column("exchange_id", BigId, nullable=False),
        sa.Column("attempted_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("response_body", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["exchange_id"],
            ["exchanges.id"],
            name=op.f("fk_exchange_attempts_exchange_id_exchanges"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_attempts")),
    )
    with op.batch_alter_table("exchange_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_exchange_attempts_exchange", ["exchange_id", "id"], unique=False)

    _move_deliveries()
    _move_rows()

    with op.batch_alter_table("refusals", schema=None) as batch_op:
        batch_op.drop_index("ix_refusals_order")
    op.drop_table("refusals")
    with op.batch_alter_table("dialect_exchanges", schema=None) as batch_op:
        batch_op.drop_index("ix_dialect_exchanges_job")
        batch_op.drop_index("ix_dialect_exchanges_order")
    op.drop_table("dialect_exchanges")
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_attempts_delivery")
    op.drop_table("webhook_attempts")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_due")
        batch_op.drop_index("ix_webhook_deliveries_subscription")
    op.drop_table("webhook_deliveries")


def _move_deliveries() -> None:
    """Webhook deliveries keep their ids (receivers know them as webhook-id msg_<id>)."""
    bind = op.get_bind()
    old = sa.table(
        "webhook_deliveries",
        *(sa.column(n) for n in ("id", "subscription_id", "topic", "order_id", "payload", "state", "attempts")),
        *(sa.column(n) for n in ("next_attempt_at", "locked_until", "last_status_code", "last_error")),
        *(sa.column(n) for n in ("created_at", "delivered_at")),
    )
    subs = sa.table("webhook_subscriptions", sa.column("id"), sa.column("company_id"))
    new = sa.table("exchanges", *(sa.column(n) for n in EXCHANGE_COLUMNS))
    states = {"pending": "queued", "delivered": "sent"}
    last = 0
    while True:
        stmt = (
            sa.select(old, subs.c.company_id)
            .join(subs, subs.c.id == old.c.subscription_id)
            .where(old.c.id > last)
            .order_by(old.c.id)
            .limit(1000)
        )
        rows = bind.execute(stmt).all()
        if not rows:
            break
        last = rows[-1].id
        bind.execute(
            new.insert(),
            [
                {
                    "id": r.id,
                    "direction": "out",
                    "channel": "webhook",
                    "operation": "webhook",
                    "kind": r.topic,
                    "company_id": r.company_id,
                    "endpoint_id": r.subscription_id,
                    "state": states.get(r.state, r.state),
                    "content_type": "application/json",
                    "raw": r.payload.encode(),
                    "error": None
                    if r.last_error is None
                    else json.dumps({"Code": r.last_status_code, "Message": r.last_error}),
                    "status_code": r.last_status_code,
                    "order_id": r.order_id,
                    "attempts": r.attempts,
                    "next_attempt_at": r.next_attempt_at,
                    "locked_until": r.locked_until,
                    "created_at": r.created_at,
                    "updated_at": r.delivered_at or r.created_at,
                }
                for r in rows
            ],
        )
    bind.execute(
        sa.text(
            "INSERT INTO exchange_attempts (exchange_id, attempted_at, duration_ms, status_code, error, response_body) "
            "SELECT delivery_id, attempted_at, duration_ms, status_code, error, response_body "
            "FROM webhook_attempts ORDER BY id"
        )
    )
    if bind.dialect.name == "postgresql":
        # Rows were given ids: the sequence goes on after them.
        bind.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('exchanges', 'id'), "
                "COALESCE((SELECT max(id) FROM exchanges), 0) + 1, false)"
            )
        )


def _webhook_tables() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", BigId, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("order_id", BigId, nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", pohub.db.base.AwareDateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", pohub.db.base.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_deliveries_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_webhook_deliveries_subscription", ["subscription_id", "id"], unique=False)
    op.create_table(
        "webhook_attempts",
        sa.Column("id", BigId, nullable=False),
        sa.Column("delivery_id", BigId, nullable=False),
        sa.Column("attempted_at", pohub.db.base.AwareDateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("response_body", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_attempts_delivery", ["delivery_id", "id"], unique=False)


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
    # Messages received since the upgrade stay in exchanges' history only (dropped here); webhook
    # deliveries start anew.
    _webhook_tables()
    with op.batch_alter_table("exchange_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_exchange_attempts_exchange")
    op.drop_table("exchange_attempts")
    with op.batch_alter_table("exchanges", schema=None) as batch_op:
        batch_op.drop_index("ix_exchanges_due")
        batch_op.drop_index("ix_exchanges_endpoint")
        for name in ("ix_exchanges_parent", "ix_exchanges_job", "ix_exchanges_document", "ix_exchanges_order"):
            batch_op.drop_index(name)
        batch_op.drop_index("ix_exchanges_company")
    op.drop_table("exchanges")
