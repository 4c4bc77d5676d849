"""What reading a document's body decides about its numbers: whether every one survives the float
path (jsonio.float_safe, walked with a stack, however deep the number sits), and the money rules
(20 digits, 6 places, finite, not a boolean), refused with the field's path and the rule."""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum
from typing import Any

import pytest
from bench import documents as docs

from pohub.core import jsonio
from pohub.core.errors import Unprocessable
from pohub.documents.inbound import parse
from pohub.documents.logicbroker import Acknowledgement, SalesOrder


class _Code(IntEnum):
    BIG = 2**63


UNSAFE: list[Any] = [
    Decimal("0.1000000000000000055511151231257827"),
    Decimal("NaN"),
    Decimal("Infinity"),
    2**63,
    -(2**63) - 1,
    _Code.BIG,
]
SAFE: list[Any] = [
    Decimal("31.02"),
    Decimal("-0"),
    2**63 - 1,
    -(2**63),
    True,
    1.5,
    "0.1000000000000000055511151231257827",
    None,
]


@pytest.mark.parametrize("value", UNSAFE)
def test_an_unsafe_number_is_found_wherever_it_sits(value: Any) -> None:
    for where in (
        value,
        [value],
        {"a": value},
        {"a": [1, {"b": [Decimal("2.5"), value]}], "c": "x"},
        [[[], {}], [value]],
    ):
        assert jsonio.float_safe(where) is False, where


@pytest.mark.parametrize("value", SAFE)
def test_safe_values_leave_the_document_float_safe(value: Any) -> None:
    for where in (value, [value], {"a": value}, {"a": [1, {"b": [Decimal("2.5"), value]}], "c": "x"}, [], {}):
        assert jsonio.float_safe(where) is True, where


def test_the_bench_documents_are_float_safe_and_one_more_digit_is_not() -> None:
    raw = docs.order(1, prefix="F", buyer=1, supplier=2)
    assert parse(raw, SalesOrder).float_safe
    assert not parse(raw.replace(b'"Price":31.02', b'"Price":12345678901234.123456'), SalesOrder).float_safe


@pytest.mark.parametrize(
    ("price", "rule"),
    [
        ("31.0200001", "Decimal input should have no more than 6 decimal places"),
        ("123456789012345678901", "Decimal input should have no more than 20 digits in total"),
        ("1E+19", "Decimal input should have no more than 14 digits before the decimal point"),
        ("true", "must be a number"),
        ('"abc"', "Input should be a valid decimal"),
    ],
)
def test_money_is_refused_with_its_field_and_rule(price: str, rule: str) -> None:
    raw = docs.acknowledgement(1, "5").replace(b'"Price":31.02', b'"Price":' + price.encode(), 1)
    with pytest.raises(Unprocessable) as refused:
        parse(raw, Acknowledgement)
    assert [(e.field, e.error) for e in refused.value.errors] == [("AckLines[0].Price", rule)]


def test_money_keeps_every_digit_sent() -> None:
    raw = docs.acknowledgement(1, "5").replace(b'"Price":31.02', b'"Price":99999999999999.999999', 1)
    assert parse(raw, Acknowledgement).doc.ack_lines[0].price == Decimal("99999999999999.999999")
