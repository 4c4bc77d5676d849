"""180 return merchandise authorization and notification <-> the buyer's return (Return), and the
supplier's answer to it (authorised under an RMA number, or rejected).

BGN01 says which: 00 the buyer's return (its lines in LIN loops), 11 the supplier's answer (REF RZ
the RMA number when authorised; REF ZZ ReturnStatus Rejected with the reason otherwise).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from pohub.documents.logicbroker import SalesOrder
from pohub.documents.returns import Return
from pohub.documents.types import LBDateTime, LBModel
from pohub.edi.mapping.common import Doc, MappingError, clean, from_x12, num, x12_date
from pohub.edi.mapping.x12_parts import dtm, loops, pairs, parties, read_dtm, read_pairs, read_parties, seg
from pohub.edi.x12.segments import Segment

REQUEST, ANSWER = "00", "11"  # BGN01: original (the buyer's return), response (the supplier's answer)
# REF01 <-> header field.
REFERENCES: tuple[tuple[str, str], ...] = (("PO", "PartnerPO"), ("CO", "OrderNumber"), ("VR", "VendorNumber"))
ORDER_DATE = "004"  # DTM01: purchase order date
RMA = "RZ"  # REF01: returned goods authorization number
QUANTITY = "01"  # QTY01: discrete quantity
PRICE, RETAIL = "UCP", "RES"  # CTP02: unit cost price, retail
TEXT_REF = "ZZ"  # REF ZZ <field name> <value>: text fields without an element of their own
LINE_TEXT = ("ReturnReasonCode", "ReturnReason")
STATUS, REJECTED, AUTHORISED = "ReturnStatus", "Rejected", "Authorised"
_MSG_WIDTH = 264


class ReturnAnswer(LBModel):
    """The supplier's answer to a return as a 180 carries it."""

    return_number: str | None = Field(default=None, alias="ReturnNumber", max_length=100)
    partner_po: str | None = Field(default=None, alias="PartnerPO", max_length=100)
    document_date: LBDateTime | None = Field(default=None, alias="DocumentDate")
    authorised: bool = Field(alias="Authorised")
    rma_number: str | None = Field(default=None, alias="RMANumber", max_length=100)
    reason: str | None = Field(default=None, alias="Reason", max_length=500)


def _note(text: str | None) -> list[Segment]:
    if not text:
        return []
    return [seg("N9", "L1", "NOTE"), *(seg("MSG", text[i : i + _MSG_WIDTH]) for i in range(0, len(text), _MSG_WIDTH))]


def _begin(purpose: str, number: str | None, when: Any) -> Segment:
    if not number:
        raise MappingError("ReturnNumber", "a 180 carries the return's number (BGN02)")
    if not when:
        raise MappingError("ReturnDate", "a 180 is dated (BGN03)")
    return seg("BGN", purpose, number, x12_date(when))


def return_to_180(ret: Return, order: SalesOrder | None = None) -> list[Segment]:
    """The body of the buyer's 180 for a canonical return."""
    doc = ret.model_dump(by_alias=True, exclude_none=True)
    if not doc.get("PartnerPO"):
        raise MappingError("PartnerPO", "a 180 names the PO the units came on (REF PO)")
    out = [_begin(REQUEST, doc.get("ReturnNumber"), doc.get("ReturnDate") or doc.get("DocumentDate"))]
    out += [seg("REF", q, doc[name]) for q, name in REFERENCES if doc.get(name)]
    order_date = doc.get("OrderDate") or (order.order_date if order is not None else None)
    if order_date:
        out.append(dtm(ORDER_DATE, order_date))
    out += _note(doc.get("Note"))
    out += parties(doc)
    total = Decimal(0)
    for i, line in enumerate(doc.get("ReturnLines") or []):
        if not line.get("ItemIdentifier") and not line.get("LineNumber"):
            raise MappingError(f"ReturnLines[{i}].ItemIdentifier", "a 180 line names its item (LIN)")
        out.append(seg("LIN", line.get("LineNumber"), *pairs(line)))
        if line.get("Description"):
            out.append(seg("PID", "F", "", "", "", line["Description"]))
        out += [seg("REF", TEXT_REF, name, line[name]) for name in LINE_TEXT if line.get(name)]
        if line.get("Quantity") is not None:
            total += line["Quantity"]
            out.append(seg("QTY", QUANTITY, line["Quantity"], line.get("QuantityUOM") or "EA"))
        for code, name in ((PRICE, "Price"), (RETAIL, "RetailPrice")):
            if line.get(name) is not None:
                out.append(seg("CTP", "", code, num(line[name])))
    out.append(seg("CTT", len(doc.get("ReturnLines") or []), num(total)))
    return out


def _header(segments: list[Segment], doc: Doc) -> str:
    purpose = ""
    for s in segments:
        if s.id == "BGN":
            purpose = s.get(1)
            doc["ReturnNumber"] = s.get(2)
            doc["ReturnDate"] = from_x12(s.get(3)) if s.get(3) else None
        elif s.id == "REF":
            name = dict(REFERENCES).get(s.get(1))
            if name:
                doc[name] = s.get(2)
            elif s.get(1) == RMA:
                doc["RMANumber"] = s.get(2)
            elif s.get(1) == TEXT_REF and s.get(2) == STATUS:
                doc[STATUS] = s.get(3)
        elif s.id == "DTM" and s.get(1) == ORDER_DATE:
            doc["OrderDate"] = read_dtm(s)
        elif s.id == "MSG":
            doc["Note"] = (doc.get("Note") or "") + s.get(1)
    return purpose


def x12_180_to_return(body: list[Segment], _order: SalesOrder | None = None) -> Return:
    """The buyer's return from a 180 (BGN01 00)."""
    doc: dict[str, Any] = {}
    segments = [s for s in body if s.id not in ("ST", "SE")]
    first_line = next((i for i, s in enumerate(segments) if s.id == "LIN"), len(segments))
    _header(segments[:first_line], doc)
    read_parties(segments[:first_line], doc)
    lines = []
    for group in loops(segments[first_line:], "LIN", {"CTT"}):
        lin = group[0]
        line: dict[str, Any] = {"LineNumber": lin.get(1), "ItemIdentifier": {}}
        read_pairs(lin, 2, line)
        for s in group[1:]:
            if s.id == "PID" and s.get(5):
                line["Description"] = s.get(5)
            elif s.id == "REF" and s.get(1) == TEXT_REF and s.get(2) in LINE_TEXT:
                line[s.get(2)] = s.get(3)
            elif s.id == "QTY" and s.get(1) == QUANTITY:
                line["Quantity"] = int(Decimal(s.get(2)))
                line["QuantityUOM"] = s.get(3)[:2] or None
            elif s.id == "CTP" and s.get(2) in (PRICE, RETAIL) and s.get(3):
                line["Price" if s.get(2) == PRICE else "RetailPrice"] = Decimal(s.get(3))
        lines.append(line)
    doc["ReturnLines"] = lines
    return Return.model_validate(clean(doc))


def answer_to_180(answer: ReturnAnswer, _order: SalesOrder | None = None) -> list[Segment]:
    """The supplier's 180 answering a return: authorised (REF RZ) or rejected (REF ZZ, MSG reason)."""
    doc = answer.model_dump(by_alias=True, exclude_none=True)
    out = [_begin(ANSWER, doc.get("ReturnNumber"), doc.get("DocumentDate"))]
    if doc.get("PartnerPO"):
        out.append(seg("REF", "PO", doc["PartnerPO"]))
    if answer.authorised:
        if not doc.get("RMANumber"):
            raise MappingError("RMANumber", "an authorising 180 carries the RMA number (REF RZ)")
        out += [seg("REF", RMA, doc["RMANumber"]), seg("REF", TEXT_REF, STATUS, AUTHORISED)]
    else:
        out.append(seg("REF", TEXT_REF, STATUS, REJECTED))
    out += _note(doc.get("Reason"))
    return out


def x12_180_to_answer(body: list[Segment]) -> ReturnAnswer:
    doc: dict[str, Any] = {}
    _header([s for s in body if s.id not in ("ST", "SE")], doc)
    status = doc.pop(STATUS, None)
    if status not in (AUTHORISED, REJECTED, None):
        raise MappingError("REF03", f"ReturnStatus {status!r} is neither {AUTHORISED} nor {REJECTED}")
    authorised = status != REJECTED and bool(doc.get("RMANumber"))
    if status is None and not authorised:
        raise MappingError("REF01", "a 180 answer carries REF RZ (the RMA number) or REF ZZ ReturnStatus Rejected")
    return ReturnAnswer.model_validate(
        clean(
            {
                "ReturnNumber": doc.get("ReturnNumber"),
                "PartnerPO": doc.get("PartnerPO"),
                "DocumentDate": doc.get("ReturnDate"),
                "Authorised": authorised,
                "RMANumber": doc.get("RMANumber") if authorised else None,
                "Reason": doc.get("Note"),
            }
        )
    )


def is_answer(body: list[Segment]) -> bool:
    """Whether a 180 is the supplier's answer (BGN01 11) rather than the buyer's return."""
    return any(s.id == "BGN" and s.get(1) == ANSWER for s in body)
