"""A change's statuses, and the one rule of when it applies: at once before the supplier
acknowledged the order, after its answer otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from pohub.orders.status import OrderStatus


class ChangeStatus(IntEnum):
    AWAITING_ANSWER = 100
    APPLIED = 1000
    PARTLY_APPLIED = 1010
    REJECTED = 1300

    @property
    def label(self) -> str:
        return CHANGE_STATUS_NAMES[self]


CHANGE_STATUS_NAMES = {
    ChangeStatus.AWAITING_ANSWER: "Awaiting answer",
    ChangeStatus.APPLIED: "Applied",
    ChangeStatus.PARTLY_APPLIED: "Partly applied",
    ChangeStatus.REJECTED: "Rejected",
}

# Before these, the supplier has not answered the PO yet: a change simply rewrites it.
UNACKNOWLEDGED = frozenset({OrderStatus.SUBMITTED, OrderStatus.READY_TO_ACKNOWLEDGE})

PENDING, APPLIED, REJECTED = "pending", "applied", "rejected"


def needs_answer(order_status: int) -> bool:
    return OrderStatus(order_status) not in UNACKNOWLEDGED


def status_of(states: Iterable[str]) -> ChangeStatus:
    """A change's status from its lines' states once answered."""
    states = set(states)
    if PENDING in states:
        return ChangeStatus.AWAITING_ANSWER
    if states == {REJECTED}:
        return ChangeStatus.REJECTED
    if REJECTED in states:
        return ChangeStatus.PARTLY_APPLIED
    return ChangeStatus.APPLIED
