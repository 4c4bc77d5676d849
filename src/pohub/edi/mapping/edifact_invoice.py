"""INVOIC (D.96A) <-> canonical invoice: lines QTY 47 x PRI = MOA 203; summary MOA 79 (lines),
TAX + MOA 124, ALC C + MOA 23 (charges, handling), ALC A + MOA 204 (allowances, discounts), MOA 77 total."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pohub.documents.logicbroker import Invoice
from pohub.edi.edifact.syntax import Seg
from pohub.edi.mapping.common import MappingError, clean, num
from pohub.edi.mapping.edifact_parts import (
    amount,
    dtm,
    item,
    lines_of,
    moa,
    parties,
    price,
    qty,
    read_dtm,
    read_item,
    read_parties,
)

HANDLING = "HD"  # ALC 7161 special service code for handling
DISCOUNT = "DI"  # ALC 7161: discount
CENT = Decimal("0.01")


def _summary(doc: dict[str, Any]) -> tuple[list[Seg], Decimal]:
    out: list[Seg] = []
    extra = Decimal(0)
    for t in doc.get("Taxes") or []:
        if t.get("TaxAmount") is not None:
            out += [Seg.of("TAX", "7", t.get("TaxCode") or "VAT"), moa("124", t["TaxAmount"])]
            extra += t["TaxAmount"]
    if doc.get("HandlingAmount") is not None:
        out += [Seg.of("ALC", "C", "", "", "", HANDLING), moa("23", doc["HandlingAmount"])]
        extra += doc["HandlingAmount"]
    for d in doc.get("Discounts") or []:
        if d.get("DiscountAmount") is not None:
            out += [Seg.of("ALC", "A", d.get("DiscountCode"), "", "", DISCOUNT), moa("204", d["DiscountAmount"])]
            extra -= d["DiscountAmount"]
    for a in doc.get("ExtendedAttributes") or []:
        name = str(a.get("Name") or "")
        for kind, prefix, code in (("C", "Charge - ", "23"), ("A", "Allowance - ", "204")):
            if name.startswith(prefix):
                value = Decimal(str(a.get("Value")))
                out += [Seg.of("ALC", kind, "", "", "", ("ZZZ", "", "", name[len(prefix) :])), moa(code, value)]
                extra += value if kind == "C" else -value
    return out, extra


def invoice_to_invoic(invoice: Invoice) -> list[Seg]:
    """The body of an INVOIC (BGM .. MOA 77) for a canonical invoice."""
    doc = invoice.model_dump(by_alias=True, exclude_none=True)
    when = doc.get("InvoiceDate") or doc.get("DocumentDate")
    if not when:
        raise MappingError("InvoiceDate", "an INVOIC needs its date (DTM 137)")
    out = [Seg.of("BGM", "380", doc["InvoiceNumber"], "9"), dtm("137", when)]
    if doc.get("PartnerPO"):
        out.append(Seg.of("RFF", ("ON", doc["PartnerPO"])))
        if doc.get("OrderDate"):
            out.append(dtm("171", doc["OrderDate"]))
    out += parties(doc)
    if doc.get("Currency"):
        out.append(Seg.of("CUX", ("2", doc["Currency"], "4")))
    lines_total, total_qty = Decimal(0), 0
    for i, line in enumerate(doc["InvoiceLines"], start=1):
        if line.get("Quantity") is None or line.get("Price") is None:
            raise MappingError(f"InvoiceLines[{i - 1}]", "an INVOIC line needs its quantity and price")
        line_amount = (line["Quantity"] * line["Price"]).quantize(CENT)
        lines_total += line_amount
        total_qty += line["Quantity"]
        out += [
            *item(line, i),
            qty("47", line["Quantity"], line.get("QuantityUOM")),
            moa("203", line_amount),
            price(line["Price"]),
        ]
    summary, extra = _summary(doc)
    total = doc.get("InvoiceTotal")
    out += [Seg.of("UNS", "S"), Seg.of("CNT", ("2", len(doc["InvoiceLines"]))), Seg.of("CNT", ("1", total_qty))]
    out += [moa("79", lines_total), *summary, moa("77", total if total is not None else lines_total + extra)]
    return out


def invoic_to_invoice(body: list[Seg]) -> Invoice:
    """A canonical invoice from an INVOIC message (UNH .. UNT)."""
    doc: dict[str, Any] = {}
    first_line = next((i for i, s in enumerate(body) if s.tag == "LIN"), len(body))
    for s in body[:first_line]:
        if s.tag == "BGM":
            doc["InvoiceNumber"] = s.comp(2)
        elif s.tag == "DTM" and s.comp(1, 1) in ("137", "171"):
            doc["InvoiceDate" if s.comp(1, 1) == "137" else "OrderDate"] = read_dtm(s)
        elif s.tag == "RFF" and s.comp(1, 1) == "ON":
            doc["PartnerPO"] = s.comp(1, 2)
        elif s.tag == "CUX":
            doc["Currency"] = s.comp(1, 2)
    read_parties(body[:first_line], doc)
    lines = []
    for group in lines_of(body):
        line: dict[str, Any] = {"ItemIdentifier": {}}
        for s in group:
            read_item(s, line)
            if s.tag == "QTY" and s.comp(1, 1) == "47":
                line.update({"Quantity": int(amount(s.comp(1, 2))), "QuantityUOM": s.comp(1, 3)})
            elif s.tag == "PRI":
                line["Price"] = amount(s.comp(1, 2))
        lines.append(line)
    doc["InvoiceLines"] = lines
    uns = next((i for i, s in enumerate(body) if s.tag == "UNS"), len(body))
    pending: tuple[str, Seg] | None = None
    for s in body[uns:]:
        if s.tag in ("TAX", "ALC"):
            pending = (s.tag, s)
        elif s.tag == "MOA":
            value = amount(s.comp(1, 2))
            code = s.comp(1, 1)
            if code == "77":
                doc["InvoiceTotal"] = value
            elif code == "124" and pending and pending[0] == "TAX":
                tax_code = pending[1].comp(2)
                doc.setdefault("Taxes", []).append(
                    {"TaxAmount": value, "TaxCode": None if tax_code == "VAT" else tax_code}
                )
            elif code in ("23", "204") and pending and pending[0] == "ALC":
                alc = pending[1]
                if alc.comp(5, 1) == HANDLING:
                    doc["HandlingAmount"] = value
                elif alc.comp(5, 1) == DISCOUNT:
                    doc.setdefault("Discounts", []).append({"DiscountAmount": value, "DiscountCode": alc.comp(2)})
                else:
                    prefix = "Charge - " if alc.comp(1) == "C" else "Allowance - "
                    doc.setdefault("ExtendedAttributes", []).append(
                        {"Name": prefix + alc.comp(5, 4), "Value": num(value)}
                    )
            pending = None
    return Invoice.model_validate(clean(doc))
