"""Queries on subscriptions and their deliveries (outbound exchanges on the webhook channel).
No commits: the unit of work decides."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.db import unit_cache
from pohub.exchanges.models import exchanges
from pohub.exchanges.repository import SUMMARY
from pohub.webhooks.models import webhook_subscriptions

S = webhook_subscriptions.c
X = exchanges.c
CHANNEL = "webhook"


async def insert_subscription(conn: AsyncConnection, values: dict[str, Any]) -> int:
    unit_cache.forget(conn)  # partners/pairs.py: the unit reads its own write
    result = await conn.execute(insert(webhook_subscriptions).values(**values).returning(S.id))
    return int(result.scalar_one())


async def get_subscription(conn: AsyncConnection, *, subscription_id: int, company_id: int) -> Any:
    stmt = select(webhook_subscriptions).where(S.id == subscription_id, S.company_id == company_id)
    return (await conn.execute(stmt)).first()


async def list_subscriptions(conn: AsyncConnection, *, company_id: int) -> list[Any]:
    stmt = select(webhook_subscriptions).where(S.company_id == company_id).order_by(S.id)
    return list((await conn.execute(stmt)).all())


async def update_subscription(conn: AsyncConnection, *, subscription_id: int, values: dict[str, Any]) -> None:
    unit_cache.forget(conn)  # partners/pairs.py: the unit reads its own write
    await conn.execute(update(webhook_subscriptions).where(S.id == subscription_id).values(**values))


async def delete_subscription(conn: AsyncConnection, *, subscription_id: int) -> None:
    unit_cache.forget(conn)  # partners/pairs.py: the unit reads its own write
    await conn.execute(delete(exchanges).where(_deliveries_of(subscription_id)))
    await conn.execute(delete(webhook_subscriptions).where(S.id == subscription_id))


def _deliveries_of(subscription_id: int) -> Any:
    return and_(X.channel == CHANNEL, X.direction == "out", X.endpoint_id == subscription_id)


async def deliveries_page(
    conn: AsyncConnection, *, subscription_id: int, page: int, page_size: int, states: list[str] | None
) -> tuple[list[Any], int]:
    """A subscription's deliveries (its outbound exchanges), newest first."""
    cond = [_deliveries_of(subscription_id)]
    if states:
        cond.append(X.state.in_(states))
    stmt = select(*SUMMARY).where(*cond).order_by(X.id.desc()).limit(page_size).offset((page - 1) * page_size)
    rows = list((await conn.execute(stmt)).all())
    total = int((await conn.execute(select(func.count()).select_from(exchanges).where(*cond))).scalar_one())
    return rows, total


async def get_delivery(conn: AsyncConnection, *, delivery_id: int, subscription_id: int) -> Any:
    stmt = select(*SUMMARY).where(X.id == delivery_id, _deliveries_of(subscription_id))
    return (await conn.execute(stmt)).first()


async def subscriptions_by_id(conn: AsyncConnection, ids: list[int]) -> dict[int, Any]:
    """What the sender needs of each subscription: where to post, whether it is on, the sealed secret."""
    if not ids:
        return {}
    stmt = select(S.id, S.address, S.enabled, S.secret_sealed).where(S.id.in_(sorted(set(ids))))
    return {row.id: row for row in (await conn.execute(stmt)).all()}


async def subscriptions_sealed_otherwise(conn: AsyncConnection, *, prefix: str) -> list[Any]:
    """Subscriptions whose secret is not sealed in the current form (``prefix``), locked to reseal."""
    stmt = (
        select(S.id, S.secret_sealed)
        .where(~S.secret_sealed.startswith(prefix, autoescape=True))
        .order_by(S.id)
        .with_for_update()
    )
    return list((await conn.execute(stmt)).all())
