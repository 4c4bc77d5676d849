"""What the templates show, shaped from rows and stored bodies: no queries and no rules here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pohub.core import jsonio
from pohub.core.errors import PohubError
from pohub.core.ids import is_ascii_int
from pohub.documents.render import overlay
from pohub.documents.types import line_key
from pohub.orders import status as order_status
from pohub.orders.status import OPEN, ORDER_STATUS_NAMES, TRANSITIONS, OrderStatus
from pohub.scorecard.service import DayCount

STATUS_STYLE = {
    OrderStatus.SUBMITTED: "submitted",
    OrderStatus.READY_TO_ACKNOWLEDGE: "todo",
    OrderStatus.ACKNOWLEDGED: "acked",
    OrderStatus.READY_TO_SHIP: "ship",
    OrderStatus.READY_TO_INVOICE: "invoice",
    OrderStatus.COMPLETE: "done",
    OrderStatus.CANCELLED: "cancelled",
    OrderStatus.FAILED: "failed",
    OrderStatus.IGNORED: "cancelled",
}


def status_label(code: int) -> str:
    try:
        return ORDER_STATUS_NAMES[OrderStatus(code)]
    except ValueError:
        return str(code)


def status_style(code: int) -> str:
    try:
        return STATUS_STYLE[OrderStatus(code)]
    except ValueError:
        return "submitted"


def chip_order(*, supplier: bool) -> list[OrderStatus]:
    """The status chips along the top: what needs doing first for a supplier (150)."""
    statuses = list(OrderStatus)
    if supplier:
        statuses.remove(OrderStatus.READY_TO_ACKNOWLEDGE)
        statuses.insert(0, OrderStatus.READY_TO_ACKNOWLEDGE)
    return statuses


# Moves that cannot be undone: the status form asks to confirm them first.
FINAL_MOVES = frozenset({OrderStatus.COMPLETE, OrderStatus.CANCELLED})


def next_statuses(code: int, *, party: str, units_shipped: int = 0) -> list[OrderStatus]:
    """The statuses this party ("buyer" or "supplier") may set by hand from this one, in lifecycle order.

    THE ONE PLACE where the dashboard asks who may make which move: when
    ``pohub.orders.status.allowed_manual_moves(party, current_status)`` exists (the authority rules),
    it decides; until then every move the lifecycle table allows is offered. Either way the hub's
    ``orders.service.set_status`` has the last word when the form is sent.
    """
    current = OrderStatus(code)
    rule = getattr(order_status, "allowed_manual_moves", None)
    allowed = (
        rule(party, current, units_shipped=units_shipped) if callable(rule) else TRANSITIONS.get(current, frozenset())
    )
    return sorted(OrderStatus(s) for s in allowed)


def is_final_move(code: int) -> bool:
    try:
        return OrderStatus(code) in FINAL_MOVES
    except ValueError:
        return False


def is_open(code: int) -> bool:
    return OrderStatus(code) in OPEN


def body_of(row: Any) -> dict[str, Any]:
    """The body as received, with the details its sender added later (a Spectrum full order's addresses)."""
    try:
        body = jsonio.loads(row.raw)
    except Exception:
        return {}
    return overlay(body, getattr(row, "details", None)) if isinstance(body, dict) else {}


def when(value: Any) -> str | None:
    """A date or time as received, shown as its day when it is an ISO timestamp."""
    return _when(value)


def _when(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:10] if "T" in value and is_ascii_int(value.strip()[:4]) else value.strip()


ADDRESS_FIELDS = ("CompanyName", "FirstName", "LastName", "Address1", "Address2", "City", "State", "Zip", "Country")


def address(value: Any) -> list[str]:
    """An address as its printed lines."""
    if not isinstance(value, dict):
        return []
    name = " ".join(str(value[k]) for k in ("FirstName", "LastName") if value.get(k))
    city = " ".join(str(value[k]) for k in ("City", "State", "Zip") if value.get(k))
    out = [value.get("CompanyName"), name, value.get("Address1"), value.get("Address2"), city, value.get("Country")]
    extra = [f"{k}: {value[k]}" for k in ("Phone", "Email") if value.get(k)]
    return [str(x) for x in out if x] + extra


def header(body: dict[str, Any]) -> dict[str, Any]:
    """The order's dates, addresses, payment terms and notes, from its body as received."""
    terms = body.get("PaymentTerm") if isinstance(body.get("PaymentTerm"), dict) else {}
    term_parts = []
    if terms:
        if terms.get("TermsDescription"):
            term_parts.append(str(terms["TermsDescription"]))
        if terms.get("PayInNumberOfDays") is not None:
            term_parts.append(f"net {terms['PayInNumberOfDays']} days")
        if terms.get("DiscountPercent") and terms.get("DiscountInNumberOfDays") is not None:
            term_parts.append(f"{terms['DiscountPercent']}% if paid in {terms['DiscountInNumberOfDays']} days")
    dates = [
        (label, _when(body.get(key)))
        for label, key in (
            ("Order date", "OrderDate"),
            ("Requested ship", "RequestedShipDate"),
            ("Do not ship before", "DoNotShipBefore"),
            ("Do not ship after", "DoNotShipAfter"),
            ("Expected delivery", "ExpectedDeliveryDate"),
        )
    ]
    addresses = [
        (label, address(body.get(key)))
        for label, key in (
            ("Ship to", "ShipToAddress"),
            ("Bill to", "BillToAddress"),
            ("Ordered by", "OrderedByAddress"),
        )
    ]
    references = [
        (label, body.get(key))
        for label, key in (
            ("Order number", "OrderNumber"),
            ("Vendor number", "VendorNumber"),
            ("Customer number", "CustomerNumber"),
            ("Department", "DepartmentNumber"),
        )
    ]
    return {
        "dates": [(label, value) for label, value in dates if value],
        "addresses": [(label, lines) for label, lines in addresses if lines],
        "terms": ", ".join(term_parts),
        "note": body.get("Note") if isinstance(body.get("Note"), str) else None,
        "currency": body.get("Currency") if isinstance(body.get("Currency"), str) else "",
        "references": [(label, value) for label, value in references if value not in (None, "")],
    }


def ship_by(body: dict[str, Any]) -> str | None:
    """The day the PO must ship by: its DoNotShipAfter, else its RequestedShipDate (YYYY-MM-DD)."""
    for name in ("DoNotShipAfter", "RequestedShipDate"):
        when = _when(body.get(name))
        if when and len(when) >= 10 and is_ascii_int(when[:4]):
            return when[:10]
    return None


def _attribute(item: dict[str, Any], name: str) -> str | None:
    for attr in item.get("ExtendedAttributes") or []:
        if isinstance(attr, dict) and str(attr.get("Name") or "").strip().casefold() == name.casefold():
            value = attr.get("Value")
            return str(value).strip() if value not in (None, "") else None
    return None


def backorder_dates(acks: list[dict[str, Any]], lines: list[Any]) -> dict[int, str]:
    """Each backordered line's expected date (line position -> YYYY-MM-DD), from the acknowledgements
    in the order they arrived: a later one replaces the figures of the lines it names, so it replaces
    their date too. The date is the line's BackorderDate attribute, else its acknowledgement's
    ScheduledShipDate (what the agent's inventory policy sends)."""
    by_key = {line.line_key: line for line in lines}
    by_sku = {line.supplier_sku: line for line in lines if line.supplier_sku}
    found: dict[int, str] = {}
    for body in acks:
        scheduled = _when(body.get("ScheduledShipDate"))
        for ack_line in body.get("AckLines") or []:
            if not isinstance(ack_line, dict):
                continue
            number = ack_line.get("LineNumber")
            found_item = ack_line.get("ItemIdentifier")
            item: dict[str, Any] = found_item if isinstance(found_item, dict) else {}
            line = by_key.get(line_key(str(number))) if number not in (None, "") else None
            line = line or by_sku.get(str(item.get("SupplierSKU") or ""))
            if line is None:
                continue
            found.pop(line.position, None)
            backordered = ack_line.get("QuantityBackordered")
            if isinstance(backordered, int | Decimal) and not isinstance(backordered, bool) and backordered > 0:
                when = _attribute(ack_line, "BackorderDate") or scheduled
                if when:
                    found[line.position] = when[:10]
    return found


def earliest_backorder(acks: list[dict[str, Any]], lines: list[Any]) -> str | None:
    """The first day any backordered line of an order is expected (for the orders list)."""
    open_lines = [ln for ln in lines if ln.qty_backordered > 0]
    dates = backorder_dates(acks, open_lines)
    return min(dates.values()) if dates else None


@dataclass(frozen=True)
class Bar:
    """A line's progress: segments in percent of what was ordered, and the words for it."""

    invoiced: float
    shipped: float  # shipped, not yet invoiced
    accepted: float  # accepted, not yet shipped
    backordered: float
    cancelled: float
    label: str


def _pct(part: int, whole: int) -> float:
    return round(100 * max(part, 0) / whole, 2) if whole else 0.0


def bar(line: Any) -> Bar:
    ordered = int(line.quantity)
    shipped, invoiced = int(line.qty_shipped), int(line.qty_invoiced)
    waiting = max(int(line.qty_accepted) - shipped, 0)
    backordered = min(int(line.qty_backordered), max(ordered - shipped - waiting, 0))
    owed = ordered - int(line.qty_cancelled)
    label = f"{shipped} of {owed} shipped, {invoiced} invoiced"
    if line.qty_cancelled:
        label += f", {line.qty_cancelled} cancelled"
    return Bar(
        invoiced=_pct(min(invoiced, shipped), ordered),
        shipped=_pct(shipped - min(invoiced, shipped), ordered),
        accepted=_pct(waiting, ordered),
        backordered=_pct(backordered, ordered),
        cancelled=_pct(int(line.qty_cancelled), ordered),
        label=label,
    )


@dataclass(frozen=True)
class Chart:
    """The daily received / completed chart as SVG geometry (drawn by the template)."""

    width: int
    height: int
    max_value: int
    bars: list[tuple[float, float, float, float, float, DayCount]]  # x, received y/h, completed y/h
    ticks: list[tuple[float, str]]
    bar_width: float


def chart(days: list[DayCount], *, width: int = 640, height: int = 160) -> Chart:
    top = max([max(d.received, d.completed) for d in days] + [1])
    step = width / max(len(days), 1)
    bar_w = max(step / 2 - 1, 1)
    bars = []
    for i, d in enumerate(days):
        x = i * step
        rh = height * d.received / top
        ch = height * d.completed / top
        bars.append((round(x, 2), round(height - rh, 2), round(rh, 2), round(height - ch, 2), round(ch, 2), d))
    every = max(len(days) // 6, 1)
    ticks = [(round(i * step, 2), d.day.strftime("%d %b")) for i, d in enumerate(days) if i % every == 0]
    return Chart(width, height, top, bars, ticks, round(bar_w, 2))


# ---------------------------------------------------------------- jobs

JOB_KINDS = {"wms.bulk_import": "Warehouse bulk import"}


@dataclass(frozen=True)
class JobView:
    """A job's row as the jobs pages show it: counts, words, and its bar in percent of the total."""

    id: int
    kind: str
    status: str
    status_label: str
    style: str
    business_unit: int | None
    total: int
    processed: int
    failed: int
    created_at: datetime
    finished_at: datetime | None
    ok_pct: float
    failed_pct: float
    label: str

    @property
    def finished(self) -> bool:
        return self.status == "completed"

    def progress(self) -> dict[str, Any]:
        """What the page's script polls for: the warehouse API's field names, plus the bar's geometry."""
        return {
            "jobId": str(self.id),
            "status": self.status,
            "progress": {"processed": self.processed, "total": self.total},
            "failed": self.failed,
            "finished": self.finished,
            "statusLabel": self.status_label,
            "statusStyle": self.style,
            "label": self.label,
            "bar": {"ok": self.ok_pct, "failed": self.failed_pct},
        }


def job(row: Any) -> JobView:
    total, processed, failed = int(row.total), int(row.processed), int(row.failed)
    if row.status == "completed":
        status_label, style = ("Completed", "done") if not failed else ("Completed with failures", "todo")
    elif row.status == "processing":
        status_label, style = "Running", "acked"
    else:
        status_label, style = "Queued", "submitted"
    try:
        params = jsonio.loads(row.params)
    except PohubError:
        params = None
    unit = params.get("businessUnitId") if isinstance(params, dict) else None
    text = str(unit) if unit is not None else ""
    label = f"{processed} of {total} processed"
    if failed:
        label += f", {failed} failed"
    return JobView(
        id=int(row.id),
        kind=JOB_KINDS.get(row.kind, row.kind),
        status=row.status,
        status_label=status_label,
        style=style,
        business_unit=int(text) if is_ascii_int(text) and len(text) <= 18 else None,
        total=total,
        processed=processed,
        failed=failed,
        created_at=row.created_at,
        finished_at=row.finished_at,
        ok_pct=_pct(processed - failed, total),
        failed_pct=_pct(failed, total),
        label=label,
    )


# ---------------------------------------------------------------- webhooks

DELIVERY_STATES = {
    "pending": ("Pending", "todo"),
    "delivered": ("Delivered", "done"),
    "failed": ("Failed", "failed"),
    "dead": ("Dead-lettered", "failed"),
}
REPLAYABLE = ("failed", "dead")


@dataclass(frozen=True)
class WebhookView:
    """A subscription without its secret: the templates never get it, sealed or masked."""

    id: int
    address: str
    topic: str
    enabled: bool
    created_at: datetime
    updated_at: datetime


def webhook(row: Any) -> WebhookView:
    return WebhookView(int(row.id), row.address, row.topic, bool(row.enabled), row.created_at, row.updated_at)


@dataclass(frozen=True)
class AttemptView:
    at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None


@dataclass(frozen=True)
class DeliveryView:
    id: int
    message_id: str
    topic: str
    state: str
    state_label: str
    style: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    log: list[AttemptView]

    @property
    def replayable(self) -> bool:
        return self.state in REPLAYABLE


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def delivery(wire: dict[str, Any]) -> DeliveryView:
    """A delivery as the webhooks service puts it on the wire (``wire_delivery``), for a template."""
    label, style = DELIVERY_STATES.get(wire["State"], (str(wire["State"]), "submitted"))
    created = _instant(wire["CreatedAt"])
    assert created is not None
    return DeliveryView(
        id=int(wire["Id"]),
        message_id=str(wire["WebhookMessageId"]),
        topic=str(wire["Topic"]),
        state=str(wire["State"]),
        state_label=label,
        style=style,
        attempts=int(wire["Attempts"]),
        created_at=created,
        next_attempt_at=_instant(wire["NextAttemptAt"]),
        delivered_at=_instant(wire["DeliveredAt"]),
        last_status_code=wire["LastStatusCode"],
        last_error=wire["LastError"],
        log=[
            AttemptView(_instant(a["AttemptedAt"]) or created, a["StatusCode"], int(a["DurationMs"]), a["Error"])
            for a in wire["AttemptLog"]
        ],
    )
