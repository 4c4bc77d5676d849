"""ORDERS (D.96A) <-> canonical order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pohub.documents.logicbroker import SalesOrder
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

# DTM 2005 <-> header date.
DATES: tuple[tuple[str, str], ...] = (
    ("137", "OrderDate"),
    ("10", "RequestedShipDate"),
    ("64", "DoNotShipBefore"),
    ("63", "DoNotShipAfter"),
    ("2", "ExpectedDeliveryDate"),
)
# RFF 1153 <-> header reference.
REFERENCES: tuple[tuple[str, str], ...] = (("IA", "VendorNumber"), ("IT", "CustomerNumber"), ("CO", "OrderNumber"))
NOTE = "AAI"  # FTX 4451: general information


def order_to_orders(order: SalesOrder) -> list[Seg]:
    """The body of an ORDERS (BGM .. CNT, without UNH/UNT)."""
    doc = order.model_dump(by_alias=True, exclude_none=True)
    if not doc.get("PartnerPO") or not doc.get("OrderDate"):
        raise MappingError(
            "PartnerPO" if not doc.get("PartnerPO") else "OrderDate", "ORDERS needs the PO number and date"
        )
    out = [Seg.of("BGM", "220", doc["PartnerPO"], "9")]
    out += [dtm(code, doc[name]) for code, name in DATES if doc.get(name)]
    if doc.get("Note"):
        out.append(
            Seg.of("FTX", NOTE, "", "", [doc["Note"][i : i + 512] for i in range(0, min(len(doc["Note"]), 2560), 512)])
        )
    out += [Seg.of("RFF", (code, doc[name])) for code, name in REFERENCES if doc.get(name)]
    out += parties(doc)
    if doc.get("Currency"):
        out.append(Seg.of("CUX", ("2", doc["Currency"], "9")))
    infos = doc.get("ShipmentInfos") or []
    if infos and infos[0].get("CarrierCode"):
        out.append(Seg.of("TDT", "20", "", "", "", (infos[0]["CarrierCode"], "", "", infos[0].get("ClassCode"))))
    total = 0
    for i, line in enumerate(doc["OrderLines"], start=1):
        if line.get("Quantity") is None:
            raise MappingError(f"OrderLines[{i - 1}].Quantity", "an ORDERS line needs a quantity")
        total += line["Quantity"]
        out += item(line, i)
        out.append(qty("21", line["Quantity"], line.get("QuantityUOM")))
        if line.get("Price") is not None:
            out.append(price(line["Price"]))
        for d in line.get("Discounts") or []:
            if d.get("DiscountPercent") is not None:
                out += [Seg.of("ALC", "A"), Seg.of("PCD", ("3", num(d["DiscountPercent"])))]
    out.append(Seg.of("UNS", "S"))
    if doc.get("TotalAmount") is not None:
        out.append(moa("86", doc["TotalAmount"]))
    out += [Seg.of("CNT", ("2", len(doc["OrderLines"]))), Seg.of("CNT", ("1", total))]
    return out


def orders_to_order(body: list[Seg]) -> SalesOrder:
    """A canonical order from an ORDERS message (UNH .. UNT)."""
    doc: dict[str, Any] = {}
    dates, refs = dict(DATES), dict(REFERENCES)
    first_line = next((i for i, s in enumerate(body) if s.tag == "LIN"), len(body))
    for s in body[:first_line]:
        if s.tag == "BGM":
            doc["PartnerPO"] = s.comp(2)
        elif s.tag == "DTM" and s.comp(1, 1) in dates:
            doc[dates[s.comp(1, 1)]] = read_dtm(s)
        elif s.tag == "FTX" and s.comp(1) == NOTE:
            text = s.el(4)
            doc["Note"] = "".join(text) if isinstance(text, tuple) else text
        elif s.tag == "RFF" and s.comp(1, 1) in refs:
            doc[refs[s.comp(1, 1)]] = s.comp(1, 2)
        elif s.tag == "CUX":
            doc["Currency"] = s.comp(1, 2)
        elif s.tag == "TDT" and s.comp(5, 1):
            doc["ShipmentInfos"] = [{"CarrierCode": s.comp(5, 1), "ClassCode": s.comp(5, 4)}]
    read_parties(body[:first_line], doc)
    lines = []
    for group in lines_of(body):
        line: dict[str, Any] = {"ItemIdentifier": {}}
        for s in group:
            read_item(s, line)
            if s.tag == "QTY" and s.comp(1, 1) == "21":
                line.update({"Quantity": int(amount(s.comp(1, 2))), "QuantityUOM": s.comp(1, 3)})
            elif s.tag == "PRI" and s.comp(1, 1) in ("AAA", "AAB"):
                line["Price"] = amount(s.comp(1, 2))
            elif s.tag == "PCD" and s.comp(1, 1) == "3":
                line.setdefault("Discounts", []).append({"DiscountPercent": amount(s.comp(1, 2))})
        lines.append(line)
    doc["OrderLines"] = lines
    for s in body:
        if s.tag == "MOA" and s.comp(1, 1) == "86":
            doc["TotalAmount"] = Decimal(amount(s.comp(1, 2)))
    return SalesOrder.model_validate(clean(doc))
