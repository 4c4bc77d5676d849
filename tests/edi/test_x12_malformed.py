"""Malformed interchanges: each is refused with the 997 / TA1 code the standard has for it."""

from __future__ import annotations

from datetime import UTC, datetime

from pohub.documents.logicbroker import Invoice, SalesOrder, Shipment
from pohub.edi.mapping.x12_invoice import invoice_to_810
from pohub.edi.mapping.x12_order import order_to_850
from pohub.edi.mapping.x12_shipment import shipment_to_856
from pohub.edi.x12.ack import acknowledgement, build_997, build_ta1
from pohub.edi.x12.reader import ReadResult, read_interchange
from pohub.edi.x12.writer import write_interchange
from tests.edi.documents import INVOICE, ORDER, SHIPMENT, read_accepted_x12, x12

GOOD = x12("850", "PO", order_to_850(SalesOrder.model_validate(ORDER))).decode()


def segments(text: str) -> list[str]:
    return [s for s in text.split("~") if s]


def replace(text: str, old: str, new: str) -> bytes:
    assert old in text, old
    return text.replace(old, new, 1).encode()


def edit_set(text: str, old: str, new: str) -> bytes:
    """Replace one segment (or insert before it) and keep SE01 right, so only the edit is in error."""
    assert old in text, old
    edited = text.replace(old, new, 1)
    se = next(s for s in segments(text) if s.startswith("SE*"))
    count = int(se.split("*")[1]) + len(segments(edited)) - len(segments(text))
    return edited.replace(se, f"SE*{count}*{se.split('*')[2]}").encode()


def ack_of(result: ReadResult) -> list[str]:
    assert result.interchange is not None
    return [f"{s.id}*{'*'.join(s.elements)}" for g in result.interchange.groups for s in build_997(g)]


def test_a_good_interchange_is_accepted() -> None:
    result = read_accepted_x12(GOOD.encode())
    assert ack_of(result) == ["AK1*PO*7", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"]
    assert build_ta1(result).elements[3:] == ("A", "000")


def test_wrong_se01_is_ak5_4() -> None:
    se = next(s for s in segments(GOOD) if s.startswith("SE*"))
    result = read_interchange(replace(GOOD, se, "SE*99*0001"))
    assert not result.accepted
    assert "AK5*R*4" in ack_of(result)
    assert ack_of(result)[-1] == "AK9*R*1*1*0"


def test_ge01_that_disagrees_is_ak9_5() -> None:
    result = read_interchange(replace(GOOD, "GE*1*7", "GE*2*7"))
    assert ack_of(result)[-1] == "AK9*R*2*1*0*5"
    assert "AK5*A" in ack_of(result)  # the set itself is fine; the group is refused


def test_iea01_that_disagrees_is_ta1_021() -> None:
    result = read_interchange(replace(GOOD, "IEA*1*", "IEA*3*"))
    assert not result.accepted
    assert build_ta1(result).elements[3:] == ("R", "021")


def test_control_numbers_that_do_not_match() -> None:
    se = next(s for s in segments(GOOD) if s.startswith("SE*"))
    assert "AK5*R*3" in ack_of(read_interchange(replace(GOOD, se, se.replace("0001", "0002"))))
    assert ack_of(read_interchange(replace(GOOD, "GE*1*7", "GE*1*8")))[-1] == "AK9*R*1*1*0*4"
    result = read_interchange(replace(GOOD, "IEA*1*000000042", "IEA*1*000000043"))
    assert build_ta1(result).elements[3:] == ("R", "001")
    bad_isa13 = read_interchange(replace(GOOD, "*000000042*", "*00000A042*"))
    assert build_ta1(bad_isa13).elements[3:] == ("R", "018")


def test_an_unknown_segment_is_ak3_1_and_a_foreign_one_ak3_6() -> None:
    notes = ack_of(read_interchange(edit_set(GOOD, "~CTT*", "~ZZZ*1~CTT*")))
    assert any(n.startswith("AK3*ZZZ*") and n.endswith("*1") for n in notes), notes
    notes = ack_of(read_interchange(edit_set(GOOD, "~CTT*", "~BSN*00*X1*20260101*1200~CTT*")))
    assert any(n.startswith("AK3*BSN*") and n.endswith("*6") for n in notes), notes
    assert "AK5*R*5" in notes


def test_a_bad_code_is_ak4_7_naming_element_and_value() -> None:
    result = read_interchange(replace(GOOD, "BEG*00*", "BEG*01*"))
    notes = ack_of(result)
    assert "AK3*BEG*2**8" in notes
    assert "AK4*1*353*7*01" in notes
    text = x12("855", "PR", [], version="004010").decode()
    data = text.replace("ST*855*0001~", "ST*855*0001~BAK*00*XX*PO-1*20260301~").replace("SE*2*", "SE*3*")
    assert "AK4*2*587*7*XX" in ack_of(read_interchange(data.encode()))


def test_mandatory_segment_and_element_missing() -> None:
    beg = next(s for s in segments(GOOD) if s.startswith("BEG*"))
    notes = ack_of(read_interchange(replace(GOOD, beg, "BEG*00*SA**001*20260301")))
    assert "AK4*3*324*1" in notes  # BEG03, the PO number
    notes = ack_of(read_interchange(edit_set(GOOD, beg + "~", "")))
    assert any(n.startswith("AK3*BEG*") and n.endswith("*3") for n in notes), notes


def test_ctt_line_count_and_hash_total() -> None:
    notes = ack_of(read_interchange(replace(GOOD, "CTT*2*8", "CTT*3*8")))
    assert "AK4*1*354*7*3" in notes
    notes = ack_of(read_interchange(replace(GOOD, "CTT*2*8", "CTT*2*9")))
    assert "AK4*2*347*7*9" in notes


def test_tds_is_in_cents_and_must_add_up() -> None:
    text = x12("810", "IN", invoice_to_810(Invoice.model_validate(INVOICE))).decode()
    assert "TDS*17258~" in text
    assert "AK4*1*610*7*17259" in ack_of(read_interchange(replace(text, "TDS*17258", "TDS*17259")))
    assert "AK4*1*610*6*172.58" in ack_of(read_interchange(replace(text, "TDS*17258", "TDS*172.58")))


def test_hl_parent_pointers_and_levels() -> None:
    text = x12("856", "SH", shipment_to_856(Shipment.model_validate(SHIPMENT))).decode()
    assert "AK4*2*734*7*9" in ack_of(read_interchange(replace(text, "HL*5*4*I", "HL*5*9*I")))
    assert "AK4*3*735*7*P" in ack_of(read_interchange(replace(text, "HL*4*2*P", "HL*4*3*P")))
    sscc = SHIPMENT["ShipmentLines"][0]["ShipmentInfos"][0]["ContainerCode"]
    broken = sscc[:-1] + str((int(sscc[-1]) + 1) % 10)
    assert f"AK4*2*87*7*{broken}" in ack_of(read_interchange(replace(text, sscc, broken)))


def test_duplicate_set_control_number_is_ak5_23() -> None:
    st = next(s for s in segments(GOOD) if s.startswith("ST*"))
    start, end = GOOD.index(st), GOOD.index("GE*")
    doubled = GOOD[:end] + GOOD[start:end] + GOOD[end:]
    notes = ack_of(read_interchange(doubled.replace("GE*1*7", "GE*2*7").encode()))
    assert notes.count("AK5*A") == 1 and "AK5*R*23" in notes
    assert notes[-1] == "AK9*P*2*2*1"


def test_what_cannot_be_tokenized_is_ta1() -> None:
    assert read_interchange(b"hello").errors[0].code == "024"
    assert read_interchange(GOOD[:50].encode()).errors[0].code == "023"
    result = read_interchange(GOOD.rstrip("~").encode())
    assert result.errors[0].code == "023"


def test_the_997_interchange_goes_back_to_the_sender_and_reads_as_valid() -> None:
    result = read_interchange(replace(GOOD, "CTT*2*8", "CTT*3*8"))
    out = acknowledgement(result, control=9, group_control=100, date=datetime(2026, 3, 2, tzinfo=UTC))
    data = write_interchange(out)
    answer = read_accepted_x12(data)
    assert answer.interchange is not None
    isa = answer.interchange.isa
    assert (isa.get(6).strip(), isa.get(8).strip(), isa.get(15)) == ("SUPPLIERCO", "BUYERCO", "T")
    assert [t.id for g in answer.interchange.groups for t in g.sets] == ["997"]
