"""A return's lifecycle in one place: its status codes, the one table of allowed moves, and the
status its lines' figures imply (a pure function, called under the order's row lock)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from pohub.core.ids import is_ascii_int


class ReturnStatus(IntEnum):
    REQUESTED = 100
    AUTHORISED = 200
    RECEIVED = 500
    CREDITED = 1000
    CANCELLED = 1100
    REJECTED = 1300

    @property
    def label(self) -> str:
        return RETURN_STATUS_NAMES[self]


RETURN_STATUS_NAMES: dict[ReturnStatus, str] = {
    ReturnStatus.REQUESTED: "Requested",
    ReturnStatus.AUTHORISED: "Authorised",
    ReturnStatus.RECEIVED: "Received",
    ReturnStatus.CREDITED: "Credited",
    ReturnStatus.CANCELLED: "Cancelled",
    ReturnStatus.REJECTED: "Rejected",
}

R = ReturnStatus

# The one table of allowed moves. Receipts may come in several parts (Received -> Received);
# the buyer may withdraw until goods arrive; Credited, Cancelled and Rejected are final.
TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    R.REQUESTED: frozenset({R.AUTHORISED, R.REJECTED, R.CANCELLED}),
    R.AUTHORISED: frozenset({R.RECEIVED, R.REJECTED, R.CANCELLED}),
    R.RECEIVED: frozenset({R.RECEIVED, R.CREDITED}),
    R.CREDITED: frozenset(),
    R.CANCELLED: frozenset(),
    R.REJECTED: frozenset(),
}

# Who moves a return where: the buyer withdraws it, the supplier does the rest.
BY_BUYER = frozenset({R.CANCELLED})
BY_SUPPLIER = frozenset({R.AUTHORISED, R.REJECTED, R.RECEIVED, R.CREDITED})
# Moves that carry figures (units received, amounts credited): a bare status change cannot make them.
NEEDS_DOCUMENT = {R.RECEIVED: "Receipts", R.CREDITED: "Credits"}
# Returns whose units still count against what was shipped.
ACTIVE = frozenset({R.REQUESTED, R.AUTHORISED, R.RECEIVED, R.CREDITED})
# What the supplier has still to pick up (GET /Returns/Ready).
READY = (R.REQUESTED,)


def parse_return_status(value: str | int) -> ReturnStatus | None:
    """A status as a code (200) or a name ("Authorised", "authorized")."""
    text = str(value).strip()
    if is_ascii_int(text, signed=True):
        try:
            return ReturnStatus(int(text))
        except ValueError:
            return None
    wanted = text.replace(" ", "").replace("_", "").casefold().replace("authorized", "authorised")
    for status, name in RETURN_STATUS_NAMES.items():
        if name.casefold() == wanted:
            return status
    return None


def can_move(current: ReturnStatus, target: ReturnStatus) -> bool:
    return target in TRANSITIONS[current]


@dataclass(frozen=True)
class ReturnLineQuantities:
    requested: int
    received: int = 0
    credited: int = 0


def derive_return_status(current: ReturnStatus, lines: Iterable[ReturnLineQuantities]) -> ReturnStatus:
    """What the receipts and credits so far imply: received once any unit arrived, credited once
    every received unit is credited. A final status stays."""
    if not TRANSITIONS[current]:
        return current
    lines = list(lines)
    received = sum(line.received for line in lines)
    if received == 0:
        return current
    if all(line.credited >= line.received for line in lines):
        return R.CREDITED
    return R.RECEIVED


def units_counted(status: ReturnStatus, line: ReturnLineQuantities) -> int:
    """How many of a line's shipped units a return holds: what was asked for while it is open,
    what arrived once it was received (the rest never came back)."""
    if status not in ACTIVE:
        return 0
    if status in (R.RECEIVED, R.CREDITED):
        return line.received
    return line.requested
