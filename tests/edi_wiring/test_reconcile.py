"""pohub's own outbound groups reconciled set by set against the partner's 997 / CONTRL: the set's
AK5 (UCM) decides over the group's AK9 (UCI), so a partial acceptance acknowledges what it accepts
and flags, on the exchange and the order's timeline, what it rejects."""

from __future__ import annotations

import uuid
from typing import Any

from pohub.edi.edifact.syntax import Seg
from pohub.edi.edifact.writer import EdifactOut, EdifactParty, wrap_message, write_edifact
from tests.api.helpers import ack, create_order, events, line
from tests.edi_wiring.helpers import add_partner
from tests.edi_wiring.test_changes import WHEN
from tests.edi_wiring.test_outbound import answer_997, outbound_of
from tests.edi_wiring.test_post_edi import exchange, post_edi
from tests.support import LiveServer, Trade


def _sent_855(trade: Trade, tag: str, number: str, **profile: Any) -> tuple[str, dict[str, Any]]:
    add_partner(trade.buyer, trade.supplier, TheirId=f"B{tag}", OurId=f"H{tag}", **profile)
    po = f"PO-{tag}"
    key = create_order(trade, po)
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=ack(po, number, [line("01", 5)]))
    assert r.status_code == 201, r.text
    (sent,) = outbound_of(trade.buyer, kind="acknowledgement")
    return key, sent


def test_a_partial_acceptance_acknowledges_the_accepted_set(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    _key, sent = _sent_855(trade, tag, "A-P1")
    # AK9 P with this set's AK5 A: the set was accepted, whatever became of others in the group.
    answer = answer_997(sent["Raw"], control=61).replace(b"AK9*A*1*1*1~", b"AK9*P*2*2*1~")
    r = post_edi(server, trade.buyer, answer)
    assert r.status_code == 200, r.text
    (note,) = r.json()["Reconciled"]
    assert (note["Sets"], note["Accepted"], note["Status"]) == (["1"], True, "AK5 A"), note
    assert exchange(trade.buyer, sent["Id"])["State"] == "acknowledged"


def test_a_rejected_set_is_flagged_even_when_the_group_says_accepted(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    key, sent = _sent_855(trade, tag, "A-P2")
    answer = answer_997(sent["Raw"], control=62).replace(b"AK5*A~", b"AK5*R*5~")
    r = post_edi(server, trade.buyer, answer)
    assert r.status_code == 200, r.text
    (note,) = r.json()["Reconciled"]
    assert (note["Accepted"], note["Status"]) == (False, "AK5 R/5"), note
    flagged = exchange(trade.buyer, sent["Id"])
    assert flagged["State"] != "acknowledged"
    assert "rejected group 1, set 1 (997 status AK5 R/5)" in flagged["Error"]["Message"]
    assert any("set 1" in e["Summary"] and e["TypeId"] == 8 for e in events(trade, key))


def test_a_997_naming_other_sets_falls_back_to_the_group(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    _key, sent = _sent_855(trade, tag, "A-P3")
    answer = answer_997(sent["Raw"], control=63).replace(b"AK2*855*0001~", b"AK2*855*0099~")
    r = post_edi(server, trade.buyer, answer)
    assert r.status_code == 200, r.text
    (note,) = r.json()["Reconciled"]
    assert (note["Sets"], note["Accepted"], note["Status"]) == ([], True, "A"), note
    assert exchange(trade.buyer, sent["Id"])["State"] == "acknowledged"


def test_a_contrl_rejecting_the_message_is_flagged(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    edifact = {"Standard": "edifact", "Version": "D96A", "TheirQualifier": "14", "OurQualifier": "14"}
    key, sent = _sent_855(trade, tag, "A-P4", **edifact)
    unb = next(s for s in sent["Raw"].replace("\n", "").split("'") if s.startswith("UNB"))
    unh = next(s for s in sent["Raw"].replace("\n", "").split("'") if s.startswith("UNH"))
    reference, message = unb.split("+")[5], unh.split("+")[1]
    body = [
        Seg.of("UCI", reference, (f"H{tag}", "14"), (f"B{tag}", "14"), "7"),
        Seg.of("UCM", message, ("ORDRSP", "D", "96A", "UN"), "4", "29"),
    ]
    parties = (EdifactParty(f"B{tag}", "14"), EdifactParty(f"H{tag}", "14"))
    contrl = EdifactOut(*parties, "C1", WHEN, [wrap_message("1", "CONTRL", body)])
    r = post_edi(server, trade.buyer, write_edifact(contrl))
    assert r.status_code == 200, r.text
    (note,) = r.json()["Reconciled"]
    assert (note["Accepted"], note["Status"]) == (False, "UCM 4/29"), note
    assert "UCM 4/29" in exchange(trade.buyer, sent["Id"])["Error"]["Message"]
    assert any("UCM 4/29" in e["Summary"] for e in events(trade, key))
