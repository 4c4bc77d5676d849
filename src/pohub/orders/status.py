"""The order lifecycle in one place: status codes, the allowed moves, who may make which move by
hand, and the status a set of line quantities implies (pure functions; the services call them under
the order's row lock)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import NamedTuple

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

_RANK = {status: i for i, status in enumerate(_FORWARD)}
_BY_VALUE: dict[int, OrderStatus] = {int(s): s for s in OrderStatus}


def status_of(value: int) -> OrderStatus:
    """``OrderStatus(value)`` without the enum's call (4.7 k instructions, three a document): the
    same member, and the same ValueError for a value that is none."""
    try:
        return _BY_VALUE[value]
    except (KeyError, TypeError):
        return OrderStatus(value)


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


# ---------------------------------------------------------------- who may set a status by hand


class Party(StrEnum):
    """The two sides of a PO: the buyer sends it, the supplier fulfils it."""

    BUYER = "buyer"
    SUPPLIER = "supplier"


@dataclass(frozen=True)
class ManualMove:
    """One move a party may make by hand (PUT .../Status/{status}, the bulk route, the dashboard,
    the dialects' status routes): set `target` from any of `sources`."""

    party: Party
    target: OrderStatus
    sources: frozenset[OrderStatus]
    rule: str  # the rule in words; a refusal quotes it
    # An override of what the documents decide (500, 600 and 1000 follow from acknowledgements,
    # shipments and invoices): allowed only with a reason, which the timeline records.
    needs_reason: bool = False
    # Only while no unit of the order has shipped (a shipped unit cannot be cancelled).
    before_shipping: bool = False


B, SU = Party.BUYER, Party.SUPPLIER
_PICK_UP = frozenset({S.SUBMITTED, S.READY_TO_ACKNOWLEDGE})
_BY_DOCUMENTS = "follows from documents; setting it by hand is an override and needs a reason"
_CANCEL = "either party may cancel an order, but only while nothing has shipped"
_IGNORE = "either party may set 1400 Ignored on a failed order"

# The one table of manual moves. Anything not listed here is refused (403) to that party, even
# where TRANSITIONS allows the move: documents still make it, under derive_status. Every source is
# one TRANSITIONS allows (tests/unit/test_authority.py checks, and spells out every cell).
MANUAL_MOVES: tuple[ManualMove, ...] = (
    # Seed 000 step 3: the supplier picks a PO up by setting 200.
    ManualMove(SU, S.ACKNOWLEDGED, _PICK_UP, "the supplier picks up a PO by setting 200 Acknowledged"),
    # Seed 002: "for most partners the order ... can be picked up on 500 (Ready to Ship)".
    ManualMove(SU, S.READY_TO_SHIP, _PICK_UP, "the supplier may pick up a PO straight into 500 Ready to Ship"),
    # After pick-up, 500, 600 and 1000 are what acknowledgements, shipments and invoices imply.
    ManualMove(
        SU, S.READY_TO_SHIP, frozenset({S.ACKNOWLEDGED}), f"500 Ready to Ship {_BY_DOCUMENTS}", needs_reason=True
    ),
    ManualMove(
        SU, S.READY_TO_INVOICE, OPEN - {S.READY_TO_INVOICE}, f"600 Ready to Invoice {_BY_DOCUMENTS}", needs_reason=True
    ),
    ManualMove(SU, S.COMPLETE, OPEN, f"1000 Complete {_BY_DOCUMENTS}", needs_reason=True),
    ManualMove(B, S.COMPLETE, OPEN, f"1000 Complete {_BY_DOCUMENTS}", needs_reason=True),
    # Seed 002: an acknowledgement that cancels everything does not cancel the order; the status
    # is moved to 1100 by hand. Shipped units cannot be cancelled (the acknowledgement rule too).
    ManualMove(SU, S.CANCELLED, OPEN, _CANCEL, before_shipping=True),
    ManualMove(B, S.CANCELLED, OPEN, _CANCEL, before_shipping=True),
    # Seed 002: Failed means the order could not be processed, which is the supplier's to say.
    ManualMove(SU, S.FAILED, OPEN, "the supplier sets 1200 Failed when it cannot process the order"),
    ManualMove(SU, S.IGNORED, frozenset({S.FAILED}), _IGNORE),
    ManualMove(B, S.IGNORED, frozenset({S.FAILED}), _IGNORE),
)


def manual_move(party: Party, current: OrderStatus, target: OrderStatus) -> ManualMove | None:
    """The table's entry that lets `party` set `target` from `current`, if any."""
    for move in MANUAL_MOVES:
        if move.party == party and move.target == target and current in move.sources:
            return move
    return None


def allowed_manual_moves(party: Party, current: OrderStatus, *, units_shipped: int = 0) -> list[OrderStatus]:
    """Every status `party` may set by hand now, in code order (overrides included: see
    manual_move(...).needs_reason). The dashboard offers exactly these."""
    out = set()
    for move in MANUAL_MOVES:
        if move.party == party and current in move.sources and not (move.before_shipping and units_shipped > 0):
            out.add(move.target)
    return sorted(out)


@dataclass(frozen=True)
class Refusal:
    """Why a manual move is refused: 409 when the lifecycle allows it to nobody, 403 when this
    party may not make it (now, or without a reason)."""

    status_code: int
    message: str
    field: str
    error: str
    allowed: list[OrderStatus]


def _listing(statuses: Iterable[OrderStatus]) -> str:
    return ", ".join(f"{int(s)} {s.label}" for s in statuses)


def _offer(party: Party, current: OrderStatus, allowed: list[OrderStatus]) -> str:
    """What the party may set now, overrides marked: "1000 Complete (with a reason), 1100 Cancelled".
    Never empty where a 403 can arise: from every open status and from 1200 each party may set
    something (tests/unit/test_authority.py spells the table out)."""
    parts = []
    for target in allowed:
        move = manual_move(party, current, target)
        parts.append(f"{int(target)} {target.label}" + (" (with a reason)" if move and move.needs_reason else ""))
    return ", ".join(parts)


def judge_manual_move(
    party: Party,
    current: OrderStatus,
    target: OrderStatus,
    *,
    units_shipped: int,
    reason: str | None,
) -> Refusal | None:
    """May `party` set `target` by hand on an order in `current` with `units_shipped` shipped?
    None when it may; else the refusal, naming the rule. Setting the current status again is not
    a move: the caller answers it as unchanged before asking."""
    allowed = allowed_manual_moves(party, current, units_shipped=units_shipped)
    if not can_move(current, target):
        return Refusal(
            409,
            f"cannot move from {int(current)} {current.label} to {int(target)} {target.label}; "
            f"allowed next statuses: {_listing(allowed) if TRANSITIONS[current] else 'none (final status)'}",
            "Status",
            "moving backwards, or out of a final status, is not allowed",
            allowed,
        )
    move = manual_move(party, current, target)
    if move is None:
        theirs = [m for m in MANUAL_MOVES if m.target == target]
        rules = "; ".join(dict.fromkeys(m.rule for m in theirs)) or f"nobody sets {int(target)} {target.label} by hand"
        owners = {m.party for m in theirs}
        where = f" (it is the {owners.pop()}'s to set)" if owners and party not in owners else ""
        return Refusal(
            403,
            f"the {party} may not set {int(target)} {target.label} on an order in {int(current)} {current.label}"
            f"{where}: {rules}. The {party} may set now: {_offer(party, current, allowed)}",
            "Status",
            f"the {party} may not set {int(target)} by hand from {int(current)}",
            allowed,
        )
    if move.before_shipping and units_shipped > 0:
        return Refusal(
            403,
            f"cannot set {int(target)} {target.label}: {units_shipped} unit(s) have already shipped, and {move.rule}. "
            "The remaining units can be cancelled by an acknowledgement update (QuantityCancelled), or the order "
            "closed with 1000 Complete and a reason",
            "Status",
            "nothing may have shipped",
            allowed,
        )
    if move.needs_reason and not reason:
        return Refusal(
            403,
            f"{move.rule}: give a reason (reason), which is recorded on the order's timeline",
            "reason",
            f"is required to set {int(target)} {target.label} by hand",
            allowed,
        )
    return None


class LineQuantities(NamedTuple):
    """A line's figures, as derive_status reads them (a named tuple: ten made a document, and a
    frozen dataclass's __init__ costs three times as much)."""

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
    # One pass over the lines for every figure the rules below read (every document runs this).
    any_accepted = False
    owed = 0
    all_shipped = all_invoiced = True
    for ordered, accepted, _backordered, cancelled, shipped, invoiced in lines:
        owed += ordered - cancelled  # the line's open units (LineQuantities.open), unpacked
        if accepted > 0:
            any_accepted = True
        if shipped < ordered - cancelled:
            all_shipped = False
        if invoiced < shipped:
            all_invoiced = False
    implied = S.SUBMITTED
    if acknowledged:
        implied = S.ACKNOWLEDGED
    if any_accepted:
        implied = S.READY_TO_SHIP
    if owed > 0 and all_shipped:
        implied = S.READY_TO_INVOICE if invoice_required else S.COMPLETE
        if all_invoiced and invoice_required:
            implied = S.COMPLETE
    return implied if _RANK[implied] > _RANK[current] else current


def all_cancelled(lines: Iterable[LineQuantities]) -> bool:
    """Every line cancelled in full (and there is a line). One loop, no copy of the lines nor a
    generator (an acknowledgement asks once: 5.7 k instructions for ten lines, 1.4 k now)."""
    seen = False
    for ordered, _accepted, _backordered, cancelled, _shipped, _invoiced in lines:
        if cancelled < ordered:
            return False
        seen = True
    return seen
