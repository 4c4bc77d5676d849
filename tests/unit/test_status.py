"""The lifecycle rules as pure functions."""

from __future__ import annotations

import pytest

from pohub.orders.status import (
    TRANSITIONS,
    LineQuantities,
    OrderStatus,
    all_cancelled,
    can_move,
    derive_status,
    parse_status,
)

S = OrderStatus


def q(ordered: int, **kw: int) -> LineQuantities:
    return LineQuantities(ordered=ordered, **kw)


def test_accepted_quantities_move_to_ready_to_ship() -> None:
    lines = [q(5, accepted=4, backordered=1), q(3)]
    assert derive_status(S.READY_TO_ACKNOWLEDGE, lines, acknowledged=True, invoice_required=True) == S.READY_TO_SHIP


def test_backorder_only_acknowledgement_is_acknowledged() -> None:
    lines = [q(5, backordered=5)]
    assert derive_status(S.READY_TO_ACKNOWLEDGE, lines, acknowledged=True, invoice_required=True) == S.ACKNOWLEDGED


def test_everything_shipped_is_ready_to_invoice_or_complete() -> None:
    lines = [q(5, accepted=5, shipped=5), q(3, cancelled=3)]
    assert derive_status(S.READY_TO_SHIP, lines, acknowledged=False, invoice_required=True) == S.READY_TO_INVOICE
    assert derive_status(S.READY_TO_SHIP, lines, acknowledged=False, invoice_required=False) == S.COMPLETE


def test_partly_shipped_stays() -> None:
    lines = [q(5, accepted=5, shipped=4)]
    assert derive_status(S.READY_TO_SHIP, lines, acknowledged=False, invoice_required=True) == S.READY_TO_SHIP


def test_everything_invoiced_is_complete() -> None:
    lines = [q(5, shipped=5, invoiced=5)]
    assert derive_status(S.READY_TO_INVOICE, lines, acknowledged=False, invoice_required=True) == S.COMPLETE
    assert (
        derive_status(S.READY_TO_INVOICE, [q(5, shipped=5, invoiced=4)], acknowledged=False, invoice_required=True)
        == S.READY_TO_INVOICE
    )


def test_all_cancelled_does_not_cancel() -> None:
    lines = [q(5, cancelled=5)]
    assert derive_status(S.ACKNOWLEDGED, lines, acknowledged=True, invoice_required=True) == S.ACKNOWLEDGED
    assert all_cancelled(lines) and not all_cancelled([q(5, cancelled=4)])


def test_never_backwards_never_out_of_final() -> None:
    assert derive_status(S.READY_TO_INVOICE, [q(5, accepted=5)], acknowledged=True, invoice_required=True) == (
        S.READY_TO_INVOICE
    )
    for final in (S.COMPLETE, S.CANCELLED, S.IGNORED, S.FAILED):
        assert derive_status(final, [q(5, shipped=5)], acknowledged=True, invoice_required=True) == final


def test_transition_table() -> None:
    assert can_move(S.READY_TO_ACKNOWLEDGE, S.ACKNOWLEDGED)
    assert not can_move(S.ACKNOWLEDGED, S.READY_TO_ACKNOWLEDGE)
    assert not any(can_move(S.COMPLETE, t) for t in S)
    assert not any(can_move(S.CANCELLED, t) for t in S)
    assert TRANSITIONS[S.FAILED] == {S.IGNORED}
    for status in (S.SUBMITTED, S.READY_TO_ACKNOWLEDGE, S.ACKNOWLEDGED, S.READY_TO_SHIP, S.READY_TO_INVOICE):
        assert can_move(status, S.CANCELLED) and can_move(status, S.FAILED)
        assert all(int(t) > int(status) for t in TRANSITIONS[status])


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("200", S.ACKNOWLEDGED),
        ("Acknowledged", S.ACKNOWLEDGED),
        ("ready to ship", S.READY_TO_SHIP),
        ("ReadyToInvoice", S.READY_TO_INVOICE),
        (1100, S.CANCELLED),
        ("42", None),
        ("Shipped", None),
    ],
)
def test_parse_status(text: str | int, status: OrderStatus | None) -> None:
    assert parse_status(text) == status


def test_nothing_received_keeps_the_status_it_was_created_in() -> None:
    for created in (S.SUBMITTED, S.READY_TO_ACKNOWLEDGE):
        assert derive_status(created, [q(5)], acknowledged=False, invoice_required=True) == created


def test_one_accepted_unit_is_ready_to_ship() -> None:
    assert derive_status(S.ACKNOWLEDGED, [q(5, accepted=1)], acknowledged=True, invoice_required=True) == (
        S.READY_TO_SHIP
    )


def test_one_unit_owed_and_shipped_is_ready_to_invoice() -> None:
    assert derive_status(S.READY_TO_SHIP, [q(1, shipped=1)], acknowledged=False, invoice_required=True) == (
        S.READY_TO_INVOICE
    )
    # Nothing owed (everything cancelled): not "shipped in full".
    assert derive_status(S.ACKNOWLEDGED, [q(1, cancelled=1)], acknowledged=False, invoice_required=True) == (
        S.ACKNOWLEDGED
    )


def test_names_may_use_underscores() -> None:
    assert parse_status("ready_to_ship") == S.READY_TO_SHIP
    assert parse_status(" Ready_To_Invoice ") == S.READY_TO_INVOICE
    assert parse_status("ready__ship") is None
