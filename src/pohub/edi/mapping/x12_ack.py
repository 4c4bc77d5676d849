"""855 PO acknowledgement <-> canonical acknowledgement.

Each PO1 carries the line as acknowledged (PO102 = accepted + backordered + cancelled) and one ACK per
status. ACK01 codes are data: which canonical quantity each one counts towards.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pohub.documents.logicbroker import Acknowledgement, SalesOrder
from pohub.documents.types import line_key
from pohub.edi.mapping.common import Doc, MappingError, clean, from_x12, num, x12_date
from pohub.edi.mapping.x12_parts import dtm, loops, pairs, read_dtm, read_pairs, seg
from pohub.edi.x12.segments import Segment

# ACK01 -> the canonical quantity it adds to.
LINE_STATUS: dict[str, str] = {
    **dict.fromkeys(("IA", "AC", "AR", "IC", "IE", "IP", "IQ", "IS", "DR", "SP", "AA"), "Quantity"),
    **dict.fromkeys(("IB", "BP", "IH", "IF", "IW"), "QuantityBackordered"),
    **dict.fromkeys(("IR", "ID", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"), "QuantityCancelled"),
}
SCHEDULED_SHIP = "068"  # ACK04 / DTM01: current schedule ship
REASON = "ZZ"  # REF01 carrying a change reason in REF03


def _accepted_code(line: Doc, ordered: Doc | None) -> str:
    """IA, or what changed against the order: IP (price), IQ (quantity), DR (date)."""
    if ordered is not None:
        if line.get("Price") is not None and ordered.get("Price") is not None and line["Price"] != ordered["Price"]:
            return "IP"
        total = sum(line.get(k) or 0 for k in ("Quantity", "QuantityBackordered", "QuantityCancelled"))
        if ordered.get("Quantity") is not None and total != ordered["Quantity"]:
            return "IQ"
    return "IA"


def acknowledgement_to_855(ack: Acknowledgement, order: SalesOrder | None = None) -> list[Segment]:
    """The body of an 855 for a canonical acknowledgement; the order, when given, decides IP/IQ."""
    doc = ack.model_dump(by_alias=True, exclude_none=True)
    order_lines = {
        line_key(ln["LineNumber"]): ln
        for ln in (order.model_dump(by_alias=True, exclude_none=True)["OrderLines"] if order else [])
        if ln.get("LineNumber")
    }
    if not doc.get("PartnerPO"):
        raise MappingError("PartnerPO", "an 855 names the PO it acknowledges (BAK03)")
    when = doc.get("OrderDate") or doc.get("AcknowledgementDate")
    if not when:
        raise MappingError("OrderDate", "an 855 needs the PO date (BAK04)")
    lines = doc["AckLines"]
    changed = any(ln.get("QuantityBackordered") or ln.get("QuantityCancelled") for ln in lines)
    everything_cancelled = lines and all(not ln.get("Quantity") and not ln.get("QuantityBackordered") for ln in lines)
    kind = "RD" if everything_cancelled else "AC" if changed else "AD"
    ack_date = x12_date(doc["AcknowledgementDate"]) if doc.get("AcknowledgementDate") else ""
    out = [
        seg("BAK", "00", kind, doc["PartnerPO"], x12_date(when), "", "", "", doc.get("AcknowledgementNumber"), ack_date)
    ]
    if doc.get("ChangeReason"):
        out.append(seg("REF", REASON, "", doc["ChangeReason"][:80]))
    if doc.get("ScheduledShipDate"):
        out.append(dtm(SCHEDULED_SHIP, doc["ScheduledShipDate"]))
    total = Decimal(0)
    for i, line in enumerate(lines):
        counts = {k: line.get(k) or 0 for k in ("Quantity", "QuantityBackordered", "QuantityCancelled")}
        ordered = sum(counts.values())
        total += ordered
        uom = line.get("QuantityUOM") or "EA"
        price = num(line["Price"]) if line.get("Price") is not None else ""
        out.append(seg("PO1", line.get("LineNumber"), ordered, uom, price, "", *pairs(line)))
        if line.get("Description"):
            out.append(seg("PID", "F", "", "", "", line["Description"]))
        if line.get("ChangeReason"):
            out.append(seg("REF", REASON, "", line["ChangeReason"][:80]))
        ship = x12_date(doc["ScheduledShipDate"]) if doc.get("ScheduledShipDate") else ""
        known = order_lines.get(line_key(line["LineNumber"])) if line.get("LineNumber") else None
        if counts["Quantity"] or ordered == 0:
            out.append(seg("ACK", _accepted_code(line, known), counts["Quantity"], uom))
        if counts["QuantityBackordered"]:
            out.append(seg("ACK", "IB", counts["QuantityBackordered"], uom, SCHEDULED_SHIP if ship else "", ship))
        if counts["QuantityCancelled"]:
            out.append(seg("ACK", "IR", counts["QuantityCancelled"], uom))
        if not lines[i].get("ItemIdentifier"):
            raise MappingError(f"AckLines[{i}].ItemIdentifier", "a line needs an item identifier")
    out.append(seg("CTT", len(lines), num(total)))
    return out


def x12_855_to_acknowledgement(body: list[Segment], order: SalesOrder | None = None) -> Acknowledgement:
    """A canonical acknowledgement from an 855; ``order`` fills the lines when BAK02 says "no detail"."""
    doc: dict[str, Any] = {}
    segments = [s for s in body if s.id not in ("ST", "SE")]
    first_line = next((i for i, s in enumerate(segments) if s.id == "PO1"), len(segments))
    kind = ""
    for s in segments[:first_line]:
        if s.id == "BAK":
            kind = s.get(2)
            doc.update(
                {
                    "PartnerPO": s.get(3),
                    "OrderDate": from_x12(s.get(4)),
                    "AcknowledgementNumber": s.get(8),
                    "AcknowledgementDate": from_x12(s.get(9)) if s.get(9) else None,
                }
            )
        elif s.id == "REF" and s.get(1) == REASON:
            doc["ChangeReason"] = s.get(3)
        elif s.id == "DTM" and s.get(1) == SCHEDULED_SHIP:
            doc["ScheduledShipDate"] = read_dtm(s)
    lines = []
    for group in loops(segments, "PO1", {"CTT"}):
        po1 = group[0]
        line: dict[str, Any] = {
            "ItemIdentifier": {},
            "LineNumber": po1.get(1),
            "QuantityUOM": po1.get(3),
            "Price": Decimal(po1.get(4)) if po1.get(4) else None,
            "Quantity": 0,
        }
        read_pairs(po1, 6, line)
        # An ACK without a quantity (or 0, as some senders write a rejection) takes what the others leave.
        unquantified = ""
        for s in group[1:]:
            if s.id == "PID" and s.get(5):
                line["Description"] = s.get(5)
            elif s.id == "REF" and s.get(1) == REASON:
                line["ChangeReason"] = s.get(3)
            elif s.id == "ACK":
                field = LINE_STATUS[s.get(1)]
                amount = int(Decimal(s.get(2) or 0))
                if amount:
                    line[field] = (line.get(field) or 0) + amount
                else:
                    unquantified = unquantified or field
                if s.get(4) == SCHEDULED_SHIP and s.get(5) and "ScheduledShipDate" not in doc:
                    doc["ScheduledShipDate"] = from_x12(s.get(5))
        counted = sum(line.get(k) or 0 for k in ("Quantity", "QuantityBackordered", "QuantityCancelled"))
        rest = int(Decimal(po1.get(2) or 0)) - counted
        if unquantified and rest > 0:
            line[unquantified] = (line.get(unquantified) or 0) + rest
        lines.append(line)
    if not lines and kind in ("AK", "AT", "RJ"):
        lines = _whole_order(kind, order)
    doc["AckLines"] = lines
    return Acknowledgement.model_validate(clean(doc))


def _whole_order(kind: str, order: SalesOrder | None) -> list[Doc]:
    """BAK02 AK/AT (accepted, no detail) or RJ (rejected, no detail): every line of the order."""
    if order is None:
        raise MappingError("BAK02", f"{kind} acknowledges without line detail: the order is needed to map it")
    field = "QuantityCancelled" if kind == "RJ" else "Quantity"
    out = []
    for line in order.order_lines:
        entry: dict[str, Any] = {
            "LineNumber": line.line_number,
            "ItemIdentifier": line.item_identifier.model_dump(by_alias=True, exclude_none=True),
            field: line.quantity or 0,
        }
        if field != "Quantity":
            entry["Quantity"] = 0
        out.append(entry)
    return out
