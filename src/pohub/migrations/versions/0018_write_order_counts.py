"""write_order_counts: on SQLite, each order_counts trigger (migration 0015 read_path) runs one
upsert of all its rows instead of one upsert per row: a PO's insert one statement of two rows in
place of two, a status move one of four in place of four (the rows, their order and the counts as
before; docs/performance.md, "SQLite statements per document (stop 22)"). PostgreSQL's trigger is
unchanged (it runs two statements of two rows already, and one statement there may not upsert the
same counter row twice, which a party's change on one side does).

Revision ID: write_order_counts
Revises: write_volume
"""

from __future__ import annotations

from alembic import op

revision = "write_order_counts"
down_revision = "write_volume"
branch_labels = None
depends_on = None

_UPSERT = (
    "INSERT INTO order_counts (company_id, side, status, shard, n) {rows} "
    "ON CONFLICT (company_id, side, status, shard) DO UPDATE SET n = order_counts.n + excluded.n"
)
_MOVED = (
    "OLD.kind IS NOT NEW.kind OR OLD.status IS NOT NEW.status "
    "OR OLD.sender_company_id IS NOT NEW.sender_company_id OR OLD.receiver_company_id IS NOT NEW.receiver_company_id"
)
_SIDES = (("receiver_company_id", "r"), ("sender_company_id", "s"))
_NAMES = ("order_counts_insert", "order_counts_delete", "order_counts_update")


def _triggers(insert: str, delete: str, update: str) -> list[str]:
    return [
        f"CREATE TRIGGER order_counts_insert AFTER INSERT ON documents WHEN NEW.kind = 'order' BEGIN {insert}; END",
        f"CREATE TRIGGER order_counts_delete AFTER DELETE ON documents WHEN OLD.kind = 'order' BEGIN {delete}; END",
        "CREATE TRIGGER order_counts_update AFTER UPDATE OF kind, status, sender_company_id, receiver_company_id "
        f"ON documents WHEN (OLD.kind = 'order' OR NEW.kind = 'order') AND ({_MOVED}) BEGIN {update}; END",
    ]


def _values(row: str, n: int) -> str:
    """The receiver's and the sender's counter rows of the OLD or NEW row."""
    return ", ".join(f"({row}.{column}, '{side}', {row}.status, 0, {n})" for column, side in _SIDES)


def _selects(row: str, n: int) -> list[str]:
    """The same rows as one-row SELECTs, each only when the row is an order (the WHERE also keeps the
    upsert's SELECT form unambiguous)."""
    return [
        f"SELECT {row}.{column}, '{side}', {row}.status, 0, {n} WHERE {row}.kind = 'order'" for column, side in _SIDES
    ]


def _folded() -> list[str]:
    # Rows in 0015's order (OLD receiver, OLD sender, NEW receiver, NEW sender): SQLite upserts them
    # one after the other, so two that meet on one counter (a party changed on the other side) add
    # up exactly as 0015's separate statements did.
    return _triggers(
        _UPSERT.format(rows=f"VALUES {_values('NEW', 1)}"),
        _UPSERT.format(rows=f"VALUES {_values('OLD', -1)}"),
        _UPSERT.format(rows=" UNION ALL ".join(_selects("OLD", -1) + _selects("NEW", 1))),
    )


def _read_path() -> list[str]:
    """0015's triggers, one upsert per row (for the downgrade)."""
    old = "; ".join(_UPSERT.format(rows=s) for s in _selects("OLD", -1))
    new = "; ".join(_UPSERT.format(rows=s) for s in _selects("NEW", 1))
    return _triggers(new, old, f"{old}; {new}")


def _replace(statements: list[str]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in _NAMES:
        op.execute(f"DROP TRIGGER {name}")
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _replace(_folded())


def downgrade() -> None:
    _replace(_read_path())
