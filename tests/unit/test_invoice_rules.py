"""The invoice rules (invoices/service.py) as pure functions: each test names the rule it guards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pohub.documents.logicbroker import Invoice
from pohub.invoices.service import _attributes, _rules, check_header, compute_total
from tests.unit.rules import AT, ORDER, errors, order_line, refusal


def invoice(lines: list[dict[str, Any]], **fields: Any) -> Invoice:
    return Invoice.model_validate(
        {"InvoiceNumber": "I-1", "InvoiceLines": [{"ItemIdentifier": {}, **x} for x in lines], **fields}
    )


def test_rule_header_needs_a_number_and_a_line() -> None:
    exc = refusal(lambda: check_header(invoice([{"Quantity": 1}], InvoiceNumber=" ")))
    assert errors(exc) == [("InvoiceNumber", "is required")]
    exc = refusal(lambda: check_header(invoice([])))
    assert errors(exc) == [("InvoiceLines", "must have at least one line")]
    check_header(invoice([{"Quantity": 1}]))


@pytest.mark.parametrize("quantity", [None, 0, -1])
def test_rule_a_line_invoices_at_least_one_unit(quantity: int | None) -> None:
    body = invoice([{"LineNumber": "01", "Quantity": quantity}])
    exc = refusal(lambda: _rules(body, ORDER, [order_line(shipped=5)]))
    assert errors(exc) == [("InvoiceLines[0].Quantity", "is required and must be at least 1")]


def test_rule_price_defaults_to_the_acknowledged_then_the_ordered_price() -> None:
    shipped = {"shipped": 5}
    body = invoice([{"LineNumber": "01", "Quantity": 2}])
    assert _rules(body, ORDER, [order_line(price=Decimal("3"), **shipped)]).total == Decimal("6.00")
    line = order_line(price=Decimal("3"), ack_price=Decimal("2.5"), **shipped)
    assert _rules(body, ORDER, [line]).total == Decimal("5.00")
    given = invoice([{"LineNumber": "01", "Quantity": 2, "Price": 1.25}])
    assert _rules(given, ORDER, [line]).total == Decimal("2.50")
    free = invoice([{"LineNumber": "01", "Quantity": 2, "Price": 0}])
    assert _rules(free, ORDER, [line]).total == Decimal("0.00")


def test_rule_a_line_needs_a_price_from_somewhere() -> None:
    exc = refusal(
        lambda: _rules(invoice([{"LineNumber": "01", "Quantity": 1}]), ORDER, [order_line(price=None, shipped=1)])
    )
    assert errors(exc) == [("InvoiceLines[0].Price", "is required: the order and its acknowledgement give none")]


def test_rule_no_negative_price() -> None:
    body = invoice([{"LineNumber": "01", "Quantity": 1, "Price": -0.01}])
    exc = refusal(lambda: _rules(body, ORDER, [order_line(shipped=1)]))
    assert errors(exc) == [("InvoiceLines[0].Price", "must not be negative")]


def test_rule_no_invoicing_beyond_what_shipped() -> None:
    line = order_line("02", sku="SKU-2", shipped=5, invoiced=2)
    effect = _rules(invoice([{"LineNumber": "02", "Quantity": 3}]), ORDER, [line])  # exactly what is left
    assert effect.changes[1].qty_invoiced == 5
    exc = refusal(lambda: _rules(invoice([{"LineNumber": "02", "Quantity": 4}]), ORDER, [line]))
    assert exc.status_code == 422 and exc.message == "Cannot invoice more than shipped on line 02"
    assert errors(exc) == [
        (
            "InvoiceLines[0].Quantity",
            "Cannot invoice more than shipped on line 02: shipped 5, already invoiced 2, this invoice 4",
        )
    ]


def test_rule_lines_of_one_invoice_for_the_same_order_line_add_up() -> None:
    line = order_line("01", shipped=6, invoiced=1)
    effect = _rules(invoice([{"LineNumber": "01", "Quantity": 2}, {"LineNumber": "1", "Quantity": 3}]), ORDER, [line])
    assert effect.changes[1].qty_invoiced == 6
    exc = refusal(
        lambda: _rules(
            invoice([{"LineNumber": "01", "Quantity": 2}, {"LineNumber": "1", "Quantity": 4}]), ORDER, [line]
        )
    )
    assert errors(exc)[0] == (
        "InvoiceLines[1].Quantity",
        "Cannot invoice more than shipped on line 01: shipped 6, already invoiced 1, this invoice 6",
    )


def test_rule_extended_attributes_carry_charges_and_allowances() -> None:
    body = invoice(
        [],
        ExtendedAttributes=[
            {"Name": "Charge - Freight", "Value": " 4.50 "},
            {"Name": "  charge - fuel", "Value": "1"},
            {"Name": "Allowance - Promo", "Value": "2"},
            {"Name": "Charge - Empty"},
            {"Name": "Note", "Value": "7"},
            {"Value": "9"},
        ],
    )
    assert _attributes(body, "charge - ") == Decimal("5.50")
    assert _attributes(body, "allowance - ") == Decimal("2")
    assert _attributes(invoice([]), "charge - ") == Decimal("0")


def test_rule_a_charge_must_be_an_amount() -> None:
    body = invoice([], ExtendedAttributes=[{"Name": "Charge - Freight", "Value": "lots"}])
    exc = refusal(lambda: _attributes(body, "charge - "))
    assert errors(exc) == [("ExtendedAttributes", "'Charge - Freight' must be an amount, got 'lots'")]


def test_rule_total_is_lines_taxes_handling_charges_less_discounts_and_allowances() -> None:
    body = invoice(
        [
            {"Quantity": 2, "Taxes": [{"TaxAmount": 0.5}], "Discounts": [{"DiscountAmount": 0.25}]},
            {"Quantity": 1, "Taxes": [{"TaxAmount": 0.1}, {"TaxAmount": None}]},
        ],
        Taxes=[{"TaxAmount": 1}],
        HandlingTaxes=[{"TaxAmount": 0.2}],
        HandlingAmount=3,
        Discounts=[{"DiscountAmount": 1.5}],
        ExtendedAttributes=[{"Name": "Charge - Freight", "Value": "4"}, {"Name": "Allowance - Promo", "Value": "0.75"}],
    )
    parts = compute_total(body, [Decimal("10"), Decimal("2.5")], [2, 1])
    assert parts == {
        "lines": Decimal("22.5"),
        "taxes": Decimal("1.8"),
        "handling": Decimal("3"),
        "charges": Decimal("4"),
        "discounts": Decimal("1.75"),
        "allowances": Decimal("0.75"),
        "total": Decimal("28.8"),
    }
    bare = compute_total(invoice([{"Quantity": 1}]), [Decimal("2")], [1])
    assert bare["total"] == Decimal("2") and bare["handling"] == Decimal("0")


def test_rule_invoice_total_must_add_up_to_the_cent() -> None:
    line = order_line(price=Decimal("31.02"), shipped=5)
    ok = _rules(invoice([{"LineNumber": "01", "Quantity": 2}], InvoiceTotal=62.04), ORDER, [line])
    assert ok.total == Decimal("62.04")
    # Half a cent either way rounds to the same cent.
    assert _rules(invoice([{"LineNumber": "01", "Quantity": 2}], InvoiceTotal=62.044), ORDER, [line]).total == Decimal(
        "62.04"
    )
    exc = refusal(lambda: _rules(invoice([{"LineNumber": "01", "Quantity": 2}], InvoiceTotal=62.05), ORDER, [line]))
    assert exc.status_code == 422
    assert exc.message == (
        "InvoiceTotal 62.05 does not add up: lines 62.04 + taxes 0.00 + handling 0.00 + charges 0.00 "
        "- discounts 0.00 - allowances 0.00 = 62.04; off by 0.01"
    )
    assert errors(exc) == [("InvoiceTotal", "must equal 62.04 (off by 0.01)")]
    low = refusal(lambda: _rules(invoice([{"LineNumber": "01", "Quantity": 2}], InvoiceTotal=62), ORDER, [line]))
    assert errors(low) == [("InvoiceTotal", "must equal 62.04 (off by -0.04)")]


def test_rule_invoice_event_names_units_and_total() -> None:
    lines = [order_line("01", line_id=1, shipped=3), order_line("02", line_id=2, sku="SKU-2", shipped=4)]
    body = invoice([{"LineNumber": "01", "Quantity": 3, "Price": 1.005}, {"LineNumber": "02", "Quantity": 4}])
    effect = _rules(body, ORDER, lines)
    assert (effect.changes[1].qty_invoiced, effect.changes[2].qty_invoiced) == (3, 4)
    assert effect.total == Decimal("13.02")  # 3.015 + 10.00, to the cent
    event = effect.event(12, AT)
    assert event["summary"] == "Invoice I-1: 7 unit(s), total 13.02"
    assert event["document_id"] == 12 and event["document_type"] == "Invoice" and event["created_at"] == AT


def test_rule_refusals_name_the_line_by_its_place_in_the_document() -> None:
    exc = refusal(lambda: _rules(invoice([{"LineNumber": "9", "Quantity": 1}]), ORDER, [order_line(shipped=1)]))
    assert errors(exc) == [("InvoiceLines[0].LineNumber", "the order has no line '9' (lines: 01)")]
