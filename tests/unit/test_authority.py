"""The authority table (orders/status.py) as pure functions: who may set which status by hand, from
where, and how a refusal reads."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from pohub.core.errors import Unprocessable
from pohub.orders import events
from pohub.orders.events import Actor
from pohub.orders.service import clean_reason, party_of
from pohub.orders.status import (
    MANUAL_MOVES,
    OPEN,
    TRANSITIONS,
    OrderStatus,
    Party,
    allowed_manual_moves,
    judge_manual_move,
    manual_move,
)

S = OrderStatus
B, SU = Party.BUYER, Party.SUPPLIER

# The whole table, written out: (party, current status) -> what it may set by hand while nothing
# has shipped, and once something has.
EXPECTED: dict[tuple[Party, S], tuple[list[int], list[int]]] = {
    (B, S.SUBMITTED): ([1000, 1100], [1000]),
    (B, S.READY_TO_ACKNOWLEDGE): ([1000, 1100], [1000]),
    (B, S.ACKNOWLEDGED): ([1000, 1100], [1000]),
    (B, S.READY_TO_SHIP): ([1000, 1100], [1000]),
    (B, S.READY_TO_INVOICE): ([1000, 1100], [1000]),
    (B, S.FAILED): ([1400], [1400]),
    (SU, S.SUBMITTED): ([200, 500, 600, 1000, 1100, 1200], [200, 500, 600, 1000, 1200]),
    (SU, S.READY_TO_ACKNOWLEDGE): ([200, 500, 600, 1000, 1100, 1200], [200, 500, 600, 1000, 1200]),
    (SU, S.ACKNOWLEDGED): ([500, 600, 1000, 1100, 1200], [500, 600, 1000, 1200]),
    (SU, S.READY_TO_SHIP): ([600, 1000, 1100, 1200], [600, 1000, 1200]),
    (SU, S.READY_TO_INVOICE): ([1000, 1100, 1200], [1000, 1200]),
    (SU, S.FAILED): ([1400], [1400]),
}
# Overrides of what documents decide: allowed only with a reason.
OVERRIDES = {(SU, S.ACKNOWLEDGED, S.READY_TO_SHIP)} | {
    (party, current, target)
    for party, current in EXPECTED
    for target in (S.READY_TO_INVOICE, S.COMPLETE)
    if current in OPEN and current != target
}


@pytest.mark.parametrize("party", list(Party))
@pytest.mark.parametrize("current", list(S))
def test_the_table_as_written(party: Party, current: S) -> None:
    nothing, something = EXPECTED.get((party, current), ([], []))
    assert allowed_manual_moves(party, current) == nothing
    assert allowed_manual_moves(party, current, units_shipped=1) == something
    assert allowed_manual_moves(party, current, units_shipped=0) == nothing


def test_every_manual_move_is_one_the_lifecycle_allows() -> None:
    for move in MANUAL_MOVES:
        assert move.sources, move
        for source in move.sources:
            assert move.target in TRANSITIONS[source], (move, source)


def test_overrides_need_a_reason_and_nothing_else_does() -> None:
    for (party, current), (nothing, _) in EXPECTED.items():
        for target in nothing:
            move = manual_move(party, current, S(target))
            assert move is not None
            assert move.needs_reason == ((party, current, S(target)) in OVERRIDES), (party, current, target)


def test_the_buyer_never_speaks_for_the_supplier() -> None:
    # 200, 500, 600 and 1200 are the supplier's statements about its own work.
    for current in S:
        for target in (S.ACKNOWLEDGED, S.READY_TO_SHIP, S.READY_TO_INVOICE, S.FAILED):
            assert manual_move(B, current, target) is None


def test_allowed_moves_are_exactly_those_the_judge_lets_through() -> None:
    for party in Party:
        for current in S:
            for shipped in (0, 1):
                allowed = allowed_manual_moves(party, current, units_shipped=shipped)
                for target in S:
                    if target == current:
                        continue
                    verdict = judge_manual_move(party, current, target, units_shipped=shipped, reason="because")
                    assert (verdict is None) == (target in allowed), (party, current, target, shipped)


def test_backwards_is_a_409_for_everyone_listing_the_partys_moves() -> None:
    refusal = judge_manual_move(SU, S.ACKNOWLEDGED, S.READY_TO_ACKNOWLEDGE, units_shipped=0, reason="r")
    assert refusal is not None and refusal.status_code == 409
    assert (refusal.field, refusal.error) == ("Status", "moving backwards, or out of a final status, is not allowed")
    assert refusal.message == (
        "cannot move from 200 Acknowledged to 150 Ready to Acknowledge; allowed next statuses: "
        "500 Ready to Ship, 600 Ready to Invoice, 1000 Complete, 1100 Cancelled, 1200 Failed"
    )
    assert refusal.allowed == [S.READY_TO_SHIP, S.READY_TO_INVOICE, S.COMPLETE, S.CANCELLED, S.FAILED]
    # Once something has shipped, what the party may do no longer includes cancelling.
    shipped = judge_manual_move(B, S.READY_TO_SHIP, S.ACKNOWLEDGED, units_shipped=2, reason="r")
    assert shipped is not None and shipped.allowed == [S.COMPLETE]
    assert shipped.message.endswith("allowed next statuses: 1000 Complete")
    final = judge_manual_move(B, S.COMPLETE, S.CANCELLED, units_shipped=0, reason="r")
    assert final is not None and final.status_code == 409 and final.allowed == []
    assert (
        final.message == "cannot move from 1000 Complete to 1100 Cancelled; allowed next statuses: none (final status)"
    )
    failed = judge_manual_move(B, S.FAILED, S.CANCELLED, units_shipped=0, reason="r")
    assert failed is not None and failed.message.endswith("allowed next statuses: 1400 Ignored")


def test_the_other_partys_status_is_a_403_naming_the_rule() -> None:
    refusal = judge_manual_move(B, S.READY_TO_ACKNOWLEDGE, S.ACKNOWLEDGED, units_shipped=0, reason=None)
    assert refusal is not None and refusal.status_code == 403 and refusal.field == "Status"
    assert refusal.message == (
        "the buyer may not set 200 Acknowledged on an order in 150 Ready to Acknowledge (it is the supplier's "
        "to set): the supplier picks up a PO by setting 200 Acknowledged. The buyer may set now: "
        "1000 Complete (with a reason), 1100 Cancelled"
    )
    assert refusal.error == "the buyer may not set 200 by hand from 150"
    assert refusal.allowed == [S.COMPLETE, S.CANCELLED]
    nobody = judge_manual_move(SU, S.SUBMITTED, S.READY_TO_ACKNOWLEDGE, units_shipped=0, reason="r")
    assert nobody is not None and nobody.status_code == 403
    assert nobody.message == (
        "the supplier may not set 150 Ready to Acknowledge on an order in 100 Submitted: nobody sets "
        "150 Ready to Acknowledge by hand. The supplier may set now: 200 Acknowledged, "
        "500 Ready to Ship, 600 Ready to Invoice (with a reason), 1000 Complete (with a reason), "
        "1100 Cancelled, 1200 Failed"
    )
    # A status both parties may set under different rules lists each rule once.
    both = judge_manual_move(B, S.READY_TO_SHIP, S.READY_TO_INVOICE, units_shipped=1, reason="r")
    assert both is not None and both.message == (
        "the buyer may not set 600 Ready to Invoice on an order in 500 Ready to Ship (it is the supplier's to "
        "set): 600 Ready to Invoice follows from documents; setting it by hand is an override and needs a "
        "reason. The buyer may set now: 1000 Complete (with a reason)"
    )
    assert both.allowed == [S.COMPLETE]
    # Two rules for the same status: both are quoted.
    two = judge_manual_move(B, S.READY_TO_ACKNOWLEDGE, S.READY_TO_SHIP, units_shipped=0, reason="r")
    assert two is not None and two.message == (
        "the buyer may not set 500 Ready to Ship on an order in 150 Ready to Acknowledge (it is the supplier's "
        "to set): the supplier may pick up a PO straight into 500 Ready to Ship; 500 Ready to Ship follows "
        "from documents; setting it by hand is an override and needs a reason. The buyer may set now: "
        "1000 Complete (with a reason), 1100 Cancelled"
    )


def test_cancelling_after_a_shipment_is_refused_with_the_way_out() -> None:
    for party in Party:
        refusal = judge_manual_move(party, S.READY_TO_SHIP, S.CANCELLED, units_shipped=3, reason="r")
        assert refusal is not None and refusal.status_code == 403 and refusal.field == "Status"
        assert refusal.message == (
            "cannot set 1100 Cancelled: 3 unit(s) have already shipped, and either party may cancel an order, "
            "but only while nothing has shipped. The remaining units can be cancelled by an acknowledgement "
            "update (QuantityCancelled), or the order closed with 1000 Complete and a reason"
        )
        assert refusal.error == "nothing may have shipped"
        assert S.CANCELLED not in refusal.allowed and S.COMPLETE in refusal.allowed
        assert judge_manual_move(party, S.READY_TO_SHIP, S.CANCELLED, units_shipped=0, reason=None) is None


@pytest.mark.parametrize("reason", [None, ""])
def test_an_override_without_a_reason_names_the_reason_field(reason: str | None) -> None:
    refusal = judge_manual_move(B, S.READY_TO_ACKNOWLEDGE, S.COMPLETE, units_shipped=0, reason=reason)
    assert refusal is not None and refusal.status_code == 403 and refusal.field == "reason"
    assert refusal.error == "is required to set 1000 Complete by hand"
    assert refusal.message == (
        "1000 Complete follows from documents; setting it by hand is an override and needs a reason: "
        "give a reason (reason), which is recorded on the order's timeline"
    )
    assert refusal.allowed == [S.COMPLETE, S.CANCELLED]
    assert judge_manual_move(B, S.READY_TO_ACKNOWLEDGE, S.COMPLETE, units_shipped=0, reason="short") is None


def test_reasons_are_trimmed_and_bounded() -> None:
    assert clean_reason(None) is None and clean_reason("  ") is None
    assert clean_reason("  closed short  ") == "closed short"
    assert clean_reason("x" * 500) == "x" * 500
    for bad in ("x" * 501, "a\x00b", "a\nb", "a\tb"):
        with pytest.raises(Unprocessable) as exc:
            clean_reason(bad)
        assert exc.value.errors[0].field == "reason"


def test_the_party_is_the_callers_side_of_the_order() -> None:
    order = SimpleNamespace(sender_company_id=5, receiver_company_id=7)
    assert party_of(order, 5) == B and party_of(order, 7) == SU


def test_the_timeline_row_says_who_and_why() -> None:
    order = SimpleNamespace(id=9, sender_company_id=5, receiver_company_id=7)
    at = datetime(2026, 1, 2, tzinfo=UTC)
    actor = Actor(B, 5, "ZAGENO", user="jane")
    row = events.status_set_by_hand(
        order=order, at=at, old=S.READY_TO_SHIP, new=S.COMPLETE, actor=actor, reason="closed short", override=True
    )
    assert row["type_id"] == events.STATUS_CHANGED and row["level"] == "Warning"
    assert row["summary"] == "Status changed from 500 Ready to Ship to 1000 Complete by the buyer (override)"
    assert row["details"] == (
        "Set by hand by the buyer, company 5 (ZAGENO), user jane. "
        "Override: 1000 Complete normally follows from the order's documents. Reason: closed short"
    )
    plain = events.status_set_by_hand(
        order=order,
        at=at,
        old=S.READY_TO_ACKNOWLEDGE,
        new=S.ACKNOWLEDGED,
        actor=Actor(SU, 7),
        reason=None,
        override=False,
    )
    assert plain["level"] == "Info" and plain["details"] == "Set by hand by the supplier, company 7."
    assert plain["summary"].endswith("to 200 Acknowledged by the supplier")
