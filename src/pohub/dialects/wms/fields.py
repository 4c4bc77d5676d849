"""The hub's field paths in the warehouse's own words, as data.

The warehouse dialect translates its sales orders into Logicbroker documents (``translate.py``), so
the hub's refusals name Logicbroker paths (``OrderLines[0].ItemIdentifier.SupplierSKU``). Whoever
reads a refusal of a warehouse import (the API's ``failedOrders``, the dashboard's job page) should
see the fields they sent (``orderLines[0].skuId``). One table, read by both.
"""

from __future__ import annotations

import re

# Logicbroker field (below the order or one of its lines) -> warehouse field.
FIELDS: dict[str, str] = {
    "PartnerPO": "customerOrderNumber",
    "OrderLines": "orderLines",
    "LineNumber": "customerLineNumber",
    "ItemIdentifier.SupplierSKU": "skuId",
    "ItemIdentifier.PartnerSKU": "customerSku",
    "Quantity": "quantity",
    "QuantityUOM": "quantityMeasure",
    "Price": "amount",
    "ReceiverCompanyId": "businessUnitId",
}

_PATH = re.compile(r"\b(?P<list>OrderLines)\[(?P<index>\d+)\](?:\.(?P<rest>[A-Za-z][\w.]*))?|\b(?P<head>[A-Z][\w.]*)\b")


def warehouse_field(path: str) -> str:
    """One hub path in the warehouse's words: ``OrderLines[2].ItemIdentifier.SupplierSKU`` ->
    ``orderLines[2].skuId``; a path the table does not know is left as it is."""
    m = _PATH.fullmatch(path.strip())
    if m is None:
        return path
    return _rewrite(m)


def _rewrite(m: re.Match[str]) -> str:
    if m["list"]:
        rest = m["rest"]
        tail = f".{FIELDS.get(rest, rest)}" if rest else ""
        return f"{FIELDS['OrderLines']}[{m['index']}]{tail}"
    head = m["head"]
    return FIELDS.get(head, head)


def warehouse_text(text: str) -> str:
    """A message with every hub path in it rewritten (``OrderLines[0].Quantity: must be at least 1``
    -> ``orderLines[0].quantity: must be at least 1``). Only known fields change: other capitalised
    words of the message are left alone."""

    def swap(m: re.Match[str]) -> str:
        if m["list"]:
            return _rewrite(m)
        head = m["head"]
        return FIELDS.get(head, head)

    return _PATH.sub(swap, text)
