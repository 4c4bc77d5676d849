"""The inventory item on the wire: Logicbroker's ``LBInventoryItem``, one flat record per SKU with up
to 25 warehouses (``Warehouse``/``WarehouseQuantity``, then ``Warehouse2``, ``Warehouse2Quantity``,
``Warehouse2NextAvailableQuantity``, ``Warehouse2NextAvailableDate`` ... up to 25).

The names are the platform's (checked against the published definition by a test). The model is for
the OpenAPI document and for clients; the hub reads feeds with its own row parser
(``pohub.inventory.feed``), which is much faster than validating 100,000 models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, create_model

from pohub.documents.types import Int32, LBDateTime, LBModel, Money

WAREHOUSE_SLOTS = 25


@dataclass(frozen=True)
class WarehouseSlot:
    """The wire names of one warehouse's columns; the first one has no next-available pair."""

    position: int
    name: str
    quantity: str
    next_quantity: str | None
    next_date: str | None


def _slot(n: int) -> WarehouseSlot:
    if n == 1:
        return WarehouseSlot(1, "Warehouse", "WarehouseQuantity", None, None)
    w = f"Warehouse{n}"
    return WarehouseSlot(n, w, f"{w}Quantity", f"{w}NextAvailableQuantity", f"{w}NextAvailableDate")


SLOTS: tuple[WarehouseSlot, ...] = tuple(_slot(n) for n in range(1, WAREHOUSE_SLOTS + 1))

# Item fields as the platform lists them, with their wire type: "text", "int", "number", "datetime".
ITEM_FIELDS: tuple[tuple[str, str], ...] = (
    ("SupplierSKU", "text"),
    ("SupplierId", "int"),
    ("MerchantId", "int"),
    ("UPC", "text"),
    ("MerchantDescription", "text"),
    ("SupplierDescription", "text"),
    ("ManufacturerSKU", "text"),
    ("MerchantSKU", "text"),
    ("Quantity", "int"),
    ("Cost", "number"),
    ("MSRP", "number"),
    ("RetailPrice", "number"),
    ("Size", "text"),
    ("Color", "text"),
    ("Style", "text"),
    ("Weight", "text"),
    ("NextAvailableQuantity", "int"),
    ("NextAvailableDate", "datetime"),
    ("UOM", "text"),
    ("Status", "text"),
    ("VendorNumber", "text"),
    ("LeadTime", "text"),
    ("Custom1", "text"),
    ("Custom2", "text"),
    ("Custom3", "text"),
    ("Custom4", "text"),
    ("Custom5", "text"),
    ("LastUpdate", "datetime"),
)


def _warehouse_fields() -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for slot in SLOTS:
        out += [(slot.name, "text"), (slot.quantity, "int")]
        if slot.next_quantity and slot.next_date:
            out += [(slot.next_quantity, "int"), (slot.next_date, "datetime")]
    return tuple(out)


WIRE_FIELDS: tuple[tuple[str, str], ...] = ITEM_FIELDS + _warehouse_fields()

_TYPES: dict[str, Any] = {"text": str, "int": Int32, "number": Money, "datetime": LBDateTime}


def _python_name(wire: str) -> str:
    out = []
    for i, ch in enumerate(wire):
        if ch.isupper() and i and (not wire[i - 1].isupper() or (i + 1 < len(wire) and wire[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out).replace("__", "_")


# Built from the table above: 126 optional fields, every one aliased to its wire name.
_FIELD_DEFINITIONS: dict[str, Any] = {
    _python_name(wire): (_TYPES[t] | None, Field(default=None, alias=wire)) for wire, t in WIRE_FIELDS
}
LBInventoryItem: type[BaseModel] = create_model(
    "LBInventoryItem",
    __base__=LBModel,
    __doc__="Inventory item: a supplier's stock of one SKU, in total and per warehouse.",
    **_FIELD_DEFINITIONS,
)
