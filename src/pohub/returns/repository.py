"""Queries of returns; never commits (the unit of work belongs to the caller)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.documents.models import documents
from pohub.returns.lines import NewReturnLine, ReturnLineChange
from pohub.returns.models import return_details, return_lines, return_receipts

D = documents.c
RL = return_lines.c
RD = return_details.c


async def lock_return(conn: AsyncConnection, *, return_id: int) -> Any:
    """The return's row, locked (taken after its order's lock, the one order of locks)."""
    stmt = select(documents).where(D.id == return_id, D.kind == "return").with_for_update()
    return (await conn.execute(stmt)).first()


async def insert_lines(conn: AsyncConnection, *, return_id: int, lines: Sequence[NewReturnLine]) -> None:
    if lines:
        await conn.execute(insert(return_lines), [line.row(return_id) for line in lines])


async def insert_details(conn: AsyncConnection, *, return_id: int) -> None:
    await conn.execute(insert(return_details).values(return_id=return_id))


async def lines_of(conn: AsyncConnection, *, return_id: int) -> list[Any]:
    stmt = select(return_lines).where(RL.return_id == return_id).order_by(RL.position)
    return list((await conn.execute(stmt)).all())


async def lines_of_returns(conn: AsyncConnection, *, return_ids: Sequence[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {rid: [] for rid in return_ids}
    if return_ids:
        stmt = select(return_lines).where(RL.return_id.in_(list(return_ids))).order_by(RL.return_id, RL.position)
        for row in (await conn.execute(stmt)).all():
            out[row.return_id].append(row)
    return out


async def details_of(conn: AsyncConnection, *, return_ids: Sequence[int]) -> dict[int, Any]:
    if not return_ids:
        return {}
    stmt = select(return_details).where(RD.return_id.in_(list(return_ids)))
    return {row.return_id: row for row in (await conn.execute(stmt)).all()}


async def order_returns(conn: AsyncConnection, *, order_id: int) -> list[tuple[int, Any]]:
    """(status, line) for every line of every return of the order: what earlier returns hold."""
    stmt = (
        select(D.status, return_lines)
        .join(return_lines, RL.return_id == D.id)
        .where(D.order_id == order_id, D.kind == "return")
    )
    return [(row.status, row) for row in (await conn.execute(stmt)).all()]


async def update_line(conn: AsyncConnection, change: ReturnLineChange) -> None:
    await conn.execute(update(return_lines).where(RL.id == change.line_id).values(**change.values()))


async def set_rma_number(conn: AsyncConnection, *, return_id: int, rma_number: str) -> None:
    await conn.execute(update(return_details).where(RD.return_id == return_id).values(rma_number=rma_number))


async def set_rejection_reason(conn: AsyncConnection, *, return_id: int, reason: str) -> None:
    await conn.execute(update(return_details).where(RD.return_id == return_id).values(rejection_reason=reason))


async def set_status(conn: AsyncConnection, *, return_id: int, status: int, at: Any) -> None:
    await conn.execute(update(documents).where(D.id == return_id).values(status=status, updated_at=at))


async def receipt(conn: AsyncConnection, *, return_id: int, number: str) -> Any:
    """The receipt of this return under this ReceiptNumber, if one was applied."""
    stmt = select(return_receipts).where(return_receipts.c.return_id == return_id, return_receipts.c.number == number)
    return (await conn.execute(stmt)).first()


async def insert_receipt(conn: AsyncConnection, *, return_id: int, number: str, body_hash: str, at: Any) -> None:
    values = {"return_id": return_id, "number": number, "body_hash": body_hash, "created_at": at}
    await conn.execute(insert(return_receipts).values(**values))
