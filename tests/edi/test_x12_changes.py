"""860 / 865 <-> a buyer's change and the supplier's answer: round trips through pohub's writer and
validator, the codes written, and malformed sets refused with the 997 code for each."""

from __future__ import annotations

from typing import Any

import pytest

from pohub.documents.changes import OrderChange
from pohub.documents.logicbroker import SalesOrder
from pohub.edi.mapping.common import MappingError
from pohub.edi.mapping.x12_change import (
    ChangeReply,
    change_to_860,
    reply_to_865,
    x12_860_to_change,
    x12_865_to_reply,
)
from pohub.edi.x12.reader import read_interchange, sets_of
from pohub.edi.x12.segments import Delimiters
from tests.edi.documents import ORDER, read_accepted_x12, x12
from tests.edi.test_x12_malformed import ack_of, edit_set

CHANGE: dict[str, Any] = {
    "ChangeNumber": "C-7",
    "PartnerPO": "PO-EDI-1",
    "Reason": "Customer asked",
    "DocumentDate": "2026-03-02T00:00:00+00:00",
    "ChangeLines": [
        {
            "LineNumber": "1",
            "Action": "Change",
            "Quantity": 3,
            "QuantityUOM": "EA",
            "ItemIdentifier": {"SupplierSKU": "SKU-1"},
            "RequestedShipDate": "2026-03-09T00:00:00+00:00",
        },
        {"LineNumber": "2", "Action": "Change", "Price": "9.75", "ItemIdentifier": {"PartnerSKU": "P-2"}},
        {"LineNumber": "3", "Action": "Cancel", "ItemIdentifier": {"SupplierSKU": "SKU-3"}, "Reason": "discontinued"},
        {
            "LineNumber": "4",
            "Action": "Add",
            "Quantity": 2,
            "QuantityUOM": "CA",
            "Price": "4.5",
            "Description": "New widget",
            "ItemIdentifier": {"SupplierSKU": "NEW-1", "UPC": "012345678905"},
        },
    ],
}
REPLY: dict[str, Any] = {
    "PartnerPO": "PO-EDI-1",
    "ChangeNumber": "C-7",
    "OrderDate": "2026-03-01T00:00:00+00:00",
    "DocumentDate": "2026-03-03T00:00:00+00:00",
    "Lines": [
        {"LineNumber": "1", "Action": "Change", "Accept": True},
        {"LineNumber": "3", "Action": "Cancel", "Accept": False, "Reason": "already picked"},
        {"LineNumber": "4", "Action": "Add", "Accept": True},
    ],
}
ORDER_MODEL = SalesOrder.model_validate(ORDER)


def dump(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(mode="json", by_alias=True, exclude_none=True))


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize("delimiters", [None, Delimiters("|", "^", "\n", None)])
def test_860_round_trip(version: str, delimiters: Delimiters | None) -> None:
    change = OrderChange.model_validate(CHANGE)
    raw = x12("860", "PC", change_to_860(change, ORDER_MODEL), version=version, delimiters=delimiters)
    (body,) = sets_of(read_accepted_x12(raw), "860")
    assert dump(x12_860_to_change(body)) == dump(change)


def test_860_codes_say_what_each_line_does() -> None:
    text = x12("860", "PC", change_to_860(OrderChange.model_validate(CHANGE), ORDER_MODEL)).decode()
    assert "BCH*04*SA*PO-EDI-1**C-7*20260301****20260302~" in text
    # line 1 goes from 5 (ORDER) to 3: a decrease; line 2 price only; 3 deleted; 4 added
    assert "POC*1*QD*3**EA***VN*SKU-1~" in text and "POC*2*PC****9.75**BP*P-2~" in text
    assert "POC*3*DI" in text and "POC*4*AI*2**CA*4.5" in text
    assert "DTM*010*20260309~" in text and "PID*F****New widget~" in text
    assert "CTT*4*5~" in text


def test_860_cancelling_the_whole_po_has_no_lines() -> None:
    change = OrderChange.model_validate({"ChangeNumber": "C-9", "PartnerPO": "PO-EDI-1", "CancelOrder": True})
    raw = x12("860", "PC", change_to_860(change, ORDER_MODEL))
    assert b"BCH*01*SA*PO-EDI-1**C-9*20260301~" in raw and b"POC" not in raw
    (body,) = sets_of(read_accepted_x12(raw), "860")
    assert dump(x12_860_to_change(body)) == dump(change)


def test_860_refuses_what_bch_cannot_carry() -> None:
    with pytest.raises(MappingError) as too_long:
        change_to_860(OrderChange.model_validate(CHANGE | {"ChangeNumber": "CHANGE-0001"}), ORDER_MODEL)
    assert too_long.value.field == "ChangeNumber"
    undated = SalesOrder.model_validate({k: v for k, v in ORDER.items() if k != "OrderDate"})
    with pytest.raises(MappingError) as no_date:
        change_to_860(OrderChange.model_validate(CHANGE), undated)
    assert no_date.value.field == "OrderDate"


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_865_round_trip(version: str) -> None:
    reply = ChangeReply.model_validate(REPLY)
    raw = x12("865", "CA", reply_to_865(reply, ORDER_MODEL), version=version)
    text = raw.decode()
    assert "BCA*00*AC*SA*PO-EDI-1**C-7*20260301*20260303~" in text
    assert "POC*3*DI~" in text and "REF*ZZ**already picked~ACK*IR~" in text and "ACK*IA~" in text
    (body,) = sets_of(read_accepted_x12(raw), "865")
    back = x12_865_to_reply(body)
    assert dump(back) == dump(reply)
    assert back.answer() == {
        "Lines": [
            {"LineNumber": "1", "Accept": True},
            {"LineNumber": "3", "Accept": False, "Reason": "already picked"},
            {"LineNumber": "4", "Accept": True},
        ]
    }


def test_865_whole_answers_are_bca02_without_lines() -> None:
    for accept, code in ((True, "AT"), (False, "RJ")):
        reply = ChangeReply.model_validate({"PartnerPO": "PO-EDI-1", "ChangeNumber": "C-9", "Accept": accept})
        raw = x12("865", "CA", reply_to_865(reply, ORDER_MODEL))
        assert f"BCA*00*{code}*SA*PO-EDI-1**C-9*20260301~".encode() in raw and b"POC" not in raw
        (body,) = sets_of(read_accepted_x12(raw), "865")
        assert x12_865_to_reply(body).answer() == {"Accept": accept}


GOOD_860 = x12("860", "PC", change_to_860(OrderChange.model_validate(CHANGE), ORDER_MODEL)).decode()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param("POC*2*PC*", "POC*2*XX*", "AK4*2*670*7*XX", id="unknown-POC02-code"),
        pytest.param("BCH*04*", "BCH*05*", "AK4*1*353*7*05", id="BCH01-not-change-or-cancel"),
        pytest.param("CTT*4*5~", "CTT*3*5~", "AK4*1*354*7*3", id="CTT01-line-count"),
        pytest.param("CTT*4*5~", "CTT*4*9~", "AK4*2*347*7*9", id="CTT02-hash-total"),
        pytest.param("POC*4*AI*2**CA*4.5", "POC*4*AI*2**CA*4,5", "AK4*6*212*6*4,5", id="price-not-a-number"),
        pytest.param("POC*1*QD*3", "POC**QD*3", "AK4*1*350*1", id="POC01-missing"),
    ],
)
def test_malformed_860_is_refused_with_its_997_code(old: str, new: str, expected: str) -> None:
    result = read_interchange(edit_set(GOOD_860, old, new))
    assert not result.accepted
    acks = ack_of(result)
    assert expected in acks, acks
    assert "AK5*R*5" in acks and acks[-1] == "AK9*R*1*1*0"
    assert sets_of(result, "860") == []


def test_an_860_in_a_po_group_is_refused() -> None:
    raw = x12("860", "PO", change_to_860(OrderChange.model_validate(CHANGE), ORDER_MODEL))
    result = read_interchange(raw)
    assert not result.accepted and "AK5*R*6" in ack_of(result)
