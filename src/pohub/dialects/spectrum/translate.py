"""Spectrum's shapes to and from the canonical model. Pure functions: no queries, no lifecycle rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pohub.core.errors import BadRequest, FieldError
from pohub.dialects import bounds
from pohub.dialects.common import attribute, attributes_of, iso
from pohub.dialects.fields import FieldTable, Problems, shown
from pohub.documents.logicbroker import Contact, DataAttribute, ItemIdentifier, SalesOrder, ShipmentInfo
from pohub.documents.types import LBModel
from pohub.orders.status import OrderStatus

ADDRESS_REQUIRED = ("firstName", "lastName", "address1", "city", "state", "postalCode", "country")
ORDER_OPTIONAL = (
    "accountNumber",
    "priority",
    "organizationId",
    "emailAddress",
    "orderReference",
    "phoneNumber",
    "customerServiceContact",
)
LINE_OPTIONAL = ("giftMessage", "shipmentVendor", "shipmentTracking", "proofStatus", "estimatedDeliveryDate")
RECIPE = "recipeSetId"
# Spectrum's address fields and the Contact fields they are carried in (whose limits they take).
ADDRESS_FIELDS = {
    "firstName": "FirstName",
    "lastName": "LastName",
    "address1": "Address1",
    "address2": "Address2",
    "city": "City",
    "state": "State",
    "province": "Province",
    "postalCode": "Zip",
    "country": "Country",
}
VALUE = (DataAttribute, "Value")  # optional fields travel as extended attributes

# workflowStatus -> the order status it means. In production (approved, released, on hold, in a
# revision) is Acknowledged; production finished is Ready to Ship.
WORKFLOW = {
    "not-started": OrderStatus.READY_TO_ACKNOWLEDGE,
    "in-progress": OrderStatus.ACKNOWLEDGED,
    "in-progress-step-1": OrderStatus.ACKNOWLEDGED,
    "revision": OrderStatus.ACKNOWLEDGED,
    "on-hold": OrderStatus.ACKNOWLEDGED,
    "approved": OrderStatus.ACKNOWLEDGED,
    "released": OrderStatus.ACKNOWLEDGED,
    "completed": OrderStatus.READY_TO_SHIP,
    "delivered": OrderStatus.COMPLETE,
    "cancelled": OrderStatus.CANCELLED,
}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


ADDRESS = {
    "FirstName": "firstName",
    "LastName": "lastName",
    "Address1": "address1",
    "Address2": "address2",
    "City": "city",
    "State": "state",
    "Province": "province",
    "Zip": "postalCode",
    "Country": "country",
}

# The hub's order and shipment fields in Spectrum's words: every refusal of the hub's rules is
# rewritten through this table (pohub.dialects.fields) before it is answered or recorded. {line} is
# where the hub's line came from: "lineItems[1]" for a line item's own sku and quantity,
# "lineItems[0].skuQuantities[1]" for an entry of its skuQuantities (a ship notice: the recipe set's item).
FIELDS = FieldTable(
    dialect="spectrum",
    line="lineItems[{0}]",
    names={"SalesOrder": "order", "Shipment": "ship notification"},
    paths={
        "body": "body",
        "PartnerPO": "purchaseOrderNumber",
        "Identifier": "purchaseOrderNumber",
        "Identifier.LinkKey": "purchaseOrderNumber",
        "OrderDate": "orderDate",
        "DocumentDate": "orderDate",
        "ExtendedAttributes": "body",
        "SenderCompanyId": "SPECTRUM_API_TOKEN",
        "ReceiverCompanyId": "SPECTRUM_API_TOKEN",
        "OrderLines": "lineItems",
        "OrderLines[]": "{line}",
        "OrderLines[].LineNumber": "{line}",
        "OrderLines[].Quantity": "{line}.quantity",
        "OrderLines[].ItemIdentifier": "{line}",
        "OrderLines[].ItemIdentifier.SupplierSKU": "{line}.sku",
        "OrderLines[].ExtendedAttributes": "{line}",
        "ShipToAddress": "shippingAddress",
        **{f"ShipToAddress.{hub}": f"shippingAddress.{ours}" for hub, ours in ADDRESS.items()},
        "BillToAddress": "customerAddress",
        **{f"BillToAddress.{hub}": f"customerAddress.{ours}" for hub, ours in ADDRESS.items()},
        "Status": "workflowStatus",
        "ShipmentNumber": "body",
        "ShipmentLines": "lineItems",
        "ShipmentLines[]": "{line}",
        "ShipmentLines[].Quantity": "{line}.recipeSetReadableId",
        "ShipmentLines[].LineNumber": "{line}.recipeSetReadableId",
        "ShipmentLines[].ItemIdentifier": "{line}.recipeSetReadableId",
        "ShipmentLines[].ItemIdentifier.SupplierSKU": "{line}.recipeSetReadableId",
        "ShipmentLines[].ShipmentInfos[]": "{line}.shipmentTracking",
        "ShipmentLines[].ShipmentInfos[].Qty": "{line}.recipeSetReadableId",
        "ShipmentLines[].ShipmentInfos": "{line}.shipmentTracking",
        "ShipmentLines[].ShipmentInfos[].TrackingNumber": "{line}.shipmentTracking",
        "ShipmentLines[].ExtendedAttributes": "{line}.serialNumbers",
    },
    reasons={
        "ReceiverCompanyId": "belongs to a merchant with no one fulfilment partner: connect the merchant to exactly "
        "one supplier in pohub to place orders through Spectrum",
        "SenderCompanyId": "is not the merchant the SPECTRUM_API_TOKEN belongs to",
    },
)


@dataclass
class Translated:
    """A Spectrum message as the hub's document, and where each of its lines came from (for the
    refusals of the hub's rules: OrderLines[3] is lineItems[1].skuQuantities[0])."""

    body: dict[str, Any]
    lines: list[str]


def bad(field: str, error: str) -> BadRequest:
    return BadRequest(f"{field} {error}", [FieldError(field, error)])


def text(value: Any, field: str, onto: tuple[type[LBModel], str] | None = None) -> str:
    """A required text field (a number is taken as its digits); ``onto``, the wire field it is carried
    in, bounds its length."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise bad(field, "is required")
    if onto is not None:
        bounds.text(value.strip(), field, onto)
    return value.strip()


def _text(value: Any, field: str, problems: Problems, onto: tuple[type[LBModel], str] | None = None) -> str | None:
    """``text``, a missing field one more problem; past ``onto``'s length limit is refused at once
    (the hub's 422, naming the field and the limit)."""
    try:
        return text(value, field, onto)
    except BadRequest as exc:
        problems.errors.extend(exc.errors)
        return None


def iso_date(value: Any, field: str, *, required: bool = True) -> str | None:
    """An ISO 8601 date or date-time, as written (every fraction digit kept: .2151663 stays seven
    digits); anything else (such as "8/6/2019 4:05PM") is refused."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad(field, "is required (an ISO 8601 date string)")
    written = value.strip()
    if not _ISO.match(written):
        raise bad(field, f"must be an ISO 8601 date string such as 2022-01-31T13:15:05-05:00, got {shown(written)}")
    try:
        instant(written)
    except ValueError:
        raise bad(field, f"must be an ISO 8601 date string, got {shown(written)} (not a real date)") from None
    return written


def instant(written: str) -> datetime:
    """The moment an ISO 8601 text names (beyond microseconds the digits are dropped: Python keeps six)."""
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", written.replace("Z", "+00:00"))
    parsed = datetime.fromisoformat(trimmed)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date(value: Any, field: str, problems: Problems, *, required: bool = True) -> str | None:
    try:
        return iso_date(value, field, required=required)
    except BadRequest as exc:
        problems.errors.extend(exc.errors)
        return None


def _quantity(value: Any, field: str, problems: Problems) -> int | None:
    # Past the hub's bounds (1e400, a negative quantity) is refused at once, as the hub's 422.
    if isinstance(value, int) and not isinstance(value, bool):
        return bounds.whole(value, field)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return bounds.whole(value, field)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return bounds.whole(int(value.strip()), field)
    if value is None:
        problems.add(field, "is required")
    else:
        problems.add(field, f"must be a whole number, got {shown(value)}")
    return None


def _contact(value: Any, field: str, problems: Problems) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        problems.add(field, "is required (an address object)")
        return None
    for name in ADDRESS_REQUIRED:
        _text(value.get(name), f"{field}.{name}", problems)
    for name, alias in ADDRESS_FIELDS.items():
        bounds.text(value.get(name), f"{field}.{name}", (Contact, alias))
    return {hub: value.get(ours) or None for hub, ours in ADDRESS.items()}


def _sku_entries(item: dict[str, Any], f: str, problems: Problems) -> list[tuple[str, Any]]:
    """(where, entry) of each SKU a line item orders. A line item names them in skuQuantities, or as
    its own sku and quantity; with both, its own must be one of skuQuantities (said twice), else it
    is refused: pohub does not guess which of the two the buyer meant."""
    skus = item.get("skuQuantities")
    own = {"sku": item.get("sku"), "quantity": item.get("quantity")}
    has_own = any(v is not None for v in own.values())
    if skus is None:
        if not has_own:
            problems.add(f"{f}.skuQuantities", "is required (or sku and quantity)")
            return []
        return [(f, own)]
    if not isinstance(skus, list) or not skus:
        problems.add(f"{f}.skuQuantities", "must be a list of {sku, quantity} with at least one entry")
        return []
    entries = [(f"{f}.skuQuantities[{j}]", sq) for j, sq in enumerate(skus)]
    if has_own:
        same = [e for _, e in entries if isinstance(e, dict) and _same_sku(e, own)]
        if not same:
            listed = ", ".join(
                f"{shown(e.get('sku'))} x {shown(e.get('quantity'))}" for _, e in entries if isinstance(e, dict)
            )
            problems.add(
                f"{f}.sku",
                f"the line item orders {shown(own['sku'])} x {shown(own['quantity'])} itself and also skuQuantities "
                f"({listed}): send one or the other (or list {shown(own['sku'])} in skuQuantities)",
            )
    return entries


def _same_sku(entry: dict[str, Any], own: dict[str, Any]) -> bool:
    return (
        str(entry.get("sku")).strip() == str(own.get("sku")).strip()
        and str(entry.get("quantity")).strip() == str(own.get("quantity")).strip()
    )


def order(body: Any, *, full: bool) -> Translated:
    """A Spectrum order (acknowledgement, or the full order with addresses) as a Logicbroker SalesOrder.
    Each skuQuantities entry (or a line item's own sku and quantity) becomes an order line carrying
    its recipeSetId. Every missing or malformed field is reported at once."""
    if not isinstance(body, dict):
        raise bad("body", "must be a JSON object")
    problems = Problems()
    po = _text(body.get("purchaseOrderNumber"), "purchaseOrderNumber", problems, (SalesOrder, "PartnerPO"))
    order_date = _date(body.get("orderDate"), "orderDate", problems)
    for name in ORDER_OPTIONAL:
        bounds.text(body.get(name), name, VALUE)
    items = body.get("lineItems")
    lines: list[dict[str, Any]] = []
    origins: list[str] = []
    if not isinstance(items, list) or not items:
        problems.add("lineItems", "is required and must have at least one line item")
        items = []
    for i, item in enumerate(items):
        f = f"lineItems[{i}]"
        if not isinstance(item, dict):
            problems.add(f, "must be an object")
            continue
        recipe = _text(item.get(RECIPE), f"{f}.{RECIPE}", problems, VALUE)
        for name in LINE_OPTIONAL:
            bounds.text(item.get(name), f"{f}.{name}", VALUE)
        estimated = _date(item.get("estimatedDeliveryDate"), f"{f}.estimatedDeliveryDate", problems, required=False)
        for where, sq in _sku_entries(item, f, problems):
            if not isinstance(sq, dict):
                problems.add(where, "must be an object")
                continue
            attrs: list[dict[str, Any]] = [{"Name": RECIPE, "Value": recipe or ""}]
            for name in LINE_OPTIONAL:
                attribute(attrs, name, estimated if name == "estimatedDeliveryDate" else item.get(name))
            lines.append(
                {
                    "LineNumber": str(len(lines) + 1),
                    "Quantity": _quantity(sq.get("quantity"), f"{where}.quantity", problems),
                    "ItemIdentifier": {
                        "SupplierSKU": _text(sq.get("sku"), f"{where}.sku", problems, (ItemIdentifier, "SupplierSKU"))
                    },
                    "ExtendedAttributes": attrs,
                }
            )
            origins.append(where)
    attrs = [{"Name": "Dialect", "Value": "spectrum"}]
    for name in ORDER_OPTIONAL:
        attribute(attrs, name, body.get(name))
    out: dict[str, Any] = {
        "PartnerPO": po,
        "OrderDate": order_date,
        "DocumentDate": order_date,
        "OrderLines": lines,
        "ExtendedAttributes": attrs,
    }
    if full or body.get("shippingAddress") is not None:
        out["ShipToAddress"] = _contact(body.get("shippingAddress"), "shippingAddress", problems)
    if full or body.get("customerAddress") is not None:
        out["BillToAddress"] = _contact(body.get("customerAddress"), "customerAddress", problems)
    problems.raise_any(BadRequest)
    return Translated(out, origins)


def _line_key(line: dict[str, Any]) -> tuple[str, str]:
    ident = line.get("ItemIdentifier") if isinstance(line.get("ItemIdentifier"), dict) else {}
    return attributes_of(line).get(RECIPE, ""), str((ident or {}).get("SupplierSKU"))


def details(stored: dict[str, Any], full: Translated) -> tuple[dict[str, Any], list[str], list[FieldError]]:
    """What a full order adds to the order its acknowledgement created: (the details to lay over the
    stored body, the names of what they carry, the disagreements). It must order the same SKUs in the
    same recipe sets and quantities; its addresses, contacts and line fields are the order's details."""
    problems = Problems()
    stored_lines = [ln for ln in stored.get("OrderLines") or [] if isinstance(ln, dict)]
    position = {_line_key(ln): (pos, ln) for pos, ln in reversed(list(enumerate(stored_lines)))}
    line_details: list[dict[str, Any]] = [{} for _ in stored_lines]
    matched: set[int] = set()
    for line, where in zip(full.body["OrderLines"], full.lines, strict=True):
        recipe, sku = _line_key(line)
        found = position.get((recipe, sku))
        if found is None:
            problems.add(
                f"{where}.sku",
                f"{sku} x {line['Quantity']} in recipe set {recipe} is not on the acknowledged order",
            )
            continue
        pos, acked = found
        matched.add(pos)
        if acked.get("Quantity") != line["Quantity"]:
            problems.add(
                f"{where}.quantity",
                f"is {line['Quantity']}, but the acknowledgement ordered {acked.get('Quantity')} of {sku} "
                f"in recipe set {recipe}",
            )
        line_details[pos] = {"ExtendedAttributes": line["ExtendedAttributes"]}
    for pos, acked in enumerate(stored_lines):
        if pos not in matched:
            recipe, sku = _line_key(acked)
            problems.add(
                "lineItems",
                f"leaves out {sku} x {acked.get('Quantity')} in recipe set {recipe}, which the acknowledgement ordered",
            )
    added = {k: full.body[k] for k in ("ShipToAddress", "BillToAddress") if full.body.get(k) is not None}
    names = [{"ShipToAddress": "shippingAddress", "BillToAddress": "customerAddress"}[k] for k in added]
    known = attributes_of(stored)
    names += [n for n, v in attributes_of(full.body).items() if n != "Dialect" and known.get(n) != v]
    if full.body["OrderDate"] != stored.get("OrderDate"):
        added |= {"OrderDate": full.body["OrderDate"], "DocumentDate": full.body["OrderDate"]}
        names.append("orderDate")
    added |= {"ExtendedAttributes": full.body["ExtendedAttributes"], "OrderLines": line_details}
    return added, names, problems.errors


def recipe_sets(body: Any) -> list[str]:
    """The recipeSetIds a body names, in order, for the statuses of the answer."""
    out: list[str] = []
    items = body.get("lineItems") if isinstance(body, dict) else None
    for item in items if isinstance(items, list) else []:
        rid = item.get(RECIPE) if isinstance(item, dict) else None
        if rid is not None and str(rid) not in out:
            out.append(str(rid))
    return out


def line_recipes(order_body: dict[str, Any], lines: list[Any]) -> dict[int, str]:
    """Order line id -> the recipe set it belongs to (its SKU or line number when it has none)."""
    wire = order_body.get("OrderLines") or []
    out = {}
    for line in lines:
        src = wire[line.position] if line.position < len(wire) and isinstance(wire[line.position], dict) else {}
        out[line.id] = attributes_of(src).get(RECIPE) or line.supplier_sku or line.line_number
    return out


def shipment(body: Any, *, order_row: Any, order_body: dict[str, Any], lines: list[Any], number: str) -> Translated:
    """A ship notification as a Logicbroker Shipment: every line of each recipe set named ships what is
    still owed on it. All or nothing: a recipe set the order does not have, or one with nothing left
    to ship, refuses the whole notice (every such problem named at once)."""
    if not isinstance(body, dict):
        raise bad("body", "must be a JSON object")
    items = body.get("lineItems")
    if not isinstance(items, list) or not items:
        raise bad("lineItems", "is required and must have at least one line item")
    problems = Problems()
    recipes = line_recipes(order_body, lines)
    ship_lines = []
    origins: list[str] = []
    for i, item in enumerate(items):
        f = f"lineItems[{i}]"
        if not isinstance(item, dict):
            problems.add(f, "must be an object")
            continue
        rid = _text(item.get("recipeSetReadableId"), f"{f}.recipeSetReadableId", problems)
        if rid is None:
            continue
        matched = [line for line in lines if recipes[line.id] == rid]
        if not matched:
            known = ", ".join(sorted(set(recipes.values())))
            problems.add(
                f"{f}.recipeSetReadableId", f"{shown(rid)} is not on order {order_row.partner_po} (it has {known})"
            )
            continue
        owing = [(line, line.quantity - line.qty_cancelled - line.qty_shipped) for line in matched]
        owing = [(line, owed) for line, owed in owing if owed > 0]
        if not owing:
            problems.add(f"{f}.recipeSetReadableId", f"{shown(rid)} has nothing left to ship (shipped or cancelled)")
            continue
        tracking = bounds.text(item.get("shipmentTracking"), f"{f}.shipmentTracking", (ShipmentInfo, "TrackingNumber"))
        serials = item.get("serialNumbers")
        for line, owed in owing:
            attrs: list[dict[str, Any]] = [{"Name": RECIPE, "Value": rid}]
            attribute(attrs, "serialNumbers", serials)
            ship_lines.append(
                {
                    "LineNumber": line.line_number,
                    "Quantity": owed,
                    "ItemIdentifier": {"SupplierSKU": line.supplier_sku},
                    "ShipmentInfos": [{"TrackingNumber": str(tracking) if tracking else None, "Qty": owed}],
                    "ExtendedAttributes": attrs,
                }
            )
            origins.append(f)
    problems.raise_any(BadRequest)
    body_out = {
        "ShipmentNumber": number,
        "PartnerPO": order_row.partner_po,
        "ShipmentLines": ship_lines,
        "ExtendedAttributes": [{"Name": "Dialect", "Value": "spectrum"}],
    }
    return Translated(body_out, origins)


def workflow_status(value: Any) -> OrderStatus:
    text = value.strip().casefold() if isinstance(value, str) else None
    if text not in WORKFLOW:
        raise bad("workflowStatus", f"must be one of {', '.join(WORKFLOW)}, got {shown(value)}")
    return WORKFLOW[text]


def workflow_of(status: int) -> str:
    s = OrderStatus(status)
    if s in (OrderStatus.SUBMITTED, OrderStatus.READY_TO_ACKNOWLEDGE):
        return "not-started"
    if s == OrderStatus.ACKNOWLEDGED:
        return "in-progress"
    if s in (OrderStatus.READY_TO_SHIP, OrderStatus.READY_TO_INVOICE):
        return "completed"
    if s == OrderStatus.COMPLETE:
        return "delivered"
    return "cancelled"


def _address(contact: Any) -> dict[str, Any] | None:
    if not isinstance(contact, dict):
        return None
    return {
        "firstName": contact.get("FirstName"),
        "lastName": contact.get("LastName"),
        "address1": contact.get("Address1"),
        "address2": contact.get("Address2") or "",
        "city": contact.get("City"),
        "state": contact.get("State"),
        "province": contact.get("Province") or "",
        "postalCode": contact.get("Zip"),
        "country": contact.get("Country"),
    }


def order_out(row: Any, lines: list[Any], body: dict[str, Any]) -> dict[str, Any]:
    """A canonical order in Spectrum's shape: line items grouped by recipe set."""
    recipes = line_recipes(body, lines)
    wire = body.get("OrderLines") or []
    groups: dict[str, dict[str, Any]] = {}
    for line in lines:
        rid = recipes[line.id]
        src = wire[line.position] if line.position < len(wire) and isinstance(wire[line.position], dict) else {}
        extra = attributes_of(src)
        group = groups.setdefault(
            rid,
            {RECIPE: rid, **{k: extra[k] for k in LINE_OPTIONAL if k in extra}, "skuQuantities": []},
        )
        group["skuQuantities"].append(
            {
                "sku": line.supplier_sku,
                "quantity": line.quantity,
                "quantityShipped": line.qty_shipped,
                "quantityCancelled": line.qty_cancelled,
            }
        )
    extra = attributes_of(body)
    return {
        "purchaseOrderNumber": row.partner_po,
        "orderDate": body.get("OrderDate") or iso(row.document_date),
        **{k: extra[k] for k in ORDER_OPTIONAL if k in extra},
        "workflowStatus": workflow_of(row.status),
        "statusCode": row.status,
        "lineItems": list(groups.values()),
        "customerAddress": _address(body.get("BillToAddress")),
        "shippingAddress": _address(body.get("ShipToAddress")),
        "lastModification": iso(row.updated_at),
    }
