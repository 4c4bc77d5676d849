"""Partner implementation guides: a guide is checked rule by rule when it is set, and its findings
are errors like the standard's own: a 997 AK3 3 / AK4 7 (CONTRL 13 / 12) for what the partner sends,
the same findings for what pohub writes."""

from __future__ import annotations

from typing import Any

import pytest

from pohub.core.errors import Unprocessable
from pohub.documents.logicbroker import SalesOrder
from pohub.edi import guides
from pohub.edi.edifact_side import STANDARD as EDIFACT
from pohub.edi.mapping.edifact_order import order_to_orders
from pohub.edi.mapping.x12_order import order_to_850
from pohub.edi.x12.ack import acknowledgement
from pohub.edi.x12_side import STANDARD as X12
from tests.edi.documents import ORDER, WHEN, edifact, x12
from tests.edi.test_edifact import EDIFACT_ORDER, contrl
from tests.edi.test_x12_malformed import ack_of

ORDER_850 = x12("850", "PO", order_to_850(SalesOrder.model_validate(ORDER)))
ORDERS = edifact("ORDERS", order_to_orders(SalesOrder.model_validate(EDIFACT_ORDER)))


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"999": {}}, "Guide.999"),
        ({"850": {"Require": ["ref dp"]}}, "Guide.850.Require[0]"),
        ({"850": {"Codes": {"PO1x": ["EA"]}}}, "Guide.850.Codes.PO1x"),
        ({"850": {"Codes": {"PO103": []}}}, "Guide.850.Codes.PO103"),
        ({"850": {"Extra": []}}, "Guide.850"),
    ],
)
def test_a_guide_that_is_not_one_is_refused_naming_the_rule(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        guides.parse("x12", raw)
    assert [e.field for e in refused.value.errors] == [field]


def test_an_x12_guide_finds_a_missing_segment_and_a_code_not_allowed() -> None:
    assert X12.read(ORDER_850).accepted  # the standard alone is satisfied
    guide = guides.parse("x12", {"850": {"Require": ["REF*DP", "REF*ZZ", "N1*ST"], "Codes": {"PO103": ["CA"]}}})
    reading = X12.read(ORDER_850, guide)
    assert not reading.accepted and reading.found == []
    found = {(e["Segment"], e["Element"], e["Code"]) for e in reading.errors}
    assert ("REF", 0, "3") in found and ("PO1", 3, "7") in found and ("N1", 0, "3") not in found
    assert any("requires REF*ZZ" in e["Message"] for e in reading.errors)
    acks = ack_of(reading.native)
    assert any(a.startswith("AK3*REF*") and a.endswith("**3") for a in acks), acks
    assert "AK4*3*355*7*EA" in acks and "AK5*R*5" in acks
    out = acknowledgement(reading.native, control=1, group_control=1, date=WHEN)
    assert out.groups  # answered like any other error


def test_an_edifact_guide_finds_a_missing_segment_and_a_code_not_allowed() -> None:
    assert EDIFACT.read(ORDERS).accepted
    guide = guides.parse("edifact", {"ORDERS": {"Require": ["NAD+UD"], "Codes": {"QTY01.3": ["CT"]}}})
    reading = EDIFACT.read(ORDERS, guide)
    assert not reading.accepted
    found = {(e["Segment"], e["Code"]) for e in reading.errors}
    assert ("NAD", "13") in found and ("QTY", "12") in found, found
    assert any(line.startswith("UCM+M1+ORDERS:D:96A:UN+4") for line in contrl(reading.native))


def test_a_guide_for_other_sets_changes_nothing() -> None:
    guide = guides.parse("x12", {"855": {"Require": ["DTM*068"]}})
    assert X12.read(ORDER_850, guide).accepted
