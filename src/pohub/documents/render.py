"""Documents on the wire: the body as received, plus the hub's own fields."""

from __future__ import annotations

from typing import Any

from pohub.core import jsonio


def render(row: Any, lines: list[Any] | None = None) -> dict[str, Any]:
    """The stored body with Identifier, company ids, StatusCode and DocumentDate filled in by the
    hub, and for orders each line's acknowledged / backordered / cancelled / shipped / invoiced
    quantities."""
    body: dict[str, Any] = jsonio.loads_fast(row.raw) if row.float_safe else jsonio.loads(row.raw)
    identifier = body.get("Identifier")
    if not isinstance(identifier, dict):
        identifier = {}
    identifier["LogicbrokerKey"] = str(row.id)
    if row.source_key is not None:
        identifier["SourceKey"] = row.source_key
    if row.link_key is not None:
        identifier["LinkKey"] = row.link_key
    body["Identifier"] = identifier
    body["SenderCompanyId"] = row.sender_company_id
    body["ReceiverCompanyId"] = row.receiver_company_id
    body["StatusCode"] = row.status
    body["DocumentDate"] = row.document_date.isoformat()
    if row.partner_po is not None:
        body["PartnerPO"] = row.partner_po
    if lines is not None:
        wire_lines = body.get("OrderLines") or []
        for line in lines:
            if line.position < len(wire_lines) and isinstance(wire_lines[line.position], dict):
                wire_lines[line.position].update(line_quantities(line))
    return body


def line_quantities(line: Any) -> dict[str, Any]:
    return {
        "QuantityAcknowledged": line.qty_accepted,
        "QuantityBackordered": line.qty_backordered,
        "QuantityCancelled": line.qty_cancelled,
        "QuantityShipped": line.qty_shipped,
        "QuantityInvoiced": line.qty_invoiced,
    }
