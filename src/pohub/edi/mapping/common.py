"""What every mapping shares: dates, money, and the code tables for parties and item identifiers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

Doc = dict[str, Any]  # a canonical document as its wire JSON (PascalCase keys, Decimal money)

# Party role -> canonical address field. X12 N101 and EDIFACT NAD 3035 use the same letters for these.
ADDRESS_FIELDS: tuple[tuple[str, str], ...] = (
    ("ST", "ShipToAddress"),
    ("BT", "BillToAddress"),
    ("BY", "OrderedByAddress"),
    ("SF", "ShipFromAddress"),
    ("RI", "RemitToAddress"),
    ("Z7", "MarkForAddress"),
)
# Read as well as the codes above.
ADDRESS_ALIASES: dict[str, str] = {"RE": "RemitToAddress", "DP": "ShipToAddress", "IV": "BillToAddress"}
EDIFACT_ROLES: dict[str, str] = {"BT": "IV", "RI": "RE", "Z7": "UC"}  # where NAD names a role differently

# X12 product id qualifier (PO106, IT106, LIN02 ...) and EDIFACT item type (7143) -> ItemIdentifier field.
ITEM_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("VN", "SA", "SupplierSKU"),
    ("BP", "BP", "PartnerSKU"),
    ("UP", "UP", "UPC"),
    ("MG", "MF", "ManufacturerSKU"),
    ("IB", "IB", "ISBN"),
    ("SN", "SN", "SerialNumber"),
    ("EN", "EN", "ExternalSKU"),
)
ITEM_ALIASES_X12: dict[str, str] = {"IN": "PartnerSKU", "BI": "PartnerSKU"}
# An identifier pohub has no field for travels as a line attribute with this prefix (never dropped).
OTHER_ID = "ProductId "


class MappingError(ValueError):
    """A document that validates but cannot be expressed in the other form; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def num(value: Decimal | int) -> str:
    """A decimal as X12/EDIFACT writes it: no exponent, no trailing zeros."""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def cents(value: Decimal, field: str) -> int:
    """An amount in cents (X12 N2); refuses amounts finer than a cent instead of rounding them away."""
    scaled = Decimal(value) * 100
    if scaled != scaled.to_integral_value():
        raise MappingError(field, f"{value} has more than two decimals")
    return int(scaled)


def utc(value: datetime | str) -> datetime:
    """A canonical date (a datetime, or its ISO text as model_dump writes it) in UTC."""
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def x12_date(value: datetime | str) -> str:
    return utc(value).strftime("%Y%m%d")


def x12_time(value: datetime | str) -> str:
    """HHMM, or HHMMSS when there are seconds; "" at midnight (a date-only value)."""
    v = utc(value)
    if (v.hour, v.minute, v.second) == (0, 0, 0):
        return ""
    return v.strftime("%H%M%S" if v.second else "%H%M")


def from_x12(date: str, time: str = "") -> datetime:
    """A UTC datetime from CCYYMMDD and an optional HHMM[SS]."""
    stamp = date + (time[:6] or "")
    fmt = "%Y%m%d" + {0: "", 4: "%H%M", 6: "%H%M%S"}[len(time[:6])]
    return datetime.strptime(stamp, fmt).replace(tzinfo=UTC)


def item_pairs(line: Doc, standard: int) -> list[tuple[str, str]]:
    """(qualifier, value) for each identifier of a line; ``standard`` 0 is X12, 1 is EDIFACT."""
    ident = line.get("ItemIdentifier") or {}
    pairs = [(codes[standard], ident[codes[2]]) for codes in ITEM_FIELDS if ident.get(codes[2])]
    for attribute in line.get("ExtendedAttributes") or []:
        name = str(attribute.get("Name") or "")
        if name.startswith(OTHER_ID) and attribute.get("Value"):
            pairs.append((name[len(OTHER_ID) :], str(attribute["Value"])))
    return pairs


def id_table(standard: int, aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Qualifier -> ItemIdentifier field for reading one standard."""
    return {**(aliases or {}), **{codes[standard]: codes[2] for codes in ITEM_FIELDS}}


def put_id(line: Doc, qualifier: str, value: str, table: dict[str, str]) -> None:
    """Store one identifier read from EDI on a canonical line."""
    name = table.get(qualifier)
    if name:
        line.setdefault("ItemIdentifier", {})[name] = value
    else:
        line.setdefault("ExtendedAttributes", []).append({"Name": OTHER_ID + qualifier, "Value": value})


_ALWAYS = frozenset({"ItemIdentifier"})  # required by the wire models even when empty


def clean(doc: Any) -> Any:
    """Drop empty values so that documents compare by content."""
    if isinstance(doc, dict):
        out = {k: clean(v) for k, v in doc.items()}
        return {k: v for k, v in out.items() if k in _ALWAYS or v not in (None, "", [], {})}
    if isinstance(doc, list):
        return [clean(v) for v in doc]
    return doc
