"""ORDCHG (D.96A) <-> canonical change, and the ORDRSP that answers it <-> the supplier's answer.

An ORDRSP answers a change when it names one (RFF PP, purchase order change number); without it, it
acknowledges the order (``edifact_ack``). The codes are data, as in the X12 860 / 865.
"""

from __future__ import annotations

from typing import Any

from pohub.documents.changes import OrderChange
from pohub.documents.logicbroker import SalesOrder
from pohub.edi.edifact.syntax import Seg
from pohub.edi.mapping.common import MappingError, clean
from pohub.edi.mapping.edifact_parts import amount, dtm, item, lines_of, price, qty, read_dtm, read_item
from pohub.edi.mapping.x12_change import ChangeReply

ORDERED = "21"
REQUESTED_SHIP = "10"  # DTM 2005: shipment date/time, requested
REASON = "CHG"  # FTX 4451: change information
CHANGE_REF = "PP"  # RFF 1153: purchase order change number
# BGM 1225 of an ORDCHG: the whole message cancels the order, or changes it.
FUNCTION_CANCEL, FUNCTION_CHANGE = "1", "4"
# LIN 1229 of an ORDCHG <-> the canonical line Action.
LINE_ACTIONS: dict[str, str] = {"1": "Add", "2": "Cancel", "3": "Change"}
ACTION_CODES = {action: code for code, action in LINE_ACTIONS.items()}
# ORDRSP BGM 1225 -> the answer for the lines not detailed; LIN 1229 -> the line's answer.
ANSWER_FUNCTIONS: dict[str, bool | None] = {"29": True, "27": False, "30": None}
ANSWER_LINES: dict[str, bool] = {"5": True, "3": True, "6": True, "7": False, "2": False}
WRITE_ACCEPT, WRITE_REJECT = "5", "7"


def _when(doc: dict[str, Any]) -> Any:
    when = doc.get("DocumentDate")
    if not when:
        raise MappingError("DocumentDate", "an ORDCHG / ORDRSP needs its date (DTM 137)")
    return when


def _order_ref(doc: dict[str, Any], order: SalesOrder | None) -> list[Seg]:
    if not doc.get("PartnerPO"):
        raise MappingError("PartnerPO", "names the order it is about (RFF ON)")
    out = [Seg.of("RFF", ("ON", doc["PartnerPO"]))]
    order_date = (order.order_date if order is not None else None) or doc.get("OrderDate")
    if order_date:
        out.append(dtm("171", order_date))
    return out


def change_to_ordchg(change: OrderChange, order: SalesOrder | None = None) -> list[Seg]:
    """The body of an ORDCHG (BGM .. CNT) for a canonical change."""
    doc = change.model_dump(by_alias=True, exclude_none=True)
    if not doc.get("ChangeNumber"):
        raise MappingError("ChangeNumber", "an ORDCHG carries its change number (BGM 1004)")
    function = FUNCTION_CANCEL if doc.get("CancelOrder") else FUNCTION_CHANGE
    out = [Seg.of("BGM", "230", doc["ChangeNumber"], function), dtm("137", _when(doc))]
    if doc.get("Reason"):
        out.append(Seg.of("FTX", REASON, "", "", doc["Reason"][:512]))
    out += _order_ref(doc, order)
    lines = doc.get("ChangeLines") or []
    total = 0
    for i, line in enumerate(lines, start=1):
        out += item(line, i, ACTION_CODES[line.get("Action") or "Change"])
        if line.get("Quantity") is not None:
            total += line["Quantity"]
            out.append(qty(ORDERED, line["Quantity"], line.get("QuantityUOM")))
        if line.get("RequestedShipDate"):
            out.append(dtm(REQUESTED_SHIP, line["RequestedShipDate"]))
        if line.get("Price") is not None:
            out.append(price(line["Price"]))
        if line.get("Reason"):
            out.append(Seg.of("FTX", REASON, "", "", line["Reason"][:512]))
    out.append(Seg.of("UNS", "S"))
    if lines:
        out += [Seg.of("CNT", ("2", len(lines))), Seg.of("CNT", ("1", total))]
    return out


def ordchg_to_change(body: list[Seg]) -> OrderChange:
    """A canonical change from an ORDCHG (BGM 1225 1 without lines cancels the whole order)."""
    doc: dict[str, Any] = {}
    first_line = next((i for i, s in enumerate(body) if s.tag == "LIN"), len(body))
    function = ""
    for s in body[:first_line]:
        if s.tag == "BGM":
            doc["ChangeNumber"], function = s.comp(2), s.comp(3)
        elif s.tag == "DTM" and s.comp(1, 1) == "137":
            doc["DocumentDate"] = read_dtm(s)
        elif s.tag == "FTX" and s.comp(1) == REASON:
            doc["Reason"] = s.comp(4)
        elif s.tag == "RFF" and s.comp(1, 1) == "ON":
            doc["PartnerPO"] = s.comp(1, 2)
    lines = []
    for group in lines_of(body):
        line: dict[str, Any] = {"ItemIdentifier": {}, "Action": LINE_ACTIONS.get(group[0].comp(2), "Change")}
        for s in group:
            read_item(s, line)
            if s.tag == "QTY" and s.comp(1, 1) == ORDERED:
                line["Quantity"] = int(amount(s.comp(1, 2)))
                line["QuantityUOM"] = s.comp(1, 3)
            elif s.tag == "PRI":
                line["Price"] = amount(s.comp(1, 2))
            elif s.tag == "DTM" and s.comp(1, 1) == REQUESTED_SHIP:
                line["RequestedShipDate"] = read_dtm(s)
            elif s.tag == "FTX" and s.comp(1) == REASON:
                line["Reason"] = s.comp(4)
        lines.append(line)
    if function == FUNCTION_CANCEL and not lines:
        doc["CancelOrder"] = True
    doc["ChangeLines"] = lines
    return OrderChange.model_validate(clean(doc))


def reply_to_ordrsp(reply: ChangeReply, order: SalesOrder | None = None) -> list[Seg]:
    """The ORDRSP answering a change: BGM 1225 29 (all accepted), 27 (all rejected) or 30, RFF PP
    naming the change, and one LIN per answered line (1229 5 accepted, 7 not accepted)."""
    doc = reply.model_dump(by_alias=True, exclude_none=True)
    if not doc.get("ChangeNumber"):
        raise MappingError("ChangeNumber", "an ORDRSP to a change names it (RFF PP)")
    all_lines = doc.get("Lines") or []
    answers = {bool(ln.get("Accept", doc.get("Accept"))) for ln in all_lines} or {bool(doc.get("Accept"))}
    function = "29" if answers == {True} else "27" if answers == {False} else "30"
    out = [Seg.of("BGM", "231", doc["ChangeNumber"], function), dtm("137", _when(doc))]
    if doc.get("Reason"):
        out.append(Seg.of("FTX", REASON, "", "", doc["Reason"][:512]))
    out += _order_ref(doc, order)
    out.append(Seg.of("RFF", (CHANGE_REF, doc["ChangeNumber"])))
    lines = [ln for ln in all_lines if ln.get("LineNumber") != "*"]
    for i, line in enumerate(lines, start=1):
        accept = bool(line.get("Accept", doc.get("Accept")))
        out += item({"LineNumber": line["LineNumber"]}, i, WRITE_ACCEPT if accept else WRITE_REJECT)
        if line.get("Reason"):
            out.append(Seg.of("FTX", REASON, "", "", line["Reason"][:512]))
    out.append(Seg.of("UNS", "S"))
    if lines:
        out.append(Seg.of("CNT", ("2", len(lines))))
    return out


def answers_a_change(body: list[Seg]) -> bool:
    """Whether an ORDRSP answers a change (RFF PP) rather than acknowledging the order."""
    return any(s.tag == "RFF" and s.comp(1, 1) == CHANGE_REF for s in body)


def ordrsp_to_reply(body: list[Seg]) -> ChangeReply:
    doc: dict[str, Any] = {}
    first_line = next((i for i, s in enumerate(body) if s.tag == "LIN"), len(body))
    after_order_ref = False
    for s in body[:first_line]:
        if s.tag == "BGM":
            doc["Accept"] = ANSWER_FUNCTIONS.get(s.comp(3))
        elif s.tag == "DTM" and s.comp(1, 1) == "137":
            doc["DocumentDate"] = read_dtm(s)
        elif s.tag == "DTM" and s.comp(1, 1) == "171" and after_order_ref:
            doc["OrderDate"] = read_dtm(s)
        elif s.tag == "FTX" and s.comp(1) == REASON:
            doc["Reason"] = s.comp(4)
        elif s.tag == "RFF" and s.comp(1, 1) == "ON":
            doc["PartnerPO"], after_order_ref = s.comp(1, 2), True
        elif s.tag == "RFF" and s.comp(1, 1) == CHANGE_REF:
            doc["ChangeNumber"], after_order_ref = s.comp(1, 2), False
    lines = []
    for group in lines_of(body):
        line: dict[str, Any] = {"LineNumber": group[0].comp(1), "Accept": ANSWER_LINES.get(group[0].comp(2))}
        for s in group[1:]:
            if s.tag == "FTX" and s.comp(1) == REASON:
                line["Reason"] = s.comp(4)
        lines.append(line)
    doc["Lines"] = lines
    return ChangeReply.model_validate(clean(doc))
