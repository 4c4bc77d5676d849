"""Returns over EDI through a live server: an EDI buyer's 180 becomes a return that a JSON supplier
authorises, and the answer goes back as a 180; a JSON buyer's return goes to an EDI supplier as a
180 and its 180 answer authorises or rejects it. A malformed or over-returning 180 changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from pohub.documents.returns import Return
from pohub.edi.mapping.x12_return import ReturnAnswer, answer_to_180, return_to_180, x12_180_to_answer
from pohub.edi.x12.reader import sets_of
from pohub.edi.x12.segments import Segment
from tests.api.helpers import SKU2, ack, line, order_body
from tests.edi.documents import read_accepted_x12
from tests.edi_wiring.helpers import add_partner
from tests.edi_wiring.test_changes import interchange
from tests.edi_wiring.test_outbound import outbound_of
from tests.edi_wiring.test_post_edi import exchange, post_edi
from tests.returns.helpers import return_body, shipped_order
from tests.support import LiveServer, Trade


def returns_of(trade: Trade) -> list[dict[str, Any]]:
    r = trade.buyer.get("/Returns")
    assert r.status_code == 200, r.text
    return list(r.json()["Records"])


def test_an_edi_buyers_180_is_authorised_by_a_json_supplier_and_answered_by_180(
    server: LiveServer, trade: Trade
) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    add_partner(trade.buyer, trade.supplier, TheirId=f"P{tag}", OurId=f"H{tag}")
    po = f"PO-{tag}"
    key = shipped_order(trade, po)  # line 01: 4 of 5 shipped
    ret = Return.model_validate(return_body("R-1", [("01", 2)], PartnerPO=po, ReturnDate="2026-03-10"))

    too_many = Return.model_validate(return_body("R-0", [("01", 5)], PartnerPO=po, ReturnDate="2026-03-10"))
    r = post_edi(server, trade.buyer, interchange(tag, "180", "AN", return_to_180(too_many), 41))
    assert r.status_code == 200, r.text  # a good 180 the return rules refuse: that document alone
    (doc,) = r.json()["Documents"]
    assert doc["State"] == "refused" and "shipped" in str(doc["Error"]), doc
    bad = [Segment("QTY", ("99", "2", "EA")) if s.id == "QTY" else s for s in return_to_180(ret)]
    r = post_edi(server, trade.buyer, interchange(tag, "180", "AN", bad, 42))
    assert r.status_code == 422 and "AK4*1*673*7*99~" in r.json()["Acknowledgement"]["Raw"], r.text
    assert returns_of(trade) == []

    r = post_edi(server, trade.buyer, interchange(tag, "180", "AN", return_to_180(ret), 43))
    assert r.status_code == 200, r.text
    (doc,) = r.json()["Documents"]
    assert (doc["Set"], doc["Kind"], doc["State"], doc["OrderKey"]) == ("180", "return", "applied", int(key)), doc
    r = trade.supplier.post(f"/Returns/{doc['DocumentKey']}/Authorisation", json={"RMANumber": "RMA-77"})
    assert r.status_code == 201, r.text
    (sent,) = outbound_of(trade.buyer, kind="return_answer")
    (body,) = sets_of(read_accepted_x12(sent["Raw"].encode()), "180")
    answer = x12_180_to_answer(body)
    assert (answer.return_number, answer.partner_po, answer.authorised, answer.rma_number) == (
        "R-1",
        po,
        True,
        "RMA-77",
    )


def test_a_json_buyers_return_goes_to_an_edi_supplier_whose_180_answers_it(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    add_partner(trade.supplier, trade.buyer, TheirId=f"P{tag}", OurId=f"H{tag}")
    po = f"PO-{tag}"
    body = order_body(trade, po)
    del body["PaymentTerm"]
    r = trade.buyer.post("/Orders", json=body)
    assert r.status_code == 201, r.text
    key = str(r.json()["Body"]["LogicbrokerKey"])
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=ack(po, "A-1", [line("01", 5), line("02", 3, SKU2)]))
    assert r.status_code == 201, r.text
    r = trade.supplier.post(f"/Shipment/{key}", json={"ShipmentNumber": "S-1", "ShipmentLines": [line("01", 5)]})
    assert r.status_code == 201, r.text
    for number in ("R-1", "R-2"):
        r = trade.buyer.post(f"/Orders/{key}/Returns", json=return_body(number, [("01", 1)]))
        assert r.status_code == 201, r.text
    sent = outbound_of(trade.supplier, kind="return")
    assert len(sent) == 2 and all("BGN*00*R-" in e["Raw"] and f"REF*PO*{po}~" in e["Raw"] for e in sent)
    read_accepted_x12(sent[0]["Raw"].encode())

    yes = ReturnAnswer.model_validate(
        {"ReturnNumber": "R-1", "PartnerPO": po, "Authorised": True, "RMANumber": "RMA-9", "DocumentDate": "2026-03-11"}
    )
    no = ReturnAnswer.model_validate(
        {"ReturnNumber": "R-2", "PartnerPO": po, "Authorised": False, "Reason": "late", "DocumentDate": "2026-03-11"}
    )
    for n, answer in enumerate((yes, no)):
        r = post_edi(server, trade.supplier, interchange(tag, "180", "AN", answer_to_180(answer), 51 + n))
        assert r.status_code == 200, r.text
        (doc,) = r.json()["Documents"]
        assert (doc["Kind"], doc["State"]) == ("return_answer", "applied"), doc
        assert exchange(trade.supplier, doc["ExchangeId"])["Operation"] == "edi.return_answer"
    by_number = {x["ReturnNumber"]: x for x in returns_of(trade)}
    assert by_number["R-1"]["RMANumber"] == "RMA-9" and by_number["R-2"]["RejectionReason"] == "late"
