"""Spectrum's shapes to and from the canonical model. Pure functions: no queries, no lifecycle rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pohub.core.errors import BadRequest, FieldError
from pohub.dialects import bounds
from pohub.dialects.common import attribute, attributes_of, iso
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


def iso_date(value: Any, field: str, *, required: bool = True) -> str | None:
    """An ISO 8601 date or date-time; anything else (such as "8/6/2019 4:05PM") is refused."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad(field, "is required (an ISO 8601 date string)")
    text = value.strip()
    if not _ISO.match(text):
        raise bad(field, f"must be an ISO 8601 date string such as 2022-01-31T13:15:05-05:00, got {text!r}")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad(field, f"must be an ISO 8601 date string, got {text!r} (not a real date)") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()


def _quantity(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise bad(field, "must be a whole number")
    if isinstance(value, int):
        return bounds.whole(value, field)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return bounds.whole(value, field)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return bounds.whole(int(value.strip()), field)
    raise bad(field, f"must be a whole number, got {value!r}")


def _contact(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad(field, "is required (an address object)")
    for name in ADDRESS_REQUIRED:
        text(value.get(name), f"{field}.{name}")
    for name, alias in ADDRESS_FIELDS.items():
        bounds.text(value.get(name), f"{field}.{name}", (Contact, alias))
    return {
        "FirstName": value.get("firstName"),
        "LastName": value.get("lastName"),
        "Address1": value.get("address1"),
        "Address2": value.get("address2") or None,
        "City": value.get("city"),
        "State": value.get("state"),
        "Province": value.get("province") or None,
        "Zip": value.get("postalCode"),
        "Country": value.get("country"),
    }


def order(body: Any, *, full: bool) -> dict[str, Any]:
    """A Spectrum order (acknowledgement, or the full order with addresses) as a Logicbroker SalesOrder.
    Each skuQuantities entry becomes an order line carrying its recipeSetId."""
    if not isinstance(body, dict):
        raise bad("body", "must be a JSON object")
    po = text(body.get("purchaseOrderNumber"), "purchaseOrderNumber", (SalesOrder, "PartnerPO"))
    order_date = iso_date(body.get("orderDate"), "orderDate")
    for name in ORDER_OPTIONAL:
        bounds.text(body.get(name), name, VALUE)
    items = body.get("lineItems")
    if not isinstance(items, list) or not items:
        raise bad("lineItems", "is required and must have at least one line item")
    lines: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        f = f"lineItems[{i}]"
        if not isinstance(item, dict):
            raise bad(f, "must be an object")
        recipe = text(item.get(RECIPE), f"{f}.{RECIPE}", VALUE)
        for name in LINE_OPTIONAL:
            bounds.text(item.get(name), f"{f}.{name}", VALUE)
        estimated = iso_date(item.get("estimatedDeliveryDate"), f"{f}.estimatedDeliveryDate", required=False)
        skus = item.get("skuQuantities")
        on_line = skus is None and item.get("sku") is not None
        if on_line:
            skus = [{"sku": item.get("sku"), "quantity": item.get("quantity")}]
        if not isinstance(skus, list) or not skus:
            raise bad(f"{f}.skuQuantities", "is required (or sku and quantity)")
        for j, sq in enumerate(skus):
            g = f if on_line else f"{f}.skuQuantities[{j}]"  # errors name the field as it was sent
            if not isinstance(sq, dict):
                raise bad(g, "must be an object")
            attrs: list[dict[str, Any]] = [{"Name": RECIPE, "Value": recipe}]
            for name in LINE_OPTIONAL:
                attribute(attrs, name, estimated if name == "estimatedDeliveryDate" else item.get(name))
            lines.append(
                {
                    "LineNumber": str(len(lines) + 1),
                    "Quantity": _quantity(sq.get("quantity"), f"{g}.quantity"),
                    "ItemIdentifier": {"SupplierSKU": text(sq.get("sku"), f"{g}.sku", (ItemIdentifier, "SupplierSKU"))},
                    "ExtendedAttributes": attrs,
                }
            )
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
        out["ShipToAddress"] = _contact(body.get("shippingAddress"), "shippingAddress")
    if full or body.get("customerAddress") is not None:
        out["BillToAddress"] = _contact(body.get("customerAddress"), "customerAddress")
    return out


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


def shipment(body: Any, *, order_row: Any, order_body: dict[str, Any], lines: list[Any], number: str) -> dict[str, Any]:
    """A ship notification as a Logicbroker Shipment: every line of each recipe set named ships what is
    still owed on it. All or nothing: a recipe set the order does not have refuses the whole notice."""
    if not isinstance(body, dict):
        raise bad("body", "must be a JSON object")
    items = body.get("lineItems")
    if not isinstance(items, list) or not items:
        raise bad("lineItems", "is required and must have at least one line item")
    recipes = line_recipes(order_body, lines)
    ship_lines = []
    for i, item in enumerate(items):
        f = f"lineItems[{i}]"
        if not isinstance(item, dict):
            raise bad(f, "must be an object")
        rid = text(item.get("recipeSetReadableId"), f"{f}.recipeSetReadableId")
        matched = [line for line in lines if recipes[line.id] == rid]
        if not matched:
            known = ", ".join(sorted(set(recipes.values())))
            raise bad(f"{f}.recipeSetReadableId", f"{rid!r} is not on order {order_row.partner_po} (it has {known})")
        tracking = bounds.text(item.get("shipmentTracking"), f"{f}.shipmentTracking", (ShipmentInfo, "TrackingNumber"))
        serials = item.get("serialNumbers")
        for line in matched:
            owed = line.quantity - line.qty_cancelled - line.qty_shipped
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
    return {
        "ShipmentNumber": number,
        "PartnerPO": order_row.partner_po,
        "ShipmentLines": ship_lines,
        "ExtendedAttributes": [{"Name": "Dialect", "Value": "spectrum"}],
    }


def workflow_status(value: Any) -> OrderStatus:
    text = value.strip().casefold() if isinstance(value, str) else None
    if text not in WORKFLOW:
        raise bad("workflowStatus", f"must be one of {', '.join(WORKFLOW)}, got {value!r}")
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
