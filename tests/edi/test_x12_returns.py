"""180 <-> the buyer's return and the supplier's answer: round trips, the segments written, which
180 is which, and malformed sets answered with their 997 code."""

from __future__ import annotations

from typing import Any

import pytest

from pohub.documents.returns import Return
from pohub.edi.mapping.common import MappingError
from pohub.edi.mapping.x12_return import (
    ReturnAnswer,
    answer_to_180,
    return_to_180,
    x12_180_to_answer,
    x12_180_to_return,
)
from pohub.edi.x12.reader import read_interchange, sets_of
from pohub.edi.x12_side import spec_of
from tests.edi.documents import ADDRESS, read_accepted_x12, x12
from tests.edi.test_x12_malformed import ack_of, edit_set

RETURN: dict[str, Any] = {
    "ReturnNumber": "R-1",
    "ReturnDate": "2026-03-10T00:00:00+00:00",
    "PartnerPO": "PO-EDI-1",
    "OrderNumber": "SO-9",
    "OrderDate": "2026-03-01T00:00:00+00:00",
    "VendorNumber": "V12345",
    "Note": "Two boxes arrived crushed",
    "ShipFromAddress": ADDRESS,
    "ReturnLines": [
        {
            "LineNumber": "1",
            "ItemIdentifier": {"SupplierSKU": "SKU-1", "UPC": "012345678905"},
            "Quantity": 2,
            "QuantityUOM": "EA",
            "Price": "31.02",
            "ReturnReasonCode": "DAMAGED",
            "ReturnReason": "crushed box",
            "Description": "Blue widget",
        },
        {"LineNumber": "2", "ItemIdentifier": {"PartnerSKU": "P-2"}, "Quantity": 1, "QuantityUOM": "CA"},
    ],
}


def dump(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(mode="json", by_alias=True, exclude_none=True))


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_180_return_round_trip(version: str) -> None:
    ret = Return.model_validate(RETURN)
    raw = x12("180", "AN", return_to_180(ret), version=version)
    text = raw.decode()
    assert "BGN*00*R-1*20260310~REF*PO*PO-EDI-1~REF*CO*SO-9~REF*VR*V12345~DTM*004*20260301~" in text
    assert "LIN*1*VN*SKU-1*UP*012345678905~PID*F****Blue widget~REF*ZZ*ReturnReasonCode*DAMAGED~" in text
    assert "QTY*01*2*EA~CTP**UCP*31.02~" in text and "CTT*2*3~" in text
    (body,) = sets_of(read_accepted_x12(raw), "180")
    spec = spec_of("180", body)
    assert spec is not None and spec.kind == "return"
    assert dump(x12_180_to_return(body)) == dump(ret)


@pytest.mark.parametrize(
    "answer",
    [
        {"ReturnNumber": "R-1", "PartnerPO": "PO-EDI-1", "Authorised": True, "RMANumber": "RMA-77"},
        {"ReturnNumber": "R-1", "PartnerPO": "PO-EDI-1", "Authorised": False, "Reason": "Outside the window"},
    ],
)
def test_180_answer_round_trip(answer: dict[str, Any]) -> None:
    model = ReturnAnswer.model_validate(answer | {"DocumentDate": "2026-03-11T00:00:00+00:00"})
    raw = x12("180", "AN", answer_to_180(model))
    assert b"BGN*11*R-1*20260311~REF*PO*PO-EDI-1~" in raw and b"LIN" not in raw
    assert (b"REF*RZ*RMA-77~" in raw) is model.authorised
    (body,) = sets_of(read_accepted_x12(raw), "180")
    spec = spec_of("180", body)
    assert spec is not None and spec.kind == "return_answer"
    assert dump(x12_180_to_answer(body)) == dump(model)


def test_an_answer_that_says_neither_is_refused() -> None:
    model = ReturnAnswer.model_validate({"ReturnNumber": "R-1", "Authorised": False, "DocumentDate": "2026-03-11"})
    body = [s for s in answer_to_180(model) if s.id != "REF"]
    with pytest.raises(MappingError) as refused:
        x12_180_to_answer(body)
    assert refused.value.field == "REF01"
    with pytest.raises(MappingError) as no_rma:
        answer_to_180(
            ReturnAnswer.model_validate({"ReturnNumber": "R-1", "Authorised": True, "DocumentDate": "2026-03-11"})
        )
    assert no_rma.value.field == "RMANumber"


GOOD = x12("180", "AN", return_to_180(Return.model_validate(RETURN))).decode()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param("BGN*00*", "BGN*05*", "AK4*1*353*7*05", id="BGN01-not-return-or-answer"),
        pytest.param("QTY*01*2*EA~", "QTY*33*2*EA~", "AK4*1*673*7*33", id="QTY01-not-discrete"),
        pytest.param("CTT*2*3~", "CTT*2*4~", "AK4*2*347*7*4", id="CTT02-hash-total"),
        pytest.param("BGN*00*R-1*20260310~", "BGN*00*R-1~", "AK4*3*373*1", id="BGN03-missing"),
    ],
)
def test_malformed_180_is_refused_with_its_997_code(old: str, new: str, expected: str) -> None:
    result = read_interchange(edit_set(GOOD, old, new))
    acks = ack_of(result)
    assert not result.accepted and expected in acks, acks
    assert sets_of(result, "180") == []
