"""Real interchanges nobody here wrote (tests/fixtures/edi/README.md says where each comes from):
pohub reads the good ones into canonical documents and refuses the malformed ones, naming the error."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pohub.edi.edifact.contrl import build_contrl
from pohub.edi.mapping.edifact_order import orders_to_order
from pohub.edi.mapping.x12_ack import x12_855_to_acknowledgement
from pohub.edi.mapping.x12_invoice import x12_810_to_invoice
from pohub.edi.mapping.x12_order import x12_850_to_order
from pohub.edi.mapping.x12_shipment import x12_856_to_shipments
from pohub.edi.x12.ack import build_997, build_ta1
from pohub.edi.x12.reader import read_interchange, sets_of
from tests.edi.documents import read_accepted_edifact, read_accepted_x12

FIXTURES = Path(__file__).parent.parent / "fixtures" / "edi"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_node_x12_850_reads_as_an_order() -> None:
    result = read_accepted_x12(load("node-x12-850.edi"))
    (body,) = sets_of(result, "850")
    order = x12_850_to_order(body)
    assert order.partner_po == "08292233294"
    assert len(order.order_lines) == 6
    first = order.order_lines[0]
    assert (first.quantity, first.price, first.item_identifier.supplier_sku) == (120, Decimal("9.25"), "AB3542")
    # identifiers pohub has no field for are kept, not dropped
    assert any(a.name == "ProductId CB" and a.value == "065322-117" for a in first.extended_attributes or [])
    assert order.ship_to_address is not None and order.ship_to_address.city == "SOLON"


def test_node_x12_855_line_statuses() -> None:
    result = read_accepted_x12(load("node-x12-855.edi"))
    (body,) = sets_of(result, "855")
    ack = x12_855_to_acknowledgement(body)
    figures = [(ln.line_number, ln.quantity, ln.quantity_cancelled) for ln in ack.ack_lines]
    # IA 3 accepted; IR with quantity 0 rejects the whole line (PO102); IA 2 accepted
    assert figures == [("1", 3, None), ("2", 0, 2), ("3", 0, 1), ("4", 2, None)]
    assert [t.id for g in result.interchange.groups for t in g.sets] == ["855"]  # type: ignore[union-attr]


def test_staedi_dual_invoice_one_good_one_that_does_not_add_up_and_an_old_version() -> None:
    result = read_interchange(load("staedi-invoice810_po850_dual.edi"))
    assert result.interchange is not None and not result.accepted
    invoices, orders = result.interchange.groups
    first, second = invoices.sets
    assert not first.errors
    assert [(e.segment_id, e.element, e.code) for e in second.errors] == [("TDS", 1, "7"), ("SE", 0, "5")]
    assert "should be 185100" in second.errors[0].message
    assert [e.code for e in orders.errors] == ["2"]  # GS08 003010 is not supported
    acks = [[f"{s.id}*{'*'.join(s.elements)}" for s in build_997(g)] for g in result.interchange.groups]
    assert acks[0][-1] == "AK9*P*2*2*1" and "AK4*1*610*7*255438" in acks[0]
    assert acks[1] == ["AK1*PO*165", "AK9*R*1*1*0*2"]
    invoice = x12_810_to_invoice(sets_of(result, "810")[0])
    assert invoice.invoice_total == Decimal("2554.38")
    assert sum(ln.quantity * ln.price for ln in invoice.invoice_lines if ln.quantity and ln.price) == Decimal("2554.38")


def test_edifabric_ship_notice_is_refused_for_its_envelope_and_content() -> None:
    result = read_interchange(load("edifabric-ShipNotice.txt"))  # UTF-8 with a byte-order mark
    assert result.interchange is not None and not result.accepted
    (group,) = result.interchange.groups
    assert [(e.segment_id, e.code) for e in group.errors] == [("GE", "5")]  # GE01 says 2, the group has 1
    (tset,) = group.sets
    codes = [(e.segment_id, e.element, e.code) for e in tset.errors]
    assert ("ST", 0, "6") in codes  # an 856 in an IN (invoice) group: GS01 disagrees with the content
    assert ("DTM", 2, "8") in codes  # DTM*011*200 is not a date
    assert codes.count(("MAN", 2, "7")) == 2  # neither SSCC-18 has a valid check digit
    notes = [f"{s.id}*{'*'.join(s.elements)}" for s in build_997(group)]
    assert notes[-1] == "AK9*R*2*1*0*5"
    assert build_ta1(result).elements[3:] == ("A", "000")  # the interchange envelope itself is sound


def test_edifabric_ship_notice_content_maps_to_one_shipment_per_order() -> None:
    # With its date corrected, the content maps: two orders (HL O) with a carton (HL P) each.
    data = load("edifabric-ShipNotice.txt").replace(b"DTM*011*200~", b"DTM*011*20051015~")
    result = read_interchange(data)
    body = result.interchange.groups[0].sets[0].body  # type: ignore[union-attr]
    shipments = x12_856_to_shipments(body)
    assert [s.partner_po for s in shipments] == ["9988776655", "2288115555"]
    lines = shipments[0].shipment_lines
    assert [(ln.item_identifier.upc, ln.quantity) for ln in lines] == [("008815509183", 4), ("008815547321", 9)]
    assert lines[0].shipment_infos and lines[0].shipment_infos[0].container_code == "00000010012345614785"


def test_edifabric_edifact_order_with_una() -> None:
    result = read_accepted_edifact(load("edifabric-PurchaseOrderWithUna.txt"))
    (message,) = result.interchange.messages  # type: ignore[union-attr]
    order = orders_to_order(message.body)
    assert order.partner_po == "0123456789123"
    assert [(ln.line_number, ln.quantity, ln.price, ln.item_identifier.isbn) for ln in order.order_lines] == [
        ("1", 2, Decimal("10.5"), "0835201031"),
        ("2", 10, Decimal("9.25"), "0835202151"),
        ("3", 5, Decimal("30"), "0835208338"),
    ]
    ucm = [s for s in build_contrl(result) if s.tag == "UCM"]
    assert ucm[0].comp(3) == "7"  # acknowledged
