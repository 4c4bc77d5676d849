"""The hub works while the agent plans: the next chunk's reads (acknowledge) and a chunk's posts (invoice)
are at the hub before the agent's synchronous planning of the following chunk holds its event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pohub.agent.config import load
from pohub.agent.csvfiles import read_shipments
from pohub.agent.policies import AcceptAll, Decision, PurchaseOrder
from pohub.agent.runner import Agent
from pohub.agent.state import State
from pohub.client import AsyncClient
from tests.agent.helpers import SHIP_HEADER, create_order, write_csv
from tests.support import LiveServer, Trade

ORDERS = 8  # two chunks at concurrency 1 (chunks of 4)


class Counting(AcceptAll):
    """AcceptAll that notes how many requests the client had started at each decision."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.started: list[int] = []

    def acknowledge(self, order: PurchaseOrder) -> Decision:
        self.started.append(self.client.stats.requests)
        return super().acknowledge(order)


class Noting(State):
    """The real state file, noting how many requests the client had started as each batch of writes begins."""

    client: AsyncClient | None = None
    started: list[int]

    @contextmanager
    def batch(self) -> Iterator[None]:
        if self.client is not None:
            self.started.append(self.client.stats.requests)
        with super().batch():
            yield


def test_the_next_chunk_is_at_the_hub_while_this_one_is_planned(
    server: LiveServer, trade: Trade, tmp_path: Path
) -> None:
    for i in range(ORDERS):
        create_order(trade, f"OV-{i}", [("A", 1, "2.00")])
    ship = write_csv(
        tmp_path / "ship.csv",
        SHIP_HEADER,
        [[f"OV-{i}", "", "01", "A", 1, "UPSN", "GND", f"1Z{i}", "2026-12-01", f"S-{i}"] for i in range(ORDERS)],
    )
    settings = load(
        None,
        base_url=server.url,
        api_key=trade.supplier.key,
        state=tmp_path / "agent.db",
        rate="off",
        concurrency=1,
        invoice_hub_shipments=False,
    )
    state = Noting(settings.state)

    async def run() -> tuple[list[int], list[int]]:
        async with AsyncClient(settings.client_options()) as client:
            policy = Counting(client)
            agent = Agent(settings=settings, client=client, state=state, policy=policy)
            await agent.acknowledge()
            await agent.ship_requests(read_shipments(ship))
            state.client, state.started = client, []
            await agent.invoice()
            assert agent.finish().invoiced == ORDERS
            return policy.started, state.started

    try:
        decided, invoicing = asyncio.run(run())
    finally:
        state.close()
    # Acknowledge: the listing (1 request), the first chunk's 4 reads, and the second chunk's first read
    # before the first chunk's first decision.
    assert decided[0] == 1 + 4 + 1, decided
    # Invoice: the first chunk's first post is out before the second chunk is planned.
    assert len(invoicing) == 2 and invoicing[1] == invoicing[0] + 1, invoicing
