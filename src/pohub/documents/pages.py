"""A page of orders for the plain search (by status or none, either side of the order: the Step 1
search), in statements built once, with what documents/wire.py fills an order in from.

repository.search builds its statements for each request from the filters given, which costs about
as much as running them; the plain search takes the same page, in the same order, with the same
total, from statements kept here. Any other filter goes to repository.search.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.documents import repository as repo
from pohub.documents import wire
from pohub.documents.models import documents

D = documents.c


def _status_filter(statuses: int) -> list[Any]:
    """No filter, one status, or several (0, 1 or 2)."""
    if statuses == 0:
        return []
    if statuses == 1:
        return [D.status == bindparam("status")]
    return [D.status.in_(bindparam("statuses", expanding=True))]


@cache
def _statements(statuses: int) -> tuple[Select[Any], Select[Any]]:
    """(the page, the total) for the orders the company received or sent: as repository.search,
    one index range per side, each cut at the rows the page could need, merged by id."""
    sides = [D.receiver_company_id, D.sender_company_id]
    arms = [[D.kind == "order", *_status_filter(statuses), side == bindparam("me")] for side in sides]
    merged = union_all(
        *(select(D.id).where(*arm).order_by(D.id).limit(bindparam("enough")).subquery().select() for arm in arms)
    ).subquery()
    ids = select(merged.c.id).order_by(merged.c.id).limit(bindparam("size")).offset(bindparam("offset"))
    page = select(*wire.PAGE_COLUMNS).where(D.id.in_(ids.scalar_subquery())).order_by(D.id)
    counts = [select(func.count()).select_from(documents).where(*arm).scalar_subquery() for arm in arms]
    return page, select(counts[0] + counts[1])


def is_plain(q: repo.Search) -> bool:
    """Orders by status (or none) on either side: what the statements here answer."""
    return (
        q.kind == "order"
        and q.sender_id is None
        and q.receiver_id is None
        and q.partner_po is None
        and q.source_key is None
        and q.link_key is None
        and q.date_from is None
        and q.date_to is None
    )


async def orders(conn: AsyncConnection, q: repo.Search) -> tuple[Sequence[Any], int]:
    """The page's orders (with wire.PAGE_COLUMNS), oldest first, and the total: repository.search's."""
    if not is_plain(q):
        return await repo.search(conn, q, columns=wire.PAGE_COLUMNS)
    page, count = _statements(min(len(q.statuses), 2))
    offset = (q.page - 1) * q.page_size
    params: dict[str, Any] = {"me": q.company_id}
    if len(q.statuses) == 1:
        params["status"] = q.statuses[0]
    elif q.statuses:
        params["statuses"] = list(q.statuses)
    rows = (
        await conn.execute(page, {**params, "enough": offset + q.page_size, "size": q.page_size, "offset": offset})
    ).all()
    if q.page == 1 and len(rows) < q.page_size:
        return rows, len(rows)
    return rows, int((await conn.execute(count, params)).scalar_one())
