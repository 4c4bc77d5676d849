"""ORDRSP (D.96A) <-> canonical acknowledgement.

Per line: QTY 21 the quantity acknowledged in all (accepted + backordered + cancelled), QTY 113 accepted,
QTY 83 backordered; what is left is cancelled. LIN 1229 and BGM 1225 follow from the figures.
"""

from __future__ import annotations

from typing import Any

from pohub.documents.logicbroker import Acknowledgement
from pohub.edi.edifact.syntax import Seg
from pohub.edi.mapping.common import MappingError, clean
from pohub.edi.mapping.edifact_parts import amount, dtm, item, lines_of, price, qty, read_dtm, read_item

ORDERED, ACCEPTED, BACKORDERED = "21", "113", "83"
REASON = "CHG"  # FTX 4451: change information
# LIN 1229 written for a line: accepted as is, changed (backorder), not accepted (all cancelled).
LINE_ACTION = {"as_is": "5", "changed": "3", "rejected": "7"}


def acknowledgement_to_ordrsp(ack: Acknowledgement) -> list[Seg]:
    """The body of an ORDRSP (BGM .. CNT) for a canonical acknowledgement."""
    doc = ack.model_dump(by_alias=True, exclude_none=True)
    if not doc.get("PartnerPO"):
        raise MappingError("PartnerPO", "an ORDRSP names the order it answers (RFF ON)")
    lines = doc["AckLines"]
    changed = any(ln.get("QuantityBackordered") or ln.get("QuantityCancelled") for ln in lines)
    rejected = bool(lines) and all(not ln.get("Quantity") and not ln.get("QuantityBackordered") for ln in lines)
    function = "27" if rejected else "30" if changed else "29"
    out = [Seg.of("BGM", "231", doc.get("AcknowledgementNumber") or doc["PartnerPO"], function)]
    when = doc.get("AcknowledgementDate") or doc.get("DocumentDate")
    if not when:
        raise MappingError("AcknowledgementDate", "an ORDRSP needs its date (DTM 137)")
    out.append(dtm("137", when))
    if doc.get("ScheduledShipDate"):
        out.append(dtm("11", doc["ScheduledShipDate"]))
    if doc.get("ChangeReason"):
        out.append(Seg.of("FTX", REASON, "", "", doc["ChangeReason"][:512]))
    out.append(Seg.of("RFF", ("ON", doc["PartnerPO"])))
    if doc.get("OrderDate"):
        out.append(dtm("171", doc["OrderDate"]))
    total = 0
    for i, line in enumerate(lines, start=1):
        accepted, back, cancel = (line.get(k) or 0 for k in ("Quantity", "QuantityBackordered", "QuantityCancelled"))
        state = "rejected" if not accepted and not back else "changed" if back or cancel else "as_is"
        out += item(line, i, LINE_ACTION[state])
        total += accepted + back + cancel
        uom = line.get("QuantityUOM")
        out += [qty(ORDERED, accepted + back + cancel, uom), qty(ACCEPTED, accepted, uom)]
        if back:
            out.append(qty(BACKORDERED, back, uom))
        if line.get("Price") is not None:
            out.append(price(line["Price"]))
        if line.get("ChangeReason"):
            out.append(Seg.of("FTX", REASON, "", "", line["ChangeReason"][:512]))
    out += [Seg.of("UNS", "S"), Seg.of("CNT", ("2", len(lines))), Seg.of("CNT", ("1", total))]
    return out


def ordrsp_to_acknowledgement(body: list[Seg]) -> Acknowledgement:
    """A canonical acknowledgement from an ORDRSP message (UNH .. UNT)."""
    doc: dict[str, Any] = {}
    first_line = next((i for i, s in enumerate(body) if s.tag == "LIN"), len(body))
    after_order_ref = False
    for s in body[:first_line]:
        if s.tag == "BGM":
            doc["AcknowledgementNumber"] = s.comp(2)
        elif s.tag == "DTM" and s.comp(1, 1) == "137":
            doc["AcknowledgementDate"] = read_dtm(s)
        elif s.tag == "DTM" and s.comp(1, 1) == "11":
            doc["ScheduledShipDate"] = read_dtm(s)
        elif s.tag == "DTM" and s.comp(1, 1) == "171" and after_order_ref:
            doc["OrderDate"] = read_dtm(s)
        elif s.tag == "FTX" and s.comp(1) == REASON:
            doc["ChangeReason"] = s.comp(4)
        elif s.tag == "RFF" and s.comp(1, 1) == "ON":
            doc["PartnerPO"] = s.comp(1, 2)
            after_order_ref = True
    lines = []
    for group in lines_of(body):
        line: dict[str, Any] = {"ItemIdentifier": {}}
        figures: dict[str, int] = {}
        for s in group:
            read_item(s, line)
            if s.tag == "QTY":
                figures[s.comp(1, 1)] = int(amount(s.comp(1, 2)))
                line["QuantityUOM"] = s.comp(1, 3)
            elif s.tag == "PRI":
                line["Price"] = amount(s.comp(1, 2))
            elif s.tag == "FTX" and s.comp(1) == REASON:
                line["ChangeReason"] = s.comp(4)
        accepted, back = figures.get(ACCEPTED, 0), figures.get(BACKORDERED, 0)
        line.update({"Quantity": accepted, "QuantityBackordered": back or None})
        cancelled = figures.get(ORDERED, accepted + back) - accepted - back
        if cancelled < 0:
            raise MappingError(f"LIN {line.get('LineNumber')}", "QTY 113 and 83 exceed QTY 21")
        line["QuantityCancelled"] = cancelled or None
        lines.append(line)
    doc["AckLines"] = lines
    if doc.get("AcknowledgementNumber") == doc.get("PartnerPO"):
        doc.pop("AcknowledgementNumber")
    return Acknowledgement.model_validate(clean(doc))
