"""The read path at a million orders: a partial index on the order lines whose figures the hub has
changed (or a buyer's change rewrote), so filling a page of orders from their templates
(documents/wire.py) finds the few lines it needs without reading every line; and order_counts, the
orders each company received and sent in each status, kept by triggers on documents, so a search
page's total is a sum of a few rows instead of a count of every matching order

Revision ID: read_path
Revises: search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "read_path"
down_revision = "search"
branch_labels = None
depends_on = None

# As documents.models.TOUCHED_LINE when this revision was written (a migration keeps its own copy).
_TOUCHED = (
    "qty_accepted != 0 OR qty_backordered != 0 OR qty_cancelled != 0 OR qty_shipped != 0 "
    "OR qty_invoiced != 0 OR changed_at IS NOT NULL"
)
_UPSERT = (
    "INSERT INTO order_counts (company_id, side, status, shard, n) {rows} "
    "ON CONFLICT (company_id, side, status, shard) DO UPDATE SET n = order_counts.n + excluded.n"
)
_MOVED = (
    "OLD.kind IS NOT NEW.kind OR OLD.status IS NOT NEW.status "
    "OR OLD.sender_company_id IS NOT NEW.sender_company_id OR OLD.receiver_company_id IS NOT NEW.receiver_company_id"
)


def _sqlite_rows(row: str, n: int) -> list[str]:
    """SQLite: one upsert per side for the OLD or NEW row, when it is an order (the WHERE keeps
    the upsert's SELECT form unambiguous)."""
    return [
        _UPSERT.format(rows=f"SELECT {row}.{column}, '{side}', {row}.status, 0, {n} WHERE {row}.kind = 'order'")
        for column, side in (("receiver_company_id", "r"), ("sender_company_id", "s"))
    ]


def _sqlite() -> list[str]:
    old, new = _sqlite_rows("OLD", -1), _sqlite_rows("NEW", 1)
    return [
        "CREATE TRIGGER order_counts_insert AFTER INSERT ON documents WHEN NEW.kind = 'order' "
        f"BEGIN {'; '.join(new)}; END",
        "CREATE TRIGGER order_counts_delete AFTER DELETE ON documents WHEN OLD.kind = 'order' "
        f"BEGIN {'; '.join(old)}; END",
        "CREATE TRIGGER order_counts_update AFTER UPDATE OF kind, status, sender_company_id, receiver_company_id "
        f"ON documents WHEN (OLD.kind = 'order' OR NEW.kind = 'order') AND ({_MOVED}) "
        f"BEGIN {'; '.join(old + new)}; END",
    ]


def _postgresql() -> list[str]:
    def rows(row: str, n: int) -> str:
        return _UPSERT.format(
            rows=f"VALUES ({row}.receiver_company_id, 'r', {row}.status, backend, {n}), "
            f"({row}.sender_company_id, 's', {row}.status, backend, {n})"
        )

    return [
        # Each backend adds to rows of its own (shard = its pid): a backend runs one transaction at a
        # time, so no two transactions ever hold the same counter row.
        "CREATE FUNCTION order_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "DECLARE backend integer := pg_backend_pid();\n"
        "BEGIN\n"
        f"  IF TG_OP <> 'INSERT' AND OLD.kind = 'order' THEN {rows('OLD', -1)}; END IF;\n"
        f"  IF TG_OP <> 'DELETE' AND NEW.kind = 'order' THEN {rows('NEW', 1)}; END IF;\n"
        "  RETURN NULL;\n"
        "END $$",
        "CREATE TRIGGER order_counts_insert_delete AFTER INSERT OR DELETE ON documents "
        "FOR EACH ROW EXECUTE FUNCTION order_counts_move()",
        "CREATE TRIGGER order_counts_update AFTER UPDATE OF kind, status, sender_company_id, receiver_company_id "
        f"ON documents FOR EACH ROW WHEN ({_MOVED.replace('IS NOT', 'IS DISTINCT FROM')}) "
        "EXECUTE FUNCTION order_counts_move()",
    ]


def upgrade() -> None:
    op.create_index(
        "ix_order_lines_touched",
        "order_lines",
        ["order_id"],
        sqlite_where=sa.text(_TOUCHED),
        postgresql_where=sa.text(_TOUCHED),
    )
    op.create_table(
        "order_counts",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=1), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "side", "status", "shard"),
    )
    # The orders already stored (pohub is stopped while it migrates: nothing writes meanwhile).
    for column, side in (("receiver_company_id", "r"), ("sender_company_id", "s")):
        op.execute(
            f"INSERT INTO order_counts (company_id, side, status, shard, n) SELECT {column}, '{side}', status, 0, "
            f"count(*) FROM documents WHERE kind = 'order' GROUP BY {column}, status"
        )
    for statement in _sqlite() if op.get_bind().dialect.name == "sqlite" else _postgresql():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("order_counts_insert", "order_counts_delete", "order_counts_update"):
            op.execute(f"DROP TRIGGER {name}")
    else:
        op.execute("DROP TRIGGER order_counts_insert_delete ON documents")
        op.execute("DROP TRIGGER order_counts_update ON documents")
        op.execute("DROP FUNCTION order_counts_move()")
    op.drop_table("order_counts")
    op.drop_index("ix_order_lines_touched", table_name="order_lines")
