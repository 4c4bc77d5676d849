"""Reading an inventory feed (CSV or JSON) into rows ready for the database, one row at a time.

The rules of a field live here once, for both formats: what each column may hold and what a row must
have. A bad row becomes ``RowError``s naming its row and column; the rows around it are unaffected.
Whatever makes the whole file unreadable (no SupplierSKU column, not UTF-8, not JSON) is a refusal.

Rows are produced lazily from the body, so reading 100,000 of them holds one row at a time.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from pohub.core import jsonio
from pohub.core.errors import BadRequest, FieldError, Unprocessable
from pohub.documents.inventory import SLOTS, WIRE_FIELDS

MAX_QUANTITY = 2**31 - 1  # LBInventoryItem's quantities are int32
MONEY_PLACES = 4  # the cost column is Numeric(18, 4)
MONEY_LIMIT = Decimal(10) ** 14

# What the hub keeps of an item: wire name -> (column, longest text). Other published fields are read
# (so a file exported elsewhere loads as it is) and listed as ignored in the answer.
TEXT_COLUMNS: dict[str, tuple[str, int]] = {
    "SupplierSKU": ("sku", 100),
    "MerchantSKU": ("merchant_sku", 100),
    "UPC": ("upc", 100),
    "ManufacturerSKU": ("manufacturer_sku", 100),
    "SupplierDescription": ("description", 500),
    "UOM": ("uom", 20),
    "LeadTime": ("lead_time", 50),
    "Status": ("status", 50),
}
QUANTITY_COLUMNS = {"Quantity": "quantity", "NextAvailableQuantity": "next_available_quantity"}
DATE_COLUMNS = {"NextAvailableDate": "next_available_date"}
MONEY_COLUMNS = {"Cost": "cost"}
WAREHOUSE_NAME_LENGTH = 100
# Read and checked, not stored: the sender is the supplier, and the hub stamps the time.
CHECKED = {"SupplierId", "LastUpdate"}
# The buyer a row's figures are for (LBInventoryItem's MerchantId); empty: every buyer. The rules
# that need the database (it must be one of the sender's buyers) are the service's.
FOR_BUYER = {"MerchantId": "buyer_id"}
ALL_BUYERS = 0
KEPT = (
    set(TEXT_COLUMNS)
    | set(QUANTITY_COLUMNS)
    | set(DATE_COLUMNS)
    | set(MONEY_COLUMNS)
    | set(FOR_BUYER)
    | {n for s in SLOTS for n in (s.name, s.quantity, s.next_quantity, s.next_date) if n}
)
READ = KEPT | CHECKED
ITEM_COLUMNS = (
    *(c for c, _ in TEXT_COLUMNS.values()),
    *QUANTITY_COLUMNS.values(),
    *DATE_COLUMNS.values(),
    *MONEY_COLUMNS.values(),
    *FOR_BUYER.values(),
)


def normalise(name: str) -> str:
    """ "Supplier SKU", "supplier_sku" and "SupplierSKU" are one column."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


# The platform's names in any case and spacing, and the two short names spreadsheets use most.
BY_NORMAL: dict[str, str] = {normalise(wire): wire for wire, _ in WIRE_FIELDS} | {
    "sku": "SupplierSKU",
    "qty": "Quantity",
}


@dataclass(frozen=True)
class RowError(FieldError):
    """A refused cell: the row it is on (the spreadsheet's row for CSV, where the header is row 1;
    the item's position, from 1, for JSON), the column or JSON path, and the rule."""

    row: int = 0

    def as_wire(self) -> dict[str, Any]:
        return {"Row": self.row, "Field": self.field, "Error": self.error}


@dataclass
class Item:
    """A good row: the item's columns and its warehouses, as the tables take them."""

    row: int
    values: dict[str, Any]
    warehouses: list[dict[str, Any]]
    buyer_field: str = "MerchantId"  # how the row names its MerchantId, for a refusal of it

    @property
    def key(self) -> tuple[int, str]:
        """What the row replaces: the SKU, for every buyer or for one."""
        return int(self.values["buyer_id"]), str(self.values["sku"])


Parsed = Item | list[RowError]


@dataclass
class Feed:
    """A feed being read: its rows (lazily), and what the header told."""

    rows: Iterator[Parsed]
    format: str
    ignored_columns: list[str] = field(default_factory=list)


class _Bad(ValueError):
    """One cell's rule, raised by a converter and turned into a RowError by the row."""


def _text(value: Any, limit: int) -> str:
    if type(value) is not str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise _Bad("must be a string")
        value = str(value)
    text: str = value.strip()
    if "\x00" in text:
        raise _Bad("must not contain NUL characters")
    if len(text) > limit:
        raise _Bad(f"must be at most {limit} characters (is {len(text)})")
    return text


_WHOLE = re.compile(r"[+-]?[0-9]+")


def _quantity(value: Any) -> int:
    if type(value) is str and value.isdigit() and value.isascii() and len(value) <= 9:
        return int(value)  # the common case: a CSV cell of a few digits, always in range
    if isinstance(value, bool):
        raise _Bad("must be a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        if abs(value) > MAX_QUANTITY:
            raise _Bad(f"must be at most {MAX_QUANTITY}")
        number = int(value)
    elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        digits = value.strip()
        if len(digits.lstrip("+-0")) > 10:  # longer than any int32; int() of it could be slow
            raise _Bad(f"must be at most {MAX_QUANTITY}")
        number = int(digits)
    else:
        raise _Bad(f"must be a whole number, got {value!r}"[:200])
    if number < 0:
        raise _Bad(f"must not be negative, got {number}")
    if number > MAX_QUANTITY:
        raise _Bad(f"must be at most {MAX_QUANTITY}, got {number}")
    return number


def _datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _Bad("must be an ISO 8601 date or date-time string")
    try:
        parsed = datetime.fromisoformat(value.strip())  # a date alone is its midnight
        # Stored in UTC: an offset that takes it past year 1 or 9999 is out of range, not a 500.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _Bad(f"must be an ISO 8601 date (2026-12-01) or date-time, got {value!r}"[:200]) from None


def instant(value: str) -> datetime:
    """An ISO 8601 date or date-time, in UTC (no offset: UTC); ValueError saying the rule."""
    return _datetime(value)


_PLACES = Decimal(1).scaleb(-MONEY_PLACES)


def _money(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise _Bad("must be a number")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise _Bad(f"must be a number, got {value!r}"[:200]) from None
    if not number.is_finite():
        raise _Bad("must be a finite number")
    if number < 0:
        raise _Bad(f"must not be negative, got {number}")
    if number >= MONEY_LIMIT:
        raise _Bad(f"must be less than {MONEY_LIMIT:f}")
    try:
        exact = number.quantize(_PLACES) == number
    except InvalidOperation:
        exact = False
    if not exact:
        raise _Bad(f"must have at most {MONEY_PLACES} decimal places, got {number}"[:200])
    return number


# Wire name -> (what it sets, its converter, its warehouse slot or 0 for the item itself). Only the
# cells a row has are looked at: most rows fill a few of the 126 columns.
_Convert = Callable[[Any], Any]
CELLS: dict[str, tuple[str, _Convert, int]] = {
    **{wire: (column, partial(_text, limit=limit), 0) for wire, (column, limit) in TEXT_COLUMNS.items()},
    **{wire: (column, _quantity, 0) for wire, column in QUANTITY_COLUMNS.items()},
    **{wire: (column, _datetime, 0) for wire, column in DATE_COLUMNS.items()},
    **{wire: (column, _money, 0) for wire, column in MONEY_COLUMNS.items()},
    **{wire: (column, _quantity, 0) for wire, column in FOR_BUYER.items()},
    "SupplierId": ("", _quantity, 0),
    "LastUpdate": ("", _datetime, 0),
}
for _slot in SLOTS:
    CELLS[_slot.name] = ("warehouse", partial(_text, limit=WAREHOUSE_NAME_LENGTH), _slot.position)
    CELLS[_slot.quantity] = ("quantity", _quantity, _slot.position)
    if _slot.next_quantity and _slot.next_date:
        CELLS[_slot.next_quantity] = ("next_available_quantity", _quantity, _slot.position)
        CELLS[_slot.next_date] = ("next_available_date", _datetime, _slot.position)
EMPTY_ITEM: dict[str, Any] = dict.fromkeys(ITEM_COLUMNS)


def parse_item(
    values: Mapping[str, Any], *, row: int, supplier_id: int, label: Callable[[str], str]
) -> Item | list[RowError]:
    """One row (wire name -> value, empty cells left out) checked against every rule; ``label`` gives
    the name to report a column by (the file's own spelling, or the JSON path)."""
    errors: list[RowError] = []

    def bad(wire: str, error: str) -> None:
        errors.append(RowError(label(wire), error, row))

    item = EMPTY_ITEM.copy()
    slots: dict[int, dict[str, Any]] = {}
    for wire, raw in values.items():
        target, convert, position = CELLS[wire]
        try:
            value = convert(raw)
        except _Bad as exc:
            bad(wire, str(exc))
            continue
        if position:
            slots.setdefault(position, {})[target] = value
        elif target:
            item[target] = value
        elif wire == "SupplierId" and value != supplier_id:
            bad(wire, f"is {value}, but the sender is company {supplier_id}: a broadcast is its sender's stock")
    if not item["sku"] and "SupplierSKU" not in values:
        bad("SupplierSKU", "is required")

    warehouses: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for position in sorted(slots):
        slot, cells = SLOTS[position - 1], slots[position]
        name = cells.get("warehouse")
        if not name:
            if slot.name not in values:  # (a bad name was reported already)
                for figure in (slot.quantity, slot.next_quantity, slot.next_date):
                    if figure and figure in values:
                        bad(figure, f"needs {slot.name} (the warehouse's name)")
            continue
        if slot.quantity not in values:
            bad(slot.quantity, f"is required with {slot.name}")
        if name.casefold() in seen:
            bad(slot.name, f"{name!r} is in {seen[name.casefold()]} already")
        seen[name.casefold()] = slot.name
        warehouses.append(
            {
                "position": position,
                "warehouse": name,
                "quantity": cells.get("quantity") or 0,
                "next_available_quantity": cells.get("next_available_quantity"),
                "next_available_date": cells.get("next_available_date"),
            }
        )

    if not errors:
        total = sum(w["quantity"] for w in warehouses)
        if item["quantity"] is None:
            if not warehouses:
                bad("Quantity", "is required (or the warehouses' quantities, which it is then the total of)")
            elif total > MAX_QUANTITY:
                bad("Quantity", f"the warehouses' total {total} is over {MAX_QUANTITY}")
            else:
                item["quantity"] = total
        elif item["quantity"] < total:
            bad("Quantity", f"is {item['quantity']}, less than its warehouses' total of {total}")
    if errors:
        return errors
    item["supplier_id"] = supplier_id
    if item["buyer_id"] is None:
        item["buyer_id"] = ALL_BUYERS
    return Item(row, item, warehouses, label("MerchantId"))


# -- CSV ----------------------------------------------------------------------------------------


def _delimiter(header_line: str) -> str:
    """Comma, unless the header plainly uses semicolons or tabs (spreadsheets in many locales)."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_csv(raw: bytes, *, supplier_id: int) -> Feed:
    """A CSV feed: a header row of LBInventoryItem names (any case and spacing), then one row per SKU."""
    text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline="")
    try:
        header_line = text.readline()
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc, 1) from None
    if not header_line.strip():
        raise Unprocessable("The file is empty: no header row", [FieldError("body", "needs a header row")])
    delimiter = _delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    columns: list[tuple[int, str, str]] = []  # (position, wire name, the file's spelling)
    ignored: list[str] = []
    taken: dict[str, str] = {}
    for i, name in enumerate(header):
        wire = BY_NORMAL.get(normalise(name))
        if wire is None or wire not in READ:
            if name.strip():
                ignored.append(name.strip())
            continue
        if wire in taken:
            raise Unprocessable(
                f"Column {name!r} is {wire}, like column {taken[wire]!r}",
                [FieldError(name, f"names {wire} a second time")],
            )
        taken[wire] = name
        columns.append((i, wire, name.strip() or wire))
    if "SupplierSKU" not in taken:
        raise Unprocessable(
            "The header has no SupplierSKU column",
            [FieldError("SupplierSKU", f"is a required column (the header has: {', '.join(header)[:500]})")],
        )
    labels = {wire: name for _, wire, name in columns}
    positions = [(i, wire) for i, wire, _ in columns]
    width = len(header)

    def label(wire: str) -> str:
        return labels.get(wire, wire)

    def rows() -> Iterator[Parsed]:
        reader = csv.reader(text, delimiter=delimiter)
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise _not_utf8(exc, number + 1) from None
            except csv.Error as exc:
                raise BadRequest(
                    f"Row {number + 1} cannot be read as CSV: {exc}", [FieldError("body", f"row {number + 1}: {exc}")]
                ) from None
            number += 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > width:
                yield [RowError("row", f"has {len(cells)} fields; the header has {width}", number)]
                continue
            values: dict[str, str] = {}
            for i, wire in positions:
                if i < len(cells):
                    cell = cells[i]
                    if cell and (cell := cell.strip()):
                        values[wire] = cell
            yield parse_item(values, row=number, supplier_id=supplier_id, label=label)

    return Feed(rows(), "csv", ignored)


def _not_utf8(exc: UnicodeDecodeError, row: int) -> BadRequest:
    return BadRequest(
        f"The file is not UTF-8 text (at or after row {row})",
        [FieldError("body", f"must be UTF-8 text: {exc.reason} at or after row {row}")],
    )


# -- JSON ---------------------------------------------------------------------------------------


def read_json(raw: bytes, *, supplier_id: int) -> Feed:
    """A JSON feed: an array of LBInventoryItem, an object with them in ``Records``, or one item."""
    data = jsonio.loads(raw)
    prefix: str | None = ""
    if isinstance(data, dict) and isinstance(data.get("Records"), list):
        items, prefix = data["Records"], "Records"
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict):
        items, prefix = [data], None
    else:
        rule = "must be an array of LBInventoryItem, or {Records: [...]}"
        raise Unprocessable("The body is not inventory", [FieldError("body", rule)])
    ignored: list[str] = []  # filled as the rows are read: complete once they all were

    def rows() -> Iterator[Parsed]:
        for index, entry in enumerate(items):
            at = f"{prefix}[{index}]" if prefix is not None else ""
            if not isinstance(entry, dict):
                yield [RowError(at or "body", "must be an object (an LBInventoryItem)", index + 1)]
                continue
            values: dict[str, Any] = {}
            keys: dict[str, str] = {}
            for key, value in entry.items():
                wire = BY_NORMAL.get(normalise(key))
                if wire is None or wire not in READ:
                    if key not in ignored:
                        ignored.append(key)
                    continue
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                values[wire], keys[wire] = value, key

            def label(wire: str, at: str = at, keys: dict[str, str] = keys) -> str:
                name = keys.get(wire, wire)
                return f"{at}.{name}" if at else name

            yield parse_item(values, row=index + 1, supplier_id=supplier_id, label=label)

    return Feed(rows(), "json", ignored)


# -- which format -------------------------------------------------------------------------------

JSON_TYPES = ("application/json", "text/json")
CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel")


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _looks_like_json(raw: bytes) -> bool:
    start = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return start in (b"[", b"{")


def form_file(raw: bytes, content_type: str) -> tuple[bytes, str | None, str | None]:
    """The ``file`` part of a multipart/form-data body (else its first part with a file name): its
    bytes, its content type and its file name."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise BadRequest("multipart/form-data without a boundary", [FieldError("Content-Type", "needs a boundary")])
    parts: list[dict[str, Any]] = []
    header: dict[str, bytearray] = {}

    def on_part_begin() -> None:
        parts.append({"headers": {}, "data": []})

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header.setdefault("field", bytearray()).extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header.setdefault("value", bytearray()).extend(data[start:end])

    def on_header_end() -> None:
        name = bytes(header.pop("field", b"")).decode("latin-1").strip().lower()
        parts[-1]["headers"][name] = bytes(header.pop("value", b"")).decode("latin-1").strip()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1]["data"].append(data[start:end])

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
        },
    )
    try:
        parser.write(raw)
        parser.finalize()
    except Exception as exc:  # the library's own error types vary between versions
        error = FieldError("body", f"malformed multipart: {exc}")
        raise BadRequest("The multipart body cannot be read", [error]) from None
    chosen = None
    for part in parts:
        _, disposition = parse_options_header(part["headers"].get("content-disposition", ""))
        part["name"] = disposition.get(b"name", b"").decode("utf-8", "replace")
        part["filename"] = disposition.get(b"filename", b"").decode("utf-8", "replace") or None
        if part["name"] == "file":
            chosen = part
            break
        if chosen is None and part["filename"]:
            chosen = part
    if chosen is None:
        raise Unprocessable("The form has no file", [FieldError("file", "is required (the inventory CSV or JSON)")])
    return b"".join(chosen["data"]), chosen["headers"].get("content-type"), chosen["filename"]


def open_feed(raw: bytes, content_type: str | None, *, supplier_id: int) -> Feed:
    """A feed from a body as received: JSON or CSV by its content type (or, for a form's file and for
    unnamed types, by its file name and first character), a multipart form's ``file`` part included."""
    media = _media_type(content_type)
    name: str | None = None
    if media == "multipart/form-data":
        raw, part_type, name = form_file(raw, content_type or "")
        media = _media_type(part_type)
    if media in JSON_TYPES or media.endswith("+json"):
        return read_json(raw, supplier_id=supplier_id)
    if media in CSV_TYPES:
        return read_csv(raw, supplier_id=supplier_id)
    if (name or "").lower().endswith(".json") or (not name and _looks_like_json(raw)):
        return read_json(raw, supplier_id=supplier_id)
    return read_csv(raw, supplier_id=supplier_id)
