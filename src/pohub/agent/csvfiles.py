"""The agent's CSV inputs: shipments to send and on-hand stock. Headers are matched loosely ("Supplier
SKU", "supplier_sku" and "SupplierSKU" are the same column) so exports from other tools work as they are."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pohub.core import jsonio

# Accepted spellings of each column, after lower-casing and dropping everything but letters and digits.
SHIP_COLUMNS: dict[str, tuple[str, ...]] = {
    "partner_po": ("partnerpo", "po", "ponumber"),
    "order_key": ("logicbrokerkey", "orderkey", "key", "linkkey"),
    "line_number": ("linenumber", "line"),
    "sku": ("suppliersku", "sku"),
    "quantity": ("quantity", "qty", "quantityshipped"),
    "carrier": ("carrier", "carriercode"),
    "service_level": ("servicelevel", "servicelevelcode", "service"),
    "tracking_number": ("trackingnumber", "tracking"),
    "ship_date": ("shipdate", "shipmentdate", "dateshipped"),
    "shipment_number": ("shipmentnumber", "shipment"),
}
INVENTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "sku": ("suppliersku", "sku"),
    "on_hand": ("onhand", "onhandquantity", "quantityonhand", "quantity", "qty", "available"),
    "lead_days": ("leadtimedays", "leadtime", "leaddays", "leadtimeindays"),
}


class CsvError(ValueError):
    """A file that cannot be read at all (no such file, missing columns)."""


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _columns(header: list[str], wanted: dict[str, tuple[str, ...]], path: Path) -> dict[str, str]:
    by_norm = {_norm(h): h for h in header if h}
    out: dict[str, str] = {}
    for name, spellings in wanted.items():
        for spelling in spellings:
            if spelling in by_norm:
                out[name] = by_norm[spelling]
                break
    return out


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str], list[str]]]:
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise CsvError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        for row in reader:
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k is not None}, header


def read_inventory(path: Path) -> list[tuple[str, int, int]]:
    """(SupplierSKU, on-hand quantity, lead time in days) per row."""
    out: list[tuple[str, int, int]] = []
    columns: dict[str, str] | None = None
    for line_no, row, header in _rows(path):
        if columns is None:
            columns = _columns(header, INVENTORY_COLUMNS, path)
            missing = [n for n in ("sku", "on_hand") if n not in columns]
            if missing:
                raise CsvError(f"{path}: no {' or '.join(missing)} column (have: {', '.join(header)})")
        sku = row.get(columns["sku"], "")
        if not sku:
            continue
        try:
            on_hand = int(row.get(columns["on_hand"], "0") or 0)
            lead = int(row.get(columns.get("lead_days", ""), "0") or 0)
        except ValueError:
            raise CsvError(f"{path}:{line_no}: on-hand quantity and lead time must be whole numbers") from None
        out.append((sku, on_hand, lead))
    return out


@dataclass(frozen=True)
class ShipRow:
    """One row of a shipment file: one carton (or one line) of one shipment."""

    line_no: int
    partner_po: str
    order_key: str
    line_number: str
    sku: str
    quantity: int
    carrier: str
    service_level: str
    tracking_number: str
    ship_date: str


@dataclass
class ShipmentRequest:
    """Rows sharing a ShipmentNumber: one shipment for one PO."""

    number: str
    rows: list[ShipRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def order_ref(self) -> tuple[str, str]:
        """(LogicbrokerKey, PartnerPO) named by the rows (either may be empty)."""
        first = self.rows[0]
        return first.order_key, first.partner_po

    def input_hash(self) -> str:
        """The rows' content: a refused shipment is sent again only when this changes."""
        rows = [
            [
                r.partner_po,
                r.order_key,
                r.line_number,
                r.sku,
                r.quantity,
                r.carrier,
                r.service_level,
                r.tracking_number,
                r.ship_date,
            ]
            for r in self.rows
        ]
        return hashlib.sha256(jsonio.dumps([self.number, rows])).hexdigest()


def _check_date(text: str) -> str:
    if not text:
        return ""
    try:
        if "T" in text or " " in text.strip():
            datetime.fromisoformat(text)
        else:
            date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"ship date {text!r} is not an ISO 8601 date (2026-12-01) or date-time") from None
    return text


def read_shipments(path: Path) -> list[ShipmentRequest]:
    """Group a shipment file's rows by ShipmentNumber, keeping the file's order; a row's problems are
    kept on its shipment (which is then not sent)."""
    groups: dict[str, ShipmentRequest] = {}
    columns: dict[str, str] | None = None
    for line_no, row, header in _rows(path):
        if columns is None:
            columns = _columns(header, SHIP_COLUMNS, path)
            missing = [n for n in ("quantity", "shipment_number") if n not in columns]
            if "partner_po" not in columns and "order_key" not in columns:
                missing.append("PartnerPO or LogicbrokerKey")
            if "line_number" not in columns and "sku" not in columns:
                missing.append("LineNumber or SupplierSKU")
            if missing:
                raise CsvError(f"{path}: missing column(s) {', '.join(missing)} (have: {', '.join(header)})")

        cols = columns

        def get(name: str, row: dict[str, str] = row, cols: dict[str, str] = cols) -> str:
            return row.get(cols[name], "") if name in cols else ""

        if not any(row.values()):
            continue
        number = get("shipment_number")
        group = groups.setdefault(number, ShipmentRequest(number))
        where = f"{path.name}:{line_no}"
        if not number:
            group.problems.append(f"{where}: ShipmentNumber is empty")
        problems: list[str] = []
        try:
            quantity = int(get("quantity"))
            if quantity < 1:
                problems.append(f"{where}: quantity must be at least 1")
        except ValueError:
            quantity = 0
            problems.append(f"{where}: quantity {get('quantity')!r} is not a whole number")
        try:
            ship_date = _check_date(get("ship_date"))
        except ValueError as exc:
            ship_date = ""
            problems.append(f"{where}: {exc}")
        if not get("partner_po") and not get("order_key"):
            problems.append(f"{where}: PartnerPO or LogicbrokerKey is required")
        if not get("line_number") and not get("sku"):
            problems.append(f"{where}: LineNumber or SupplierSKU is required")
        ship_row = ShipRow(
            line_no,
            get("partner_po"),
            get("order_key"),
            get("line_number"),
            get("sku"),
            quantity,
            get("carrier"),
            get("service_level"),
            get("tracking_number"),
            ship_date,
        )
        if group.rows and (ship_row.order_key, ship_row.partner_po) != group.order_ref:
            problems.append(f"{where}: ShipmentNumber {number!r} already names another PO; a shipment is for one PO")
        group.rows.append(ship_row)
        group.problems.extend(problems)
    return list(groups.values())
