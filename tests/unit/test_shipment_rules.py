"""The shipment rules (shipments/service.py) as pure functions: each test names the rule it guards."""

from __future__ import annotations

from typing import Any

import pytest

from pohub.documents.logicbroker import OrderLine, Shipment
from pohub.shipments.service import _rules, check_header, line_units, tracking_numbers
from tests.unit.rules import AT, ORDER, errors, order_line, refusal


def ship_line(**fields: Any) -> OrderLine:
    return OrderLine.model_validate({"ItemIdentifier": {}, **fields})


def shipment(lines: list[dict[str, Any]], **fields: Any) -> Shipment:
    return Shipment.model_validate(
        {"ShipmentNumber": "S-1", "ShipmentLines": [{"ItemIdentifier": {}, **x} for x in lines], **fields}
    )


def test_rule_units_are_the_cartons_qty_when_given() -> None:
    assert line_units(0, ship_line(ShipmentInfos=[{"Qty": 2}, {"Qty": 3}])) == 5
    assert line_units(0, ship_line(Quantity=5, ShipmentInfos=[{"Qty": 2}, {"Qty": 3}])) == 5
    # Cartons without Qty do not count; with none left, the line's Quantity does.
    assert line_units(0, ship_line(Quantity=4, ShipmentInfos=[{"TrackingNumber": "1Z"}])) == 4
    assert line_units(0, ship_line(ShipmentInfos=[{"Qty": 2}, {"TrackingNumber": "1Z"}])) == 2
    assert line_units(0, ship_line(Quantity=3)) == 3


def test_rule_line_quantity_must_agree_with_its_cartons() -> None:
    exc = refusal(lambda: line_units(2, ship_line(Quantity=4, ShipmentInfos=[{"Qty": 2}, {"Qty": 3}])))
    assert exc.status_code == 422
    assert errors(exc) == [("ShipmentLines[2].Quantity", "is 4 but its ShipmentInfos' Qty add up to 5")]


def test_rule_a_line_says_how_many_units() -> None:
    exc = refusal(lambda: line_units(1, ship_line()))
    assert errors(exc) == [("ShipmentLines[1].Quantity", "is required (or ShipmentInfos[].Qty per carton)")]


@pytest.mark.parametrize("fields", [{"Quantity": 0}, {"ShipmentInfos": [{"Qty": 0}]}, {"Quantity": -2}])
def test_rule_a_line_ships_at_least_one_unit(fields: dict[str, Any]) -> None:
    exc = refusal(lambda: line_units(3, ship_line(**fields)))
    units = fields.get("Quantity", 0)
    assert errors(exc) == [("ShipmentLines[3].Quantity", f"must be at least 1 (got {units})")]
    assert line_units(3, ship_line(Quantity=1)) == 1


def test_rule_tracking_numbers_are_listed_once_in_order() -> None:
    body = shipment(
        [
            {"Quantity": 1, "ShipmentInfos": [{"TrackingNumber": "1Z2"}, {"TrackingNumber": "1Z1"}]},
            {"Quantity": 1, "ShipmentInfos": [{"TrackingNumber": "1Z2"}, {"Qty": 1}]},
            {"Quantity": 1},
        ],
        ShipmentInfos=[{"TrackingNumber": "HDR"}, {"TrackingNumber": ""}],
    )
    assert tracking_numbers(body) == ["HDR", "1Z2", "1Z1"]
    assert tracking_numbers(shipment([{"Quantity": 1}])) == []


def test_rule_header_needs_a_number_and_a_line() -> None:
    exc = refusal(lambda: check_header(shipment([{"Quantity": 1}], ShipmentNumber=None)))
    assert errors(exc) == [("ShipmentNumber", "is required")]
    exc = refusal(lambda: check_header(shipment([{"Quantity": 1}], ShipmentNumber="  ")))
    assert errors(exc) == [("ShipmentNumber", "is required")]
    exc = refusal(lambda: check_header(shipment([])))
    assert errors(exc) == [("ShipmentLines", "must have at least one line")]
    check_header(shipment([{"Quantity": 1}]))


def test_rule_no_shipping_beyond_ordered_less_cancelled_less_shipped() -> None:
    line = order_line("01", quantity=10, cancelled=2, shipped=3)
    effect = _rules(shipment([{"LineNumber": "01", "Quantity": 5}]), ORDER, [line])  # exactly the room
    assert effect.changes[1].qty_shipped == 8
    exc = refusal(lambda: _rules(shipment([{"LineNumber": "01", "Quantity": 6}]), ORDER, [line]))
    assert exc.status_code == 422 and exc.message == "Cannot over-ship line 01"
    assert errors(exc) == [
        (
            "ShipmentLines[0].Quantity",
            "Cannot over-ship line 01: ordered 10, cancelled 2, already shipped 3, this shipment 6 (at most 5 more)",
        )
    ]


def test_rule_over_shipment_room_is_never_shown_negative() -> None:
    # A line shipped in full before a later acknowledgement cancelled more (the figures can disagree).
    line = order_line("01", quantity=10, cancelled=4, shipped=8)
    exc = refusal(lambda: _rules(shipment([{"LineNumber": "01", "Quantity": 1}]), ORDER, [line]))
    assert errors(exc)[0][1].endswith("this shipment 1 (at most 0 more)")


def test_rule_lines_of_one_shipment_for_the_same_order_line_add_up() -> None:
    line = order_line("01", quantity=10, shipped=2)
    body = shipment([{"LineNumber": "01", "Quantity": 3}, {"LineNumber": "1", "Quantity": 4}])
    effect = _rules(body, ORDER, [line])
    assert effect.changes[1].qty_shipped == 9
    assert effect.event(5, AT)["summary"] == "Shipment S-1: 7 unit(s) shipped"
    body = shipment([{"LineNumber": "01", "Quantity": 3}, {"LineNumber": "1", "Quantity": 6}])
    exc = refusal(lambda: _rules(body, ORDER, [line]))
    assert errors(exc) == [
        (
            "ShipmentLines[1].Quantity",
            "Cannot over-ship line 01: ordered 10, cancelled 0, already shipped 2, this shipment 9 (at most 8 more)",
        )
    ]


def test_rule_shipment_event_names_units_and_tracking() -> None:
    lines = [order_line("01", line_id=1), order_line("02", line_id=2, sku="SKU-2")]
    body = shipment(
        [
            {"LineNumber": "01", "ShipmentInfos": [{"Qty": 2, "TrackingNumber": "1Z9"}]},
            {"LineNumber": "02", "Quantity": 3},
        ]
    )
    effect = _rules(body, ORDER, lines)
    assert (effect.changes[1].qty_shipped, effect.changes[2].qty_shipped) == (2, 3)
    event = effect.event(6, AT)
    assert event["summary"] == "Shipment S-1: 5 unit(s) shipped (tracking 1Z9)"
    assert event["document_id"] == 6 and event["document_type"] == "Shipment" and event["created_at"] == AT
    unnumbered = Shipment.model_validate({"ShipmentLines": [{"ItemIdentifier": {}, "LineNumber": "01", "Quantity": 1}]})
    assert _rules(unnumbered, ORDER, lines).event(6, AT)["summary"] == "Shipment 6: 1 unit(s) shipped"


def test_rule_refusals_name_the_line_by_its_place_in_the_document() -> None:
    lines = [order_line("01", line_id=1), order_line("02", line_id=2, sku="SKU-2")]
    exc = refusal(lambda: _rules(shipment([{"LineNumber": "01", "Quantity": 1}, {"LineNumber": "02"}]), ORDER, lines))
    assert errors(exc) == [("ShipmentLines[1].Quantity", "is required (or ShipmentInfos[].Qty per carton)")]
    exc = refusal(lambda: _rules(shipment([{"LineNumber": "9", "Quantity": 1}]), ORDER, lines))
    assert errors(exc) == [("ShipmentLines[0].LineNumber", "the order has no line '9' (lines: 01, 02)")]
