"""exchanges/repository.insert_exchange answers the id of the row it wrote: on SQLite read from the
connection (db/fast.Prepared.rowid, an INSERT without RETURNING), elsewhere from RETURNING, for a
body kept whole and one kept in pieces, interleaved with other rows; Prepared.rowid runs nothing
off SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select

from pohub.db.engine import Database
from pohub.db.fast import Prepared
from pohub.exchanges import outbound
from pohub.exchanges import repository as repo
from pohub.exchanges.models import exchange_chunks, exchanges


class _Undo(Exception):
    """Raised to roll the unit of work back."""


def _row(n: int, raw: bytes) -> dict[str, object]:
    at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    return outbound.outbound_row(
        channel="webhook",
        operation="webhook",
        company_id=n,
        kind=f"rowid-{n}",
        payload=raw,
        content_type="application/json",
        at=at,
    )


async def test_insert_exchange_answers_the_id_it_wrote(db_url: str, backend: str) -> None:
    db = Database(db_url, pool_size=1)
    big = b"x" * (repo.CHUNK_BYTES + 10)
    try:
        with pytest.raises(_Undo):
            async with db.write() as conn:
                ids = []
                for n in range(6):
                    if n % 3 == 1:
                        await outbound.queue(conn, [_row(100 + n, b"{}")])  # another row between
                    ids.append(await repo.insert_exchange(conn, _row(n, big if n == 4 else b'{"n": %d}' % n)))
                stmt = select(exchanges.c.id, exchanges.c.company_id).where(exchanges.c.kind.like("rowid-%"))
                found = {r.company_id: r.id for r in (await conn.execute(stmt)).all() if r.company_id < 100}
                assert [found[n] for n in range(6)] == ids
                assert len(set(ids)) == 6
                pieces = (
                    select(func.count()).select_from(exchange_chunks).where(exchange_chunks.c.exchange_id == ids[4])
                )
                assert (await conn.execute(pieces)).scalar_one() == 2
                assert await repo.chunks_of(conn, exchange_id=ids[4]) == big
                plain = Prepared(insert(exchanges))
                answer = await plain.rowid(conn, _row(99, b"{}"))
                count = select(func.count()).select_from(exchanges).where(exchanges.c.kind == "rowid-99")
                assert (await conn.execute(count)).scalar_one() == (1 if backend == "sqlite" else 0)
                assert (answer is None) == (backend != "sqlite")
                raise _Undo
    finally:
        await db.dispose()
