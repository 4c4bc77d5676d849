"""846 <-> the inventory feed: round trip with warehouses and next availability, the segments
written, identifiers without a field refused, and malformed sets answered with their 997 code."""

from __future__ import annotations

from typing import Any

import pytest

from pohub.edi.mapping.common import MappingError
from pohub.edi.mapping.x12_inventory import InventoryAdvice, inventory_to_846, x12_846_to_inventory
from pohub.edi.x12.reader import read_interchange, sets_of
from pohub.edi.x12.segments import Segment
from tests.edi.documents import WHEN, read_accepted_x12, x12
from tests.edi.test_x12_malformed import ack_of, edit_set

RECORDS: list[dict[str, Any]] = [
    {
        "SupplierSKU": "SKU-1",
        "UPC": "012345678905",
        "MerchantSKU": "M-1",
        "SupplierDescription": "Blue widget",
        "Quantity": 120,
        "UOM": "EA",
        "Cost": "4.25",
        "LeadTime": "5",
        "Status": "Active",
        "NextAvailableQuantity": 50,
        "NextAvailableDate": "2026-04-01",
        "Warehouse": "East",
        "WarehouseQuantity": 70,
        "Warehouse2": "West",
        "Warehouse2Quantity": 50,
        "Warehouse2NextAvailableQuantity": 20,
        "Warehouse2NextAvailableDate": "2026-04-15",
    },
    {"SupplierSKU": "SKU-2", "Quantity": 0, "UOM": "CA", "LeadTime": "2-3 weeks", "ManufacturerSKU": "MF-2"},
]


def advice(records: list[dict[str, Any]] = RECORDS) -> InventoryAdvice:
    return InventoryAdvice.model_validate({"Reference": "INV7", "Date": WHEN, "Records": records})


def test_846_round_trip() -> None:
    raw = x12("846", "IB", inventory_to_846(advice()))
    text = raw.decode()
    assert "BIA*00*DD*INV7*20260301*0930~" in text
    assert "LIN*1*VN*SKU-1*UP*012345678905*BP*M-1~PID*F****Blue widget~REF*ZZ*Status*Active~" in text
    assert "CTP**UCP*4.25~LDT*AF*5*DA~QTY*33*120*EA~SCH*50*EA***018*20260401~" in text
    assert "N1*WH*East~QTY*33*70*EA~N1*WH*West~QTY*33*50*EA~SCH*20*EA***018*20260415~" in text
    assert "REF*ZZ*LeadTime*2-3 weeks~" in text and "CTT*2~" in text
    (body,) = sets_of(read_accepted_x12(raw), "846")
    back = x12_846_to_inventory(body)
    assert back.reference == "INV7" and back.date == WHEN
    assert back.model_dump(mode="json", by_alias=True)["Records"] == [
        {k: (str(v) if k == "Cost" else v) for k, v in r.items()} for r in RECORDS
    ]


def test_an_identifier_without_a_field_is_refused() -> None:
    body = [Segment("LIN", ("1", "VN", "SKU-1", "ZZ", "X")) if s.id == "LIN" else s for s in inventory_to_846(advice())]
    with pytest.raises(MappingError) as refused:
        x12_846_to_inventory(body)
    assert refused.value.field == "LIN04"


def test_a_next_availability_needs_its_date() -> None:
    with pytest.raises(MappingError) as refused:
        inventory_to_846(advice([{"SupplierSKU": "S", "Quantity": 1, "NextAvailableQuantity": 5}]))
    assert refused.value.field == "Records[0].NextAvailableDate"


GOOD = x12("846", "IB", inventory_to_846(advice())).decode()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param("QTY*33*120*EA~", "QTY*02*120*EA~", "AK4*1*673*7*02", id="QTY01-not-available-or-on-hand"),
        pytest.param("CTT*2~", "CTT*3~", "AK4*1*354*7*3", id="CTT01-line-count"),
        pytest.param("QTY*33*120*EA~", "QTY*33*12X*EA~", "AK4*2*380*6*12X", id="QTY02-not-a-number"),
        pytest.param("SCH*50*EA***018*20260401~", "SCH*50*EA***018*20261301~", "AK4*6*373*8*20261301", id="bad-date"),
        pytest.param("BIA*00*", "BIA*05*", "AK4*1*353*7*05", id="BIA01-not-original"),
    ],
)
def test_malformed_846_is_refused_with_its_997_code(old: str, new: str, expected: str) -> None:
    result = read_interchange(edit_set(GOOD, old, new))
    acks = ack_of(result)
    assert not result.accepted and expected in acks, acks
    assert sets_of(result, "846") == []


def test_an_846_without_lines_is_refused() -> None:
    body = [s for s in inventory_to_846(advice([])) if s.id != "CTT"]
    result = read_interchange(x12("846", "IB", body))
    assert not result.accepted and any(a.startswith("AK3*LIN*") and a.endswith("*3") for a in ack_of(result))
