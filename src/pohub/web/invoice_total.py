"""The invoice form's running total, in Decimal: the same sum the page's script shows as one types
(app.js, ``invoiceTotal``) and the hub checks (pohub.invoices.service.compute_total, to the cent).

total = lines + charges - discount + tax, where tax = rate% of (lines - discount), rounded half up
to the cent. Charges travel as the hub's ``Charge - Freight`` attribute, the discount as a
Discount, the tax as a Tax with its rate and amount, and the total as InvoiceTotal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pohub.core.money import ZERO, cents

CHARGE_ATTRIBUTE = "Charge - Freight"


@dataclass(frozen=True)
class Total:
    lines: Decimal
    discount: Decimal
    charges: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


def line_price(line: Any) -> Decimal | None:
    """The unit price a line is billed at unless the form says otherwise: acknowledged, else ordered."""
    price = line.ack_price if line.ack_price is not None else line.price
    return None if price is None else Decimal(price)


def compute(
    amounts: Iterable[tuple[int, Decimal | None]],
    *,
    discount: Decimal | None = None,
    charges: Decimal | None = None,
    tax_rate: Decimal | None = None,
) -> Total:
    """The invoice's parts from (units, unit price) per line (a line without a price adds nothing)."""
    lines = sum((Decimal(q) * p for q, p in amounts if p is not None), ZERO)
    discount = discount or ZERO
    charges = charges or ZERO
    rate = tax_rate or ZERO
    tax = cents((lines - discount) * rate / 100)
    return Total(lines, discount, charges, rate, tax, cents(lines + charges - discount + tax))
