"""The lookups a document's unit of work makes about its two companies (partnership, webhook
subscriptions, EDI partner profiles: partners/pairs.py) run as one statement and are kept for that
unit only, on both databases: a change made between two documents is seen by the second, a unit
sees its own writes, and the rows are those the lookups' own statements read."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bench import documents as docs
from bench.write_cost import message
from sqlalchemy import func, select

import pohub.api.app  # noqa: F401  (the server's event listeners: outbox, EDI sender)
from pohub.db import unit_cache
from pohub.db.engine import Database
from pohub.edi.partners import repository as edi_repo
from pohub.exchanges import inbound
from pohub.exchanges.models import exchanges
from pohub.partners import pairs
from pohub.partners import repository as partners_repo
from pohub.partners import service as partners
from pohub.webhooks import outbox
from pohub.webhooks import repository as webhooks_repo
from pohub.webhooks import service as webhooks

SERVER_KEY = "unit-lookups-" + "k" * 40


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url, pool_size=1)  # one kept connection: every unit runs on it
    try:
        yield database
    finally:
        await database.dispose()


async def _companies(db: Database, *, connect: bool = True) -> tuple[int, int]:
    tag = uuid.uuid4().hex[:8]
    async with db.write() as conn:
        buyer = await partners.add_company(conn, name=f"Lookups Buyer {tag}")
        supplier = await partners.add_company(conn, name=f"Lookups Supplier {tag}")
        if connect:
            await partners.connect(conn, buyer_id=buyer.id, supplier_id=supplier.id)
    return buyer.id, supplier.id


async def _subscribe(db: Database, company_id: int, topic: str = "*") -> int:
    async with db.write() as conn:
        sub = await webhooks.create(
            conn,
            company_id=company_id,
            body={"Address": "http://127.0.0.1:9/hook", "Topic": topic},
            server_key=SERVER_KEY,
        )
    return int(sub.id if hasattr(sub, "id") else sub["Id"])


async def _deliveries(db: Database, order_id: int) -> int:
    async with db.read() as conn:
        stmt = select(func.count()).where(exchanges.c.channel == "webhook", exchanges.c.order_id == order_id)
        return int((await conn.execute(stmt)).scalar_one())


async def _po(db: Database, buyer: int, supplier: int, i: int) -> int:
    raw = docs.order(i, prefix=f"L{uuid.uuid4().hex[:6]}", buyer=buyer, supplier=supplier)
    applied = await inbound.receive(db, message("order", buyer, raw))
    assert applied.document_id is not None
    return applied.document_id


async def test_a_subscription_changed_between_two_documents_is_seen_by_the_second(db: Database) -> None:
    buyer, supplier = await _companies(db)
    sub_id = await _subscribe(db, buyer)
    first = await _po(db, buyer, supplier, 1)
    assert await _deliveries(db, first) > 0
    async with db.write() as conn:  # as another process would: a unit of its own
        await webhooks_repo.update_subscription(conn, subscription_id=sub_id, values={"enabled": False})
    second = await _po(db, buyer, supplier, 2)
    assert await _deliveries(db, second) == 0  # a cache kept from the first unit would still deliver
    third_sub = await _subscribe(db, buyer)
    assert third_sub != sub_id
    third = await _po(db, buyer, supplier, 3)
    assert await _deliveries(db, third) > 0


async def test_a_partnership_ended_between_two_documents_refuses_the_second(db: Database) -> None:
    buyer, supplier = await _companies(db)
    await _po(db, buyer, supplier, 1)
    async with db.write() as conn:  # not through the repository (it would forget): another process's delete
        await conn.execute(
            pairs.partnerships.delete().where(
                pairs.partnerships.c.buyer_id == buyer, pairs.partnerships.c.supplier_id == supplier
            )
        )
    with pytest.raises(Exception, match="not connected"):
        await _po(db, buyer, supplier, 2)


async def test_the_unit_cache_does_not_outlive_its_unit(db: Database) -> None:
    buyer, supplier = await _companies(db)
    async with db.write() as conn:
        assert unit_cache.of(conn) == {}
        assert await pairs.partnership(conn, buyer_id=buyer, supplier_id=supplier) is not None
        assert unit_cache.of(conn)  # the pair is kept for the rest of the unit
        kept = conn
    assert unit_cache.of(kept) is None  # the connection is kept between units: its cache is not
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            assert conn is kept
            await pairs.partnership(conn, buyer_id=buyer, supplier_id=supplier)
            raise RuntimeError("roll back")
    assert unit_cache.of(kept) is None  # nor after a rollback
    async with db.read() as conn:
        await pairs.partnership(conn, buyer_id=buyer, supplier_id=supplier)
        read = conn
    assert unit_cache.of(read) is None


async def test_a_unit_sees_its_own_writes_to_what_it_looked_up(db: Database) -> None:
    buyer, supplier = await _companies(db, connect=False)
    async with db.write() as conn:
        assert await pairs.partnership(conn, buyer_id=buyer, supplier_id=supplier) is None
        assert await outbox._subscriptions(conn, [buyer, supplier]) == []
        await partners.connect(conn, buyer_id=buyer, supplier_id=supplier)
        assert await pairs.partnership(conn, buyer_id=buyer, supplier_id=supplier) is not None
        await webhooks.create(
            conn, company_id=buyer, body={"Address": "http://127.0.0.1:9/hook", "Topic": "*"}, server_key=SERVER_KEY
        )
        assert len(await outbox._subscriptions(conn, [buyer, supplier])) == 1


async def test_the_pair_statement_reads_the_rows_each_lookup_reads_alone(db: Database) -> None:
    buyer, supplier = await _companies(db)
    for company, topic in (
        (supplier, "order.created"),
        (buyer, "*"),
        (buyer, "acknowledgement.received"),
        (supplier, "*"),
    ):
        await _subscribe(db, company, topic)
    async with db.write() as conn:
        for part in pairs._PARTS.values():
            alone: list[Any] = await part.alone.all(conn, {"lo": min(buyer, supplier), "hi": max(buyer, supplier)})
            together = await pairs.rows(conn, part, supplier, buyer)
            assert [tuple(r) for r in together] == [tuple(r) for r in alone], part.name
            assert [r._mapping for r in together] == [r._mapping for r in alone], part.name
        assert len(await pairs.rows(conn, outbox._OF_PAIR, buyer, supplier)) == 4
        link = await pairs.partnership(conn, buyer_id=buyer, supplier_id=supplier)
        # The columns a document reads of it (pairs.LINK_COLUMNS, stop 27: not created_at), as the
        # partnership's own full row has them.
        full = await partners_repo.partnership(conn, buyer_id=buyer, supplier_id=supplier)
        assert link is not None and link.invoice_required is True
        assert link._mapping == {c.key: full._mapping[c.key] for c in pairs.LINK_COLUMNS}
        assert await pairs.partnership(conn, buyer_id=supplier, supplier_id=buyer) is None
        assert await edi_repo.partner_of_pair_in_unit(conn, company_id=buyer, counterparty_id=supplier) is None
