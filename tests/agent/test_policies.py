"""Policies as pure logic, and a policy of one's own loaded the way docs/agent.md shows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pohub.agent.policies import (
    AcceptAll,
    InventoryPolicy,
    POLine,
    PurchaseOrder,
    StockItem,
    load_policy,
)

TODAY = date(2026, 12, 1)


def po(key: str, *lines: tuple[str, int], requirement: int | None = 1) -> PurchaseOrder:
    return PurchaseOrder(
        key, f"PO-{key}", tuple(POLine(str(i), sku, q) for i, (sku, q) in enumerate(lines, 1)), requirement
    )


def test_inventory_never_promises_a_unit_twice() -> None:
    policy = InventoryPolicy({"A": StockItem(10, 3)})
    policy.start(promised={"A": 4}, today=TODAY)  # 4 of the 10 are already promised to earlier POs
    first = policy.acknowledge(po("1", ("A", 5)))
    second = policy.acknowledge(po("2", ("A", 5)))
    assert [(ln.accepted, ln.backordered) for ln in first.lines] == [(5, 0)]
    assert [(ln.accepted, ln.backordered) for ln in second.lines] == [(1, 4)]
    assert first.ship_date == TODAY and second.ship_date == date(2026, 12, 4)
    # The server refused PO 1's answer: its 5 units are free again.
    policy.release(po("1", ("A", 5)))
    assert policy.acknowledge(po("3", ("A", 9))).lines[0].accepted == 5


def test_inventory_update_fills_backorders_only_when_it_can() -> None:
    policy = InventoryPolicy({"A": StockItem(2, 1), "B": StockItem(0, 5)})
    policy.start(promised={}, today=TODAY)
    waiting = PurchaseOrder(
        "9", "PO-9", (POLine("1", "A", 3, accepted=1, backordered=2), POLine("2", "B", 1, backordered=1)), 1
    )
    better = policy.update(waiting)
    assert better is not None
    assert [(ln.accepted, ln.backordered) for ln in better.lines] == [(3, 0), (0, 1)]
    assert better.ship_date == date(2026, 12, 6)
    complete = PurchaseOrder("10", "PO-10", waiting.lines, 2)
    policy.start(promised={}, today=TODAY)
    assert policy.update(complete) is None  # ship complete: B is still short


def test_accept_all_and_bad_specs() -> None:
    decision = AcceptAll().acknowledge(po("1", ("X", 3), ("Y", 1)))
    assert [ln.accepted for ln in decision.lines] == [3, 1] and decision.cancelled == 0
    with pytest.raises(ValueError, match="inventory file"):
        load_policy("inventory")
    with pytest.raises(ValueError, match="MODULE:CLASS"):
        load_policy("nonsense")
    with pytest.raises(ValueError, match="not a subclass"):
        load_policy("pohub.agent.state:State")


def test_own_policy_from_a_file(tmp_path: Path) -> None:
    source = tmp_path / "my_policy.py"
    source.write_text(
        '''
from pohub.agent.policies import Decision, LineAck, Policy, PurchaseOrder

class NoMoreThanTen(Policy):
    """Accept at most 10 of anything; cancel the rest."""

    def __init__(self, limit: int = 10) -> None:
        self.limit = limit

    def acknowledge(self, order: PurchaseOrder) -> Decision:
        lines = []
        for line in order.lines:
            accepted = min(line.quantity, self.limit)
            lines.append(LineAck(line.line_number, line.sku, accepted,
                                 cancelled=line.quantity - accepted,
                                 reason="Quantity limit" if accepted < line.quantity else None))
        return Decision(tuple(lines))
'''
    )
    policy = load_policy(f"{source}:NoMoreThanTen", options={"limit": 5})
    decision = policy.acknowledge(po("1", ("A", 7), ("B", 2)))
    assert [(ln.accepted, ln.cancelled, ln.reason) for ln in decision.lines] == [
        (5, 2, "Quantity limit"),
        (2, 0, None),
    ]
