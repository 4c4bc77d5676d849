"""The webhook subscriptions of a pair on SQLite (stop 27): two seeks of the index, one company's
rows after the other's (partners/pairs.part ``each``), where ``company_id IN (lo, hi)`` built an
ephemeral b-tree first. The replaced statement is the part's ``alone`` (still what runs outside a
unit and on PostgreSQL): over random subscriptions (several companies, topics repeated, enabled and
disabled, made, changed and deleted between rounds) and every pair, one company twice included,
both give the same rows in the same order (the order deliveries, and so their ids, are written in).
On PostgreSQL, where the union is not used, the same rows (a set: each plan has its own order)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

from sqlalchemy import delete, insert, update

from pohub.db.engine import Database
from pohub.partners import service as partners
from pohub.webhooks import outbox
from pohub.webhooks.models import webhook_subscriptions

S = webhook_subscriptions.c


async def test_the_pairs_subscriptions_in_two_seeks_are_the_in_lists(db: Database, db_url: str) -> None:
    rng = random.Random(27)
    tag = uuid.uuid4().hex[:6]
    at = datetime(2026, 12, 4, 19, 0, tzinfo=UTC)
    async with db.write() as conn:
        companies = [(await partners.add_company(conn, name=f"Subs {tag} {i}")).id for i in range(5)]
    part = outbox._OF_PAIR
    assert part.sqlite is not None
    sqlite = not db_url.startswith("postgresql")
    compared = 0
    for round_ in range(6):
        async with db.write() as conn:
            for _ in range(rng.randrange(1, 6)):
                await conn.execute(
                    insert(webhook_subscriptions).values(
                        company_id=rng.choice(companies),
                        address="http://127.0.0.1:9/hook",
                        topic=rng.choice(["*", "order.created", "acknowledgement.received", "a", "*"]),
                        format="json",
                        enabled=rng.random() < 0.8,
                        secret_sealed="s",
                        created_at=at,
                        updated_at=at,
                    )
                )
            if round_ % 2:
                await conn.execute(
                    update(webhook_subscriptions)
                    .where(S.company_id == rng.choice(companies))
                    .values(enabled=rng.random() < 0.5, topic=rng.choice(["*", "b"]))
                )
            if round_ == 4:
                await conn.execute(delete(webhook_subscriptions).where(S.company_id == rng.choice(companies)))
        async with db.write() as conn:
            for lo in companies:
                for hi in companies:
                    if hi < lo:
                        continue
                    params = {"lo": lo, "hi": hi}
                    old = [tuple(r) for r in await part.alone.all(conn, params)]
                    new_rows = await part.sqlite.all(conn, params)
                    new = [tuple(r) for r in new_rows]
                    assert [r._mapping for r in new_rows] == [
                        dict(zip(("id", "company_id", "topic"), r, strict=True)) for r in new
                    ]
                    if sqlite:
                        assert new == old, (lo, hi)
                    else:
                        assert sorted(new) == sorted(old) and len(set(new)) == len(new), (lo, hi)
                    compared += len(old) > 1
    assert compared >= 20  # pairs with several subscriptions, whose order is what is compared
