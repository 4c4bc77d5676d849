"""X12 pieces several sets share: N1 party loops, product id pairs, DTM dates, ITD terms, SAC/TXI."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pohub.edi.mapping.common import (
    ADDRESS_ALIASES,
    ADDRESS_FIELDS,
    ITEM_ALIASES_X12,
    Doc,
    cents,
    from_x12,
    id_table,
    item_pairs,
    num,
    put_id,
    x12_date,
    x12_time,
)
from pohub.edi.x12.segments import Segment

X12_IDS = id_table(0, ITEM_ALIASES_X12)
_PARTY_SEGMENTS = {"N2", "N3", "N4", "PER", "REF"}
# Charges and allowances with a canonical home; anything else is a "Charge - x" / "Allowance - x" attribute.
HANDLING = ("C", "H090")
DISCOUNT = ("A", "C310")
OTHER_CHARGE = "ZZZZ"


def seg(seg_id: str, *values: object) -> Segment:
    return Segment.of(seg_id, *values)


def dtm(qualifier: str, value: Any) -> Segment:
    time = x12_time(value)
    return seg("DTM", qualifier, x12_date(value), time, "UT" if time else "")


def read_dtm(s: Segment) -> Any:
    return from_x12(s.get(2), s.get(3))


def parties(doc: Doc) -> list[Segment]:
    """N1/N3/N4/PER for every address the document carries."""
    out: list[Segment] = []
    for code, name in ADDRESS_FIELDS:
        c = doc.get(name)
        if not c:
            continue
        out.append(seg("N1", code, c.get("CompanyName"), "92" if c.get("AddressCode") else "", c.get("AddressCode")))
        if c.get("Address1") or c.get("Address2"):
            out.append(seg("N3", c.get("Address1"), c.get("Address2")))
        if c.get("City") or c.get("State") or c.get("Zip") or c.get("Country"):
            out.append(seg("N4", c.get("City"), c.get("State"), c.get("Zip"), c.get("Country")))
        person = " ".join(p for p in (c.get("FirstName"), c.get("LastName")) if p)
        contact = [(q, c.get(f)) for q, f in (("TE", "Phone"), ("EM", "Email"), ("FX", "FaxNumber")) if c.get(f)]
        if person or contact:
            flat = [x for pair in contact for x in pair]
            out.append(seg("PER", "IC", person, *flat))
    return out


def read_parties(segments: list[Segment], doc: Doc) -> None:
    """Fill the document's addresses from the N1 loops in ``segments``."""
    table = {**ADDRESS_ALIASES, **dict(ADDRESS_FIELDS)}
    contact: dict[str, Any] | None = None
    for s in segments:
        if s.id == "N1":
            field = table.get(s.get(1))
            contact = {} if field is None else doc.setdefault(field, {})
            contact.update({"CompanyName": s.get(2), "AddressCode": s.get(4)})
        elif contact is not None and s.id in _PARTY_SEGMENTS:
            if s.id == "N3":
                contact.update({"Address1": s.get(1), "Address2": s.get(2)})
            elif s.id == "N4":
                contact.update({"City": s.get(1), "State": s.get(2), "Zip": s.get(3), "Country": s.get(4)})
            elif s.id == "PER":
                first, _, last = s.get(2).partition(" ")
                contact.update({"FirstName": first, "LastName": last})
                fields = {"TE": "Phone", "EM": "Email", "FX": "FaxNumber"}
                for q in (3, 5, 7):
                    if s.get(q) in fields:
                        contact[fields[s.get(q)]] = s.get(q + 1)
        else:
            contact = None


def pairs(line: Doc) -> list[str]:
    """PO106.. / IT106.. / LIN02..: the line's identifiers as qualifier, value, qualifier, value ..."""
    return [x for pair in item_pairs(line, 0) for x in pair]


def read_pairs(s: Segment, first: int, line: Doc) -> None:
    for n in range(first, len(s.elements) + 1, 2):
        if s.get(n) and s.get(n + 1):
            put_id(line, s.get(n), s.get(n + 1), X12_IDS)


def terms(term: Doc | None) -> list[Segment]:
    if not term:
        return []
    due, disc_due = term.get("DueDate"), term.get("DiscountDueDate")
    return [
        seg(
            "ITD",
            "01",
            "3",
            num(term["DiscountPercent"]) if term.get("DiscountPercent") is not None else "",
            x12_date(disc_due) if disc_due else "",
            term.get("DiscountInNumberOfDays"),
            x12_date(due) if due else "",
            term.get("PayInNumberOfDays"),
            "",
            "",
            "",
            "",
            term.get("TermsDescription"),
        )
    ]


def read_terms(s: Segment) -> Doc:
    def day(n: int) -> Any:
        return from_x12(s.get(n)) if s.get(n) else None

    def integer(n: int) -> int | None:
        return int(s.get(n)) if s.get(n) else None

    return {
        "DiscountPercent": Decimal(s.get(3)) if s.get(3) else None,
        "DiscountDueDate": day(4),
        "DiscountInNumberOfDays": integer(5),
        "DueDate": day(6),
        "PayInNumberOfDays": integer(7),
        "TermsDescription": s.get(12),
    }


def charges(doc: Doc, field_prefix: str = "") -> list[Segment]:
    """SAC for handling, discounts and "Charge - x"/"Allowance - x" attributes; amounts in cents."""
    out: list[Segment] = []
    if doc.get("HandlingAmount") is not None:
        out.append(seg("SAC", *HANDLING, "", "", cents(doc["HandlingAmount"], f"{field_prefix}HandlingAmount")))
    for i, d in enumerate(doc.get("Discounts") or []):
        if d.get("DiscountAmount") is not None:
            amount = cents(d["DiscountAmount"], f"{field_prefix}Discounts[{i}].DiscountAmount")
            out.append(
                seg("SAC", *DISCOUNT, "", "", amount, *[""] * 7, d.get("DiscountCode"), "", d.get("DiscountName"))
            )
    for a in doc.get("ExtendedAttributes") or []:
        name = str(a.get("Name") or "")
        for kind, prefix in (("C", "Charge - "), ("A", "Allowance - ")):
            if name.startswith(prefix):
                amount = cents(Decimal(str(a.get("Value"))), f"{field_prefix}ExtendedAttributes[{name}]")
                out.append(seg("SAC", kind, OTHER_CHARGE, "", "", amount, *[""] * 9, name[len(prefix) :]))
    return out


def read_charge(s: Segment, doc: Doc) -> None:
    amount = Decimal(s.get(5) or 0) / 100
    key = (s.get(1), s.get(2))
    if key == HANDLING:
        doc["HandlingAmount"] = amount
    elif key == DISCOUNT:
        doc.setdefault("Discounts", []).append(
            {"DiscountAmount": amount, "DiscountCode": s.get(13), "DiscountName": s.get(15)}
        )
    elif s.get(1) in ("A", "C"):
        prefix = "Charge - " if s.get(1) == "C" else "Allowance - "
        doc.setdefault("ExtendedAttributes", []).append(
            {"Name": prefix + (s.get(15) or s.get(2)), "Value": num(amount)}
        )


def taxes(doc: Doc) -> list[Segment]:
    return [
        seg(
            "TXI",
            t.get("TaxCode") or "TX",
            num(t["TaxAmount"]),
            num(t["TaxRate"]) if t.get("TaxRate") is not None else "",
        )
        for t in doc.get("Taxes") or []
        if t.get("TaxAmount") is not None
    ]


def read_tax(s: Segment) -> Doc:
    return {
        "TaxCode": None if s.get(1) == "TX" else s.get(1),
        "TaxAmount": Decimal(s.get(2)) if s.get(2) else None,
        "TaxRate": Decimal(s.get(3)) if s.get(3) else None,
    }


def loops(body: list[Segment], trigger: str, stop: set[str]) -> Iterator[list[Segment]]:
    """Each loop that ``trigger`` starts, up to the next trigger or a segment of ``stop``."""
    current: list[Segment] | None = None
    for s in body:
        if s.id == trigger:
            if current:
                yield current
            current = [s]
        elif s.id in stop:
            if current:
                yield current
            current = None
        elif current is not None:
            current.append(s)
    if current:
        yield current
