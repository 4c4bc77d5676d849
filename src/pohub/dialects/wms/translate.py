"""The warehouse API's sales orders (seed 001) to and from the canonical model. Pure functions."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pohub.core.errors import AlreadyReceived, FieldError, PohubError, Unprocessable
from pohub.dialects import bounds
from pohub.dialects.common import attribute, attributes_of, iso, number
from pohub.dialects.fields import FieldTable, Problems, shown
from pohub.documents.logicbroker import (
    Contact,
    DataAttribute,
    ItemIdentifier,
    OrderLine,
    SalesOrder,
    Shipment,
    ShipmentInfo,
)
from pohub.documents.types import LBModel, line_key
from pohub.orders.status import OrderStatus

# The platform's own limits (platform notes: customerOrderNumber <= 30, jobId <= 20); every other
# text takes the limit of the wire field it is carried in.
CUSTOMER_ORDER_NUMBER_MAX = 30
JOB_ID_MAX = 20
MAX_QUANTITY = 1_000_000_000
VALUE = (DataAttribute, "Value")
ORDER_TEXT: dict[str, tuple[type[LBModel], str]] = {
    "buyerOrderNumber": (SalesOrder, "OrderNumber"),
    "carrierId": (DataAttribute, "Value"),
    "shippingSpeed": (DataAttribute, "Value"),
}
LINE_TEXT: dict[str, tuple[type[LBModel], str]] = {
    "customerLineNumber": (OrderLine, "LineNumber"),
    "skuId": (ItemIdentifier, "SupplierSKU"),
    "customerSku": (ItemIdentifier, "PartnerSKU"),
    "quantityMeasure": (OrderLine, "QuantityUOM"),
    "description": (OrderLine, "Description"),
    "lineType": (DataAttribute, "Value"),
}
ADDRESS_FIELDS = {
    "companyName": "CompanyName",
    "company": "CompanyName",
    "name": "FirstName",
    "firstName": "FirstName",
    "lastName": "LastName",
    "address1": "Address1",
    "addressLine1": "Address1",
    "address2": "Address2",
    "addressLine2": "Address2",
    "city": "City",
    "state": "State",
    "stateCode": "State",
    "postalCode": "Zip",
    "zip": "Zip",
    "zipCode": "Zip",
    "country": "Country",
    "countryCode": "Country",
    "phone": "Phone",
    "phoneNumber": "Phone",
    "email": "Email",
}

CONTACT = {
    "CompanyName": "companyName",
    "FirstName": "name",
    "LastName": "name",
    "Address1": "address1",
    "Address2": "address2",
    "City": "city",
    "State": "state",
    "Zip": "postalCode",
    "Country": "country",
    "Phone": "phone",
    "Email": "email",
}
ORDER_LINE = "orderLines[{0}]"
SHIP_LINE = "lines[{0}]"
# The hub's order and shipment fields in the warehouse's words: every refusal of the hub's rules is
# rewritten through this table (pohub.dialects.fields) before it is answered, recorded or reported
# in a job's failedOrders.
FIELDS = FieldTable(
    dialect="wms",
    line=ORDER_LINE,
    names={"SalesOrder": "sales order", "Shipment": "ship confirmation"},
    paths={
        "body": "body",
        "PartnerPO": "customerOrderNumber",
        "Identifier": "customerOrderNumber",
        "Identifier.LinkKey": "customerOrderNumber",
        "OrderNumber": "buyerOrderNumber",
        "ReceiverCompanyId": "businessUnitId",
        "SenderCompanyId": "businessUnitId",
        "ExtendedAttributes": "body",
        "Status": "status",
        "OrderLines": "orderLines",
        "OrderLines[]": ORDER_LINE,
        "OrderLines[].LineNumber": ORDER_LINE + ".customerLineNumber",
        "OrderLines[].ItemIdentifier": ORDER_LINE,
        "OrderLines[].ItemIdentifier.SupplierSKU": ORDER_LINE + ".skuId",
        "OrderLines[].ItemIdentifier.PartnerSKU": ORDER_LINE + ".customerSku",
        "OrderLines[].Quantity": ORDER_LINE + ".quantity",
        "OrderLines[].QuantityUOM": ORDER_LINE + ".quantityMeasure",
        "OrderLines[].Price": ORDER_LINE + ".amount",
        "OrderLines[].Description": ORDER_LINE + ".description",
        "OrderLines[].ExtendedAttributes": ORDER_LINE + ".lineType",
        "ShipToAddress": "shipTo",
        **{f"ShipToAddress.{hub}": f"shipTo.{ours}" for hub, ours in CONTACT.items()},
        "BillToAddress": "billTo",
        **{f"BillToAddress.{hub}": f"billTo.{ours}" for hub, ours in CONTACT.items()},
        "RequestedShipDate": "customerDates.requestedShipDate",
        "ExpectedDeliveryDate": "customerDates.requestedDeliveryDate",
        "DoNotShipBefore": "customerDates.doNotShipBefore",
        "DoNotShipAfter": "customerDates.doNotShipAfter",
        # The ship confirmation (POST .../sales_orders/{customerOrderNumber}/shipments).
        "ShipmentNumber": "shipmentNumber",
        "ShipmentDate": "shipDate",
        "ShipmentInfos": "trackingNumbers",
        "ShipmentInfos[]": "trackingNumbers[{0}]",
        "ShipmentInfos[].TrackingNumber": "trackingNumbers[{0}]",
        "ShipmentInfos[].CarrierCode": "carrierId",
        "ShipmentInfos[].ServiceLevelCode": "shippingSpeed",
        "ShipmentLines": "lines",
        "ShipmentLines[]": SHIP_LINE,
        "ShipmentLines[].LineNumber": SHIP_LINE + ".customerLineNumber",
        "ShipmentLines[].ItemIdentifier": SHIP_LINE,
        "ShipmentLines[].ItemIdentifier.SupplierSKU": SHIP_LINE + ".skuId",
        "ShipmentLines[].Quantity": SHIP_LINE + ".quantity",
        "ShipmentLines[].ShipmentInfos": SHIP_LINE + ".trackingNumber",
        "ShipmentLines[].ShipmentInfos[]": SHIP_LINE + ".trackingNumber",
        "ShipmentLines[].ShipmentInfos[].TrackingNumber": SHIP_LINE + ".trackingNumber",
        "ShipmentLines[].ExtendedAttributes": SHIP_LINE,
    },
)
_LINE = re.compile(r"^orderLines\[(\d+)\]\.?(.*)$")
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


def _contact(value: Any, field: str) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    for key, alias in ADDRESS_FIELDS.items():
        if isinstance(text := value.get(key), str):  # only a string has a length to check
            bounds.text(text, f"{field}.{key}", (Contact, alias))
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
    if len(con) > CUSTOMER_ORDER_NUMBER_MAX:
        raise _invalid(
            "customerOrderNumber", f"must be at most {CUSTOMER_ORDER_NUMBER_MAX} characters (got {len(con)})"
        )
    for name, onto in ORDER_TEXT.items():
        if isinstance(text := body.get(name), str):
            bounds.text(text, name, onto)
    job = body.get("jobId")
    if isinstance(job, str) and len(job) > JOB_ID_MAX:
        raise _invalid("jobId", f"must be at most {JOB_ID_MAX} characters (got {len(job)})")
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
        if isinstance(qty, Decimal) and qty.is_finite() and qty == qty.to_integral_value():
            qty = bounds.whole(qty, f"orderLines[{i}].quantity", high=MAX_QUANTITY)
        if isinstance(qty, bool) or not isinstance(qty, int):
            raise _invalid(f"orderLines[{i}].quantity", f"must be a whole number, got {shown(qty)}")
        if qty > MAX_QUANTITY:
            raise _invalid(f"orderLines[{i}].quantity", f"must be at most {MAX_QUANTITY}, got {qty}")
        for name, onto in LINE_TEXT.items():
            if isinstance(text := line.get(name), str):
                bounds.text(text, f"orderLines[{i}].{name}", onto)
        amount = line.get("amount")
        if isinstance(amount, int | Decimal) and not isinstance(amount, bool):
            bounds.amount(amount, f"orderLines[{i}].amount")
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
        "ShipToAddress": _contact(body.get("shipTo"), "shipTo"),
        "BillToAddress": _contact(body.get("billTo"), "billTo"),
        "RequestedShipDate": dates.get("requestedShipDate"),
        "ExpectedDeliveryDate": dates.get("requestedDeliveryDate"),
        "DoNotShipBefore": dates.get("doNotShipBefore"),
        "DoNotShipAfter": dates.get("doNotShipAfter"),
        "ExtendedAttributes": attrs,
    }
    if business_unit.isascii() and business_unit.isdigit() and len(business_unit) <= 9:
        out["ReceiverCompanyId"] = int(business_unit)
    return {k: v for k, v in out.items() if v is not None}


def failed_order(exc: PohubError, body: Any) -> dict[str, Any]:
    """A refusal as the warehouse's failedOrders entry: the order's message and its lines' messages,
    in the warehouse's words (a refusal that still names the hub's fields is put in them here too)."""
    src_lines: list[Any] = (
        body["orderLines"] if isinstance(body, dict) and isinstance(body.get("orderLines"), list) else []
    )
    lines = []
    order_messages = []
    for err in exc.errors:
        field = FIELDS.path(err.field)
        error = FIELDS.text(err.error)
        m = _LINE.match(field)
        if m:
            i = int(m.group(1))
            src = src_lines[i] if i < len(src_lines) and isinstance(src_lines[i], dict) else {}
            sub = m.group(2)
            lines.append(
                {
                    "customerLineNumber": str(src.get("customerLineNumber") or i + 1),
                    "message": f"{sub}: {error}" if sub else error,
                }
            )
        else:
            order_messages.append(f"{field}: {error}")
    con = body.get("customerOrderNumber") if isinstance(body, dict) else None
    message = FIELDS.text(exc.message) if not order_messages else "; ".join(order_messages)
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
    tracking: list[str] = [
        i["TrackingNumber"] for i in body.get("ShipmentInfos") or [] if isinstance(i, dict) and i.get("TrackingNumber")
    ]
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
    carrier = next((i for i in body.get("ShipmentInfos") or [] if isinstance(i, dict) and i.get("CarrierCode")), {})
    return {
        "shipmentId": str(row.id),
        "shipmentNumber": row.number,
        "shipDate": body.get("ShipmentDate") or iso(row.document_date),
        "carrierId": carrier.get("CarrierCode"),
        "shippingSpeed": carrier.get("ServiceLevelCode"),
        "trackingNumbers": tracking,
        "lines": lines,
    }


def change_of(canonical: dict[str, Any], lines: list[Any], *, number: str) -> dict[str, Any]:
    """An updated sales order (as a canonical SalesOrder) against the order's lines, as a buyer's
    change: quantity or amount differing -> Change (quantity 0 -> Cancel), a new line -> Add."""
    by_key = {line.line_key: line for line in lines}
    out = []
    for wire in canonical.get("OrderLines") or []:
        number_ = str(wire["LineNumber"])
        current = by_key.get(line_key(number_))
        qty, price = wire.get("Quantity"), wire.get("Price")
        if current is None:
            out.append({**{k: v for k, v in wire.items() if k != "ExtendedAttributes"}, "Action": "Add"})
        elif qty == 0:
            if current.qty_cancelled < current.quantity:
                out.append({"LineNumber": number_, "Action": "Cancel"})
        else:
            step: dict[str, Any] = {"LineNumber": number_}
            if qty != current.quantity:
                step["Quantity"] = qty
            if price is not None and (current.price is None or Decimal(str(price)) != current.price):
                step["Price"] = price
            if len(step) > 1:
                out.append(step)
    return {"ChangeNumber": number, "ChangeLines": out}


# A ship confirmation: the seed names "Ship Confirmation" beside "Get Shipments for a Sales Order"
# without a shape, so pohub takes the shape its GET .../shipments answers, plus the carrier.
SHIP_FIELDS = ("shipmentNumber", "shipDate", "carrierId", "shippingSpeed", "trackingNumbers", "lines")
SHIP_LINE_FIELDS = ("customerLineNumber", "skuId", "quantity", "trackingNumber")


def _unknown(obj: dict[str, Any], known: tuple[str, ...], prefix: str, problems: Problems) -> None:
    for key in obj:
        if key not in known:
            path = f"{prefix}.{key}" if prefix else key
            problems.add(path, f"is not a field of a ship confirmation (its fields are {', '.join(known)})")


def _string(
    obj: dict[str, Any],
    name: str,
    path: str,
    problems: Problems,
    onto: tuple[type[LBModel], str],
    *,
    required: bool = False,
) -> Any:
    """A text field; past the limit of the wire field ``onto`` it lands in is one more problem."""
    value = obj.get(name)
    if problems.bounded(bounds.text, value, path, onto) is None and value is not None:
        return None
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(path, "is required")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        problems.add(path, f"must be a string, got {shown(value)}")
        return None
    return value.strip()


def ship_confirmation(body: Any, *, customer_order_number: str) -> dict[str, Any]:
    """A warehouse's ship confirmation as a Logicbroker Shipment (the hub's shipment rules apply:
    never more than is still owed on a line). Every problem is reported at once; unknown keys are
    refused, so that a misspelt "qty" never ships a guessed quantity."""
    if not isinstance(body, dict):
        raise _invalid("body", "must be a ship confirmation object")
    problems = Problems()
    _unknown(body, SHIP_FIELDS, "", problems)
    number = _string(body, "shipmentNumber", "shipmentNumber", problems, (Shipment, "ShipmentNumber"), required=True)
    ship_date = _string(body, "shipDate", "shipDate", problems, VALUE)
    carrier = _string(body, "carrierId", "carrierId", problems, (ShipmentInfo, "CarrierCode"))
    speed = _string(body, "shippingSpeed", "shippingSpeed", problems, (ShipmentInfo, "ServiceLevelCode"))
    tracking = body.get("trackingNumbers")
    if tracking is not None and not (isinstance(tracking, list) and all(isinstance(t, str) for t in tracking)):
        problems.add("trackingNumbers", f"must be a list of strings, got {shown(tracking)}")
        tracking = None
    for j, t in enumerate(tracking or []):
        problems.bounded(bounds.text, t, f"trackingNumbers[{j}]", (ShipmentInfo, "TrackingNumber"))
    lines = body.get("lines")
    if not isinstance(lines, list) or not lines:
        problems.add("lines", "is required and must have at least one line")
        lines = []
    out_lines = []
    for i, line in enumerate(lines):
        f = f"lines[{i}]"
        if not isinstance(line, dict):
            problems.add(f, "must be an object")
            continue
        _unknown(line, SHIP_LINE_FIELDS, f, problems)
        number_of_line = _string(
            line, "customerLineNumber", f"{f}.customerLineNumber", problems, (OrderLine, "LineNumber")
        )
        sku = _string(line, "skuId", f"{f}.skuId", problems, (ItemIdentifier, "SupplierSKU"))
        if number_of_line is None and sku is None:
            problems.add(f"{f}.customerLineNumber", "or skuId is required to name the order line")
        qty = line.get("quantity")
        if isinstance(qty, bool) or not isinstance(qty, int):
            problems.add(f"{f}.quantity", "is required" if qty is None else f"must be a whole number, got {shown(qty)}")
        else:
            qty = problems.bounded(bounds.whole, qty, f"{f}.quantity", high=MAX_QUANTITY)
        line_tracking = _string(
            line, "trackingNumber", f"{f}.trackingNumber", problems, (ShipmentInfo, "TrackingNumber")
        )
        out_lines.append(
            {
                "LineNumber": number_of_line,
                "ItemIdentifier": {"SupplierSKU": sku},
                "Quantity": qty,
                "ShipmentInfos": [{"TrackingNumber": line_tracking}] if line_tracking else None,
            }
        )
    problems.raise_any()
    infos = [{"TrackingNumber": t, "CarrierCode": carrier, "ServiceLevelCode": speed} for t in tracking or []]
    if not infos and (carrier or speed):
        infos = [{"CarrierCode": carrier, "ServiceLevelCode": speed}]
    out: dict[str, Any] = {
        "ShipmentNumber": number,
        "ShipmentDate": ship_date,
        "PartnerPO": customer_order_number,
        "ShipmentInfos": infos or None,
        "ShipmentLines": [{k: v for k, v in ln.items() if v is not None} for ln in out_lines],
        "ExtendedAttributes": [{"Name": "Dialect", "Value": "wms"}],
    }
    return {k: v for k, v in out.items() if v is not None}


# salesOrderAck as seed 001 defines it: every field optional, each of a type.
ACK_SCHEMA: dict[str, Any] = {
    "data": {
        "jobId": str,
        "status": str,
        "failedOrders": [
            {"customerOrderNumber": str, "message": str, "lines": [{"customerLineNumber": str, "message": str}]}
        ],
        "progress": {"processed": int, "total": int},
    }
}
_TYPE_NAMES = {str: "a string", int: "a whole number"}


def _check(value: Any, schema: Any, path: str, problems: Problems) -> None:
    if value is None:
        return
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            problems.add(path, f"must be an object, got {shown(value)}")
            return
        for key, sub in schema.items():
            _check(value.get(key), sub, f"{path}.{key}" if path else key, problems)
    elif isinstance(schema, list):
        if not isinstance(value, list):
            problems.add(path, f"must be a list, got {shown(value)}")
            return
        for i, item in enumerate(value):
            _check(item, schema[0], f"{path}[{i}]", problems)
    elif schema is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.add(path, f"must be a whole number of at least 0, got {shown(value)}")
    elif not isinstance(value, schema):
        problems.add(path, f"must be {_TYPE_NAMES[schema]}, got {shown(value)}")


def sales_order_ack(body: Any) -> str | None:
    """Check a salesOrderAck against the seed's types (every problem at once, 422 naming each field);
    returns the jobId it names, if any. Every field is optional: ``{}`` names nothing, and is kept."""
    problems = Problems()
    if not isinstance(body, dict):
        raise _invalid("body", f"must be an object, got {shown(body)}")
    _check(body, ACK_SCHEMA, "", problems)
    problems.raise_any()
    data = body.get("data") or {}
    job_id = data.get("jobId")
    return str(job_id) if job_id is not None and str(job_id).strip() else None
