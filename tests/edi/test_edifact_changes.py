"""ORDCHG <-> a buyer's change, and the ORDRSP that answers it (RFF PP) <-> the supplier's answer:
round trips, the codes written, which ORDRSP is which, and malformed messages refused by CONTRL."""

from __future__ import annotations

from typing import Any

from pohub.documents.changes import OrderChange
from pohub.documents.logicbroker import SalesOrder
from pohub.edi.edifact.validate import read_edifact
from pohub.edi.edifact_side import spec_of
from pohub.edi.mapping.edifact_change import change_to_ordchg, ordchg_to_change, ordrsp_to_reply, reply_to_ordrsp
from pohub.edi.mapping.x12_change import ChangeReply
from tests.edi.documents import ORDER, edifact, read_accepted_edifact
from tests.edi.test_edifact import codes, contrl
from tests.edi.test_x12_changes import CHANGE, REPLY

ORDER_MODEL = SalesOrder.model_validate(ORDER)


def dump(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(mode="json", by_alias=True, exclude_none=True))


def _body(raw: bytes) -> list[Any]:
    result = read_accepted_edifact(raw)
    assert result.interchange is not None
    (message,) = result.interchange.messages
    return list(message.body)


def test_ordchg_round_trip() -> None:
    change = OrderChange.model_validate(CHANGE)
    raw = edifact("ORDCHG", change_to_ordchg(change, ORDER_MODEL))
    text = raw.decode()
    assert "BGM+230+C-7+4'" in text and "RFF+ON:PO-EDI-1'" in text and "DTM+171:20260301:102'" in text
    assert "LIN+3+2'" in text and "LIN+4+1+012345678905:UP'" in text and "QTY+21:3:EA'" in text
    assert "CNT+2:4'" in text and "CNT+1:5'" in text
    body = _body(raw)
    assert spec_of("ORDCHG", body) is not None and spec_of("ORDCHG", body).kind == "change"  # type: ignore[union-attr]
    assert dump(ordchg_to_change(body)) == dump(change)


def test_ordchg_cancelling_the_order_has_no_lines() -> None:
    change = OrderChange.model_validate(
        {"ChangeNumber": "C-9", "PartnerPO": "PO-EDI-1", "CancelOrder": True, "DocumentDate": "2026-03-02"}
    )
    raw = edifact("ORDCHG", change_to_ordchg(change, ORDER_MODEL))
    assert b"BGM+230+C-9+1'" in raw and b"LIN" not in raw
    assert dump(ordchg_to_change(_body(raw))) == dump(change)


def test_ordrsp_answering_a_change_round_trip() -> None:
    reply = ChangeReply.model_validate(REPLY)
    raw = edifact("ORDRSP", reply_to_ordrsp(reply, ORDER_MODEL))
    text = raw.decode()
    assert "BGM+231+C-7+30'" in text and "RFF+PP:C-7'" in text and "LIN+3+7'" in text and "LIN+1+5'" in text
    body = _body(raw)
    spec = spec_of("ORDRSP", body)
    assert spec is not None and spec.kind == "change_answer"
    back = ordrsp_to_reply(body)
    # ORDRSP has no code for what a line did (the ORDCHG said): the rest comes back as written.
    expected = dump(reply) | {"Lines": [{k: v for k, v in ln.items() if k != "Action"} for ln in dump(reply)["Lines"]]}
    assert dump(back) == expected
    assert back.answer() == reply.answer()


def test_an_ordrsp_without_rff_pp_is_an_acknowledgement() -> None:
    reply = ChangeReply.model_validate(REPLY)
    body = [s for s in _body(edifact("ORDRSP", reply_to_ordrsp(reply, ORDER_MODEL))) if s.tag != "RFF"]
    spec = spec_of("ORDRSP", body)
    assert spec is not None and spec.kind == "acknowledgement"


def test_whole_answers() -> None:
    for accept, function in ((True, "29"), (False, "27")):
        reply = ChangeReply.model_validate(
            {"PartnerPO": "PO-EDI-1", "ChangeNumber": "C-9", "Accept": accept, "DocumentDate": "2026-03-03"}
        )
        raw = edifact("ORDRSP", reply_to_ordrsp(reply, ORDER_MODEL))
        assert f"BGM+231+C-9+{function}'".encode() in raw
        assert ordrsp_to_reply(_body(raw)).answer() == {"Accept": accept}


GOOD = edifact("ORDCHG", change_to_ordchg(OrderChange.model_validate(CHANGE), ORDER_MODEL)).decode()


def test_malformed_ordchg_is_refused_by_contrl() -> None:
    result = read_edifact(GOOD.replace("LIN+3+2'", "LIN+3+9'").encode())
    assert not result.accepted and ("LIN", 2, "12") in codes(result)
    assert any(line.startswith("UCM+M1+ORDCHG:D:96A:UN+4") for line in contrl(result))
    assert ("CNT", 1, "29") in codes(read_edifact(GOOD.replace("CNT+2:4'", "CNT+2:3'").encode()))
    assert ("CNT", 1, "29") in codes(read_edifact(GOOD.replace("CNT+1:5'", "CNT+1:6'").encode()))
    assert ("BGM", 3, "12") in codes(read_edifact(GOOD.replace("BGM+230+C-7+4'", "BGM+230+C-7+9'").encode()))
