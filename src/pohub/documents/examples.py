"""Example documents taken from the seeds (seed 002's order standard, seed 000's flow), corrected
where the seed's JSON is malformed (``"LineNumber": 01`` becomes ``"01"``; trailing commas go).
Used by the OpenAPI examples and the demo data."""

from __future__ import annotations

import copy
from typing import Any

_ADDRESS = {
    "CompanyName": "Merchant Co",
    "FirstName": "Jerry",
    "LastName": "Only",
    "Address1": "111 Merchant Lane",
    "Address2": "Apt 1",
    "City": "Yonkers",
    "State": "NY",
    "Country": "USA",
    "Zip": "10704",
    "AddressCode": "1234567890",
    "Phone": "111-222-3333",
    "Email": "Merchant@co.com",
}

SEED_ORDER: dict[str, Any] = {
    "Identifier": {"SourceKey": "1599999990"},
    "SenderCompanyId": 0,
    "ReceiverCompanyId": 0,
    "DocumentDate": "2016-04-22T20:45:22.79",
    "Currency": "USD",
    "CustomerNumber": "444",
    "DoNotShipAfter": "2015-11-07T20:51:56.728Z",
    "HandlingAmount": 15,
    "Note": "Get well soon!",
    "OrderDate": "2013-10-31",
    "OrderNumber": "002152252",
    "PartnerPO": "1599999999",
    "TypeCode": "SA",
    "ReleaseNumber": "001",
    "RequestedShipDate": "2015-11-06",
    "SalesRequirement": "0",
    "VendorNumber": "V12345",
    "Discounts": [{"DiscountAmount": 5, "DiscountCode": "0001883", "DiscountPercent": 0}],
    "PaymentTerm": {
        "DiscountAvailable": 55,
        "DiscountDueDate": "0001-01-01",
        "DiscountInNumberOfDays": 10,
        "EffectiveDate": "2012-01-04",
        "DueDate": "0001-01-01",
        "PayInNumberOfDays": 30,
    },
    "ShipmentInfos": [{"CarrierCode": "UPSN", "ClassCode": "UPSN_CG", "ServiceLevelCode": "CG"}],
    "Taxes": [{"TaxAmount": 3}],
    "BillToAddress": dict(_ADDRESS),
    "OrderedByAddress": dict(_ADDRESS),
    "ShipToAddress": dict(_ADDRESS),
    "ExtendedAttributes": [
        {"Name": "StoreNumber", "Value": "12345"},
        {"Name": "InternalOrderNumber", "Value": "ORD555444"},
        {"Name": "GiftWrap", "Value": "1"},
        {"Name": "CustomerOrderDate", "Value": "2016-11-14"},
    ],
    "OrderLines": [
        {
            "Description": "BLOUSE",
            "RetailPrice": 47.98,
            "Weight": 22,
            "LineNumber": "01",
            "Note": "string",
            "Price": 31.02,
            "PriceCode": "WH",
            "Quantity": 5,
            "QuantityUOM": "EA",
            "ItemIdentifier": {
                "ISBN": "string",
                "ManufacturerSKU": "0025252",
                "PartnerSKU": "J07874",
                "SupplierSKU": "49-98760",
                "UPC": "123456789012",
            },
            "Discounts": [{"DiscountAmount": 0}],
            "ShipmentInfos": [
                {
                    "CarrierCode": "UPSN",
                    "ClassCode": "UPSN_CG",
                    "ShipmentCost": 0,
                    "Weight": 0,
                    "WeightUnit": "LB",
                }
            ],
            "Taxes": [{"TaxAmount": 3.20}],
            "ExtendedAttributes": [{"Name": "Color", "Value": "Blue"}, {"Name": "Size", "Value": "SIZE 15"}],
        }
    ],
}


def sales_order(**changes: Any) -> dict[str, Any]:
    order = copy.deepcopy(SEED_ORDER)
    order.update(changes)
    return order


def acknowledgement(*, partner_po: str = "1599999999", update: bool = False) -> dict[str, Any]:
    ack: dict[str, Any] = {
        "AcknowledgementNumber": "ACK-1599999999-1",
        "PartnerPO": partner_po,
        "ScheduledShipDate": "2015-11-05",
        "AckLines": [
            {
                "LineNumber": "01",
                "Quantity": 4,
                "QuantityBackordered": 1,
                "QuantityCancelled": 0,
                "ItemIdentifier": {"SupplierSKU": "49-98760"},
                "ChangeReason": "Out of stock",
            }
        ],
    }
    if update:
        ack["AcknowledgementNumber"] = "ACK-1599999999-2"
        ack["ExtendedAttributes"] = [{"Name": "Acknowledgement Update", "Value": "true"}]
    return ack


def shipment(*, partner_po: str = "1599999999") -> dict[str, Any]:
    return {
        "ShipmentNumber": "SHP-1599999999-1",
        "ShipmentDate": "2015-11-05T14:00:00Z",
        "PartnerPO": partner_po,
        "ShipmentLines": [
            {
                "LineNumber": "01",
                "Quantity": 4,
                "ItemIdentifier": {"SupplierSKU": "49-98760"},
                "ShipmentInfos": [
                    {
                        "TrackingNumber": "1Z999AA10123456784",
                        "CarrierCode": "UPSN",
                        "ClassCode": "UPSN_CG",
                        "Qty": 4,
                    }
                ],
            }
        ],
    }


def invoice(*, partner_po: str = "1599999999") -> dict[str, Any]:
    return {
        "InvoiceNumber": "INV-1599999999-1",
        "InvoiceDate": "2015-11-06",
        "PartnerPO": partner_po,
        "HandlingAmount": 15,
        "Taxes": [{"TaxAmount": 3}],
        "InvoiceTotal": 142.08,
        "InvoiceLines": [
            {
                "LineNumber": "01",
                "Quantity": 4,
                "Price": 31.02,
                "QuantityUOM": "EA",
                "ItemIdentifier": {"SupplierSKU": "49-98760"},
            }
        ],
    }


def attach(schema: dict[str, Any], prefix: str) -> None:
    """Put the seed examples on the POST routes of the OpenAPI document."""
    examples = {
        f"{prefix}/Orders": ("Seed 002 order", sales_order()),
        f"{prefix}/Acknowledgements": ("Seed 000 step 4", acknowledgement()),
        f"{prefix}/Shipment/{{LogicbrokerKey}}": ("Seed 000 step 5", shipment()),
        f"{prefix}/Shipments": ("Shipment", shipment()),
        f"{prefix}/Invoices": ("Seed 000 step 6", invoice()),
        f"{prefix}/Invoice/{{LogicbrokerKey}}": ("Invoice", invoice()),
    }
    for path, (summary, value) in examples.items():
        op = schema.get("paths", {}).get(path, {}).get("post")
        if op and "requestBody" in op:
            op["requestBody"]["content"]["application/json"]["examples"] = {
                "seed": {"summary": summary, "value": value}
            }
