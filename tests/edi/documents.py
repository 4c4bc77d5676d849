"""Canonical documents the EDI tests send through X12 and EDIFACT, and the helpers that do it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pohub.edi.edifact.syntax import Seg, Una
from pohub.edi.edifact.validate import EdifactResult, read_edifact
from pohub.edi.edifact.writer import EdifactOut, EdifactParty, wrap_message, write_edifact
from pohub.edi.x12.reader import ReadResult, read_interchange
from pohub.edi.x12.segments import Delimiters, Segment
from pohub.edi.x12.writer import GroupOut, InterchangeOut, Party, wrap_set, write_interchange

WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
BUYER, SUPPLIER = Party("ZZ", "BUYERCO"), Party("ZZ", "SUPPLIERCO")


def sscc(serial: int) -> str:
    """A valid SSCC-18 behind its application identifier 00 (GS1 company prefix 0614141)."""
    body = f"00614141{serial:09d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return "00" + body + str((10 - total % 10) % 10)


ADDRESS = {
    "CompanyName": "Merchant Co",
    "FirstName": "Jerry",
    "LastName": "Only",
    "Address1": "111 Merchant Lane",
    "Address2": "Apt 1",
    "City": "Yonkers",
    "State": "NY",
    "Zip": "10704",
    "Country": "USA",
    "AddressCode": "1234567890",
    "Phone": "111-222-3333",
    "Email": "merchant@example.com",
}
WAREHOUSE = {
    "CompanyName": "Acme Lab Supply DC",
    "Address1": "1 Dock Road",
    "City": "Newark",
    "State": "NJ",
    "Zip": "07101",
}

ORDER: dict[str, Any] = {
    "PartnerPO": "PO-EDI-1",
    "OrderDate": "2026-03-01T00:00:00+00:00",
    "TypeCode": "SA",
    "ReleaseNumber": "001",
    "Currency": "USD",
    "OrderNumber": "SO-9",
    "VendorNumber": "V12345",
    "CustomerNumber": "444",
    "DepartmentNumber": "D7",
    "RequestedShipDate": "2026-03-05T14:30:00+00:00",
    "DoNotShipAfter": "2026-03-20T00:00:00+00:00",
    "ExpectedDeliveryDate": "2026-03-22T00:00:00+00:00",
    "PaymentTerm": {
        "PayInNumberOfDays": 30,
        "DiscountInNumberOfDays": 10,
        "DiscountPercent": "2",
        "TermsDescription": "2% 10 NET 30",
    },
    "ShipmentInfos": [{"CarrierCode": "UPSN", "ClassCode": "UPSN_CG", "ServiceLevelCode": "CG"}],
    "Taxes": [{"TaxAmount": "3.15", "TaxCode": "ST"}],
    "HandlingAmount": "15",
    "Discounts": [{"DiscountAmount": "5", "DiscountCode": "0001883"}],
    "ExtendedAttributes": [{"Name": "Charge - Fuel", "Value": "2.5"}],
    "TotalAmount": "190.75",
    "Note": "Get well soon!",
    "ShipToAddress": ADDRESS,
    "BillToAddress": {**ADDRESS, "CompanyName": "Merchant Co Accounts"},
    "OrderLines": [
        {
            "LineNumber": "1",
            "Quantity": 5,
            "QuantityUOM": "EA",
            "Price": "31.02",
            "PriceCode": "WH",
            "Description": "BLOUSE",
            "ItemIdentifier": {"SupplierSKU": "49-98760", "PartnerSKU": "J07874", "UPC": "123456789012"},
        },
        {
            "LineNumber": "2",
            "Quantity": 3,
            "QuantityUOM": "CA",
            "Price": "10.5",
            "ItemIdentifier": {"SupplierSKU": "PIP-200"},
        },
    ],
}

ACK: dict[str, Any] = {
    "PartnerPO": "PO-EDI-1",
    "OrderDate": "2026-03-01T00:00:00+00:00",
    "AcknowledgementNumber": "ACK-1",
    "AcknowledgementDate": "2026-03-02T00:00:00+00:00",
    "ScheduledShipDate": "2026-03-10T00:00:00+00:00",
    "ChangeReason": "Partial stock",
    "AckLines": [
        {
            "LineNumber": "1",
            "Quantity": 4,
            "QuantityBackordered": 1,
            "Price": "31.02",
            "QuantityUOM": "EA",
            "ChangeReason": "Out of stock",
            "ItemIdentifier": {"SupplierSKU": "49-98760"},
        },
        {
            "LineNumber": "2",
            "Quantity": 0,
            "QuantityCancelled": 3,
            "QuantityUOM": "CA",
            "ItemIdentifier": {"SupplierSKU": "PIP-200"},
        },
        {
            "LineNumber": "3",
            "Quantity": 2,
            "Price": "9.5",
            "QuantityUOM": "EA",
            "ItemIdentifier": {"UPC": "123456789012"},
        },
    ],
}

CARTON_1 = {
    "ContainerCode": sscc(1),
    "TrackingNumber": "1Z999",
    "CarrierCode": "UPSN",
    "Weight": "3.5",
    "WeightUnit": "LB",
}
CARTON_2 = {"ContainerCode": sscc(2), "TrackingNumber": "1Z998", "CarrierCode": "UPSN"}
SHIPMENT: dict[str, Any] = {
    "ShipmentNumber": "SHP-1",
    "ShipmentDate": "2026-03-10T10:00:00+00:00",
    "ExpectedDeliveryDate": "2026-03-12T00:00:00+00:00",
    "BillofLading": "BOL-77",
    "PRONumber": "PRO-5",
    "PartnerPO": "PO-EDI-1",
    "OrderDate": "2026-03-01T00:00:00+00:00",
    "ShipFromAddress": WAREHOUSE,
    "ShipToAddress": ADDRESS,
    "ShipmentLines": [
        {
            "LineNumber": "1",
            "Quantity": 4,
            "QuantityUOM": "EA",
            "ItemIdentifier": {"SupplierSKU": "49-98760"},
            "ShipmentInfos": [{**CARTON_1, "Qty": 2}, {**CARTON_2, "Qty": 2}],
        },
        {
            "LineNumber": "2",
            "Quantity": 3,
            "QuantityUOM": "CA",
            "ItemIdentifier": {"SupplierSKU": "PIP-200"},
            "ShipmentInfos": [{**CARTON_2, "Qty": 3}],
        },
        {"LineNumber": "3", "Quantity": 1, "QuantityUOM": "EA", "ItemIdentifier": {"UPC": "123456789012"}},
    ],
}

INVOICE: dict[str, Any] = {
    "InvoiceNumber": "INV-1",
    "InvoiceDate": "2026-03-11T00:00:00+00:00",
    "PartnerPO": "PO-EDI-1",
    "OrderDate": "2026-03-01T00:00:00+00:00",
    "Currency": "USD",
    "VendorNumber": "V12345",
    "RemitToAddress": WAREHOUSE,
    "PaymentTerm": {"PayInNumberOfDays": 30, "TermsDescription": "NET 30"},
    "InvoiceLines": [
        {
            "LineNumber": "1",
            "Quantity": 4,
            "Price": "31.02",
            "QuantityUOM": "EA",
            "ItemIdentifier": {"SupplierSKU": "49-98760"},
            "Taxes": [{"TaxAmount": "1.5", "TaxCode": "ST"}],
        },
        {
            "LineNumber": "2",
            "Quantity": 3,
            "Price": "10.5",
            "QuantityUOM": "CA",
            "ItemIdentifier": {"SupplierSKU": "PIP-200"},
        },
    ],
    "Taxes": [{"TaxAmount": "3"}],
    "HandlingAmount": "15",
    "Discounts": [{"DiscountAmount": "5"}],
    "ExtendedAttributes": [{"Name": "Charge - Fuel", "Value": "2.5"}],
    # 4 x 31.02 + 3 x 10.50 + 1.50 + 3 + 15 - 5 + 2.50
    "InvoiceTotal": "172.58",
}


def without(doc: dict[str, Any], *keys: str, lines: str = "", line_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """A copy of ``doc`` without the header ``keys`` and the ``line_keys`` of each line under ``lines``."""
    out = {k: v for k, v in doc.items() if k not in keys}
    if lines:
        out[lines] = [{k: v for k, v in line.items() if k not in line_keys} for line in doc[lines]]
    return out


def x12(
    set_id: str,
    functional_id: str,
    body: list[Segment],
    *,
    version: str = "004010",
    delimiters: Delimiters | None = None,
) -> bytes:
    """One set in one group in one interchange, buyer to supplier."""
    group = GroupOut(functional_id, 7, version, [wrap_set(set_id, "0001", body)])
    return write_interchange(InterchangeOut(BUYER, SUPPLIER, 42, WHEN, [group], usage="T"), delimiters)


def read_accepted_x12(data: bytes) -> ReadResult:
    result = read_interchange(data)
    problems = [e.describe() for e in result.errors]
    assert result.interchange is not None, problems
    for group in result.interchange.groups:
        problems += [e.describe() for e in group.errors] + [e.describe() for t in group.sets for e in t.errors]
    assert result.accepted, problems
    return result


def edifact(message_type: str, body: list[Seg], una: Una | None = None) -> bytes:
    out = EdifactOut(
        EdifactParty("BUYERCO", "14"),
        EdifactParty("SUPPLIERCO", "14"),
        "REF42",
        WHEN,
        [wrap_message("M1", message_type, body)],
    )
    return write_edifact(out, una, line_breaks=True)


def read_accepted_edifact(data: bytes) -> EdifactResult:
    result = read_edifact(data)
    assert result.interchange is not None, [e.describe() for e in result.errors]
    problems = [e.describe() for e in result.errors] + [
        e.describe() for m in result.interchange.messages for e in m.errors
    ]
    assert result.accepted, problems
    return result
