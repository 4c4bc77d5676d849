"""A change's writes as typed structures, so the type checker knows every column a rule sets:
the change's own lines, and the order-line columns a change may touch (the changes' counterpart
of orders/store.py's LineChange)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class NewChangeLine:
    """One step of a change as stored: what it asks, and whether it waits or applied."""

    position: int
    action: str
    line_number: str
    order_line_id: int | None
    supplier_sku: str | None
    quantity: int | None
    price: Decimal | None
    requested_ship_date: datetime | None
    state: str
    reason: str | None = None

    def row(self, change_id: int) -> dict[str, Any]:
        return asdict(self) | {"change_id": change_id}


@dataclass(frozen=True)
class ChangeLineOutcome:
    """What the supplier's answer made of a change line: the whole row set_line writes."""

    line_id: int
    state: str
    reason: str | None
    order_line_id: int | None

    def values(self) -> dict[str, Any]:
        row = asdict(self)
        del row["line_id"]
        return row


@dataclass(frozen=True)
class OrderLineEdit:
    """An order line's columns as a change leaves them: the whole set update_order_line writes."""

    line_id: int
    quantity: int
    price: Decimal | None
    requested_ship_date: datetime | None
    qty_accepted: int
    qty_backordered: int
    qty_cancelled: int
    changed_at: datetime

    def values(self) -> dict[str, Any]:
        row = asdict(self)
        del row["line_id"]
        return row


def edit_of(
    line: Any,
    *,
    at: datetime,
    quantity: int | None = None,
    price: Decimal | None = None,
    requested_ship_date: datetime | None = None,
    qty_accepted: int | None = None,
    qty_backordered: int | None = None,
    qty_cancelled: int | None = None,
) -> OrderLineEdit:
    """The order line's current columns, with the ones given changed (None keeps a column)."""
    return OrderLineEdit(
        line_id=line.id,
        quantity=line.quantity if quantity is None else quantity,
        price=line.price if price is None else price,
        requested_ship_date=line.requested_ship_date if requested_ship_date is None else requested_ship_date,
        qty_accepted=line.qty_accepted if qty_accepted is None else qty_accepted,
        qty_backordered=line.qty_backordered if qty_backordered is None else qty_backordered,
        qty_cancelled=line.qty_cancelled if qty_cancelled is None else qty_cancelled,
        changed_at=at,
    )


@dataclass(frozen=True)
class NewOrderLine:
    """A line the buyer's change adds to the order: nothing accepted, shipped or invoiced yet."""

    order_id: int
    line_number: str
    line_key: str
    supplier_sku: str | None
    partner_sku: str | None
    description: str | None
    uom: str | None
    price: Decimal | None
    quantity: int
    requested_ship_date: datetime | None
    changed_at: datetime

    def row(self) -> dict[str, Any]:
        zero = dict.fromkeys(("qty_accepted", "qty_backordered", "qty_cancelled", "qty_shipped", "qty_invoiced"), 0)
        return asdict(self) | zero
