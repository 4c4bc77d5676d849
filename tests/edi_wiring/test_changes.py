"""Buyer changes over EDI, both ways, through a live server: an EDI buyer's 860 becomes a change that
a JSON supplier answers, and that answer goes back as an 865; a JSON buyer's change goes to an EDI
supplier as an 860 and its 865 answers the change line by line. A malformed 860 / 865 gets its 997
with the error and changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pohub.documents.changes import OrderChange
from pohub.documents.logicbroker import SalesOrder
from pohub.edi.edifact.syntax import Seg
from pohub.edi.edifact.validate import read_edifact
from pohub.edi.edifact.writer import EdifactOut, EdifactParty, wrap_message, write_edifact
from pohub.edi.mapping.edifact_change import change_to_ordchg, ordchg_to_change, ordrsp_to_reply, reply_to_ordrsp
from pohub.edi.mapping.x12_change import ChangeReply, change_to_860, reply_to_865, x12_865_to_reply
from pohub.edi.x12.reader import sets_of
from pohub.edi.x12.segments import Segment
from pohub.edi.x12.writer import GroupOut, InterchangeOut, Party, wrap_set, write_interchange
from tests.api.helpers import SKU2, ack, create_order, get_order, line, order_body
from tests.edi.documents import read_accepted_x12
from tests.edi_wiring.helpers import add_partner
from tests.edi_wiring.test_outbound import outbound_of
from tests.edi_wiring.test_post_edi import exchange, post_edi
from tests.support import LiveServer, Trade

WHEN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def interchange(tag: str, set_id: str, functional_id: str, body: list[Segment], control: int) -> bytes:
    """One set from the EDI partner (ZZ/P<tag>) to pohub (ZZ/H<tag>)."""
    group = GroupOut(functional_id, control, "004010", [wrap_set(set_id, "0001", body)])
    return write_interchange(InterchangeOut(Party("ZZ", f"P{tag}"), Party("ZZ", f"H{tag}"), control, WHEN, [group]))


def changes_of(trade: Trade, key: str) -> list[dict[str, Any]]:
    r = trade.buyer.get(f"/Orders/{key}/Changes")
    assert r.status_code == 200, r.text
    return list(r.json()["Body"]["Changes"])


def quantities(trade: Trade, key: str) -> list[tuple[str, int, float]]:
    return [(x["LineNumber"], x["Quantity"], x["Price"]) for x in get_order(trade, key)["OrderLines"]]


def test_an_edi_buyers_860_waits_for_the_json_supplier_whose_answer_goes_back_as_an_865(
    server: LiveServer, trade: Trade
) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    add_partner(trade.buyer, trade.supplier, TheirId=f"P{tag}", OurId=f"H{tag}")
    po = f"PO-{tag}"
    key = create_order(trade, po)
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=ack(po, "A-1", [line("01", 5), line("02", 3, SKU2)]))
    assert r.status_code == 201, r.text
    before = quantities(trade, key)

    change = OrderChange.model_validate(
        {
            "ChangeNumber": "C-1",
            "PartnerPO": po,
            "ChangeLines": [
                {"LineNumber": "01", "Quantity": 4, "ItemIdentifier": {"SupplierSKU": "49-98760"}},
                {"LineNumber": "02", "Price": "9.5", "ItemIdentifier": SKU2},
            ],
        }
    )
    order = SalesOrder.model_validate(get_order(trade, key))
    body = change_to_860(change, order)

    # Malformed first: an unknown POC02 code. The 997 names it; no change is recorded.
    bad = [Segment("POC", ("01", "XX", *s.elements[2:])) if s.id == "POC" and s.get(1) == "01" else s for s in body]
    r = post_edi(server, trade.buyer, interchange(tag, "860", "PC", bad, 11))
    assert r.status_code == 422, r.text
    assert {(e["Segment"], e["Element"], e["Code"]) for e in r.json()["Errors"]} >= {("POC", 2, "7")}
    assert "AK4*2*670*7*XX~" in r.json()["Acknowledgement"]["Raw"] and "AK5*R*5~" in r.json()["Acknowledgement"]["Raw"]
    assert changes_of(trade, key) == [] and quantities(trade, key) == before

    r = post_edi(server, trade.buyer, interchange(tag, "860", "PC", body, 12))
    assert r.status_code == 200, r.text
    (doc,) = r.json()["Documents"]
    assert (doc["Set"], doc["Kind"], doc["State"], doc["OrderKey"]) == ("860", "change", "applied", int(key)), doc
    assert "AK1*PC*12~" in r.json()["Acknowledgement"]["Raw"] and "AK9*A*1*1*1~" in r.json()["Acknowledgement"]["Raw"]
    (waiting,) = changes_of(trade, key)
    assert waiting["Status"] == "Awaiting answer" and quantities(trade, key) == before  # acknowledged: it waits

    r = trade.supplier.post(
        f"/Orders/{key}/Changes/{doc['DocumentKey']}/Answer",
        json={"Lines": [{"LineNumber": "01", "Accept": True}, {"LineNumber": "02", "Accept": False, "Reason": "list"}]},
    )
    assert r.status_code == 200, r.text
    assert quantities(trade, key) == [("01", 4, before[0][2]), ("02", 3, before[1][2])]
    (sent,) = outbound_of(trade.buyer, kind="change_answer")
    assert sent["State"] == "queued" and sent["OrderKey"] == key
    (answer,) = sets_of(read_accepted_x12(sent["Raw"].encode()), "865")
    reply = x12_865_to_reply(answer)
    assert (reply.partner_po, reply.change_number) == (po, "C-1")
    assert reply.answer() == {
        "Lines": [{"LineNumber": "01", "Accept": True}, {"LineNumber": "02", "Accept": False, "Reason": "list"}]
    }
    assert f"BCA*00*AC*SA*{po}**C-1*" in sent["Raw"]


def test_an_860_the_rules_refuse_is_refused_alone_and_changes_nothing(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    add_partner(trade.buyer, trade.supplier, TheirId=f"P{tag}", OurId=f"H{tag}")
    po = f"PO-{tag}"
    key = create_order(trade, po)
    before = quantities(trade, key)
    change = OrderChange.model_validate(
        {"ChangeNumber": "C-2", "PartnerPO": po, "ChangeLines": [{"LineNumber": "07", "Quantity": 1}]}
    )
    r = post_edi(server, trade.buyer, interchange(tag, "860", "PC", change_to_860(change, _dated()), 13))
    assert r.status_code == 200, r.text  # the interchange is fine: its 997 accepts it
    (doc,) = r.json()["Documents"]
    assert doc["State"] == "refused" and doc["Error"]["Errors"][0]["Field"].startswith("ChangeLines[0]"), doc
    assert changes_of(trade, key) == [] and quantities(trade, key) == before


def _dated() -> SalesOrder:
    return SalesOrder.model_validate({"PartnerPO": "x", "OrderDate": "2026-03-01", "OrderLines": []})


def test_a_json_buyers_change_goes_to_an_edi_supplier_as_an_860_and_its_865_answers_it(
    server: LiveServer, trade: Trade
) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    add_partner(trade.supplier, trade.buyer, TheirId=f"P{tag}", OurId=f"H{tag}")
    po = f"PO-{tag}"
    body = order_body(trade, po)
    del body["PaymentTerm"]  # the sample's 0001-01-01 placeholders are no EDI dates
    r = trade.buyer.post("/Orders", json=body)
    assert r.status_code == 201, r.text
    key = str(r.json()["Body"]["LogicbrokerKey"])
    assert len(outbound_of(trade.supplier, kind="order")) == 1  # the 850
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=ack(po, "A-1", [line("01", 5), line("02", 3, SKU2)]))
    assert r.status_code == 201, r.text
    before = quantities(trade, key)

    r = trade.buyer.post(
        f"/Orders/{key}/Changes",
        json={
            "ChangeNumber": "C-3",
            "ChangeLines": [
                {"LineNumber": "01", "Quantity": 2},
                {"LineNumber": "03", "Action": "Add", "Quantity": 1, "ItemIdentifier": {"SupplierSKU": "NEW-9"}},
            ],
        },
    )
    assert r.status_code == 201, r.text
    (sent,) = outbound_of(trade.supplier, kind="change")
    raw = sent["Raw"]
    assert sent["State"] == "queued" and sent["OrderKey"] == key
    assert f"BCH*04*SA*{po}**C-3*" in raw and "POC*01*QD*2**EA***VN*49-98760~" in raw
    assert "POC*03*AI*1**EA***VN*NEW-9~" in raw and "CTT*2*3~" in raw
    read_accepted_x12(raw.encode())

    # A malformed 865 (an ACK01 code that is not one) is refused whole: the change still waits.
    reply = ChangeReply.model_validate(
        {
            "PartnerPO": po,
            "ChangeNumber": "C-3",
            "OrderDate": "2026-03-01",
            "Lines": [{"LineNumber": "01", "Accept": True}, {"LineNumber": "03", "Action": "Add", "Accept": False}],
        }
    )
    body = reply_to_865(reply)
    bad = [Segment("ACK", ("Q9",)) if s.id == "ACK" and s.get(1) == "IR" else s for s in body]
    r = post_edi(server, trade.supplier, interchange(tag, "865", "CA", bad, 21))
    assert r.status_code == 422, r.text
    assert "AK4*1*668*7*Q9~" in r.json()["Acknowledgement"]["Raw"]
    assert changes_of(trade, key)[0]["Status"] == "Awaiting answer" and quantities(trade, key) == before

    r = post_edi(server, trade.supplier, interchange(tag, "865", "CA", body, 22))
    assert r.status_code == 200, r.text
    (doc,) = r.json()["Documents"]
    assert (doc["Set"], doc["State"], doc["OrderKey"]) == ("865", "applied", int(key)), doc
    assert exchange(trade.supplier, doc["ExchangeId"])["Operation"] == "edi.change_answer"
    (answered,) = changes_of(trade, key)
    assert answered["Status"] == "Partly applied"
    assert [(x["LineNumber"], x["State"]) for x in answered["Lines"]] == [("01", "applied"), ("03", "rejected")]
    assert quantities(trade, key) == [("01", 2, before[0][2]), before[1]]

    # The same answer again: the change no longer waits, so it is refused and changes nothing.
    r = post_edi(server, trade.supplier, interchange(tag, "865", "CA", body, 23))
    assert r.status_code == 200, r.text
    (doc,) = r.json()["Documents"]
    assert doc["State"] == "refused" and doc["Error"]["Code"] == "409", doc
    assert quantities(trade, key) == [("01", 2, before[0][2]), before[1]]


def edifact_interchange(tag: str, message_type: str, body: list[Seg], reference: str) -> bytes:
    out = EdifactOut(
        EdifactParty(f"P{tag}", "14"),
        EdifactParty(f"H{tag}", "14"),
        reference,
        WHEN,
        [wrap_message("1", message_type, body)],
    )
    return write_edifact(out)


def edifact_messages(raw: str) -> list[Any]:
    result = read_edifact(raw.encode())
    assert result.accepted and result.interchange is not None, [e.describe() for e in result.errors]
    return [m.body for m in result.interchange.messages]


def test_edifact_both_ways_ordchg_and_its_ordrsp(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    edifact = {"Standard": "edifact", "Version": "D96A", "TheirQualifier": "14", "OurQualifier": "14"}
    # The supplier trades by EDIFACT: a JSON buyer's change leaves as an ORDCHG, the ORDRSP answers it.
    add_partner(trade.supplier, trade.buyer, TheirId=f"P{tag}", OurId=f"H{tag}", **edifact)
    po = f"PO-{tag}"
    body = order_body(trade, po)
    del body["PaymentTerm"]
    r = trade.buyer.post("/Orders", json=body)
    assert r.status_code == 201, r.text
    key = str(r.json()["Body"]["LogicbrokerKey"])
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=ack(po, "A-1", [line("01", 5), line("02", 3, SKU2)]))
    assert r.status_code == 201, r.text
    r = trade.buyer.post(f"/Orders/{key}/Changes", json={"ChangeNumber": "C-E1", "CancelOrder": True})
    assert r.status_code == 201, r.text
    (sent,) = outbound_of(trade.supplier, kind="change")
    (message,) = edifact_messages(sent["Raw"])
    assert ordchg_to_change(message).cancel_order is True

    reply = ChangeReply.model_validate(
        {"PartnerPO": po, "ChangeNumber": "C-E1", "Accept": False, "Reason": "in transit", "DocumentDate": "2026-03-03"}
    )
    r = post_edi(server, trade.supplier, edifact_interchange(tag, "ORDRSP", reply_to_ordrsp(reply), "R1"))
    assert r.status_code == 200, r.text
    (doc,) = r.json()["Documents"]
    assert (doc["Set"], doc["Kind"], doc["State"]) == ("ORDRSP", "change_answer", "applied"), doc
    (answered,) = changes_of(trade, key)
    assert answered["Status"] == "Rejected" and get_order(trade, key)["StatusCode"] != 1100


def test_an_edifact_buyers_ordchg_is_answered_by_ordrsp(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    edifact = {"Standard": "edifact", "Version": "D96A", "TheirQualifier": "14", "OurQualifier": "14"}
    add_partner(trade.buyer, trade.supplier, TheirId=f"P{tag}", OurId=f"H{tag}", **edifact)
    po = f"PO-{tag}"
    key = create_order(trade, po)
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=ack(po, "A-1", [line("01", 5), line("02", 3, SKU2)]))
    assert r.status_code == 201, r.text
    change = OrderChange.model_validate(
        {
            "ChangeNumber": "C-E2",
            "PartnerPO": po,
            "DocumentDate": "2026-03-02",
            "ChangeLines": [{"LineNumber": "02", "Action": "Cancel", "ItemIdentifier": SKU2}],
        }
    )
    bad = [s for s in change_to_ordchg(change) if s.tag != "DTM"]  # DTM 137 is mandatory
    r = post_edi(server, trade.buyer, edifact_interchange(tag, "ORDCHG", bad, "O1"))
    assert r.status_code == 422 and changes_of(trade, key) == [], r.text
    assert ("DTM", "13") in {(e["Segment"], e["Code"]) for e in r.json()["Errors"]}

    r = post_edi(server, trade.buyer, edifact_interchange(tag, "ORDCHG", change_to_ordchg(change), "O2"))
    assert r.status_code == 200, r.text
    (doc,) = r.json()["Documents"]
    assert (doc["Kind"], doc["State"]) == ("change", "applied"), doc
    r = trade.supplier.post(f"/Orders/{key}/Changes/{doc['DocumentKey']}/Answer", json={"Accept": True})
    assert r.status_code == 200, r.text
    (sent,) = outbound_of(trade.buyer, kind="change_answer")
    (message,) = edifact_messages(sent["Raw"])
    back = ordrsp_to_reply(message)
    assert (back.partner_po, back.change_number, back.answer()) == (
        po,
        "C-E2",
        {"Accept": True, "Lines": [{"LineNumber": "02", "Accept": True}]},
    )
    assert [x["QuantityCancelled"] for x in get_order(trade, key)["OrderLines"]][1] == 3
