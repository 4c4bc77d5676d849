"""Queries on subscriptions, deliveries and attempts. No commits: the unit of work decides."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.webhooks.models import webhook_attempts, webhook_deliveries, webhook_subscriptions

S = webhook_subscriptions.c
D = webhook_deliveries.c
A = webhook_attempts.c


async def insert_subscription(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(webhook_subscriptions).values(**values).returning(S.id))
    return int(result.scalar_one())


async def get_subscription(conn: AsyncConnection, *, subscription_id: int, company_id: int) -> Any:
    stmt = select(webhook_subscriptions).where(S.id == subscription_id, S.company_id == company_id)
    return (await conn.execute(stmt)).first()


async def list_subscriptions(conn: AsyncConnection, *, company_id: int) -> list[Any]:
    stmt = select(webhook_subscriptions).where(S.company_id == company_id).order_by(S.id)
    return list((await conn.execute(stmt)).all())


async def update_subscription(conn: AsyncConnection, *, subscription_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(webhook_subscriptions).where(S.id == subscription_id).values(**values))


async def delete_subscription(conn: AsyncConnection, *, subscription_id: int) -> None:
    await conn.execute(delete(webhook_deliveries).where(D.subscription_id == subscription_id))
    await conn.execute(delete(webhook_subscriptions).where(S.id == subscription_id))


async def deliveries_page(
    conn: AsyncConnection, *, subscription_id: int, page: int, page_size: int, state: str | None
) -> tuple[list[Any], int]:
    cond = [D.subscription_id == subscription_id]
    if state:
        cond.append(D.state == state)
    stmt = select(webhook_deliveries).where(*cond).order_by(D.id.desc()).limit(page_size).offset((page - 1) * page_size)
    rows = list((await conn.execute(stmt)).all())
    total = int((await conn.execute(select(func.count()).select_from(webhook_deliveries).where(*cond))).scalar_one())
    return rows, total


async def attempts_of(conn: AsyncConnection, *, delivery_ids: list[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        stmt = select(webhook_attempts).where(A.delivery_id.in_(delivery_ids)).order_by(A.id)
        for row in (await conn.execute(stmt)).all():
            out[row.delivery_id].append(row)
    return out


async def get_delivery(conn: AsyncConnection, *, delivery_id: int, subscription_id: int) -> Any:
    stmt = select(webhook_deliveries).where(D.id == delivery_id, D.subscription_id == subscription_id)
    return (await conn.execute(stmt)).first()


async def requeue(conn: AsyncConnection, *, delivery_id: int, at: datetime) -> None:
    """A replay: due now, with a fresh attempt budget; earlier attempts stay on record."""
    await conn.execute(
        update(webhook_deliveries)
        .where(D.id == delivery_id)
        .values(state="pending", attempts=0, next_attempt_at=at, locked_until=None, delivered_at=None)
    )


async def claim_due(conn: AsyncConnection, *, now: datetime, limit: int, lease: timedelta) -> list[Any]:
    """Due deliveries with their subscription, leased to this worker (SKIP LOCKED on PostgreSQL)."""
    ids_stmt = (
        select(D.id)
        .where(D.state == "pending", D.next_attempt_at <= now, or_(D.locked_until.is_(None), D.locked_until < now))
        .order_by(D.next_attempt_at, D.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = [r.id for r in (await conn.execute(ids_stmt)).all()]
    if not ids:
        return []
    await conn.execute(update(webhook_deliveries).where(D.id.in_(ids)).values(locked_until=now + lease))
    stmt = (
        select(
            D.id,
            D.topic,
            D.payload,
            D.attempts,
            D.created_at,
            S.address,
            S.enabled,
            S.secret_sealed,
        )
        .join(webhook_subscriptions, S.id == D.subscription_id)
        .where(D.id.in_(ids))
        .order_by(D.id)
    )
    return list((await conn.execute(stmt)).all())


async def record_attempts(conn: AsyncConnection, attempts: list[dict[str, Any]], updates: list[dict[str, Any]]) -> None:
    if attempts:
        await conn.execute(insert(webhook_attempts), attempts)
    for values in updates:
        # Copy: the caller still reads "id" from its rows after this (to log failures).
        changes = dict(values)
        delivery_id = changes.pop("id")
        await conn.execute(update(webhook_deliveries).where(D.id == delivery_id).values(**changes))


async def release_all_leases(conn: AsyncConnection) -> None:
    await conn.execute(update(webhook_deliveries).where(D.locked_until.is_not(None)).values(locked_until=None))


async def subscriptions_sealed_otherwise(conn: AsyncConnection, *, prefix: str) -> list[Any]:
    """Subscriptions whose secret is not sealed in the current form (``prefix``), locked to reseal."""
    stmt = (
        select(S.id, S.secret_sealed)
        .where(~S.secret_sealed.startswith(prefix, autoescape=True))
        .order_by(S.id)
        .with_for_update()
    )
    return list((await conn.execute(stmt)).all())
