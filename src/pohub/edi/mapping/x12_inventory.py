"""846 inventory inquiry/advice <-> the supplier's inventory feed (LBInventoryItem records).

One LIN loop per SKU: its identifiers (LIN pairs), description (PID), cost (CTP), lead time (LDT),
stock (QTY 33) and next availability (SCH 018); each warehouse is an N1 WH loop with its own QTY
and SCH. The tables below are the mapping; any identifier without a field is refused, not dropped.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from pohub.documents.inventory import SLOTS
from pohub.documents.types import LBDateTime, LBModel
from pohub.edi.mapping.common import MappingError, from_x12, num, x12_date, x12_time
from pohub.edi.mapping.x12_parts import seg
from pohub.edi.x12.segments import Segment

# LIN qualifier <-> feed field; the aliases are read only.
ITEM_IDS: tuple[tuple[str, str], ...] = (
    ("VN", "SupplierSKU"),
    ("UP", "UPC"),
    ("MG", "ManufacturerSKU"),
    ("BP", "MerchantSKU"),
)
ID_ALIASES: dict[str, str] = {"SK": "SupplierSKU", "IN": "MerchantSKU", "MF": "ManufacturerSKU"}
REPORT_TYPE = "DD"  # BIA02 written: distributor inventory report (any code is read)
AVAILABLE = ("33", "17")  # QTY01: quantity available for sale (written), quantity on hand (read too)
NEXT_AVAILABLE = "018"  # SCH05: available
COST = "UCP"  # CTP02: unit cost price
LEAD_TIME = ("AF", "DA")  # LDT01 from date of PO receipt to shipment, LDT03 in days
WAREHOUSE = "WH"  # N101 of a warehouse's loop
# Text fields with no X12 element of their own: REF ZZ with the field's name in REF02.
TEXT_REF = "ZZ"
TEXT_FIELDS = ("Status", "LeadTime")


class InventoryAdvice(LBModel):
    """The feed as an 846 carries it: the SKUs' LBInventoryItem records (the feed's own JSON)."""

    reference: str | None = Field(default=None, alias="Reference", max_length=30)
    date: LBDateTime | None = Field(default=None, alias="Date")
    records: list[dict[str, Any]] = Field(default_factory=list, alias="Records")


def _stock(quantity: Any, uom: str, next_quantity: Any, next_date: Any, field: str) -> list[Segment]:
    out = [seg("QTY", AVAILABLE[0], num(Decimal(str(quantity))), uom)] if quantity is not None else []
    if next_quantity is not None or next_date is not None:
        if next_date is None:
            raise MappingError(f"{field}NextAvailableDate", "an 846 gives a next availability with its date (SCH06)")
        amount = num(Decimal(str(next_quantity))) if next_quantity is not None else "0"
        out.append(seg("SCH", amount, uom, "", "", NEXT_AVAILABLE, x12_date(next_date)))
    return out


def inventory_to_846(advice: InventoryAdvice, _order: Any = None) -> list[Segment]:
    """The body of an 846 for a set of feed records."""
    when = advice.date
    if when is None:
        raise MappingError("Date", "an 846 is dated (BIA04)")
    out = [seg("BIA", "00", REPORT_TYPE, advice.reference or "INVENTORY", x12_date(when), x12_time(when))]
    for n, item in enumerate(advice.records, start=1):
        ids = [x for q, name in ITEM_IDS if item.get(name) for x in (q, item[name])]
        if not item.get("SupplierSKU"):
            raise MappingError(f"Records[{n - 1}].SupplierSKU", "every 846 line names its SKU (LIN VN)")
        out.append(seg("LIN", n, *ids))
        if item.get("SupplierDescription"):
            out.append(seg("PID", "F", "", "", "", str(item["SupplierDescription"])))
        lead = str(item.get("LeadTime") or "")
        for name in TEXT_FIELDS:
            value = str(item.get(name) or "")
            if value and not (name == "LeadTime" and lead.isdigit()):
                out.append(seg("REF", TEXT_REF, name, value))
        if item.get("Cost") is not None:
            out.append(seg("CTP", "", COST, num(Decimal(str(item["Cost"])))))
        if lead.isdigit():
            out.append(seg("LDT", LEAD_TIME[0], lead, LEAD_TIME[1]))
        uom = str(item.get("UOM") or "EA")
        field = f"Records[{n - 1}]."
        next_quantity, next_date = item.get("NextAvailableQuantity"), item.get("NextAvailableDate")
        out += _stock(item.get("Quantity"), uom, next_quantity, next_date, field)
        for slot in SLOTS:
            if not item.get(slot.name):
                continue
            out.append(seg("N1", WAREHOUSE, str(item[slot.name])))
            nq = item.get(slot.next_quantity) if slot.next_quantity else None
            nd = item.get(slot.next_date) if slot.next_date else None
            out += _stock(item.get(slot.quantity, 0), uom, nq, nd, f"{field}{slot.name}")
    out.append(seg("CTT", len(advice.records)))
    return out


def _date(value: str) -> str:
    return from_x12(value).date().isoformat()


def x12_846_to_inventory(body: list[Segment], _order: Any = None) -> InventoryAdvice:
    """Feed records from an 846; a warehouse past the 25th, or an N1 other than WH in a line, is refused."""
    doc: dict[str, Any] = {"Records": []}
    ids = {**ID_ALIASES, **dict(ITEM_IDS)}
    item: dict[str, Any] | None = None
    slot_index = -1  # -1: the SKU itself; n: the n-th warehouse of SLOTS
    for s in body:
        if s.id == "BIA":
            doc["Reference"] = s.get(3)
            doc["Date"] = from_x12(s.get(4), s.get(5)) if s.get(4) else None
        elif s.id == "LIN":
            item, slot_index = {}, -1
            doc["Records"].append(item)
            for n in range(2, len(s.elements) + 1, 2):
                if not s.get(n + 1):
                    continue
                name = ids.get(s.get(n))
                if name is None:
                    raise MappingError(f"LIN{n:02d}", f"product id qualifier {s.get(n)!r} has no inventory field")
                item[name] = s.get(n + 1)
        elif item is None:
            continue
        elif s.id == "PID" and s.get(5):
            item["SupplierDescription"] = s.get(5)
        elif s.id == "REF" and s.get(1) == TEXT_REF and s.get(2) in TEXT_FIELDS:
            item[s.get(2)] = s.get(3)
        elif s.id == "CTP" and s.get(2) == COST and s.get(3):
            item["Cost"] = Decimal(s.get(3))
        elif s.id == "LDT" and s.get(2):
            item["LeadTime"] = num(Decimal(s.get(2)))
        elif s.id == "N1":
            if s.get(1) != WAREHOUSE:
                raise MappingError("N101", f"an 846 line's N1 is a warehouse (WH), not {s.get(1)!r}")
            slot_index += 1
            if slot_index >= len(SLOTS):
                raise MappingError("N1", f"an item has at most {len(SLOTS)} warehouses")
            item[SLOTS[slot_index].name] = s.get(2)
        elif s.id == "QTY" and s.get(1) in AVAILABLE:
            amount = int(Decimal(s.get(2) or 0))
            if slot_index < 0:
                item["Quantity"] = amount
                item["UOM"] = s.get(3)[:2] or None
            else:
                item[SLOTS[slot_index].quantity] = amount
        elif s.id == "SCH" and s.get(5) == NEXT_AVAILABLE:
            amount = int(Decimal(s.get(1) or 0))
            if slot_index < 0:
                item["NextAvailableQuantity"], item["NextAvailableDate"] = amount, _date(s.get(6))
            else:
                slot = SLOTS[slot_index]
                if slot.next_quantity is None or slot.next_date is None:
                    raise MappingError("SCH", f"the first warehouse ({slot.name}) has no next availability")
                item[slot.next_quantity], item[slot.next_date] = amount, _date(s.get(6))
    doc["Records"] = [{k: v for k, v in r.items() if v not in (None, "")} for r in doc["Records"]]
    return InventoryAdvice.model_validate(doc)


def records_at(records: list[dict[str, Any]], at: datetime, reference: str) -> InventoryAdvice:
    return InventoryAdvice.model_validate({"Reference": reference, "Date": at, "Records": records})
