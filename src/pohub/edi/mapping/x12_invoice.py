"""810 invoice <-> canonical invoice. TDS01 is the invoice total in cents (N2), checked by the reader."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pohub.documents.logicbroker import Invoice
from pohub.edi.mapping.common import MappingError, cents, clean, from_x12, num, x12_date
from pohub.edi.mapping.x12_parts import (
    charges,
    loops,
    pairs,
    parties,
    read_charge,
    read_pairs,
    read_parties,
    read_tax,
    read_terms,
    seg,
    taxes,
    terms,
)
from pohub.edi.x12.rules import invoice_total
from pohub.edi.x12.segments import Segment

REFERENCES = (("VR", "VendorNumber"), ("IT", "CustomerNumber"), ("CO", "OrderNumber"), ("DP", "DepartmentNumber"))


def invoice_to_810(invoice: Invoice) -> list[Segment]:
    """The body of an 810 (BIG .. CTT); TDS01 is InvoiceTotal, or the total the lines add up to."""
    doc = invoice.model_dump(by_alias=True, exclude_none=True)
    when = doc.get("InvoiceDate") or doc.get("DocumentDate")
    if not when:
        raise MappingError("InvoiceDate", "an 810 needs the invoice date (BIG01)")
    order_date = x12_date(doc["OrderDate"]) if doc.get("OrderDate") else ""
    out = [seg("BIG", x12_date(when), doc["InvoiceNumber"], order_date, doc.get("PartnerPO"))]
    if doc.get("Currency"):
        out.append(seg("CUR", "SE", doc["Currency"]))
    out += [seg("REF", code, doc[name]) for code, name in REFERENCES if doc.get(name)]
    out += parties(doc)
    out += terms(doc.get("PaymentTerm"))
    for i, line in enumerate(doc["InvoiceLines"]):
        if line.get("Quantity") is None or line.get("Price") is None:
            raise MappingError(f"InvoiceLines[{i}]", "an 810 line needs its quantity and price (IT102, IT104)")
        out.append(
            seg(
                "IT1",
                line.get("LineNumber"),
                line["Quantity"],
                line.get("QuantityUOM") or "EA",
                num(line["Price"]),
                line.get("PriceCode"),
                *pairs(line),
            )
        )
        out += taxes(line)
        if line.get("Description"):
            out.append(seg("PID", "F", "", "", "", line["Description"]))
        out += charges(line, f"InvoiceLines[{i}].")
    summary = taxes(doc) + charges(doc)
    total = doc.get("InvoiceTotal")
    computed = invoice_total(out + summary)
    out.append(seg("TDS", cents(total if total is not None else computed, "InvoiceTotal")))
    out += summary
    out.append(seg("CTT", len(doc["InvoiceLines"]), num(sum(Decimal(ln["Quantity"]) for ln in doc["InvoiceLines"]))))
    return out


def x12_810_to_invoice(body: list[Segment]) -> Invoice:
    """A canonical invoice from an 810's segments (ST .. SE)."""
    doc: dict[str, Any] = {}
    segments = [s for s in body if s.id not in ("ST", "SE")]
    first_line = next((i for i, s in enumerate(segments) if s.id == "IT1"), len(segments))
    tds_at = next((i for i, s in enumerate(segments) if s.id == "TDS"), len(segments))
    refs = dict(REFERENCES)
    for s in segments[:first_line]:
        if s.id == "BIG":
            doc.update(
                {
                    "InvoiceDate": from_x12(s.get(1)),
                    "InvoiceNumber": s.get(2),
                    "OrderDate": from_x12(s.get(3)) if s.get(3) else None,
                    "PartnerPO": s.get(4),
                }
            )
        elif s.id == "CUR":
            doc["Currency"] = s.get(2)
        elif s.id == "REF" and s.get(1) in refs:
            doc[refs[s.get(1)]] = s.get(2)
        elif s.id == "ITD":
            doc["PaymentTerm"] = read_terms(s)
    read_parties(segments[:first_line], doc)
    lines = []
    for group in loops(segments[:tds_at], "IT1", {"TDS"}):
        it1 = group[0]
        line: dict[str, Any] = {
            "ItemIdentifier": {},
            "LineNumber": it1.get(1),
            "Quantity": int(Decimal(it1.get(2))),
            "QuantityUOM": it1.get(3),
            "Price": Decimal(it1.get(4)),
            "PriceCode": it1.get(5),
        }
        read_pairs(it1, 6, line)
        for s in group[1:]:
            if s.id == "PID" and s.get(5):
                line["Description"] = s.get(5)
            elif s.id == "TXI":
                line.setdefault("Taxes", []).append(read_tax(s))
            elif s.id == "SAC":
                read_charge(s, line)
        lines.append(line)
    doc["InvoiceLines"] = lines
    for s in segments[tds_at:]:
        if s.id == "TDS":
            doc["InvoiceTotal"] = Decimal(s.get(1)) / 100
        elif s.id == "TXI":
            doc.setdefault("Taxes", []).append(read_tax(s))
        elif s.id == "SAC":
            read_charge(s, doc)
    return Invoice.model_validate(clean(doc))
