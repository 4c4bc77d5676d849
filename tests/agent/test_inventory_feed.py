"""The agent's inventory policy reading the hub's inventory feed (over HTTP, through its client) instead
of a local file: what the supplier broadcast is what the agent promises, the next-available date sets a
backorder's ship date, and a new broadcast lets the next pass fill the backorders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.agent.helpers import agent, agent_env, create_order, documents, order
from tests.agent.test_inventory import figures
from tests.inventory.helpers import published
from tests.support import LiveServer, Trade


def test_the_policy_reads_the_hub_s_feed(server: LiveServer, trade: Trade, tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    soon = today + timedelta(days=3)
    published(
        trade.supplier,
        "SupplierSKU,Quantity,LeadTime,NextAvailableDate,Warehouse,WarehouseQuantity\r\n"
        f"A,5,7 days,,EAST,5\r\nB,10,30,{soon.isoformat()},EAST,10\r\n",
    )
    env = agent_env(server, trade, tmp_path, POHUB_AGENT_POLICY="inventory", POHUB_AGENT_INVENTORY_FEED="hub")
    first = create_order(trade, "FEED-1", [("A", 3, "2.00"), ("B", 12, "1.00"), ("NOPE", 1, "9.00")])
    second = create_order(trade, "FEED-2", [("A", 4, "2.00")])

    code, report, out = agent(env, "acknowledge")
    assert code == 0, out
    assert figures(trade, first) == [(3, 0, 0), (10, 2, 0), (0, 0, 1)]
    assert figures(trade, second) == [(2, 2, 0)]
    [ack] = documents(trade, first, "Acknowledgements")
    assert ack["ScheduledShipDate"].startswith(soon.isoformat())  # B's next-available date, not its lead time
    [ack] = documents(trade, second, "Acknowledgements")
    assert ack["ScheduledShipDate"].startswith((today + timedelta(days=7)).isoformat())  # A: "7 days"

    # Stock arrives: the supplier broadcasts it, and the next pass reads it from the hub again.
    published(trade.supplier, "SupplierSKU,Quantity\r\nA,9\r\n")
    code, report, out = agent(env, "acknowledge")
    assert code == 0 and report["updated"] == 1, out
    assert figures(trade, second) == [(4, 0, 0)]  # 9 on hand, 5 promised before: 2 more for FEED-2
    assert order(trade, second)["StatusCode"] == 500


def test_a_feed_the_agent_may_not_read_fails_the_pass(server: LiveServer, trade: Trade, tmp_path: Path) -> None:
    key = create_order(trade, "FEED-X", [("A", 1, "1.00")])
    env = agent_env(server, trade, tmp_path, POHUB_AGENT_POLICY="inventory", POHUB_AGENT_INVENTORY_FEED="999999")
    code, report, out = agent(env, "acknowledge")
    assert code == 1, out
    [failure] = report["failures"]
    assert failure["kind"] == "inventory" and "404" in failure["reason"], failure
    assert figures(trade, key) == [(0, 0, 0)]  # nothing promised on figures it could not read


def test_a_file_and_the_feed_together_are_refused(server: LiveServer, trade: Trade, tmp_path: Path) -> None:
    stock = tmp_path / "stock.csv"
    stock.write_text("SupplierSKU,OnHand\nA,1\n")
    env = agent_env(
        server,
        trade,
        tmp_path,
        POHUB_AGENT_POLICY="inventory",
        POHUB_AGENT_INVENTORY_FEED="hub",
        POHUB_AGENT_INVENTORY=str(stock),
    )
    code, _, out = agent(env, "acknowledge")
    assert code == 2 and "not both" in out
