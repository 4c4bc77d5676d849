"""Round trips a document costs on PostgreSQL, counted on the wire (bench/pg_wire.py, a TCP proxy
that reads what asyncpg sends): a PO create and an acknowledgement of ten lines, each through
exchanges.inbound.receive with a webhook subscription (so with its outbox rows) and the server's
event listeners (bench/pg_round_trips.py imports them as the app does). The counts are
pinned: a savepoint back around the PO's insert (two more: SAVEPOINT, RELEASE), or a lookup or
write split in two, fails here; a change that saves one updates the figure here and in
docs/performance.md ("Round trips on PostgreSQL")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.pg_round_trips import count

from tests.support import database_url


@pytest.fixture
def pg_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend != "postgresql":
        pytest.skip("round trips to PostgreSQL")
    with database_url(backend, tmp_path) as url:
        yield url


async def test_a_po_create_and_an_acknowledgement_cost_the_round_trips_pinned(pg_url: str) -> None:
    trips = await count(pg_url, warm=1)
    order, ack = trips["order"], trips["acknowledgement"]
    # BEGIN, the pair's lookups with the PartnerPO check (partnership, webhook subscriptions, EDI
    # partner, the order under that PartnerPO: one statement, partners/pairs.partnership_with, stop
    # 27), the PO (ON CONFLICT DO NOTHING), its ten lines (one pipelined executemany), event, the
    # exchange with its outcome (held until then: exchanges/repository.hold), outbox row, COMMIT.
    assert (order.round_trips, order.statements) == (8, 17), order.sql
    assert not [s for s in order.sql if "SAVEPOINT" in s.upper()], order.sql
    # BEGIN, order lock, the pair's lookups, earlier acks and lines (one statement, after the lock:
    # documents/inbound.duplicate_and_lines), the ack, ten line updates (one executemany), status,
    # events (one executemany), the exchange with its outcome, outbox rows, COMMIT.
    assert (ack.round_trips, ack.statements) == (11, 22), ack.sql
    assert not [s for s in ack.sql if s.lstrip().startswith("SELECT order_lines")], ack.sql
    assert len([s for s in ack.sql if "FROM webhook_subscriptions" in s]) == 1, ack.sql
    assert not [s for s in ack.sql if s.lstrip().startswith("SELECT edi_partners")], ack.sql
    for kind in ("shipment", "invoice"):
        assert trips[kind].round_trips == ack.round_trips, (kind, trips[kind].sql)
