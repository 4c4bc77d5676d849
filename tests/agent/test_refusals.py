"""A document the hub refuses is reported with the hub's reasons, not sent again while its input is
the same, and sent once the input changes."""

from __future__ import annotations

from pathlib import Path

from tests.agent.helpers import SHIP_HEADER, agent, agent_env, create_order, events, order, write_csv
from tests.support import LiveServer, Trade


def refusals(trade: Trade, key: str) -> int:
    return sum(1 for e in events(trade, key) if "refused" in (e["Summary"] or ""))


def test_refusal_is_reported_held_and_retried_after_a_change(server: LiveServer, trade: Trade, tmp_path: Path) -> None:
    env = agent_env(server, trade, tmp_path)
    key = create_order(trade, "REF-1", [("A", 2, "5.00")])
    assert agent(env, "acknowledge")[0] == 0

    too_many = [["REF-1", "", "01", "A", 3, "UPSN", "", "1Z", "2026-12-01", "S-1"]]
    ship = write_csv(tmp_path / "ship.csv", SHIP_HEADER, too_many)
    code, report, out = agent(env, "ship", str(ship))
    assert code == 1, out
    [failure] = report["failures"]
    assert failure["kind"] == "shipment" and failure["number"] == "S-1" and failure["status_code"] == 422
    assert "over-ship" in failure["reason"].lower()
    assert failure["errors"][0]["Field"] == "ShipmentLines[0].Quantity"
    assert refusals(trade, key) == 1

    # Same file again: reported as held, not sent (the hub sees no second attempt), and not a new failure.
    code, report, out = agent(env, "ship", str(ship))
    assert code == 0, out
    assert report["failed"] == 0 and [h["number"] for h in report["held"]] == ["S-1"]
    assert "over-ship" in report["held"][0]["reason"].lower()
    assert refusals(trade, key) == 1

    # The file is fixed: the shipment goes, under the same number.
    write_csv(ship, SHIP_HEADER, [[*too_many[0][:4], 2, *too_many[0][5:]]])
    code, report, out = agent(env, "ship", str(ship))
    assert code == 0 and report["shipped"] == 1, out
    assert order(trade, key)["StatusCode"] == 600


def test_bad_rows_are_reported_without_sending(server: LiveServer, trade: Trade, tmp_path: Path) -> None:
    env = agent_env(server, trade, tmp_path)
    key = create_order(trade, "ROW-1", [("A", 2, "5.00"), ("A", 1, "5.00")])
    assert agent(env, "acknowledge")[0] == 0
    ship = write_csv(
        tmp_path / "ship.csv",
        SHIP_HEADER,
        [
            ["ROW-1", "", "", "A", 1, "", "", "", "", "S-SKU"],  # SKU on two lines: which one?
            ["ROW-1", "", "09", "", 1, "", "", "", "", "S-LINE"],  # no such line
            ["NOT-A-PO", "", "01", "", 1, "", "", "", "", "S-PO"],  # unknown PO
            ["ROW-1", "", "01", "", "two", "", "", "", "", "S-QTY"],  # not a number
        ],
    )
    code, report, out = agent(env, "ship", str(ship))
    assert code == 1, out
    reasons = {f["number"]: f["reason"] for f in report["failures"]}
    assert "several lines" in reasons["S-SKU"]
    assert "no line '09'" in reasons["S-LINE"]
    assert "no order" in reasons["S-PO"]
    assert "not a whole number" in reasons["S-QTY"]
    assert refusals(trade, key) == 0 and report["shipped"] == 0
