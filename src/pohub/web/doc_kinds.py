"""What the dashboard shows and offers per document kind, in one table keyed by the registry's
``KindSpec.name`` (pohub.documents.kinds): the summary on the order page, the columns of its detail
and print pages, and the supplier's form for it. No if/elif per kind anywhere else in web/."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pohub.documents import kinds
from pohub.documents.kinds import KindSpec
from pohub.web import carriers, forms, invoice_total, views


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value or [] if isinstance(v, dict)] if isinstance(value, list) else []


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | Decimal) and not isinstance(value, bool) else 0


def _ack_summary(body: dict[str, Any]) -> list[tuple[str, str]]:
    lines = _dicts(body.get("AckLines"))

    def qty(name: str) -> int:
        return sum(_count(ln.get(name)) for ln in lines)

    out = [
        (
            "Lines",
            f"{qty('Quantity')} accepted, {qty('QuantityBackordered')} backordered, "
            f"{qty('QuantityCancelled')} cancelled",
        )
    ]
    if when := views.when(body.get("ScheduledShipDate")):
        out.append(("Scheduled ship", when))
    reasons = {str(ln["ChangeReason"]) for ln in lines if ln.get("ChangeReason")}
    if body.get("ChangeReason"):
        reasons.add(str(body["ChangeReason"]))
    if reasons:
        out.append(("Reasons", "; ".join(sorted(reasons))))
    return out


def _line_units(line: dict[str, Any]) -> int:
    if line.get("Quantity") is not None:
        return _count(line.get("Quantity"))
    return sum(_count(i.get("Qty")) for i in _dicts(line.get("ShipmentInfos")))


def _ship_summary(body: dict[str, Any]) -> list[tuple[str, str]]:
    out = [("Units", str(sum(_line_units(ln) for ln in _dicts(body.get("ShipmentLines")))))]
    if when := views.when(body.get("ShipmentDate")):
        out.append(("Shipped", when))
    found = {c.carrier: None for c in cartons(body) if c.carrier}
    if found:
        out.append(("Carrier", ", ".join(found)))
    boxes = [c for c in cartons(body) if c.tracking or c.code]
    if len(boxes) > 1:
        out.append(("Cartons", str(len(boxes))))
    return out


def _invoice_summary(body: dict[str, Any]) -> list[tuple[str, str]]:
    out = [("Units", str(sum(_count(ln.get("Quantity")) for ln in _dicts(body.get("InvoiceLines")))))]
    if when := views.when(body.get("InvoiceDate")):
        out.append(("Invoice date", when))
    return out


@dataclass(frozen=True)
class Carton:
    """One package of a shipment: its code, tracking (a link where the carrier is known) and contents."""

    code: str | None
    tracking: str | None
    carrier: str | None
    url: str | None
    contents: list[tuple[str, str, int]] = field(default_factory=list)  # line number, SKU, units


def cartons(body: dict[str, Any]) -> list[Carton]:
    """The shipment's packages, from its ShipmentInfos (header and per line), grouped by carton code,
    else by tracking number."""
    header = _dicts(body.get("ShipmentInfos"))
    default_carrier = next((str(i["CarrierCode"]) for i in header if i.get("CarrierCode")), None)
    found: dict[str, dict[str, Any]] = {}

    def slot(info: dict[str, Any]) -> dict[str, Any] | None:
        code = str(info.get("ContainerCode") or "").strip() or None
        tracking = str(info.get("TrackingNumber") or "").strip() or None
        if code is None and tracking is None:
            return None
        carrier = str(info.get("CarrierCode") or "").strip() or default_carrier
        return found.setdefault(
            code or f"#{tracking}", {"code": code, "tracking": tracking, "carrier": carrier, "contents": []}
        )

    for info in header:
        slot(info)
    for line in _dicts(body.get("ShipmentLines")):
        sku = str((line.get("ItemIdentifier") or {}).get("SupplierSKU") or "")
        for info in _dicts(line.get("ShipmentInfos")):
            box = slot(info)
            if box is not None:
                box["contents"].append((str(line.get("LineNumber") or ""), sku, _count(info.get("Qty"))))
    return [
        Carton(
            b["code"], b["tracking"], b["carrier"], carriers.tracking_url(b["carrier"], b["tracking"]), b["contents"]
        )
        for b in found.values()
    ]


@dataclass(frozen=True)
class Column:
    label: str
    field: str  # wire name on the document's line
    numeric: bool = False
    money: bool = False


@dataclass(frozen=True)
class FormSpec:
    """The supplier's form for a kind: /orders/{key}/{KindSpec.form}."""

    template: str
    date_field: str  # the form's date box, prefilled with today
    fields: Mapping[str, Any]  # wire fields -> form fields, for the hub's refusals
    notice: str
    build: Callable[..., forms.Built]  # (form, order=, lines=, update=, today=) -> the body
    prefill: Callable[[Sequence[Any], list[Any], dict[int, str], str], dict[str, str]]


@dataclass(frozen=True)
class DocViewSpec:
    kind: KindSpec
    summary: Callable[[dict[str, Any]], list[tuple[str, str]]]
    columns: tuple[Column, ...]
    print_title: str  # the heading of its print view
    form: FormSpec | None = None
    has_cartons: bool = False
    has_totals: bool = False


def _ack_prefill(lines: Sequence[Any], earlier: list[Any], dates: dict[int, str], po: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in lines:
        i = line.position
        values |= {
            f"action-{i}": "accept" if not earlier else "split",
            f"accept-{i}": str(line.quantity if not earlier else line.qty_accepted),
            f"backorder-{i}": str(0 if not earlier else line.qty_backordered),
            f"cancel-{i}": str(0 if not earlier else line.qty_cancelled),
            f"backorder_date-{i}": dates.get(i, ""),
        }
    return values | {"ack_number": f"ACK-{po}-{len(earlier) + 1}"}


def _ship_prefill(lines: Sequence[Any], earlier: list[Any], dates: dict[int, str], po: str) -> dict[str, str]:
    values = {f"qty-{line.position}-0": str(forms.ship_now(line)) for line in lines}
    return values | {"shipment_number": f"SHP-{po}-{len(earlier) + 1}", "cartons": "1"}


def _invoice_prefill(lines: Sequence[Any], earlier: list[Any], dates: dict[int, str], po: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in lines:
        values[f"qty-{line.position}"] = str(forms.billable(line))
        price = invoice_total.line_price(line)
        values[f"price-{line.position}"] = "" if price is None else format(price.normalize(), "f")
    return values | {"invoice_number": f"INV-{po}-{len(earlier) + 1}"}


def _ack_build(form: Mapping[str, Any], *, order: Any, lines: Sequence[Any], update: bool, today: date) -> forms.Built:
    return forms.acknowledgement(form, order=order, lines=lines, update=update, today=today)


def _ship_build(form: Mapping[str, Any], *, order: Any, lines: Sequence[Any], update: bool, today: date) -> forms.Built:
    return forms.shipment(form, order=order, lines=lines)


def _invoice_build(
    form: Mapping[str, Any], *, order: Any, lines: Sequence[Any], update: bool, today: date
) -> forms.Built:
    return forms.invoice(form, order=order, lines=lines)


_SKU = Column("Item", "SupplierSKU")
_LINE = Column("Line", "LineNumber")

VIEWS: dict[str, DocViewSpec] = {
    spec.kind.name: spec
    for spec in (
        DocViewSpec(
            kinds.ACKNOWLEDGEMENT,
            _ack_summary,
            (
                _LINE,
                _SKU,
                Column("Accepted", "Quantity", numeric=True),
                Column("Backordered", "QuantityBackordered", numeric=True),
                Column("Cancelled", "QuantityCancelled", numeric=True),
                Column("Reason", "ChangeReason"),
            ),
            "Purchase order acknowledgement",
            FormSpec(
                "acknowledge.html", "scheduled_ship_date", forms.ACK_FIELDS, "acknowledged", _ack_build, _ack_prefill
            ),
        ),
        DocViewSpec(
            kinds.SHIPMENT,
            _ship_summary,
            (_LINE, _SKU, Column("Units", "Quantity", numeric=True), Column("UOM", "QuantityUOM")),
            "Packing slip",
            FormSpec("ship.html", "ship_date", forms.SHIP_FIELDS, "shipped", _ship_build, _ship_prefill),
            has_cartons=True,
        ),
        DocViewSpec(
            kinds.INVOICE,
            _invoice_summary,
            (
                _LINE,
                _SKU,
                Column("Units", "Quantity", numeric=True),
                Column("Price", "Price", numeric=True, money=True),
                Column("Amount", "Amount", numeric=True, money=True),
            ),
            "Invoice",
            FormSpec(
                "invoice.html", "invoice_date", forms.INVOICE_FIELDS, "invoiced", _invoice_build, _invoice_prefill
            ),
            has_totals=True,
        ),
    )
}
# The supplier's documents the order page lists, in the registry's order.
ORDER_DOCS: tuple[DocViewSpec, ...] = tuple(VIEWS[k.name] for k in kinds.SUPPLIER_KINDS if k.name in VIEWS)
# The forms by their action in the URL (KindSpec.form).
BY_FORM: dict[str, DocViewSpec] = {v.kind.form: v for v in ORDER_DOCS if v.kind.form and v.form}


@dataclass(frozen=True)
class DocView:
    id: int
    kind: str
    number: str | None
    received: datetime
    summary: list[tuple[str, str]]
    cartons: list[Carton]
    total: Decimal | None


def document(row: Any) -> DocView:
    """A document as the order page's card shows it."""
    body = views.body_of(row)
    spec = VIEWS.get(row.kind)
    summary = spec.summary(body) if spec else []
    boxes = [c for c in cartons(body) if c.tracking] if spec and spec.has_cartons else []
    return DocView(row.id, row.kind, row.number, row.created_at, summary, boxes, row.total)


def _cell(line: dict[str, Any], column: Column) -> Any:
    if column.field == "SupplierSKU":
        item = line.get("ItemIdentifier")
        return (item or {}).get("SupplierSKU") if isinstance(item, dict) else None
    if column.field == "Amount":
        qty, price = line.get("Quantity"), line.get("Price")
        if isinstance(qty, int | Decimal) and isinstance(price, int | Decimal):
            return Decimal(price) * qty
        return None
    return line.get(column.field)


def detail_lines(spec: DocViewSpec, body: dict[str, Any], order_lines: Sequence[Any]) -> list[list[Any]]:
    """The document's lines as table rows of its kind's columns (a price left out is the order's)."""
    prices = {line.line_number: invoice_total.line_price(line) for line in order_lines}
    rows = []
    for line in _dicts(body.get(spec.kind.lines_field)):
        if spec.has_totals and line.get("Price") is None:
            line = line | {"Price": prices.get(str(line.get("LineNumber") or ""))}
        if spec.has_cartons and line.get("Quantity") is None:
            line = line | {"Quantity": _line_units(line)}
        rows.append([_cell(line, c) for c in spec.columns])
    return rows
