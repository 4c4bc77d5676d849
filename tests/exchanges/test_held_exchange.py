"""A message whose handler never reads its exchange's id is written once, with its outcome, at the end
of its unit, and the outbound exchanges its unit queues (webhook deliveries) behind it
(exchanges/repository.hold, stop 26). The replaced road (the exchange written before the handler
runs, updated after, deliveries written as queued) is still the road of every other operation: here
the same messages go down both roads, on two fresh databases with the same clock, and every exchange
row (id included: the same order), every event row and every delivery must come out the same, for
0, 1 and several subscriptions (both parties, several topics, disabled ones, another company's),
for applied, duplicate and refused documents, and for a handler that needs an id halfway (what is
held is written first, and the outcome is an UPDATE again), on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bench import documents as docs
from bench.write_cost import message
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock
from pohub.core.errors import NotFound, PohubError
from pohub.db.engine import Database
from pohub.documents.models import events as events_table
from pohub.exchanges import documents as exchange_documents
from pohub.exchanges import inbound, outbound
from pohub.exchanges.models import exchanges
from pohub.partners import service as partners
from pohub.webhooks import service as webhooks
from pohub.webhooks.models import webhook_subscriptions
from tests.support import database_url

# Subscriptions as (company, topic, enabled); company 0 is the buyer, 1 the supplier, 2 a third company.
NONE: list[tuple[int, str, bool]] = []
ONE = [(0, "*", True)]
SEVERAL = [
    (0, "*", True),
    (1, "order.created", True),
    (1, "shipment.received", True),
    (1, "order.status_changed", True),
    (0, "invoice.received", False),  # disabled: no delivery
    (1, "*", False),
    (2, "*", True),  # another company's: none of these documents are its own
]
TEST_OPERATION = "test.held"


class _Clock:
    """A fixed time, moved on by a millisecond before each message: both runs store the same times
    however often the code asks the time (some look-ups ask it, some only on first use)."""

    def __init__(self) -> None:
        self.at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def tick(self) -> None:
        self.at += timedelta(milliseconds=1)


CLOCK: list[_Clock] = []


async def _parties(db: Database, subscriptions: list[tuple[int, str, bool]]) -> list[int]:
    async with db.write() as conn:
        ids = [(await partners.add_company(conn, name=f"Company {n}")).id for n in range(3)]
        await partners.connect(conn, buyer_id=ids[0], supplier_id=ids[1])
        for company, topic, enabled in subscriptions:
            sub = await webhooks.create(
                conn,
                company_id=ids[company],
                body={"Address": "http://127.0.0.1:9/hook", "Topic": topic},
                server_key="test-" + "k" * 40,
            )
            if not enabled:
                stmt = update(webhook_subscriptions).where(webhook_subscriptions.c.id == sub.id)
                await conn.execute(stmt.values(enabled=False))
    return ids


async def _receive(db: Database, msg: inbound.Message) -> str:
    CLOCK[0].tick()
    try:
        applied = await inbound.receive(db, msg)
    except PohubError as exc:
        return f"refused {exc.status_code}"
    return "duplicate" if applied.duplicate else "applied"


async def _documents(db: Database, ids: list[int]) -> list[str]:
    """Orders' documents from order to invoice, a duplicate, and refusals (a PO already there, an
    order that is not, a malformed body)."""
    buyer, supplier = ids[0], ids[1]
    outcomes = []
    for i in range(2):
        order = docs.order(i, prefix="HELD", buyer=buyer, supplier=supplier)
        outcomes.append(await _receive(db, message("order", buyer, order)))
        outcomes.append(await _receive(db, message("order", buyer, order)))  # the same PO again: refused
    async with db.read() as conn:
        stmt = "SELECT id FROM documents WHERE kind = 'order' ORDER BY id"
        keys = [str(r[0]) for r in (await conn.exec_driver_sql(stmt)).all()]
    for i, key in enumerate(keys):
        ack = docs.acknowledgement(i, key)
        outcomes.append(await _receive(db, message("acknowledgement", supplier, ack)))
        outcomes.append(await _receive(db, message("acknowledgement", supplier, ack)))  # the same again
        outcomes.append(await _receive(db, message("shipment", supplier, docs.shipment(i), key)))
        outcomes.append(await _receive(db, message("invoice", supplier, docs.invoice(i), key)))
    outcomes.append(await _receive(db, message("shipment", supplier, docs.shipment(9), "987654")))
    outcomes.append(await _receive(db, message("invoice", supplier, b'{"InvoiceNumber": ', keys[0])))
    return outcomes


async def _rows(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[int, int]]:
    """Every exchange (its id as its rank: PostgreSQL's sequence also gave ids to the rows a refused
    unit wrote and rolled back, which the held road never writes) and event, and each id's rank."""
    async with db.read() as conn:
        found = (await conn.execute(select(exchanges).order_by(exchanges.c.id))).all()
        events = (await conn.execute(select(events_table).order_by(events_table.c.id))).all()
    rank = {r.id: n for n, r in enumerate(found)}
    assert all(r.parent_id is None for r in found)  # no other reference to an exchange's id to rank
    return [dict(r._mapping) | {"id": rank[r.id]} for r in found], [dict(r._mapping) for r in events], rank


Scenario = Callable[[Database, list[int]], Any]


def _both_roads(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: Scenario, subscriptions: Any
) -> tuple[Any, Any]:
    """The scenario on a fresh database the replaced way (nothing held), then on another held. A
    first run, not compared, does what a process does once (look-ups made on first use, which may
    ask the time), so that the two compared runs ask the clock alike."""
    results = []
    held = frozenset({exchange_documents.OPERATION, TEST_OPERATION})
    for n, unread in enumerate((frozenset(), frozenset(), held)):
        monkeypatch.setattr(inbound, "ID_UNREAD", unread)
        with database_url(backend, tmp_path / str(n)) as url:

            async def run(url: str = url) -> Any:
                db = Database(url, pool_size=1)
                try:
                    ids = await _parties(db, subscriptions)
                    CLOCK[:] = [_Clock()]
                    monkeypatch.setattr(clock, "now", CLOCK[0])  # from here on, the same times on each run
                    outcome = await scenario(db, ids)
                    return outcome, await _rows(db)
                finally:
                    await db.dispose()

            results.append(asyncio.run(run()))
    return results[1], results[2]


@pytest.fixture
def roads(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., tuple[Any, Any]]]:
    for n in range(3):
        (tmp_path / str(n)).mkdir()
    yield lambda scenario, subscriptions: _both_roads(backend, tmp_path, monkeypatch, scenario, subscriptions)


@pytest.mark.parametrize("subscriptions", [NONE, ONE, SEVERAL], ids=["none", "one", "several"])
def test_documents_write_the_same_exchanges(roads: Callable[..., tuple[Any, Any]], subscriptions: Any) -> None:
    before, after = roads(_documents, subscriptions)
    (outcomes, (exchange_rows, event_rows, _rank)) = after
    assert outcomes == before[0]
    assert "duplicate" in outcomes and {"refused 409", "refused 404", "refused 400"} <= set(outcomes)
    assert exchange_rows == before[1][0]
    assert event_rows == before[1][1]
    assert len(exchange_rows) > len(outcomes) or subscriptions is NONE
    deliveries = [r for r in exchange_rows if r["channel"] == "webhook"]
    wanted = {"none": 0, "one": len(event_rows)}.get({0: "none", 1: "one"}.get(len(subscriptions), ""))
    if wanted is not None:
        assert len(deliveries) == wanted  # one per subscription and event
    else:
        assert len(deliveries) > len(event_rows)  # the buyer's wildcard and the supplier's topics
    # Every received message is kept, as received when it was refused, and comes before its deliveries.
    inbound_rows = [r for r in exchange_rows if r["direction"] == "in"]
    assert len(inbound_rows) == len(outcomes)
    assert [r["state"] for r in inbound_rows] == [o.split()[0] for o in outcomes]


def _delivery(company_id: int, n: int) -> dict[str, Any]:
    return outbound.outbound_row(
        channel="webhook",
        operation="webhook",
        company_id=company_id,
        kind=f"held-{n}",
        payload=f'{{"n": {n}}}'.encode(),
        content_type="application/json",
        at=clock.now(),
    )


@inbound.handler(TEST_OPERATION)
async def _queues_then_wants_an_id(conn: AsyncConnection, msg: inbound.Message) -> inbound.Applied:
    """Queues deliveries, then (with "id" in its params) writes one whose id it needs, then queues
    more; refuses with "refuse"."""
    company = msg.company_id or 0
    await outbound.queue(conn, [_delivery(company, 1), _delivery(company, 2)])
    if msg.params.get("id"):
        await outbound.queue_one(conn, _delivery(company, 3))
    await outbound.queue(conn, [_delivery(company, 4)])
    if msg.params.get("refuse"):
        raise NotFound("refused after queueing")
    return inbound.Applied(document_id=7, order_id=8, partner_id=9, kind="test", status_code=201)


async def _test_messages(db: Database, ids: list[int]) -> list[str]:
    outcomes = []
    for params in ({}, {"id": True}, {"refuse": True}, {"id": True, "refuse": True}, {}):
        msg = inbound.Message(channel="api", operation=TEST_OPERATION, company_id=ids[0], raw=b"{}", params=params)
        outcomes.append(await _receive(db, msg))
        outcomes.append(str(msg.exchange_id))
    return outcomes


def test_a_held_exchange_is_written_first_when_an_id_is_wanted(roads: Callable[..., tuple[Any, Any]]) -> None:
    before, after = roads(_test_messages, ONE)
    (outcomes, (exchange_rows, _events, rank)), (old_outcomes, (old_rows, _old_events, old_rank)) = after, before
    assert exchange_rows == old_rows
    assert outcomes[::2] == old_outcomes[::2] == ["applied", "applied", "refused 404", "refused 404", "applied"]
    assert [rank[int(i)] for i in outcomes[1::2]] == [old_rank[int(i)] for i in old_outcomes[1::2]]
    # The message's exchange, then its deliveries in the order queued (the one with an id among them).
    kinds = [r["kind"] or r["direction"] for r in exchange_rows]
    assert kinds[:5] == ["test", "held-1", "held-2", "held-4", "test"]
    assert kinds[5:10] == ["held-1", "held-2", "held-3", "held-4", "in"]
    assert [rank[int(o)] for o in outcomes[1::2]] == [r["id"] for r in exchange_rows if r["direction"] == "in"]


def test_the_documents_handler_is_registered_as_not_reading_its_id() -> None:
    """The canonical documents' handler says so where it is registered; nothing else does today."""
    assert {exchange_documents.OPERATION} == inbound.ID_UNREAD
    assert inbound.HANDLERS[exchange_documents.OPERATION] is exchange_documents.apply_document
