"""Returns on the wire: the body as received, the hub's fields, each line's received and credited
units, the RMA number and the status's name."""

from __future__ import annotations

from typing import Any

from pohub.documents.render import render
from pohub.returns.status import ReturnStatus


def render_return(row: Any, lines: list[Any], details: Any) -> dict[str, Any]:
    body = render(row)
    wire_lines = body.get("ReturnLines") or []
    for line in lines:
        if line.position < len(wire_lines) and isinstance(wire_lines[line.position], dict):
            wire_lines[line.position].update(
                {
                    "QuantityReceived": line.qty_received,
                    "QuantityCredited": line.qty_credited,
                    "AmountCredited": line.amount_credited,
                    "Condition": line.condition,
                }
            )
    status = ReturnStatus(row.status)
    body["Status"] = status.label
    body["RMANumber"] = details.rma_number if details is not None else None
    body["RejectionReason"] = details.rejection_reason if details is not None else None
    return body
