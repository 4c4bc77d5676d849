"""The acknowledgement rules (acknowledgements/service.py) as pure functions: each test names the
rule it guards. Two of them (no negative quantities, no cancelling what has shipped) were once
switched off with every test still green."""

from __future__ import annotations

from typing import Any

import pytest

from pohub.acknowledgements.service import _figures, _rules, check_header, is_update
from pohub.documents.logicbroker import AckLine, Acknowledgement
from pohub.orders.status import LineQuantities
from tests.unit.rules import AT, ORDER, errors, order_line, refusal


def ack_line(**fields: Any) -> AckLine:
    return AckLine.model_validate({"ItemIdentifier": {}, **fields})


def ack(lines: list[dict[str, Any]], **fields: Any) -> Acknowledgement:
    return Acknowledgement.model_validate(
        {"AcknowledgementNumber": "A-1", "AckLines": [{"ItemIdentifier": {}, **x} for x in lines], **fields}
    )


UPDATE = [{"Name": "Acknowledgement Update", "Value": "true"}]


# ---------------------------------------------------------------- one line's figures


@pytest.mark.parametrize("name", ["Quantity", "QuantityBackordered", "QuantityCancelled"])
def test_rule_no_negative_quantities(name: str) -> None:
    exc = refusal(lambda: _figures(2, ack_line(**{name: -1}), order_line()))
    assert exc.status_code == 422
    assert errors(exc) == [(f"AckLines[2].{name}", "must not be negative (got -1)")]


def test_rule_no_negative_accepted_when_left_out() -> None:
    # Quantity left out accepts the rest; backordering and cancelling more than ordered leaves
    # a negative rest, which is refused by name.
    exc = refusal(lambda: _figures(0, ack_line(QuantityBackordered=6, QuantityCancelled=5), order_line(quantity=10)))
    assert errors(exc) == [("AckLines[0].Quantity", "must not be negative (got -1)")]


def test_rule_quantity_left_out_accepts_what_is_not_backordered_or_cancelled() -> None:
    fig = _figures(0, ack_line(QuantityBackordered=3, QuantityCancelled=2), order_line(quantity=10))
    assert fig == (5, 3, 2)
    fig = _figures(0, ack_line(), order_line(quantity=10))
    assert fig == (10, 0, 0)


def test_rule_given_quantities_are_taken_as_sent() -> None:
    fig = _figures(0, ack_line(Quantity=4, QuantityBackordered=1, QuantityCancelled=2), order_line(quantity=10))
    assert fig == (4, 1, 2)


def test_rule_accepted_backordered_cancelled_at_most_ordered() -> None:
    line = order_line("03", quantity=10)
    assert _figures(1, ack_line(Quantity=5, QuantityBackordered=3, QuantityCancelled=2), line)[0] == 5  # accepted
    exc = refusal(lambda: _figures(1, ack_line(Quantity=5, QuantityBackordered=4, QuantityCancelled=2), line))
    assert exc.status_code == 422
    assert errors(exc) == [
        ("AckLines[1].Quantity", "accepted 5 + backordered 4 + cancelled 2 = 11 exceeds the 10 ordered on line 03")
    ]


def test_rule_no_cancelling_units_already_shipped() -> None:
    line = order_line("02", quantity=10, shipped=4)
    assert _figures(0, ack_line(Quantity=4, QuantityCancelled=6), line)[2] == 6  # cancelled: exactly the unshipped
    exc = refusal(lambda: _figures(3, ack_line(Quantity=3, QuantityCancelled=7), line))
    assert exc.status_code == 422
    assert errors(exc) == [
        ("AckLines[3].QuantityCancelled", "cannot cancel 7 on line 02: 4 of 10 have already shipped")
    ]


def test_rule_no_negative_price() -> None:
    exc = refusal(lambda: _figures(1, ack_line(Quantity=1, Price=-0.01), order_line()))
    assert errors(exc) == [("AckLines[1].Price", "must not be negative")]
    assert _figures(1, ack_line(Quantity=1, Price=0), order_line())[0] == 1  # accepted


# ---------------------------------------------------------------- the update attribute


@pytest.mark.parametrize(
    ("attributes", "update"),
    [
        (UPDATE, True),
        ([{"Name": "  acknowledgement UPDATE ", "Value": " TRUE "}], True),
        ([{"Name": "Acknowledgement Update", "Value": "1"}], True),
        ([{"Name": "Acknowledgement Update", "Value": "yes"}], True),
        ([{"Name": "Acknowledgement Update", "Value": "false"}], False),
        ([{"Name": "Acknowledgement Update"}], False),
        ([{"Value": "true"}], False),
        ([{"Name": "Other", "Value": "true"}, {"Name": "Acknowledgement Update", "Value": "true"}], True),
        # The first attribute of that name decides.
        (
            [{"Name": "Acknowledgement Update", "Value": "no"}, {"Name": "Acknowledgement Update", "Value": "true"}],
            False,
        ),
        (None, False),
    ],
)
def test_rule_a_later_acknowledgement_says_it_is_an_update(attributes: Any, update: bool) -> None:
    assert is_update(ack([{"Quantity": 1}], ExtendedAttributes=attributes)) is update


def test_rule_second_acknowledgement_without_the_attribute_is_a_conflict() -> None:
    earlier = [type("Row", (), {"id": 77})()]
    exc = refusal(lambda: _rules(ack([{"LineNumber": "01"}]), ORDER, [order_line()], earlier))
    assert exc.status_code == 409
    assert exc.message == (
        "Order 41 was already acknowledged (acknowledgement 77); a second or later acknowledgement must carry "
        'ExtendedAttributes [{"Name": "Acknowledgement Update", "Value": "true"}]'
    )
    assert errors(exc) == [
        ("ExtendedAttributes", "must contain Acknowledgement Update = true for a later acknowledgement")
    ]
    effect = _rules(ack([{"LineNumber": "01"}], ExtendedAttributes=UPDATE), ORDER, [order_line()], earlier)
    assert "Updated acknowledgement A-1" in effect.event(9, AT)["summary"]


def test_rule_a_line_is_acknowledged_once_per_document() -> None:
    body = ack([{"LineNumber": "01", "Quantity": 1}, {"LineNumber": "1", "Quantity": 2}])
    exc = refusal(lambda: _rules(body, ORDER, [order_line()], []))
    assert errors(exc) == [("AckLines[1].LineNumber", "line 01 is acknowledged twice")]


def test_rule_header_needs_a_line() -> None:
    exc = refusal(lambda: check_header(ack([])))
    assert errors(exc) == [("AckLines", "must have at least one line")]
    check_header(ack([{"Quantity": 1}]))


# ---------------------------------------------------------------- what an acknowledgement changes


def test_rule_acknowledgement_sets_each_named_lines_figures() -> None:
    lines = [
        order_line("01", line_id=1, quantity=10, ack_price=None, change_reason="old"),
        order_line("02", line_id=2, sku="SKU-2", quantity=6, ack_price=None),
        order_line("03", line_id=3, sku="SKU-3", quantity=4, accepted=4, ack_price=None),
    ]
    body = ack(
        [
            {"LineNumber": "01", "Quantity": 6, "QuantityBackordered": 3, "QuantityCancelled": 1, "Price": 2.25},
            {
                "LineNumber": "02",
                "Quantity": 1,
                "QuantityBackordered": 2,
                "QuantityCancelled": 3,
                "ChangeReason": "Short",
            },
        ],
        ChangeReason="Header reason",
    )
    effect = _rules(body, ORDER, lines, [])
    assert sorted(effect.changes) == [1, 2]  # line 03 is not named: unchanged
    one, two = effect.changes[1], effect.changes[2]
    assert (one.qty_accepted, one.qty_backordered, one.qty_cancelled) == (6, 3, 1)
    assert str(one.ack_price) == "2.25" and one.change_reason == "Header reason"
    assert (two.qty_accepted, two.qty_backordered, two.qty_cancelled) == (1, 2, 3)
    assert two.ack_price is None and two.change_reason == "Short"
    assert one.line_id == 1 and one.qty_shipped == 0

    event = effect.event(123, AT)
    assert event["summary"] == "Acknowledgement A-1: 7 accepted, 5 backordered, 4 cancelled"
    assert event["document_id"] == 123 and event["document_type"] == "Acknowledgement" and event["created_at"] == AT


def test_rule_an_update_keeps_the_earlier_price_when_none_is_given() -> None:
    line = order_line(ack_price=None)
    line.ack_price = "1.75"
    effect = _rules(ack([{"LineNumber": "01", "Quantity": 2}], ExtendedAttributes=UPDATE), ORDER, [line], [object()])
    assert effect.changes[1].ack_price == "1.75"
    assert effect.changes[1].change_reason is None


def test_rule_an_acknowledgement_number_is_shown_or_else_its_key() -> None:
    body = Acknowledgement.model_validate({"AckLines": [{"ItemIdentifier": {}, "LineNumber": "01"}]})
    assert _rules(body, ORDER, [order_line()], []).event(55, AT)["summary"].startswith("Acknowledgement 55:")


def test_rule_every_line_cancelled_leaves_a_warning_not_a_cancellation() -> None:
    effect = _rules(ack([{"LineNumber": "01", "Quantity": 0, "QuantityCancelled": 10}]), ORDER, [order_line()], [])
    [warning] = effect.follow_up(8, AT, [LineQuantities(ordered=10, cancelled=10)])
    assert warning["type_id"] == 7 and warning["level"] == "Warning" and warning["document_id"] == 8
    assert effect.follow_up(8, AT, [LineQuantities(ordered=10, cancelled=9)]) == []
    assert effect.follow_up(8, AT, []) == []


def test_rule_refusals_name_the_line_by_its_place_in_the_document() -> None:
    lines = [order_line("01", line_id=1), order_line("02", line_id=2, sku="SKU-2")]
    exc = refusal(lambda: _rules(ack([{"LineNumber": "01"}, {"LineNumber": "02", "Quantity": -1}]), ORDER, lines, []))
    assert errors(exc) == [("AckLines[1].Quantity", "must not be negative (got -1)")]
    exc = refusal(lambda: _rules(ack([{"LineNumber": "9"}]), ORDER, lines, []))
    assert errors(exc) == [("AckLines[0].LineNumber", "the order has no line '9' (lines: 01, 02)")]


def test_rule_the_all_cancelled_warning_is_dated_and_names_the_order() -> None:
    effect = _rules(ack([{"LineNumber": "01", "Quantity": 0, "QuantityCancelled": 10}]), ORDER, [order_line()], [])
    [warning] = effect.follow_up(8, AT, [LineQuantities(ordered=10, cancelled=10)])
    assert warning["created_at"] == AT and warning["order_id"] == ORDER.id
