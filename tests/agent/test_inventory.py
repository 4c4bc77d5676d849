"""The inventory policy against a live hub: accept what is on hand, backorder or cancel the rest as the
PO's SalesRequirement says, never promise a unit twice, and send an updated acknowledgement when stock
arrives."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from tests.agent.helpers import SHIP_HEADER, agent, agent_env, create_order, documents, order, write_csv
from tests.support import LiveServer, Trade

INVENTORY = ["SupplierSKU", "OnHand", "LeadTimeDays"]


def figures(trade: Trade, key: str) -> list[tuple[int, int, int]]:
    """(acknowledged, backordered, cancelled) per line, as the hub has them."""
    return [
        (ln["QuantityAcknowledged"], ln["QuantityBackordered"], ln["QuantityCancelled"])
        for ln in order(trade, key)["OrderLines"]
    ]


def test_backorder_then_update_when_stock_arrives(server: LiveServer, trade: Trade, tmp_path: Path) -> None:
    stock = write_csv(tmp_path / "stock.csv", INVENTORY, [["A", 5, 7], ["B", 10, 2]])
    env = agent_env(server, trade, tmp_path, POHUB_AGENT_POLICY="inventory", POHUB_AGENT_INVENTORY=str(stock))
    # In the hub's (and the agent's) order: the oldest PO is served first.
    first = create_order(trade, "INV-1", [("A", 3, "2.00"), ("B", 2, "1.00"), ("NOPE", 1, "9.00")])
    second = create_order(trade, "INV-2", [("A", 4, "2.00")])
    no_backorder = create_order(trade, "INV-3", [("A", 2, "2.00"), ("B", 1, "1.00")], sales_requirement=0)
    ship_complete = create_order(trade, "INV-4", [("B", 1, "1.00"), ("A", 1, "2.00")], sales_requirement=2)

    code, report, out = agent(env, "acknowledge")
    assert code == 0, out
    assert figures(trade, first) == [(3, 0, 0), (2, 0, 0), (0, 0, 1)]  # unknown SKU cancelled
    assert figures(trade, second) == [(2, 2, 0)]  # only 2 of A left after INV-1
    assert figures(trade, no_backorder) == [(0, 0, 2), (1, 0, 0)]  # NoBackorder: cancel, do not wait
    assert figures(trade, ship_complete) == [(0, 1, 0), (0, 1, 0)]  # ShipComplete: all wait for A
    assert order(trade, ship_complete)["StatusCode"] == 200

    [ack] = documents(trade, first, "Acknowledgements")
    assert ack["AckLines"][2]["ChangeReason"] == "Invalid SKU"
    [ack] = documents(trade, second, "Acknowledgements")
    assert ack["AckLines"][0]["ChangeReason"] == "Out of stock"
    assert ack["ScheduledShipDate"].startswith((date.today() + timedelta(days=7)).isoformat())
    assert (report["acknowledged"], report["backordered"], report["backordered_units"]) == (4, 2, 4)
    assert (report["cancelled_lines"], report["cancelled_units"]) == (2, 3)

    # Nothing changed: a second run promises nothing twice and sends nothing.
    code, report, out = agent(env, "acknowledge")
    assert code == 0 and report["updated"] == 0 and report["acknowledged"] == 0, out

    # INV-1's 3 units of A ship; the WMS export now shows 6 on hand (3 shipped, 4 received).
    ship = write_csv(tmp_path / "ship.csv", SHIP_HEADER, [["INV-1", "", "01", "A", 3, "UPSN", "", "1Z", "", "S-1"]])
    assert agent(env, "ship", str(ship))[0] == 0
    write_csv(stock, INVENTORY, [["A", 6, 7], ["B", 9, 2]])
    code, report, out = agent(env, "acknowledge")
    assert code == 0, out
    # 6 on hand, 2 still promised to INV-2: INV-2's backorder of 2 is filled first, then INV-4's.
    assert report["updated"] == 2
    assert figures(trade, second) == [(4, 0, 0)]
    assert figures(trade, ship_complete) == [(1, 0, 0), (1, 0, 0)]
    assert order(trade, ship_complete)["StatusCode"] == 500
    acks = documents(trade, second, "Acknowledgements")
    assert [a["AcknowledgementNumber"] for a in acks] == ["ACK-INV-2-1", "ACK-INV-2-2"]
    assert acks[1]["ExtendedAttributes"] == [{"Name": "Acknowledgement Update", "Value": "true"}]
    # Cancelled stays cancelled.
    assert figures(trade, no_backorder) == [(0, 0, 2), (1, 0, 0)]


def test_ship_complete_order_waits_while_short(server: LiveServer, trade: Trade, tmp_path: Path) -> None:
    stock = write_csv(tmp_path / "stock.csv", INVENTORY, [["A", 1, 3], ["B", 0, 10]])
    env = agent_env(server, trade, tmp_path, POHUB_AGENT_POLICY="inventory", POHUB_AGENT_INVENTORY=str(stock))
    waiting = create_order(trade, "SC-1", [("A", 1, "1.00"), ("B", 1, "1.00")], sales_requirement=2)
    after = create_order(trade, "SC-2", [("A", 1, "1.00")])
    assert agent(env, "acknowledge")[0] == 0
    # SC-1 takes no stock while it waits, so SC-2 gets the one A.
    assert figures(trade, waiting) == [(0, 1, 0), (0, 1, 0)]
    assert figures(trade, after) == [(1, 0, 0)]
    [ack] = documents(trade, waiting, "Acknowledgements")
    assert ack["ScheduledShipDate"].startswith((date.today() + timedelta(days=10)).isoformat())
    # B arrives but A is gone: still short, so no update.
    write_csv(stock, INVENTORY, [["A", 1, 3], ["B", 5, 10]])
    code, report, _ = agent(env, "acknowledge")
    assert code == 0 and report["updated"] == 0
