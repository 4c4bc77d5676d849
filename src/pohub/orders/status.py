"""The order lifecycle in one place: status codes, the allowed moves, and the status a set of
line quantities implies (a pure function; the services call it under the order's row lock)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from pohub.core.ids import is_ascii_int


class OrderStatus(IntEnum):
    SUBMITTED = 100
    READY_TO_ACKNOWLEDGE = 150
    ACKNOWLEDGED = 200
    READY_TO_SHIP = 500
    READY_TO_INVOICE = 600
    COMPLETE = 1000
    CANCELLED = 1100
    FAILED = 1200
    IGNORED = 1400

    @property
    def label(self) -> str:
        return ORDER_STATUS_NAMES[self]


ORDER_STATUS_NAMES: dict[OrderStatus, str] = {
    OrderStatus.SUBMITTED: "Submitted",
    OrderStatus.READY_TO_ACKNOWLEDGE: "Ready to Acknowledge",
    OrderStatus.ACKNOWLEDGED: "Acknowledged",
    OrderStatus.READY_TO_SHIP: "Ready to Ship",
    OrderStatus.READY_TO_INVOICE: "Ready to Invoice",
    OrderStatus.COMPLETE: "Complete",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.FAILED: "Failed",
    OrderStatus.IGNORED: "Ignored",
}

S = OrderStatus
_FORWARD = (
    S.SUBMITTED,
    S.READY_TO_ACKNOWLEDGE,
    S.ACKNOWLEDGED,
    S.READY_TO_SHIP,
    S.READY_TO_INVOICE,
    S.COMPLETE,
)

# The one table of allowed moves. Forward along the main line, cancel or fail from any open
# status, ignore a failed order. Complete, Cancelled and Ignored are final.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    **{status: frozenset(_FORWARD[i + 1 :]) | {S.CANCELLED, S.FAILED} for i, status in enumerate(_FORWARD[:-1])},
    S.COMPLETE: frozenset(),
    S.CANCELLED: frozenset(),
    S.FAILED: frozenset({S.IGNORED}),
    S.IGNORED: frozenset(),
}

# Statuses in which an order still takes acknowledgements, shipments and invoices.
OPEN = frozenset({S.SUBMITTED, S.READY_TO_ACKNOWLEDGE, S.ACKNOWLEDGED, S.READY_TO_SHIP, S.READY_TO_INVOICE})
# What a receiver still has to pick up (GET /Orders/Ready).
READY = (S.SUBMITTED, S.READY_TO_ACKNOWLEDGE)

# Statuses of the other document kinds (GET /Statuses), as the platform publishes them.
DOCUMENT_STATUSES: dict[str, dict[int, str]] = {
    "Order": {0: "New", **{int(k): v for k, v in ORDER_STATUS_NAMES.items()}},
    "Acknowledgement": {
        0: "New",
        100: "Submitted",
        200: "Processing",
        1000: "Complete",
        1200: "Failed",
        1400: "Ignored",
    },
    "Shipment": {
        -1: "Draft",
        0: "New",
        100: "Submitted",
        200: "Processing",
        300: "Consolidating",
        410: "Awaiting 754",
        420: "754 Received",
        430: "With Carrier",
        435: "Unable to Track",
        440: "Accepted",
        450: "In Transit",
        460: "Delivery Attempted",
        465: "Exception",
        470: "Delivered",
        1000: "Complete",
        1200: "Failed",
        1400: "Ignored",
    },
    "Invoice": {
        0: "New",
        100: "Submitted",
        110: "Consolidated",
        200: "Processing",
        1000: "Complete",
        1200: "Failed",
        1400: "Ignored",
    },
}


def parse_status(value: str | int) -> OrderStatus | None:
    """A status given as a code (200) or a name ("Acknowledged", "ready to ship", "ReadyToShip")."""
    text = str(value).strip()
    if is_ascii_int(text, signed=True):
        try:
            return OrderStatus(int(text))
        except ValueError:
            return None
    wanted = text.replace(" ", "").replace("_", "").casefold()
    for status, name in ORDER_STATUS_NAMES.items():
        if name.replace(" ", "").casefold() == wanted:
            return status
    return None


def can_move(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


@dataclass(frozen=True)
class LineQuantities:
    ordered: int
    accepted: int = 0
    backordered: int = 0
    cancelled: int = 0
    shipped: int = 0
    invoiced: int = 0

    @property
    def open(self) -> int:
        """Units still owed to the buyer: ordered less cancelled."""
        return self.ordered - self.cancelled


def derive_status(
    current: OrderStatus,
    lines: Iterable[LineQuantities],
    *,
    acknowledged: bool,
    invoice_required: bool,
) -> OrderStatus:
    """The status the documents received so far imply; never a step backwards, never out of a
    final status. An all-cancelling acknowledgement does not cancel the order (seed 002): that
    takes an explicit status change."""
    if current not in OPEN:
        return current
    lines = list(lines)
    implied = S.SUBMITTED
    if acknowledged:
        implied = S.ACKNOWLEDGED
    if any(line.accepted > 0 for line in lines):
        implied = S.READY_TO_SHIP
    owed = sum(line.open for line in lines)
    if owed > 0 and all(line.shipped >= line.open for line in lines):
        implied = S.READY_TO_INVOICE if invoice_required else S.COMPLETE
        if all(line.invoiced >= line.shipped for line in lines) and invoice_required:
            implied = S.COMPLETE
    return max(current, implied, key=_FORWARD.index)


def all_cancelled(lines: Iterable[LineQuantities]) -> bool:
    lines = list(lines)
    return bool(lines) and all(line.cancelled >= line.ordered for line in lines)
