"""Queries about companies, keys and trading relationships. No commits here: the caller's unit of
work decides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core.ids import is_ascii_int
from pohub.db import unit_cache
from pohub.db.fast import Prepared
from pohub.partners.models import api_keys, companies, partnerships


async def insert_company(conn: AsyncConnection, *, name: str, created_at: datetime) -> int:
    result = await conn.execute(insert(companies).values(name=name, created_at=created_at))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def company_by_name_or_id(conn: AsyncConnection, ref: str) -> Any:
    cond = companies.c.name == ref
    if is_ascii_int(ref):
        cond = or_(cond, companies.c.id == int(ref))
    return (await conn.execute(select(companies).where(cond))).first()


async def company_by_id(conn: AsyncConnection, company_id: int) -> Any:
    return (await conn.execute(select(companies).where(companies.c.id == company_id))).first()


async def list_companies(conn: AsyncConnection) -> list[Any]:
    return list((await conn.execute(select(companies).order_by(companies.c.id))).all())


async def insert_key(
    conn: AsyncConnection,
    *,
    company_id: int,
    prefix: str,
    key_hash: str,
    label: str | None,
    created_at: datetime,
) -> int:
    result = await conn.execute(
        insert(api_keys).values(
            company_id=company_id, prefix=prefix, key_hash=key_hash, label=label, created_at=created_at
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def company_id_for_key_hash(conn: AsyncConnection, key_hash: str) -> int | None:
    row = (
        await conn.execute(
            select(api_keys.c.company_id).where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
        )
    ).first()
    return None if row is None else int(row.company_id)


async def revoke_key(conn: AsyncConnection, *, prefix: str, revoked_at: datetime) -> int:
    result = await conn.execute(
        update(api_keys)
        .where(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=revoked_at)
    )
    return int(result.rowcount)


_PARTNERSHIP = Prepared(
    select(partnerships).where(
        partnerships.c.buyer_id == bindparam("buyer_id"), partnerships.c.supplier_id == bindparam("supplier_id")
    )
)


async def partnership(conn: AsyncConnection, *, buyer_id: int, supplier_id: int) -> Any:
    """Every document checks it: compiled once (db/fast.py)."""
    return await _PARTNERSHIP.first(conn, {"buyer_id": buyer_id, "supplier_id": supplier_id})


async def upsert_partnership(
    conn: AsyncConnection, *, buyer_id: int, supplier_id: int, invoice_required: bool, created_at: datetime
) -> None:
    unit_cache.forget(conn)  # partners/pairs.py: the unit reads its own write
    existing = await partnership(conn, buyer_id=buyer_id, supplier_id=supplier_id)
    if existing is None:
        await conn.execute(
            insert(partnerships).values(
                buyer_id=buyer_id,
                supplier_id=supplier_id,
                invoice_required=invoice_required,
                created_at=created_at,
            )
        )
    else:
        await conn.execute(
            update(partnerships).where(partnerships.c.id == existing.id).values(invoice_required=invoice_required)
        )


async def partners_of(conn: AsyncConnection, company_id: int) -> list[Any]:
    """Every relationship the company is part of, with the other company's name."""
    stmt = (
        select(partnerships, companies.c.name.label("partner_name"), companies.c.id.label("partner_id"))
        .join(
            companies,
            or_(
                and_(partnerships.c.buyer_id == company_id, companies.c.id == partnerships.c.supplier_id),
                and_(partnerships.c.supplier_id == company_id, companies.c.id == partnerships.c.buyer_id),
            ),
        )
        .order_by(companies.c.id)
    )
    return list((await conn.execute(stmt)).all())


async def keys_of(conn: AsyncConnection, company_id: int) -> list[Any]:
    """The company's API keys, newest first (prefix and label only: the key itself is never stored)."""
    stmt = (
        select(api_keys.c.id, api_keys.c.prefix, api_keys.c.label, api_keys.c.created_at, api_keys.c.revoked_at)
        .where(api_keys.c.company_id == company_id)
        .order_by(api_keys.c.id.desc())
    )
    return list((await conn.execute(stmt)).all())


async def revoke_key_of(conn: AsyncConnection, *, company_id: int, key_id: int, at: datetime) -> bool:
    """Revoke one of the company's keys; False when it has no such key (or it is revoked already)."""
    result = await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.company_id == company_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return int(result.rowcount) > 0
