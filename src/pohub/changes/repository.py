"""Queries of changes and the order-line writes a change makes; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.changes.lines import ChangeLineOutcome, NewChangeLine, NewOrderLine, OrderLineEdit
from pohub.changes.models import change_lines
from pohub.documents.models import documents, order_lines

D = documents.c
CL = change_lines.c
L = order_lines.c


async def insert_lines(conn: AsyncConnection, *, change_id: int, lines: Sequence[NewChangeLine]) -> None:
    if lines:
        await conn.execute(insert(change_lines), [line.row(change_id) for line in lines])


async def lines_of(conn: AsyncConnection, *, change_id: int) -> list[Any]:
    stmt = select(change_lines).where(CL.change_id == change_id).order_by(CL.position)
    return list((await conn.execute(stmt)).all())


async def lines_of_changes(conn: AsyncConnection, *, change_ids: list[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {cid: [] for cid in change_ids}
    if change_ids:
        stmt = select(change_lines).where(CL.change_id.in_(change_ids)).order_by(CL.change_id, CL.position)
        for row in (await conn.execute(stmt)).all():
            out[row.change_id].append(row)
    return out


async def set_line(conn: AsyncConnection, outcome: ChangeLineOutcome) -> None:
    await conn.execute(update(change_lines).where(CL.id == outcome.line_id).values(**outcome.values()))


async def lock_change(conn: AsyncConnection, *, change_id: int) -> Any:
    stmt = select(documents).where(D.id == change_id, D.kind == "change").with_for_update()
    return (await conn.execute(stmt)).first()


async def set_status(conn: AsyncConnection, *, change_id: int, status: int, at: Any) -> None:
    await conn.execute(update(documents).where(D.id == change_id).values(status=status, updated_at=at))


async def update_order_line(conn: AsyncConnection, edit: OrderLineEdit) -> None:
    await conn.execute(update(order_lines).where(L.id == edit.line_id).values(**edit.values()))


async def add_order_line(conn: AsyncConnection, line: NewOrderLine) -> int:
    """A line the buyer added, after the order's last one."""
    last = (await conn.execute(select(func.max(L.position)).where(L.order_id == line.order_id))).scalar()
    result = await conn.execute(
        insert(order_lines).values(**line.row(), position=(last if last is not None else -1) + 1).returning(L.id)
    )
    return int(result.scalar_one())
