"""EDIFACT pieces the D.96A messages share: DTM, NAD parties, LIN/PIA item ids, quantities, prices."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pohub.edi.edifact.syntax import Seg
from pohub.edi.edifact.validate import number
from pohub.edi.mapping.common import (
    ADDRESS_ALIASES,
    ADDRESS_FIELDS,
    EDIFACT_ROLES,
    Doc,
    id_table,
    item_pairs,
    num,
    put_id,
    utc,
)

EDIFACT_IDS = id_table(1)
_PRIMARY = {"EN", "UP", "SRV"}  # item types LIN 7143 carries itself; the others go to PIA


def dtm(qualifier: str, value: Any) -> Seg:
    when = utc(value)
    if (when.hour, when.minute) == (0, 0) and when.second == 0:
        return Seg.of("DTM", (qualifier, when.strftime("%Y%m%d"), "102"))
    if when.second:
        return Seg.of("DTM", (qualifier, when.strftime("%Y%m%d%H%M%S"), "204"))
    return Seg.of("DTM", (qualifier, when.strftime("%Y%m%d%H%M"), "203"))


def read_dtm(s: Seg) -> datetime:
    fmt = {"102": "%Y%m%d", "203": "%Y%m%d%H%M", "204": "%Y%m%d%H%M%S"}[s.comp(1, 3) or "102"]
    return datetime.strptime(s.comp(1, 2), fmt).replace(tzinfo=UTC)


def amount(value: str) -> Decimal:
    parsed = number(value)
    if parsed is None:
        raise ValueError(f"not a number: {value!r}")
    return parsed


def parties(doc: Doc) -> list[Seg]:
    """NAD (+ CTA/COM) for each address: id, name, street, city, region, postcode, country."""
    out: list[Seg] = []
    for code, name in ADDRESS_FIELDS:
        c = doc.get(name)
        if not c:
            continue
        role = EDIFACT_ROLES.get(code, code)
        ident = (c["AddressCode"], "", "92") if c.get("AddressCode") else None
        street = (c.get("Address1"), c.get("Address2")) if c.get("Address1") or c.get("Address2") else None
        out.append(
            Seg.of(
                "NAD",
                role,
                ident,
                None,
                c.get("CompanyName"),
                street,
                c.get("City"),
                c.get("State"),
                c.get("Zip"),
                c.get("Country"),
            )
        )
        person = " ".join(p for p in (c.get("FirstName"), c.get("LastName")) if p)
        if person or c.get("Phone") or c.get("Email"):
            out.append(Seg.of("CTA", "IC", ("", person)))
            out += [
                Seg.of("COM", (c[f], q)) for q, f in (("TE", "Phone"), ("EM", "Email"), ("FX", "FaxNumber")) if c.get(f)
            ]
    return out


def read_parties(segments: list[Seg], doc: Doc) -> None:
    roles = {EDIFACT_ROLES.get(code, code): name for code, name in ADDRESS_FIELDS}
    table = {**ADDRESS_ALIASES, **roles}
    contact: dict[str, Any] | None = None
    for s in segments:
        if s.tag == "NAD":
            field = table.get(s.comp(1))
            contact = None if field is None else doc.setdefault(field, {})
            if contact is not None:
                contact.update(
                    {
                        "AddressCode": s.comp(2, 1),
                        "CompanyName": s.comp(4, 1),
                        "Address1": s.comp(5, 1),
                        "Address2": s.comp(5, 2),
                        "City": s.comp(6),
                        "State": s.comp(7),
                        "Zip": s.comp(8),
                        "Country": s.comp(9),
                    }
                )
        elif contact is not None and s.tag == "CTA":
            first, _, last = s.comp(2, 2).partition(" ")
            contact.update({"FirstName": first, "LastName": last})
        elif contact is not None and s.tag == "COM":
            field = {"TE": "Phone", "EM": "Email", "FX": "FaxNumber"}.get(s.comp(1, 2))
            if field:
                contact[field] = s.comp(1, 1)
        elif s.tag not in ("RFF", "DTM"):
            contact = None


def item(line: Doc, number_in_message: int, action: str = "") -> list[Seg]:
    """LIN (with an EAN/UPC when there is one) and a PIA for the other identifiers."""
    ids = item_pairs(line, 1)
    primary = next(((q, v) for q, v in ids if q in _PRIMARY), None)
    rest = [(q, v) for q, v in ids if (q, v) != primary]
    out = [
        Seg.of(
            "LIN", line.get("LineNumber") or number_in_message, action, (primary[1], primary[0]) if primary else None
        )
    ]
    for start in range(0, len(rest), 5):
        out.append(Seg.of("PIA", "5", *[(v, q) for q, v in rest[start : start + 5]]))
    if line.get("Description"):
        out.append(Seg.of("IMD", "F", "", ("", "", "", line["Description"])))
    return out


def read_item(s: Seg, line: Doc) -> None:
    """Fill a canonical line from LIN, PIA or IMD."""
    if s.tag == "LIN":
        line["LineNumber"] = s.comp(1)
        if s.comp(3, 1):
            put_id(line, s.comp(3, 2), s.comp(3, 1), EDIFACT_IDS)
    elif s.tag == "PIA":
        for n in range(2, len(s.elements) + 1):
            if s.comp(n, 1):
                put_id(line, s.comp(n, 2), s.comp(n, 1), EDIFACT_IDS)
    elif s.tag == "IMD" and s.comp(3, 4):
        line["Description"] = s.comp(3, 4)


def qty(qualifier: str, value: int, uom: str | None) -> Seg:
    return Seg.of("QTY", (qualifier, value, uom))


def price(value: Decimal) -> Seg:
    return Seg.of("PRI", ("AAA", num(value)))


def moa(qualifier: str, value: Decimal) -> Seg:
    return Seg.of("MOA", (qualifier, num(value)))


def lines_of(body: list[Seg], trigger: str = "LIN") -> list[list[Seg]]:
    """Each line group (LIN up to the next LIN, UNS or CNT)."""
    groups: list[list[Seg]] = []
    current: list[Seg] | None = None
    for s in body:
        if s.tag == trigger:
            current = [s]
            groups.append(current)
        elif s.tag in ("UNS", "CNT", "UNT"):
            current = None
        elif current is not None:
            current.append(s)
    return groups
