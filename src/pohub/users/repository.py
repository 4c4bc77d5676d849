"""Queries on users; never commits (the caller's unit of work does)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.users.models import users

U = users.c


async def insert_user(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(users).values(**values).returning(U.id))
    return int(result.scalar_one())


async def by_email(conn: AsyncConnection, email: str) -> Any:
    return (await conn.execute(select(users).where(U.email == email.strip().lower()))).first()


async def by_id(conn: AsyncConnection, user_id: int) -> Any:
    return (await conn.execute(select(users).where(U.id == user_id))).first()


async def by_invite_hash(conn: AsyncConnection, invite_hash: str) -> Any:
    return (await conn.execute(select(users).where(U.invite_hash == invite_hash))).first()


async def of_company(conn: AsyncConnection, company_id: int) -> list[Any]:
    stmt = select(users).where(U.company_id == company_id, U.removed_at.is_(None)).order_by(func.lower(U.name), U.id)
    return list((await conn.execute(stmt)).all())


async def count_admins(conn: AsyncConnection, company_id: int) -> int:
    stmt = select(func.count()).where(U.company_id == company_id, U.role == "admin", U.removed_at.is_(None))
    return int((await conn.execute(stmt)).scalar_one())


async def set_fields(conn: AsyncConnection, user_id: int, **values: Any) -> None:
    await conn.execute(update(users).where(U.id == user_id).values(**values))


async def bump_session(conn: AsyncConnection, user_id: int, **values: Any) -> None:
    """Change the user and end every session it has (the cookie's version no longer matches)."""
    await conn.execute(update(users).where(U.id == user_id).values(session_version=U.session_version + 1, **values))
