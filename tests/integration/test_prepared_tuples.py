"""db/fast.Prepared.many_tuples (rows given as tuples, stop 27) against Prepared.many of the same
rows as mappings: the same stored rows (exact decimals, NULLs, text), for a new order's lines
(repository.insert_line_tuples) and for line changes (repository.update_line_changes, in
orders/store.LineChange's order), over random values with and without Nones, on both databases."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from pohub.db.engine import Database
from pohub.documents import repository as repo
from pohub.documents.models import order_lines
from pohub.orders.store import LineChange
from pohub.partners import service as partners
from tests.support import order_row


class _Undo(Exception):
    """Raised to roll the unit of work back."""


def _maybe(rnd: random.Random, value: Any) -> Any:
    return None if rnd.random() < 0.3 else value


def _line(rnd: random.Random, order_id: int, i: int) -> tuple[Any, ...]:
    return (
        order_id,
        i,
        f"{i + 1:02d}",
        str(i + 1),
        _maybe(rnd, f"SKU-{rnd.randint(0, 99)}"),
        _maybe(rnd, f"P-{rnd.randint(0, 99)}"),
        _maybe(rnd, "déscription " * rnd.randint(1, 3)),
        _maybe(rnd, "EA"),
        _maybe(rnd, Decimal(rnd.randint(0, 10**8)) / 10 ** rnd.randint(0, 6)),
        rnd.randint(1, 50),
        0,
        0,
        0,
        0,
        0,
    )


def _stored(rows: list[Any]) -> list[tuple[Any, ...]]:
    # Without the line's id and order id; the price's exact digits (Decimal("1.0") == Decimal("1")).
    out = []
    for r in rows:
        values = tuple(r._mapping[c.key] for c in order_lines.c if c.key not in ("id", "order_id"))
        out.append(tuple((type(v), str(v)) if isinstance(v, Decimal) else v for v in values))
    return out


async def _lines_of(conn: Any, order_id: int) -> list[Any]:
    stmt = select(order_lines).where(order_lines.c.order_id == order_id).order_by(order_lines.c.position)
    return list((await conn.execute(stmt)).all())


async def test_rows_as_tuples_store_what_rows_as_mappings_store(db_url: str) -> None:
    rnd = random.Random(2712)
    db = Database(db_url, pool_size=1)
    at = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    try:
        with pytest.raises(_Undo):
            async with db.write() as conn:
                tag = uuid.uuid4().hex[:8]
                buyer = await partners.add_company(conn, name=f"tup-buyer-{tag}")
                supplier = await partners.add_company(conn, name=f"tup-supplier-{tag}")
                for _ in range(12):
                    count = rnd.randint(1, 6)
                    a = await repo.insert_document(conn, order_row(buyer.id, supplier.id, at))
                    b = await repo.insert_document(conn, order_row(buyer.id, supplier.id, at))
                    lines = [_line(rnd, 0, i) for i in range(count)]
                    await repo.insert_line_tuples(conn, [(a, *line[1:]) for line in lines])
                    fields = repo.NEW_LINE_FIELDS
                    await repo.insert_lines(conn, [dict(zip(fields, (b, *line[1:]), strict=True)) for line in lines])
                    rows_a, rows_b = await _lines_of(conn, a), await _lines_of(conn, b)
                    assert _stored(rows_a) == _stored(rows_b)

                    changes = [
                        (
                            rnd.randint(0, 5),
                            rnd.randint(0, 5),
                            rnd.randint(0, 5),
                            rnd.randint(0, 5),
                            rnd.randint(0, 5),
                            _maybe(rnd, Decimal(rnd.randint(0, 10**6)) / 100),
                            _maybe(rnd, rnd.choice(["price agreed", "", "backordered"])),
                        )
                        for _ in range(count)
                    ]
                    await repo.update_line_changes(
                        conn, [LineChange(r.id, *c) for r, c in zip(rows_a, changes, strict=True)]
                    )
                    await repo.update_lines(
                        conn, [LineChange(r.id, *c).row() for r, c in zip(rows_b, changes, strict=True)]
                    )
                    assert _stored(await _lines_of(conn, a)) == _stored(await _lines_of(conn, b))
                raise _Undo
    finally:
        await db.dispose()


def test_a_line_change_is_a_row_in_the_update_statements_order() -> None:
    """orders/apply.py hands LineChange tuples to update_line_changes as they are: their fields must
    be LINE_CHANGE_FIELDS, name for name and in order (a field added or moved on one side only
    would write one figure into another's column)."""
    from pohub.documents.repository import LINE_CHANGE_FIELDS
    from pohub.orders.store import LineChange

    assert LineChange._fields == LINE_CHANGE_FIELDS
