"""860 PO change <-> canonical change (OrderChange), and 865 PO change acknowledgement <-> the
supplier's answer to it, line by line.

The codes are data: POC02 (670) says what a line does, ACK01 (668) whether the supplier took it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from pohub.documents.changes import OrderChange
from pohub.documents.logicbroker import SalesOrder
from pohub.documents.types import LBDateTime, LBModel, LineNumber
from pohub.edi.mapping.common import Doc, MappingError, clean, from_x12, num, x12_date
from pohub.edi.mapping.x12_parts import dtm, loops, pairs, read_dtm, read_pairs, seg
from pohub.edi.x12.segments import Segment

# BCH01 (353): what the whole 860 does.
PURPOSE_CHANGE, PURPOSE_CANCEL = "04", "01"
# POC02 (670) -> the canonical line Action, and which POC figures it carries when read.
CHANGE_TYPES: dict[str, tuple[str, frozenset[str]]] = {
    "AI": ("Add", frozenset({"Quantity", "Price"})),  # add additional item(s)
    "DI": ("Cancel", frozenset()),  # delete item(s)
    "CA": ("Change", frozenset({"Quantity", "Price"})),  # changes to line items
    "QI": ("Change", frozenset({"Quantity"})),  # quantity increase
    "QD": ("Change", frozenset({"Quantity"})),  # quantity decrease
    "PC": ("Change", frozenset({"Price"})),  # price change
    "PQ": ("Change", frozenset({"Quantity", "Price"})),  # unit price / quantity change
    "CT": ("Change", frozenset()),  # change of dates (DTM 010 in the loop)
    "RZ": ("Change", frozenset({"Quantity", "Price"})),  # replace all values
}
REQUESTED_SHIP = "010"  # DTM01 in the POC loop
REASON = "ZZ"  # REF01 carrying a reason in REF03, as in the 855
CHANGE_NUMBER_MAX = 8  # BCH05 / BCA06 (327) is AN 1-8

# 865 BCA02 (587) -> the answer for every line the 865 does not detail (None: the lines say).
ANSWER_TYPES: dict[str, bool | None] = {"AT": True, "AK": True, "AD": True, "RJ": False, "RD": False}
# ACK01 (668) in an 865 -> accepted? (accepted / scheduled codes take it; rejection codes refuse it)
ACCEPTING: frozenset[str] = frozenset({"IA", "AC", "AR", "IC", "IE", "IP", "IQ", "IS", "DR", "SP", "AA", "IB", "BP"})
REJECTING: frozenset[str] = frozenset({"IR", "ID", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "IH", "IF", "IW"})
WRITE_ACCEPT, WRITE_REJECT = "IA", "IR"


class ReplyLine(LBModel):
    line_number: LineNumber | None = Field(default=None, alias="LineNumber")
    action: str | None = Field(default=None, alias="Action")
    accept: bool | None = Field(default=None, alias="Accept")
    reason: str | None = Field(default=None, alias="Reason", max_length=200)


class ChangeReply(LBModel):
    """The supplier's answer to one change as an 865 carries it: which PO and change it answers, and
    the answer (a ChangeAnswer: Accept for the whole, or Lines)."""

    partner_po: str | None = Field(default=None, alias="PartnerPO", max_length=100)
    change_number: str | None = Field(default=None, alias="ChangeNumber", max_length=100)
    order_date: LBDateTime | None = Field(default=None, alias="OrderDate")
    document_date: LBDateTime | None = Field(default=None, alias="DocumentDate")
    accept: bool | None = Field(default=None, alias="Accept")
    reason: str | None = Field(default=None, alias="Reason", max_length=200)
    lines: list[ReplyLine] = Field(default_factory=list, alias="Lines")

    def answer(self) -> dict[str, Any]:
        """The ChangeAnswer body pohub's change rules take."""
        body: dict[str, Any] = clean(
            {
                "Accept": self.accept,
                "Reason": self.reason,
                "Lines": [
                    {"LineNumber": ln.line_number, "Accept": ln.accept, "Reason": ln.reason}
                    for ln in self.lines
                    if ln.line_number != "*"
                ],
            }
        )
        return body


def _order_lines(order: SalesOrder | None) -> dict[str, Doc]:
    if order is None:
        return {}
    dumped = order.model_dump(by_alias=True, exclude_none=True)["OrderLines"]
    return {str(ln["LineNumber"]): ln for ln in dumped if ln.get("LineNumber")}


def _change_type(line: Doc, ordered: Doc | None) -> str:
    action = line.get("Action") or "Change"
    if action == "Add":
        return "AI"
    if action == "Cancel":
        return "DI"
    quantity, price = line.get("Quantity") is not None, line.get("Price") is not None
    if quantity and price:
        return "PQ"
    if quantity:
        before = (ordered or {}).get("Quantity")
        return "CA" if before is None else "QD" if line["Quantity"] < before else "QI"
    return "PC" if price else "CT"


def _number(doc: Doc) -> str:
    number = str(doc.get("ChangeNumber") or "")
    if not number:
        raise MappingError("ChangeNumber", "an 860 carries its change number (BCH05)")
    if len(number) > CHANGE_NUMBER_MAX:
        raise MappingError("ChangeNumber", f"must be at most {CHANGE_NUMBER_MAX} characters to travel in BCH05")
    return number


def _order_date(order: SalesOrder | None, doc: Doc) -> str:
    when = (order.order_date if order is not None else None) or doc.get("OrderDate")
    if not when:
        raise MappingError("OrderDate", "an 860 / 865 names the PO's date (BCH06 / BCA07): the order has none")
    return x12_date(when)


def change_to_860(change: OrderChange, order: SalesOrder | None = None) -> list[Segment]:
    """The body of an 860 for a canonical change; the order gives the PO date and line identifiers."""
    doc = change.model_dump(by_alias=True, exclude_none=True)
    if not doc.get("PartnerPO"):
        raise MappingError("PartnerPO", "an 860 names the PO it changes (BCH03)")
    purpose = PURPOSE_CANCEL if doc.get("CancelOrder") else PURPOSE_CHANGE
    when = x12_date(doc["DocumentDate"]) if doc.get("DocumentDate") else ""
    out = [seg("BCH", purpose, "SA", doc["PartnerPO"], "", _number(doc), _order_date(order, doc), "", "", "", when)]
    if doc.get("Reason"):
        out.append(seg("REF", REASON, "", doc["Reason"][:80]))
    ordered = _order_lines(order)
    lines = doc.get("ChangeLines") or []
    total = Decimal(0)
    for i, line in enumerate(lines):
        number = str(line.get("LineNumber") or "")
        if not number:
            raise MappingError(f"ChangeLines[{i}].LineNumber", "a POC names its line (POC01)")
        known = ordered.get(number)
        ids = line if line.get("ItemIdentifier") else (known or {})
        quantity = line.get("Quantity")
        total += quantity or 0
        price = num(line["Price"]) if line.get("Price") is not None else ""
        uom = (line.get("QuantityUOM") or (known or {}).get("QuantityUOM") or "EA") if quantity is not None else ""
        out.append(seg("POC", number, _change_type(line, known), quantity, "", uom, price, "", *pairs(ids)))
        if line.get("Description"):
            out.append(seg("PID", "F", "", "", "", line["Description"]))
        if line.get("Reason"):
            out.append(seg("REF", REASON, "", line["Reason"][:80]))
        if line.get("RequestedShipDate"):
            out.append(dtm(REQUESTED_SHIP, line["RequestedShipDate"]))
    if lines:
        out.append(seg("CTT", len(lines), num(total)))
    return out


def x12_860_to_change(body: list[Segment], _order: SalesOrder | None = None) -> OrderChange:
    """A canonical change from an 860 (BCH01 01 without lines cancels the whole PO)."""
    doc: dict[str, Any] = {}
    segments = [s for s in body if s.id not in ("ST", "SE")]
    first_line = next((i for i, s in enumerate(segments) if s.id == "POC"), len(segments))
    purpose = ""
    for s in segments[:first_line]:
        if s.id == "BCH":
            purpose = s.get(1)
            doc.update(
                {
                    "PartnerPO": s.get(3),
                    "ChangeNumber": s.get(5),
                    "DocumentDate": from_x12(s.get(10)) if s.get(10) else None,
                }
            )
        elif s.id == "REF" and s.get(1) == REASON:
            doc["Reason"] = s.get(3)
    lines = []
    for group in loops(segments[first_line:], "POC", {"CTT"}):
        poc = group[0]
        action, figures = CHANGE_TYPES[poc.get(2)]
        line: dict[str, Any] = {"LineNumber": poc.get(1), "Action": action, "ItemIdentifier": {}}
        if "Quantity" in figures and poc.get(3):
            line["Quantity"] = int(Decimal(poc.get(3)))
            line["QuantityUOM"] = poc.get(5)[:2] or None
        if "Price" in figures and poc.get(6):
            line["Price"] = Decimal(poc.get(6))
        read_pairs(poc, 8, line)
        for s in group[1:]:
            if s.id == "PID" and s.get(5):
                line["Description"] = s.get(5)
            elif s.id == "REF" and s.get(1) == REASON:
                line["Reason"] = s.get(3)
            elif s.id == "DTM" and s.get(1) == REQUESTED_SHIP:
                line["RequestedShipDate"] = read_dtm(s)
        lines.append(line)
    if purpose == PURPOSE_CANCEL and not lines:
        doc["CancelOrder"] = True
    doc["ChangeLines"] = lines
    return OrderChange.model_validate(clean(doc))


def reply_to_865(reply: ChangeReply, order: SalesOrder | None = None) -> list[Segment]:
    """The body of an 865: BCA02 AT (all accepted), RJ (all rejected) or AC (line by line), and one
    POC + ACK per answered line."""
    doc = reply.model_dump(by_alias=True, exclude_none=True)
    if not doc.get("PartnerPO"):
        raise MappingError("PartnerPO", "an 865 names the PO (BCA04)")
    lines = [ln for ln in doc.get("Lines") or [] if ln.get("LineNumber") != "*"]
    answers = {bool(ln.get("Accept", doc.get("Accept"))) for ln in doc.get("Lines") or []} or {bool(doc.get("Accept"))}
    kind = "AT" if answers == {True} else "RJ" if answers == {False} else "AC"
    when = x12_date(doc["DocumentDate"]) if doc.get("DocumentDate") else ""
    number = _number(doc)
    out = [seg("BCA", "00", kind, "SA", doc["PartnerPO"], "", number, _order_date(order, doc), when)]
    if doc.get("Reason"):
        out.append(seg("REF", REASON, "", doc["Reason"][:80]))
    ordered = _order_lines(order)
    for line in lines:
        accept = bool(line.get("Accept", doc.get("Accept")))
        action = line.get("Action") or "Change"
        code = {"Add": "AI", "Cancel": "DI"}.get(action, "CA")
        ids = pairs(ordered.get(line["LineNumber"], {}))
        out.append(seg("POC", line["LineNumber"], code, "", "", "", "", "", *ids))
        if line.get("Reason"):
            out.append(seg("REF", REASON, "", line["Reason"][:80]))
        out.append(seg("ACK", WRITE_ACCEPT if accept else WRITE_REJECT))
    if lines:
        out.append(seg("CTT", len(lines)))
    return out


def x12_865_to_reply(body: list[Segment], _order: SalesOrder | None = None) -> ChangeReply:
    """The supplier's answer from an 865: BCA02 answers what the lines do not; each ACK01 its line."""
    doc: dict[str, Any] = {}
    segments = [s for s in body if s.id not in ("ST", "SE")]
    first_line = next((i for i, s in enumerate(segments) if s.id == "POC"), len(segments))
    for s in segments[:first_line]:
        if s.id == "BCA":
            doc.update(
                {
                    "PartnerPO": s.get(4),
                    "ChangeNumber": s.get(6),
                    "OrderDate": from_x12(s.get(7)) if s.get(7) else None,
                    "DocumentDate": from_x12(s.get(8)) if s.get(8) else None,
                    "Accept": ANSWER_TYPES.get(s.get(2)),
                }
            )
        elif s.id == "REF" and s.get(1) == REASON:
            doc["Reason"] = s.get(3)
    lines = []
    for group in loops(segments[first_line:], "POC", {"CTT"}):
        poc = group[0]
        line: dict[str, Any] = {"LineNumber": poc.get(1), "Action": CHANGE_TYPES[poc.get(2)][0]}
        for s in group[1:]:
            if s.id == "REF" and s.get(1) == REASON:
                line["Reason"] = s.get(3)
            elif s.id == "ACK":
                code = s.get(1)
                if code in REJECTING:
                    line["Accept"] = False
                elif code in ACCEPTING and line.get("Accept") is not False:
                    line["Accept"] = True
        lines.append(line)
    doc["Lines"] = lines
    return ChangeReply.model_validate(clean(doc))


def reply_of(change: Doc, lines: list[Doc], *, order_date: datetime | None, at: datetime) -> ChangeReply:
    """The 865 answer of a change as pohub's change rules left it: each line applied or rejected."""
    states = {ln["State"] for ln in lines}
    return ChangeReply.model_validate(
        clean(
            {
                "PartnerPO": change.get("PartnerPO"),
                "ChangeNumber": change.get("ChangeNumber"),
                "OrderDate": order_date,
                "DocumentDate": at,
                "Accept": states == {"applied"} if states <= {"applied", "rejected"} else None,
                "Lines": [
                    {
                        "LineNumber": ln["LineNumber"],
                        "Action": {"add": "Add", "cancel": "Cancel"}.get(ln["Action"], "Change"),
                        "Accept": ln["State"] == "applied",
                        "Reason": ln.get("Reason"),
                    }
                    for ln in lines
                ],
            }
        )
    )
