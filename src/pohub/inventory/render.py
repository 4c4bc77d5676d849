"""Stored inventory on the wire: an item as LBInventoryItem (JSON), and the CSV download, whose header
is the same names a broadcast reads (a download can be edited and broadcast back as it is)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pohub.documents.inventory import SLOTS

# Wire name -> column, in the order the download lists them.
ITEM_WIRE: tuple[tuple[str, str], ...] = (
    ("SupplierSKU", "sku"),
    ("SupplierId", "supplier_id"),
    ("MerchantId", "buyer_id"),  # the buyer a figure is for; empty (0) for every buyer
    ("MerchantSKU", "merchant_sku"),
    ("UPC", "upc"),
    ("ManufacturerSKU", "manufacturer_sku"),
    ("SupplierDescription", "description"),
    ("Quantity", "quantity"),
    ("NextAvailableQuantity", "next_available_quantity"),
    ("NextAvailableDate", "next_available_date"),
    ("UOM", "uom"),
    ("Cost", "cost"),
    ("LeadTime", "lead_time"),
    ("Status", "status"),
    ("LastUpdate", "updated_at"),
)


def _wire(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        normalised = value.normalize()
        return int(normalised) if normalised == normalised.to_integral_value() else normalised
    return value


def _value(row: Any, column: str) -> Any:
    value = getattr(row, column)
    return None if column == "buyer_id" and not value else value


def item(row: Any, warehouses: Iterable[Any]) -> dict[str, Any]:
    """One item as LBInventoryItem; absent values are left out."""
    out: dict[str, Any] = {}
    for wire, column in ITEM_WIRE:
        value = _value(row, column)
        if value is not None:
            out[wire] = _wire(value)
    for wh in warehouses:
        slot = SLOTS[wh.position - 1]
        out[slot.name] = wh.warehouse
        out[slot.quantity] = wh.quantity
        if slot.next_quantity and wh.next_available_quantity is not None:
            out[slot.next_quantity] = wh.next_available_quantity
        if slot.next_date and wh.next_available_date is not None:
            out[slot.next_date] = wh.next_available_date.isoformat()
    return out


def header(slots: int) -> list[str]:
    names = [wire for wire, _ in ITEM_WIRE]
    for slot in SLOTS[:slots]:
        names += [n for n in (slot.name, slot.quantity, slot.next_quantity, slot.next_date) if n]
    return names


def _cell(value: Any) -> str:
    if value is None:
        return ""
    value = _wire(value)
    return str(value)


class CsvWriter:
    """Rows to CSV text, a page at a time (the download streams; nothing holds the whole file)."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\r\n")

    def _take(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text

    def header(self) -> str:
        self._csv.writerow(header(self.slots))
        return self._take()

    def rows(self, items: list[Any], warehouses: dict[int, list[Any]]) -> str:
        for row in items:
            cells = [_cell(_value(row, column)) for _, column in ITEM_WIRE]
            by_slot = {w.position: w for w in warehouses.get(row.id, [])}
            for slot in SLOTS[: self.slots]:
                wh = by_slot.get(slot.position)
                cells += [wh.warehouse if wh else "", _cell(wh.quantity) if wh else ""]
                if slot.next_quantity:
                    cells += [
                        _cell(wh.next_available_quantity) if wh else "",
                        _cell(wh.next_available_date) if wh else "",
                    ]
            self._csv.writerow(cells)
        return self._take()
