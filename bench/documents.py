"""The documents the hub benchmark sends: ten-line POs and the acknowledgement (about 2 KB), shipment
and invoice that answer each of them in full, each with its own number."""

from __future__ import annotations

from typing import Any

from pohub.core import jsonio
from pohub.documents.examples import sales_order

# (SupplierSKU, PartnerSKU, price, quantity, description) of the ten lines of every PO.
LINES = [
    ("49-98760", "J07874", 31.02, 5, "BLOUSE"),
    ("PIP-200", "J07875", 12.50, 3, "PIPING 200"),
    ("FLK-500", "J07876", 8.75, 2, "FLANGE KIT 500"),
    ("CEN-15", "J07877", 19.99, 4, "CENTRE 15"),
    ("VLV-330", "J07878", 44.10, 1, "VALVE 330"),
    ("GSK-12", "J07879", 1.25, 12, "GASKET 12"),
    ("BLT-M8", "J07880", 0.40, 50, "BOLT M8"),
    ("NUT-M8", "J07881", 0.15, 50, "NUT M8"),
    ("TAP-34", "J07882", 7.80, 6, "TAPE 3/4"),
    ("HSE-25", "J07883", 23.00, 2, "HOSE 25 M"),
]


def order(i: int, *, prefix: str, buyer: int, supplier: int) -> bytes:
    lines = [
        {
            "LineNumber": f"{n:02d}",
            "Quantity": q,
            "Price": p,
            "QuantityUOM": "EA",
            "Description": desc,
            "ItemIdentifier": {"SupplierSKU": sku, "PartnerSKU": partner_sku},
        }
        for n, (sku, partner_sku, p, q, desc) in enumerate(LINES, start=1)
    ]
    return jsonio.dumps(
        sales_order(
            PartnerPO=f"{prefix}-{i:07d}",
            OrderNumber=f"{prefix}-{i:07d}",
            SenderCompanyId=buyer,
            ReceiverCompanyId=supplier,
            OrderLines=lines,
        )
    )


def acknowledgement(i: int, key: str) -> bytes:
    return jsonio.dumps(
        {
            "AcknowledgementNumber": f"A-{i}",
            "Identifier": {"LinkKey": key},
            "ScheduledShipDate": "2026-12-01",
            "AckLines": [
                {
                    "LineNumber": f"{n:02d}",
                    "Quantity": q,
                    "QuantityBackordered": 0,
                    "QuantityCancelled": 0,
                    "Price": p,
                    "QuantityUOM": "EA",
                    "Description": desc,
                    "ItemIdentifier": {"SupplierSKU": sku, "PartnerSKU": partner_sku},
                }
                for n, (sku, partner_sku, p, q, desc) in enumerate(LINES, start=1)
            ],
        }
    )


def shipment(i: int) -> bytes:
    return jsonio.dumps(
        {
            "ShipmentNumber": f"S-{i}",
            "ShipmentDate": "2026-12-01T10:00:00Z",
            "ShipmentLines": [
                {
                    "LineNumber": f"{n:02d}",
                    "Quantity": q,
                    "ItemIdentifier": {"SupplierSKU": sku, "PartnerSKU": partner_sku},
                    "ShipmentInfos": [{"TrackingNumber": f"1Z{i:010d}", "Qty": q, "CarrierCode": "UPSN"}],
                }
                for n, (sku, partner_sku, _, q, _) in enumerate(LINES, start=1)
            ],
        }
    )


def invoice(i: int) -> bytes:
    total = sum(round(p * q, 2) for _, _, p, q, _ in LINES)
    return jsonio.dumps(
        {
            "InvoiceNumber": f"I-{i}",
            "InvoiceTotal": round(total, 2),
            "InvoiceLines": [
                {
                    "LineNumber": f"{n:02d}",
                    "Quantity": q,
                    "Price": p,
                    "Description": desc,
                    "ItemIdentifier": {"SupplierSKU": sku, "PartnerSKU": partner_sku},
                }
                for n, (sku, partner_sku, p, q, desc) in enumerate(LINES, start=1)
            ],
        }
    )


def sizes() -> dict[str, Any]:
    """Bytes of each kind of body (printed with the results, so the document size is on record)."""
    return {
        "order": len(order(0, prefix="X", buyer=1, supplier=2)),
        "acknowledgement": len(acknowledgement(0, "1")),
        "shipment": len(shipment(0)),
        "invoice": len(invoice(0)),
    }
