"""Documents on the wire: the body as received, plus the hub's own fields."""

from __future__ import annotations

from typing import Any

from pohub.core import jsonio


def _attributes(base: Any, top: list[Any]) -> list[Any]:
    """ExtendedAttributes merged by Name: the later value of a name wins, the others stay."""
    merged: dict[Any, Any] = {}
    for attr in [*(base if isinstance(base, list) else []), *top]:
        name = attr.get("Name") if isinstance(attr, dict) else None
        merged[name if name is not None else id(attr)] = attr
    return list(merged.values())


def _lay(base: dict[str, Any], top: dict[str, Any]) -> None:
    for key, value in top.items():
        if key == "ExtendedAttributes" and isinstance(value, list):
            base[key] = _attributes(base.get(key), value)
        elif key == "OrderLines" and isinstance(value, list) and isinstance(base.get(key), list):
            for line, extra in zip(base[key], value, strict=False):
                if isinstance(line, dict) and isinstance(extra, dict):
                    _lay(line, extra)
        else:
            base[key] = value


def overlay(body: dict[str, Any], details: str | None) -> dict[str, Any]:
    """The body as received with the details its sender added later laid over it (documents.details):
    their fields replace the body's, ExtendedAttributes merge by Name, order lines by position."""
    if details:
        extra = jsonio.loads(details)
        if isinstance(extra, dict):
            _lay(body, extra)
    return body


def body_of(row: Any) -> dict[str, Any]:
    """A document's body as received, with its later details laid over it."""
    body: dict[str, Any] = jsonio.loads_fast(row.raw) if row.float_safe else jsonio.loads(row.raw)
    return overlay(body, getattr(row, "details", None))


def render(row: Any, lines: list[Any] | None = None, *, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stored body (with its later details laid over it) with Identifier, company ids, StatusCode
    and DocumentDate filled in by the hub, and for orders each line's acknowledged / backordered /
    cancelled / shipped / invoiced quantities. ``body``: body_of(row) when the caller has it already."""
    body = body_of(row) if body is None else body
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
                _changed_by_buyer(wire_lines[line.position], line)
            elif line.position >= len(wire_lines):
                # Added by a buyer's change: the body as first received does not have it.
                wire_lines.append({**added_line(line), **line_quantities(line)})
        if wire_lines:
            body["OrderLines"] = wire_lines
    return body


def _changed_by_buyer(wire: dict[str, Any], line: Any) -> None:
    """A buyer's change rewrites a line's quantity, price and requested date: show them as they are now."""
    if getattr(line, "changed_at", None) is None:
        return  # as first sent: the body's own digits stand
    wire["Quantity"] = line.quantity
    if line.price is not None:
        wire["Price"] = line.price
    requested = getattr(line, "requested_ship_date", None)
    if requested is not None:
        wire["RequestedShipDate"] = requested.isoformat()


def added_line(line: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "LineNumber": line.line_number,
        "Quantity": line.quantity,
        "ItemIdentifier": {"SupplierSKU": line.supplier_sku, "PartnerSKU": line.partner_sku},
        "Description": line.description,
        "QuantityUOM": line.uom,
        "Price": line.price,
    }
    requested = getattr(line, "requested_ship_date", None)
    if requested is not None:
        out["RequestedShipDate"] = requested.isoformat()
    return {k: v for k, v in out.items() if v is not None}


def line_quantities(line: Any) -> dict[str, Any]:
    return {
        "QuantityAcknowledged": line.qty_accepted,
        "QuantityBackordered": line.qty_backordered,
        "QuantityCancelled": line.qty_cancelled,
        "QuantityShipped": line.qty_shipped,
        "QuantityInvoiced": line.qty_invoiced,
    }
