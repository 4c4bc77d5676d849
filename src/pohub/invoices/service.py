"""Invoices: bill what shipped, never more, with a total that adds up to the cent."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core.errors import FieldError, Unprocessable, invalid
from pohub.core.money import ZERO, cents, total
from pohub.documents import kinds
from pohub.documents.inbound import Inbound, LockedOrder, match_lines, require
from pohub.documents.logicbroker import Invoice
from pohub.orders import events
from pohub.orders.apply import Effect, apply_document
from pohub.orders.service import Created
from pohub.orders.store import LineChange, with_invoiced

KIND = kinds.INVOICE


def _attributes(doc: Any, prefix: str) -> Decimal:
    """Allowances and charges travel as extended attributes 'Allowance - <code>' / 'Charge - <code>'."""
    amount = ZERO
    for attr in doc.extended_attributes or []:
        if (attr.name or "").strip().casefold().startswith(prefix):
            try:
                amount += Decimal((attr.value or "0").strip())
            except ArithmeticError:
                raise invalid("ExtendedAttributes", f"{attr.name!r} must be an amount, got {attr.value!r}") from None
    return amount


def compute_total(invoice: Invoice, prices: list[Decimal], quantities: list[int]) -> dict[str, Decimal]:
    """lines + taxes + handling + charges - discounts - allowances, and its parts."""
    lines_amount = sum((p * q for p, q in zip(prices, quantities, strict=True)), ZERO)
    taxes = total(t.tax_amount for t in invoice.taxes or [])
    taxes += total(t.tax_amount for t in invoice.handling_taxes or [])
    discounts = total(d.discount_amount for d in invoice.discounts or [])
    for line in invoice.invoice_lines:
        # A line without taxes or discounts (most) adds nothing: not summed as a zero, ten lines an
        # invoice. Adding ZERO to these sums (begun at ZERO: exponent <= 0) changed neither value
        # nor digits.
        if line.taxes:
            taxes += total(t.tax_amount for t in line.taxes)
        if line.discounts:
            discounts += total(d.discount_amount for d in line.discounts)
    handling = invoice.handling_amount or ZERO
    charges = _attributes(invoice, "charge - ")
    allowances = _attributes(invoice, "allowance - ")
    return {
        "lines": lines_amount,
        "taxes": taxes,
        "handling": handling,
        "charges": charges,
        "discounts": discounts,
        "allowances": allowances,
        "total": lines_amount + taxes + handling + charges - discounts - allowances,
    }


def check_header(invoice: Invoice) -> None:
    """What an invoice needs before its order is looked up: its number and at least one line."""
    require(invoice.invoice_number, "InvoiceNumber")
    require(invoice.invoice_lines, "InvoiceLines", "must have at least one line")


async def receive(
    conn: AsyncConnection, *, company_id: int, inbound: Inbound[Invoice], path_key: str | None = None
) -> Created:
    """Apply an invoice to its order under the order's row lock."""
    invoice = inbound.doc
    check_header(invoice)
    return await apply_document(
        conn,
        company_id=company_id,
        inbound=inbound,
        path_key=path_key,
        kind=KIND,
        number=invoice.invoice_number,
        rules=lambda order, lines, _earlier: _rules(invoice, order, lines),
    )


def _rules(invoice: Invoice, order: LockedOrder, lines: list[Any]) -> Effect:
    changes: dict[int, LineChange] = {}
    prices: list[Decimal] = []
    units: list[int] = []
    for i, inv_line, line in match_lines(lines, invoice.invoice_lines, "InvoiceLines"):
        qty = inv_line.quantity
        if qty is None or qty < 1:
            raise invalid(f"InvoiceLines[{i}].Quantity", "is required and must be at least 1")
        price = inv_line.price  # read once: a model's attribute is ~0.4 k a read, ten lines an invoice
        if price is None:
            price = line.ack_price if line.ack_price is not None else line.price
        if price is None:
            raise invalid(f"InvoiceLines[{i}].Price", "is required: the order and its acknowledgement give none")
        if price < 0:
            raise invalid(f"InvoiceLines[{i}].Price", "must not be negative")
        change = changes.get(line.id)  # set when an earlier line of this invoice names the same line
        this_invoice = (0 if change is None else change.qty_invoiced - line.qty_invoiced) + qty
        if line.qty_invoiced + this_invoice > line.qty_shipped:
            raise invalid(
                f"InvoiceLines[{i}].Quantity",
                f"Cannot invoice more than shipped on line {line.line_number}: shipped {line.qty_shipped}, "
                f"already invoiced {line.qty_invoiced}, this invoice {this_invoice}",
                message=f"Cannot invoice more than shipped on line {line.line_number}",
            )
        invoiced = line.qty_invoiced + this_invoice
        # The line's figures made once (a replace builds its fields anew, ten lines an invoice).
        changes[line.id] = with_invoiced(line, invoiced) if change is None else change._replace(qty_invoiced=invoiced)
        prices.append(Decimal(price))
        units.append(qty)

    parts = compute_total(invoice, prices, units)
    if invoice.invoice_total is not None and cents(invoice.invoice_total) != cents(parts["total"]):
        off = cents(invoice.invoice_total) - cents(parts["total"])
        raise Unprocessable(
            f"InvoiceTotal {cents(invoice.invoice_total)} does not add up: lines {cents(parts['lines'])} + taxes "
            f"{cents(parts['taxes'])} + handling {cents(parts['handling'])} + charges {cents(parts['charges'])} "
            f"- discounts {cents(parts['discounts'])} - allowances {cents(parts['allowances'])} = "
            f"{cents(parts['total'])}; off by {off}",
            [FieldError("InvoiceTotal", f"must equal {cents(parts['total'])} (off by {off})")],
        )

    invoice_total = cents(parts["total"])

    def event(doc_id: int, at: datetime) -> dict[str, Any]:
        return events.invoice_received(
            order=order,
            at=at,
            document_id=doc_id,
            number=invoice.invoice_number,
            units=sum(units),
            total=str(invoice_total),
        )

    return Effect(changes, event, total=invoice_total)
