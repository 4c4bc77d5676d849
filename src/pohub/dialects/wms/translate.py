"""The warehouse API's sales orders (seed 001) to and from the canonical model. Pure functions."""

from __future__ import annotations

import re
from typing import Any

from pohub.core.errors import AlreadyReceived, FieldError, PohubError, Unprocessable
from pohub.dialects.common import attribute, attributes_of, iso, number
from pohub.dialects.wms.fields import FIELDS, warehouse_text  # the hub's fields in the warehouse's words
from pohub.orders.status import OrderStatus

_LINE = re.compile(r"^(?:OrderLines|orderLines)\[(\d+)\]\.?(.*)$")
STATUS_NAMES = {
    OrderStatus.SUBMITTED: "RECEIVED",
    OrderStatus.READY_TO_ACKNOWLEDGE: "RECEIVED",
    OrderStatus.ACKNOWLEDGED: "ACKNOWLEDGED",
    OrderStatus.READY_TO_SHIP: "RELEASED",
    OrderStatus.READY_TO_INVOICE: "SHIPPED",
    OrderStatus.COMPLETE: "COMPLETED",
    OrderStatus.CANCELLED: "CANCELLED",
    OrderStatus.FAILED: "FAILED",
    OrderStatus.IGNORED: "IGNORED",
}


def _invalid(field: str, error: str) -> Unprocessable:
    return Unprocessable(f"{field}: {error}", [FieldError(field, error)])


def _contact(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    name = value.get("name") or " ".join(x for x in (value.get("firstName"), value.get("lastName")) if x) or None
    first, _, last = (name or "").partition(" ")
    return {
        "CompanyName": value.get("companyName") or value.get("company"),
        "FirstName": value.get("firstName") or first or None,
        "LastName": value.get("lastName") or last or None,
        "Address1": value.get("address1") or value.get("addressLine1"),
        "Address2": value.get("address2") or value.get("addressLine2"),
        "City": value.get("city"),
        "State": value.get("state") or value.get("stateCode"),
        "Zip": value.get("postalCode") or value.get("zip") or value.get("zipCode"),
        "Country": value.get("country") or value.get("countryCode"),
        "Phone": value.get("phone") or value.get("phoneNumber"),
        "Email": value.get("email"),
    }


def sales_order(body: Any, *, business_unit: str) -> dict[str, Any]:
    """A warehouse sales order as a Logicbroker SalesOrder. The business unit names the supplier company
    (its id) when it is a number; otherwise the buyer's only connected supplier receives the order."""
    if not isinstance(body, dict):
        raise _invalid("body", "must be a sales order object")
    con = body.get("customerOrderNumber")
    if not isinstance(con, str | int) or isinstance(con, bool) or not str(con).strip():
        raise _invalid("customerOrderNumber", "is required")
    con = str(con).strip()
    if len(con) > 30:
        raise _invalid("customerOrderNumber", f"must be at most 30 characters (got {len(con)})")
    lines = body.get("orderLines")
    if not isinstance(lines, list) or not lines:
        raise _invalid("orderLines", "is required and must have at least one line")
    out_lines = []
    for i, line in enumerate(lines):
        if not isinstance(line, dict):
            raise _invalid(f"orderLines[{i}]", "must be an object")
        qty = line.get("quantity")
        if isinstance(qty, str) and qty.strip().isascii() and qty.strip().isdigit():
            qty = int(qty)
        if isinstance(qty, bool) or not isinstance(qty, int):
            raise _invalid(f"orderLines[{i}].quantity", f"must be a whole number, got {qty!r}")
        if qty > 1_000_000_000:
            raise _invalid(f"orderLines[{i}].quantity", f"must be at most 1000000000, got {qty}")
        attrs: list[dict[str, Any]] = []
        attribute(attrs, "lineType", line.get("lineType"))
        out_lines.append(
            {
                "LineNumber": str(line.get("customerLineNumber") or i + 1),
                "Quantity": qty,
                "QuantityUOM": line.get("quantityMeasure") or "EA",
                "Price": line.get("amount"),
                "Description": line.get("description"),
                "ItemIdentifier": {"SupplierSKU": line.get("skuId"), "PartnerSKU": line.get("customerSku")},
                "ExtendedAttributes": attrs,
            }
        )
    dates: dict[str, Any] = body["customerDates"] if isinstance(body.get("customerDates"), dict) else {}
    attrs = [{"Name": "Dialect", "Value": "wms"}, {"Name": "businessUnitId", "Value": business_unit}]
    for name in ("jobId", "carrierId", "shippingSpeed"):
        attribute(attrs, name, body.get(name))
    attribute(attrs, "cancelAfter", dates.get("cancelAfter"))
    out: dict[str, Any] = {
        "PartnerPO": con,
        "OrderNumber": body.get("buyerOrderNumber"),
        "OrderLines": out_lines,
        "ShipToAddress": _contact(body.get("shipTo")),
        "BillToAddress": _contact(body.get("billTo")),
        "RequestedShipDate": dates.get("requestedShipDate"),
        "ExpectedDeliveryDate": dates.get("requestedDeliveryDate"),
        "DoNotShipBefore": dates.get("doNotShipBefore"),
        "DoNotShipAfter": dates.get("doNotShipAfter"),
        "ExtendedAttributes": attrs,
    }
    if business_unit.isascii() and business_unit.isdigit() and len(business_unit) <= 9:
        out["ReceiverCompanyId"] = int(business_unit)
    return {k: v for k, v in out.items() if v is not None}


def _wms_field(field: str) -> str:
    for lb, wms in FIELDS.items():
        if field == lb:
            return wms
    return field


def failed_order(exc: PohubError, body: Any) -> dict[str, Any]:
    """A refusal as the warehouse's failedOrders entry: the order's message and its lines' messages."""
    src_lines: list[Any] = (
        body["orderLines"] if isinstance(body, dict) and isinstance(body.get("orderLines"), list) else []
    )
    lines = []
    order_messages = []
    for err in exc.errors:
        m = _LINE.match(err.field)
        if m:
            i = int(m.group(1))
            src = src_lines[i] if i < len(src_lines) and isinstance(src_lines[i], dict) else {}
            sub = _wms_field(m.group(2)) if m.group(2) else ""
            lines.append(
                {
                    "customerLineNumber": str(src.get("customerLineNumber") or i + 1),
                    "message": warehouse_text(f"{sub}: {err.error}" if sub else err.error),
                }
            )
        else:
            order_messages.append(f"{_wms_field(err.field)}: {err.error}")
    con = body.get("customerOrderNumber") if isinstance(body, dict) else None
    message = warehouse_text(exc.message) if not order_messages else "; ".join(order_messages)
    if isinstance(exc, AlreadyReceived):
        message = f"customerOrderNumber {con!r} was already submitted"
    return {"customerOrderNumber": None if con is None else str(con), "message": message, "lines": lines}


def sales_order_out(row: Any, lines: list[Any], body: dict[str, Any]) -> dict[str, Any]:
    """A canonical order in the warehouse's shape."""
    wire = body.get("OrderLines") or []
    extra = attributes_of(body)
    ship_to: dict[str, Any] = body["ShipToAddress"] if isinstance(body.get("ShipToAddress"), dict) else {}
    out_lines = []
    for line in lines:
        src = wire[line.position] if line.position < len(wire) and isinstance(wire[line.position], dict) else {}
        ident: dict[str, Any] = src["ItemIdentifier"] if isinstance(src.get("ItemIdentifier"), dict) else {}
        out_lines.append(
            {
                "customerLineNumber": line.line_number,
                "skuId": line.supplier_sku,
                "customerSku": ident.get("PartnerSKU"),
                "quantity": line.quantity,
                "quantityMeasure": line.uom,
                "amount": number(line.price),
                "quantityAcknowledged": line.qty_accepted,
                "quantityBackordered": line.qty_backordered,
                "quantityCancelled": line.qty_cancelled,
                "quantityShipped": line.qty_shipped,
            }
        )
    return {
        "customerOrderNumber": row.partner_po,
        "buyerOrderNumber": row.number,
        "businessUnitId": extra.get("businessUnitId") or str(row.receiver_company_id),
        "status": STATUS_NAMES[OrderStatus(row.status)],
        "statusCode": row.status,
        "jobId": extra.get("jobId"),
        "orderLines": out_lines,
        "shipTo": {
            "name": " ".join(x for x in (ship_to.get("FirstName"), ship_to.get("LastName")) if x) or None,
            "address1": ship_to.get("Address1"),
            "address2": ship_to.get("Address2"),
            "city": ship_to.get("City"),
            "state": ship_to.get("State"),
            "postalCode": ship_to.get("Zip"),
            "country": ship_to.get("Country"),
        }
        if ship_to
        else None,
        "customerDates": {
            "requestedShipDate": body.get("RequestedShipDate"),
            "requestedDeliveryDate": body.get("ExpectedDeliveryDate"),
            "doNotShipBefore": body.get("DoNotShipBefore"),
            "doNotShipAfter": body.get("DoNotShipAfter"),
        },
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


def shipment_out(row: Any, body: dict[str, Any]) -> dict[str, Any]:
    lines = []
    tracking: list[str] = []
    for line in body.get("ShipmentLines") or []:
        if not isinstance(line, dict):
            continue
        infos = [i for i in line.get("ShipmentInfos") or [] if isinstance(i, dict)]
        qty = line.get("Quantity")
        if qty is None:
            qty = sum(int(i.get("Qty") or 0) for i in infos)
        for info in infos:
            if info.get("TrackingNumber") and info["TrackingNumber"] not in tracking:
                tracking.append(info["TrackingNumber"])
        ident: dict[str, Any] = line["ItemIdentifier"] if isinstance(line.get("ItemIdentifier"), dict) else {}
        lines.append({"customerLineNumber": line.get("LineNumber"), "skuId": ident.get("SupplierSKU"), "quantity": qty})
    return {
        "shipmentId": str(row.id),
        "shipmentNumber": row.number,
        "shipDate": body.get("ShipmentDate") or iso(row.document_date),
        "trackingNumbers": tracking,
        "lines": lines,
    }
