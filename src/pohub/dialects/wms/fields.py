"""The hub's field paths in the warehouse's own words, for readers of refusals stored before the
dialect said them so (the dashboard's job page). The table itself is the warehouse's ``FieldTable``
beside its translation (``translate.FIELDS``): one table, read by the dialect's answers, its jobs'
failedOrders and this module.
"""

from __future__ import annotations

import re

from pohub.dialects.wms.translate import FIELDS

# A path below an order line, as the old failedOrders' line messages wrote it ("ItemIdentifier.SupplierSKU").
_RELATIVE = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:\.[A-Z][A-Za-z0-9]*)+\b")
_LINE_PREFIX = re.compile(r"^orderLines\[\d+\]\.")


def warehouse_field(path: str) -> str:
    """One hub path in the warehouse's words: ``OrderLines[2].ItemIdentifier.SupplierSKU`` ->
    ``orderLines[2].skuId``; below a line, ``ItemIdentifier.SupplierSKU`` -> ``skuId``; a path the
    table does not know is left as it is."""
    path = path.strip()
    if FIELDS.is_hub(path):
        return FIELDS.path(path)
    below = f"OrderLines[0].{path}"
    if FIELDS.key_for(below) == f"OrderLines[].{path}":
        return _LINE_PREFIX.sub("", FIELDS.path(below))
    return FIELDS.words.get(path, path)


def warehouse_text(text: str) -> str:
    """A message with every hub path in it rewritten (``OrderLines[0].Quantity: must be at least 1``
    -> ``orderLines[0].quantity: must be at least 1``). Only known fields change: other capitalised
    words of the message are left alone."""
    text = _RELATIVE.sub(lambda m: warehouse_field(m.group(0)), text)
    return FIELDS.text(text)
