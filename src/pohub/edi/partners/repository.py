"""Queries on EDI partner profiles, control numbers and received interchanges (no commits here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.db import unit_cache
from pohub.db.fast import Prepared
from pohub.edi.partners.models import edi_control_numbers, edi_partners, edi_received
from pohub.partners import pairs

P = edi_partners.c
C = edi_control_numbers.c
R = edi_received.c


async def insert_partner(conn: AsyncConnection, values: dict[str, Any], control_kinds: tuple[str, ...]) -> int:
    unit_cache.forget(conn)  # partners/pairs.py: the unit reads its own write
    partner_id = int((await conn.execute(insert(edi_partners).returning(P.id), values)).scalar_one())
    await conn.execute(
        insert(edi_control_numbers), [{"partner_id": partner_id, "kind": k, "last": 0} for k in control_kinds]
    )
    return partner_id


async def partner_by_id(conn: AsyncConnection, partner_id: int) -> Any:
    return (await conn.execute(select(edi_partners).where(P.id == partner_id))).first()


_OF_PAIR = Prepared(
    select(edi_partners).where(P.company_id == bindparam("company_id"), P.counterparty_id == bindparam("counterparty"))
)
# Looked up for every event a document writes (edi/send.py): read with the pair's partnership and
# webhook subscriptions, once per unit of work (partners/pairs.py).
_BOTH_WAYS = pairs.part("edi_partners", tuple(edi_partners.c), pairs.both_ways(P.company_id, P.counterparty_id))


async def partner_of_pair(conn: AsyncConnection, *, company_id: int, counterparty_id: int) -> Any:
    return await _OF_PAIR.first(conn, {"company_id": company_id, "counterparty": counterparty_id})


async def partner_of_pair_in_unit(conn: AsyncConnection, *, company_id: int, counterparty_id: int) -> Any:
    """As partner_of_pair, from what the unit of work read about the pair (partners/pairs.py)."""
    cache = unit_cache.of(conn)
    if cache is None or cache.sqlite:  # its own statement, one direction only (see pairs.rows)
        key = ("edi_partner", company_id, counterparty_id)
        if cache is not None and key in cache:
            return cache[key]
        row = await partner_of_pair(conn, company_id=company_id, counterparty_id=counterparty_id)
        if cache is not None:
            cache[key] = row
        return row
    for row in await pairs.rows(conn, _BOTH_WAYS, company_id, counterparty_id):
        if row.company_id == company_id and row.counterparty_id == counterparty_id:
            return row
    return None


async def partner_by_identity(conn: AsyncConnection, ids: dict[str, Any]) -> Any:
    stmt = select(edi_partners).where(
        P.company_id == ids["company_id"],
        P.standard == ids["standard"],
        P.their_qualifier == ids["their_qualifier"],
        P.their_id == ids["their_id"],
        P.our_qualifier == ids["our_qualifier"],
        P.our_id == ids["our_id"],
    )
    return (await conn.execute(stmt)).first()


async def partners_of_company(conn: AsyncConnection, company_id: int) -> list[Any]:
    """Profiles the company is on either side of."""
    stmt = select(edi_partners).where(or_(P.company_id == company_id, P.counterparty_id == company_id)).order_by(P.id)
    return list((await conn.execute(stmt)).all())


async def partners_speaking_for(conn: AsyncConnection, company_id: int) -> list[Any]:
    """Profiles in which the company is the one that speaks EDI."""
    return list((await conn.execute(select(edi_partners).where(P.company_id == company_id).order_by(P.id))).all())


async def all_partners(conn: AsyncConnection) -> list[Any]:
    return list((await conn.execute(select(edi_partners).order_by(P.id))).all())


async def allocate(conn: AsyncConnection, *, partner_id: int, kind: str, count: int) -> int:
    """Reserve ``count`` consecutive control numbers and return the first. The UPDATE takes the row's
    lock until the caller's transaction ends, so concurrent allocations queue behind it (PostgreSQL)
    or behind the single writer (SQLite): no number is handed out twice."""
    stmt = (
        update(edi_control_numbers)
        .where(C.partner_id == partner_id, C.kind == kind)
        .values(last=C.last + count)
        .returning(C.last)
    )
    last = (await conn.execute(stmt)).scalar_one()
    return int(last) - count + 1


async def received(conn: AsyncConnection, *, partner_id: int, control: str) -> Any:
    stmt = select(edi_received).where(R.partner_id == partner_id, R.control == control).with_for_update()
    return (await conn.execute(stmt)).first()


async def insert_received(
    conn: AsyncConnection, *, partner_id: int, control: str, exchange_id: int | None, at: datetime
) -> None:
    await conn.execute(
        insert(edi_received).values(partner_id=partner_id, control=control, exchange_id=exchange_id, received_at=at)
    )


async def renew_received(conn: AsyncConnection, *, row_id: int, exchange_id: int | None, at: datetime) -> None:
    """The same control number again, after the window: a new interchange, remembered from now."""
    await conn.execute(update(edi_received).where(R.id == row_id).values(exchange_id=exchange_id, received_at=at))


async def update_partner(conn: AsyncConnection, *, partner_id: int, values: dict[str, Any]) -> None:
    unit_cache.forget(conn)  # partners/pairs.py: the unit reads its own write
    await conn.execute(update(edi_partners).where(P.id == partner_id).values(values))


async def set_guide(conn: AsyncConnection, *, partner_id: int, guide: str | None) -> None:
    unit_cache.forget(conn)  # partners/pairs.py: the unit reads its own write
    await conn.execute(update(edi_partners).where(P.id == partner_id).values(guide=guide))
