"""jsonio.digest: the content hash and float_safe of a body in one pass, the same answers as
content_hash and float_safe one by one, for every kind of number and where it sits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from bench import documents as docs

from pohub.core import jsonio

NUMBERS: list[Any] = [
    Decimal("31.02"),
    Decimal("31.020000"),
    Decimal("-0"),
    Decimal("1E+2"),
    Decimal("0.1000000000000000055511151231257827"),
    Decimal("12345678901234.123456"),
    Decimal("1E-400"),
    2**53,
    2**53 + 1,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63),
    -(2**63) - 1,
    10**30,
    True,
    1.5,
    None,
    "0.1000000000000000055511151231257827",
]


@pytest.mark.parametrize("number", NUMBERS)
def test_digest_answers_as_the_two_functions(number: Any) -> None:
    for where in (
        {"a": number},
        {"b": [1, {"c": [Decimal("2.5"), number]}], "a": "x"},
        [[[], {}], [number], Decimal("0.5")],
    ):
        assert jsonio.digest(where) == (jsonio.content_hash(where), jsonio.float_safe(where)), where


@pytest.mark.parametrize("number", [Decimal("NaN"), Decimal("-Infinity"), object()])
def test_digest_fails_as_content_hash_does(number: Any) -> None:
    with pytest.raises(TypeError) as theirs:
        jsonio.content_hash({"a": number})
    with pytest.raises(TypeError) as mine:
        jsonio.digest({"a": number})
    assert str(mine.value) == str(theirs.value)


def test_digest_of_the_bench_documents() -> None:
    for raw in (docs.order(1, prefix="D", buyer=1, supplier=2), docs.invoice(3), docs.shipment(2)):
        data = jsonio.parse_received(raw)
        assert jsonio.digest(data) == (jsonio.content_hash(data), jsonio.float_safe(data))
