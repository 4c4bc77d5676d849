"""Canonical -> X12 -> canonical is the identity for every document type, in 004010 and 005010, with
delimiters other than ``*`` and ``~`` (the reader takes them from ISA)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pohub.documents.logicbroker import Acknowledgement, Invoice, SalesOrder, Shipment
from pohub.edi.mapping.x12_ack import acknowledgement_to_855, x12_855_to_acknowledgement
from pohub.edi.mapping.x12_invoice import invoice_to_810, x12_810_to_invoice
from pohub.edi.mapping.x12_order import order_to_850, x12_850_to_order
from pohub.edi.mapping.x12_shipment import shipment_to_856, x12_856_to_shipments
from pohub.edi.x12.reader import sets_of
from pohub.edi.x12.segments import Delimiters
from tests.edi.documents import ACK, INVOICE, ORDER, SHIPMENT, read_accepted_x12, x12

DELIMITERS = [
    pytest.param(None, id="star-tilde"),
    pytest.param(Delimiters("|", "^", "`", None, "\n"), id="pipe-caret-backtick"),
    pytest.param(Delimiters("\x1d", "\x1f", "\x1c", None), id="control-characters"),
    pytest.param(Delimiters("*", ":", "\n", None), id="newline-terminator"),
]


def dump(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(by_alias=True, exclude_none=True))


CASES: list[tuple[str, str, type[Any], dict[str, Any], Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("850", "PO", SalesOrder, ORDER, order_to_850, x12_850_to_order),
    ("855", "PR", Acknowledgement, ACK, acknowledgement_to_855, x12_855_to_acknowledgement),
    ("856", "SH", Shipment, SHIPMENT, shipment_to_856, lambda body: x12_856_to_shipments(body)[0]),
    ("810", "IN", Invoice, INVOICE, invoice_to_810, x12_810_to_invoice),
]


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize("delimiters", DELIMITERS)
@pytest.mark.parametrize(("set_id", "functional_id", "model", "doc", "write", "read"), CASES, ids=[c[0] for c in CASES])
def test_round_trip(
    set_id: str,
    functional_id: str,
    model: type[Any],
    doc: dict[str, Any],
    write: Callable[[Any], Any],
    read: Callable[[Any], Any],
    version: str,
    delimiters: Delimiters | None,
) -> None:
    canonical = model.model_validate(doc)
    data = x12(set_id, functional_id, write(canonical), version=version, delimiters=delimiters)
    chosen = delimiters or Delimiters()
    if chosen.element != "*":
        assert b"*" not in data and b"~" not in data
    result = read_accepted_x12(data)
    assert result.delimiters is not None
    read_back = (result.delimiters.element, result.delimiters.component, result.delimiters.segment)
    assert read_back == (chosen.element, chosen.component, chosen.segment)
    (body,) = sets_of(result, set_id)
    assert dump(read(body)) == dump(canonical)


def test_the_written_850_says_what_the_order_says() -> None:
    text = x12("850", "PO", order_to_850(SalesOrder.model_validate(ORDER))).decode()
    segments = text.split("~")
    assert "BEG*00*SA*PO-EDI-1*001*20260301" in segments
    assert "PO1*1*5*EA*31.02*WH*VN*49-98760*BP*J07874*UP*123456789012" in segments
    assert "SAC*C*H090***1500" in segments  # handling, in cents
    assert "CTT*2*8" in segments  # two lines, 5 + 3 units
    assert "DTM*010*20260305*1430*UT" in segments


def test_855_line_statuses_follow_the_figures() -> None:
    order = SalesOrder.model_validate(ORDER)
    ack = Acknowledgement.model_validate(
        {
            "PartnerPO": "PO-EDI-1",
            "OrderDate": "2026-03-01",
            "AckLines": [
                {"LineNumber": "1", "Quantity": 5, "Price": "29.99", "ItemIdentifier": {"SupplierSKU": "49-98760"}},
                {"LineNumber": "2", "Quantity": 2, "ItemIdentifier": {"SupplierSKU": "PIP-200"}},
            ],
        }
    )
    segments = x12("855", "PR", acknowledgement_to_855(ack, order)).decode().split("~")
    acks = [s for s in segments if s.startswith("ACK*")]
    assert acks == ["ACK*IP*5*EA", "ACK*IQ*2*EA"]  # price changed on line 1, quantity on line 2
    assert any(s.startswith("BAK*00*AD*PO-EDI-1") for s in segments)


def test_855_without_detail_needs_the_order() -> None:
    from pohub.edi.mapping.common import MappingError
    from pohub.edi.x12.segments import Segment

    body = [
        Segment.of("ST", "855", "0001"),
        Segment.of("BAK", "00", "AK", "PO-EDI-1", "20260301"),
        Segment.of("SE", 3, "0001"),
    ]
    with pytest.raises(MappingError, match="BAK02"):
        x12_855_to_acknowledgement(body)
    ack = x12_855_to_acknowledgement(body, SalesOrder.model_validate(ORDER))
    assert [(ln.line_number, ln.quantity) for ln in ack.ack_lines] == [("1", 5), ("2", 3)]


def test_856_cartons_are_packs_with_their_sscc_and_tracking() -> None:
    body = shipment_to_856(Shipment.model_validate(SHIPMENT))
    levels = [(s.get(1), s.get(2), s.get(3)) for s in body if s.id == "HL"]
    # S, O, the loose line under O, then each carton (P) with its items (I)
    assert levels == [
        ("1", "", "S"),
        ("2", "1", "O"),
        ("3", "2", "I"),
        ("4", "2", "P"),
        ("5", "4", "I"),
        ("6", "2", "P"),
        ("7", "6", "I"),
        ("8", "6", "I"),
    ]
    assert [s.get(2) for s in body if s.id == "MAN"] == [
        SHIPMENT["ShipmentLines"][0]["ShipmentInfos"][0]["ContainerCode"],
        SHIPMENT["ShipmentLines"][1]["ShipmentInfos"][0]["ContainerCode"],
    ]
    assert body[-1].id == "CTT" and body[-1].get(1) == "8"


def test_005010_repetition_separator_is_read_from_isa11() -> None:
    chosen = Delimiters("*", ":", "~", "^")
    data = x12("850", "PO", order_to_850(SalesOrder.model_validate(ORDER)), version="005010", delimiters=chosen)
    assert data.startswith(b"ISA*00*") and b"*^*00501*" in data
    result = read_accepted_x12(data)
    assert result.delimiters is not None and result.delimiters.repetition == "^"
    # in 004010 ISA11 is the standards identifier U: no repetition separator
    older = read_accepted_x12(x12("850", "PO", order_to_850(SalesOrder.model_validate(ORDER)), delimiters=chosen))
    assert older.delimiters is not None and older.delimiters.repetition is None
