"""exchanges.outbound.queue writes the rows it is given in one executemany (db/fast.Prepared), each
as given; rows of different shapes are refused as SQLAlchemy's executemany refuses them (never a
column quietly left NULL), on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from pohub.db.engine import Database
from pohub.exchanges import outbound
from pohub.exchanges.models import exchanges


class _Undo(Exception):
    """Raised to roll the unit of work back."""


def _row(n: int, at: datetime) -> dict[str, object]:
    return outbound.outbound_row(
        channel="webhook",
        operation="webhook",
        company_id=None,
        kind=f"queue-test-{n}",
        payload=f'{{"n": {n}}}'.encode(),
        content_type="application/json",
        at=at,
        order_id=n,
    )


async def test_queue_stores_each_row_as_given(db_url: str) -> None:
    db = Database(db_url, pool_size=1)
    at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    try:
        with pytest.raises(_Undo):
            async with db.write() as conn:
                await outbound.queue(conn, [_row(n, at) | {"partner_id": 70 + n} for n in (1, 2, 3)])
                stmt = (
                    select(exchanges.c.kind, exchanges.c.raw, exchanges.c.order_id, exchanges.c.partner_id)
                    .where(exchanges.c.kind.like("queue-test-%"))
                    .order_by(exchanges.c.order_id)
                )
                rows = [tuple(r) for r in (await conn.execute(stmt)).all()]
                assert rows == [(f"queue-test-{n}", f'{{"n": {n}}}'.encode(), n, 70 + n) for n in (1, 2, 3)]
                shorter = _row(5, at)
                del shorter["order_id"]
                async with conn.begin_nested():
                    with pytest.raises(StatementError, match=r"A value is required for bind parameter .order_id."):
                        await outbound.queue(conn, [_row(4, at), shorter])
                raise _Undo
    finally:
        await db.dispose()
