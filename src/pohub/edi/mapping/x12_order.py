"""850 purchase order <-> canonical order (SalesOrder)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pohub.documents.logicbroker import SalesOrder
from pohub.edi.mapping.common import Doc, MappingError, clean, from_x12, num, x12_date
from pohub.edi.mapping.x12_parts import (
    charges,
    dtm,
    loops,
    pairs,
    parties,
    read_charge,
    read_dtm,
    read_pairs,
    read_parties,
    read_tax,
    read_terms,
    seg,
    taxes,
    terms,
)
from pohub.edi.x12.segments import Segment

# REF01 <-> header field.
REFERENCES: tuple[tuple[str, str], ...] = (
    ("CO", "OrderNumber"),
    ("VR", "VendorNumber"),
    ("IT", "CustomerNumber"),
    ("DP", "DepartmentNumber"),
)
# DTM01 <-> header date.
DATES: tuple[tuple[str, str], ...] = (
    ("010", "RequestedShipDate"),
    ("037", "DoNotShipBefore"),
    ("038", "DoNotShipAfter"),
    ("002", "ExpectedDeliveryDate"),
)
_MSG_WIDTH = 264


def _carrier(doc: Doc) -> list[Segment]:
    infos = doc.get("ShipmentInfos") or []
    if not infos:
        return []
    info = infos[0]
    return [
        seg(
            "TD5",
            "",
            "2" if info.get("CarrierCode") else "",
            info.get("CarrierCode"),
            "",
            info.get("ClassCode"),
            *[""] * 6,
            info.get("ServiceLevelCode"),
        )
    ]


def order_to_850(order: SalesOrder) -> list[Segment]:
    """The body of an 850 (BEG .. AMT, without ST/SE) for a canonical order."""
    doc = order.model_dump(by_alias=True, exclude_none=True)
    if not doc.get("PartnerPO"):
        raise MappingError("PartnerPO", "an 850 needs the PO number (BEG03)")
    if not doc.get("OrderDate"):
        raise MappingError("OrderDate", "an 850 needs the PO date (BEG05)")
    out = [
        seg(
            "BEG",
            "00",
            doc.get("TypeCode") or "SA",
            doc["PartnerPO"],
            doc.get("ReleaseNumber"),
            x12_date(doc["OrderDate"]),
        )
    ]
    if doc.get("Currency"):
        out.append(seg("CUR", "BY", doc["Currency"]))
    out += [seg("REF", code, doc[name]) for code, name in REFERENCES if doc.get(name)]
    out += terms(doc.get("PaymentTerm"))
    out += [dtm(code, doc[name]) for code, name in DATES if doc.get(name)]
    out += _carrier(doc)
    out += taxes(doc)
    if doc.get("TotalAmount") is not None:
        out.append(seg("AMT", "TT", num(doc["TotalAmount"])))
    if doc.get("Note"):
        note = doc["Note"]
        out.append(seg("N9", "L1", "NOTE"))
        out += [seg("MSG", note[i : i + _MSG_WIDTH]) for i in range(0, len(note), _MSG_WIDTH)]
    out += parties(doc)
    total_qty = Decimal(0)
    for i, line in enumerate(doc["OrderLines"]):
        if line.get("Quantity") is None:
            raise MappingError(f"OrderLines[{i}].Quantity", "an 850 line needs a quantity (PO102)")
        total_qty += line["Quantity"]
        price = num(line["Price"]) if line.get("Price") is not None else ""
        out.append(
            seg(
                "PO1",
                line.get("LineNumber"),
                line["Quantity"],
                line.get("QuantityUOM") or "EA",
                price,
                line.get("PriceCode"),
                *pairs(line),
            )
        )
        if line.get("Description"):
            out.append(seg("PID", "F", "", "", "", line["Description"]))
        out += charges(line, f"OrderLines[{i}].")
    out += charges(doc)
    out.append(seg("CTT", len(doc["OrderLines"]), num(total_qty)))
    return _header_sac_first(out)


def _header_sac_first(out: list[Segment]) -> list[Segment]:
    """Header SAC stands after CUR/REF/.. and before ITD in an 850: move them there."""
    header_sac: list[Segment] = []
    tail = out[-1]
    for s in reversed(out[:-1]):
        if s.id != "SAC":
            break
        header_sac.insert(0, s)
    body = out[: len(out) - 1 - len(header_sac)]
    at = next((i for i, s in enumerate(body) if s.id not in ("BEG", "CUR", "REF")), len(body))
    return [*body[:at], *header_sac, *body[at:], tail]


def x12_850_to_order(body: list[Segment]) -> SalesOrder:
    """A canonical order from an 850's segments (ST .. SE)."""
    doc: dict[str, Any] = {}
    header = [s for s in body if s.id not in ("ST", "SE")]
    first_line = next((i for i, s in enumerate(header) if s.id == "PO1"), len(header))
    refs, dates = dict(REFERENCES), dict(DATES)
    notes: list[str] = []
    for s in header[:first_line]:
        if s.id == "BEG":
            doc.update(
                {
                    "TypeCode": s.get(2),
                    "PartnerPO": s.get(3),
                    "ReleaseNumber": s.get(4),
                    "OrderDate": from_x12(s.get(5)),
                }
            )
        elif s.id == "CUR":
            doc["Currency"] = s.get(2)
        elif s.id == "REF" and s.get(1) in refs:
            doc[refs[s.get(1)]] = s.get(2)
        elif s.id == "ITD":
            doc["PaymentTerm"] = read_terms(s)
        elif s.id == "DTM" and s.get(1) in dates:
            doc[dates[s.get(1)]] = read_dtm(s)
        elif s.id == "TD5":
            doc["ShipmentInfos"] = [{"CarrierCode": s.get(3), "ClassCode": s.get(5), "ServiceLevelCode": s.get(12)}]
        elif s.id == "TXI":
            doc.setdefault("Taxes", []).append(read_tax(s))
        elif s.id == "SAC":
            read_charge(s, doc)
        elif s.id == "AMT" and s.get(1) == "TT":
            doc["TotalAmount"] = Decimal(s.get(2))
        elif s.id == "MSG":
            notes.append(s.get(1))
    if notes:
        doc["Note"] = "".join(notes)
    read_parties(header[:first_line], doc)
    lines = []
    for group in loops(header, "PO1", {"CTT", "AMT"}):
        po1 = group[0]
        line: dict[str, Any] = {
            "ItemIdentifier": {},
            "LineNumber": po1.get(1),
            "Quantity": int(Decimal(po1.get(2))),
            "QuantityUOM": po1.get(3),
            "Price": Decimal(po1.get(4)) if po1.get(4) else None,
            "PriceCode": po1.get(5),
        }
        read_pairs(po1, 6, line)
        for s in group[1:]:
            if s.id == "PID" and s.get(5):
                line["Description"] = s.get(5)
            elif s.id == "SAC":
                read_charge(s, line)
        lines.append(line)
    doc["OrderLines"] = lines
    return SalesOrder.model_validate(clean(doc))
