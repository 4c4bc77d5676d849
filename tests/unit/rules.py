"""Builders for the pure rule tests: order lines as the repository returns them, a locked order,
and parsed documents, with no database and no server (so the mutation tester can run them fast)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from pohub.core.errors import PohubError
from pohub.documents.inbound import LockedOrder
from pohub.documents.types import line_key

AT = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
ORDER = LockedOrder(
    id=41, status=150, sender_company_id=5, receiver_company_id=7, partner_po="PO-1", invoice_required=True
)


def order_line(
    number: str = "01",
    *,
    line_id: int = 1,
    sku: str | None = "SKU-1",
    quantity: int = 10,
    accepted: int = 0,
    backordered: int = 0,
    cancelled: int = 0,
    shipped: int = 0,
    invoiced: int = 0,
    price: Decimal | None = Decimal("2.50"),
    ack_price: Decimal | None = None,
    change_reason: str | None = None,
) -> Any:
    """An order_lines row."""
    return SimpleNamespace(
        id=line_id,
        line_number=number,
        line_key=line_key(number),
        supplier_sku=sku,
        quantity=quantity,
        qty_accepted=accepted,
        qty_backordered=backordered,
        qty_cancelled=cancelled,
        qty_shipped=shipped,
        qty_invoiced=invoiced,
        price=price,
        ack_price=ack_price,
        change_reason=change_reason,
    )


def refusal(fn: Callable[[], Any]) -> PohubError:
    """The refusal `fn` raises (it must raise one)."""
    with pytest.raises(PohubError) as exc:
        fn()
    return exc.value


def errors(exc: PohubError) -> list[tuple[str, str]]:
    return [(e.field, e.error) for e in exc.errors]
