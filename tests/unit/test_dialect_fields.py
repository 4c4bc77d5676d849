"""Each dialect's table of the hub's fields: it names every field its translations produce, and it
turns the hub's paths and words into the dialect's (pohub.dialects.fields)."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

from pohub.core import jsonio
from pohub.core.errors import FieldError, Unprocessable, invalid
from pohub.dialects.fields import FieldTable, in_dialect, shown
from pohub.dialects.kojo import translate as kojo
from pohub.dialects.spectrum import translate as spectrum
from pohub.dialects.wms import translate as wms


def _paths(value: Any, prefix: str = "") -> list[str]:
    """Every path in a canonical document, lists indexed ("AckLines[0].ItemIdentifier.SupplierSKU")."""
    if isinstance(value, dict):
        out = []
        for key, sub in value.items():
            path = f"{prefix}.{key}" if prefix else key
            out += [path, *_paths(sub, path)]
        return out
    if isinstance(value, list):
        return [p for i, sub in enumerate(value) for p in [f"{prefix}[{i}]", *_paths(sub, f"{prefix}[{i}]")]]
    return []


LINES = [
    SimpleNamespace(
        id=11,
        line_number="1",
        line_key="1",
        uom="FT",
        supplier_sku="CU6",
        quantity=5,
        qty_cancelled=0,
        qty_shipped=0,
        position=0,
    ),
    SimpleNamespace(
        id=12,
        line_number="2",
        line_key="2",
        uom=None,
        supplier_sku="TH8",
        quantity=3,
        qty_cancelled=0,
        qty_shipped=0,
        position=1,
    ),
]
ORDER = SimpleNamespace(id=1, partner_po="PO-1")


def _kojo_document() -> dict[str, Any]:
    item = {name: "x" for name in kojo.TEXT_FIELDS} | {
        "lineNumber": 1,
        "itemId": "11",
        "quantity": 2,
        "backorderQuantity": 1,
        "unitPriceFloat": jsonio.loads("1.5"),
        "unitPriceECM": "E",
        "extPriceFloat": jsonio.loads("3.00"),
        "unitsOfMeasure": "FT",
    }
    assert set(item) == set(kojo.ITEM_FIELDS)
    return kojo.acknowledgement({"acknowledgementItems": [item]}, order=ORDER, lines=LINES, update=True).body


def _spectrum_documents() -> list[tuple[dict[str, Any], list[str]]]:
    address = {name: "x" for name in spectrum.ADDRESS_REQUIRED} | {"address2": "y", "province": "z"}
    body = {
        "purchaseOrderNumber": "PO-1",
        "orderDate": "2022-01-31T13:15:05.2151663-05:00",
        **{name: "v" for name in spectrum.ORDER_OPTIONAL},
        "lineItems": [
            {
                "recipeSetId": "R1",
                **{n: "v" for n in spectrum.LINE_OPTIONAL if n != "estimatedDeliveryDate"},
                "estimatedDeliveryDate": "2022-02-02",
                "skuQuantities": [{"sku": "CU6", "quantity": 5}],
            },
            {"recipeSetId": "R2", "sku": "TH8", "quantity": 3},
        ],
        "customerAddress": address,
        "shippingAddress": address,
    }
    order = spectrum.order(body, full=True)
    stored = order.body | {"OrderLines": [dict(ln) for ln in order.body["OrderLines"]]}
    notice = spectrum.shipment(
        {"lineItems": [{"recipeSetReadableId": "R1", "shipmentTracking": "1Z", "serialNumbers": ["S"]}]},
        order_row=ORDER,
        order_body=stored,
        lines=LINES,
        number="N",
    )
    return [(order.body, order.lines), (notice.body, notice.lines)]


def _wms_documents() -> list[dict[str, Any]]:
    contact = {
        "name": "Ada Lovelace",
        "companyName": "A",
        "address1": "1",
        "address2": "2",
        "city": "c",
        "state": "s",
        "postalCode": "p",
        "country": "GB",
        "phone": "1",
        "email": "e",
    }
    order = wms.sales_order(
        {
            "customerOrderNumber": "SO-1",
            "buyerOrderNumber": "B-1",
            "jobId": "J",
            "carrierId": "UPS",
            "shippingSpeed": "GROUND",
            "shipTo": contact,
            "billTo": contact,
            "customerDates": {
                "requestedShipDate": "2024-07-05",
                "requestedDeliveryDate": "2024-07-09",
                "doNotShipBefore": "2024-07-01",
                "doNotShipAfter": "2024-07-30",
                "cancelAfter": "x",
            },
            "orderLines": [
                {
                    "customerLineNumber": "1",
                    "skuId": "A",
                    "customerSku": "C",
                    "quantity": 2,
                    "quantityMeasure": "EA",
                    "amount": 1,
                    "description": "d",
                    "lineType": "t",
                }
            ],
        },
        business_unit="7",
    )
    ship = wms.ship_confirmation(
        {
            "shipmentNumber": "S",
            "shipDate": "2024-07-06",
            "carrierId": "UPS",
            "shippingSpeed": "G",
            "trackingNumbers": ["1Z"],
            "lines": [{"customerLineNumber": "1", "skuId": "A", "quantity": 1, "trackingNumber": "1Z"}],
        },
        customer_order_number="SO-1",
    )
    return [order, ship]


CASES: list[tuple[FieldTable, dict[str, Any], list[str], set[str]]] = [
    (kojo.FIELDS, _kojo_document(), [], {*kojo.ITEM_FIELDS, *kojo.BODY_FIELDS, "orderId", "body"}),
    *[
        (
            spectrum.FIELDS,
            doc,
            lines,
            {
                "purchaseOrderNumber",
                "orderDate",
                "lineItems",
                "skuQuantities",
                "sku",
                "quantity",
                "recipeSetReadableId",
                "shipmentTracking",
                "serialNumbers",
                "shippingAddress",
                "customerAddress",
                *spectrum.ADDRESS.values(),
                "body",
                "SPECTRUM_API_TOKEN",
            },
        )
        for doc, lines in _spectrum_documents()
    ],
    *[
        (
            wms.FIELDS,
            doc,
            [],
            {
                "customerOrderNumber",
                "buyerOrderNumber",
                "businessUnitId",
                "orderLines",
                "customerLineNumber",
                "skuId",
                "customerSku",
                "quantity",
                "quantityMeasure",
                "amount",
                "description",
                "lineType",
                "shipTo",
                "billTo",
                *wms.CONTACT.values(),
                "customerDates",
                "requestedShipDate",
                "requestedDeliveryDate",
                "doNotShipBefore",
                "doNotShipAfter",
                *wms.SHIP_FIELDS,
                *wms.SHIP_LINE_FIELDS,
                "body",
            },
        )
        for doc in _wms_documents()
    ],
]


@pytest.mark.parametrize(("table", "document", "lines", "own"), CASES, ids=lambda c: getattr(c, "dialect", ""))
def test_the_table_names_every_field_the_translation_produces(
    table: FieldTable, document: dict[str, Any], lines: list[str], own: set[str]
) -> None:
    for path in _paths(document):
        ours = table.path(path, lines)
        assert table.is_hub(path), f"{table.dialect}: {path} is not in the table at all"
        # Each field has its own entry; only the attributes pohub writes itself take their parent's name.
        if "ExtendedAttributes[" not in path:
            assert table.key_for(path) == re.sub(r"\[\d+\]", "[]", path), f"{table.dialect}: {path} has no entry"
        segments = [s.split("[")[0] for s in ours.split(".")]
        assert all(s in own for s in segments), f"{table.dialect}: {path} -> {ours}"


def test_paths_indexes_and_line_origins() -> None:
    assert kojo.FIELDS.path("AckLines[3].Quantity") == "acknowledgementItems[3].quantity"
    assert kojo.FIELDS.path("AckLines[1].ExtendedAttributes[2].Value") == "acknowledgementItems[1]"
    assert kojo.FIELDS.path("acknowledgementItems[1].qty") == "acknowledgementItems[1].qty"  # already Kojo's
    origins = ["lineItems[0].skuQuantities[0]", "lineItems[0].skuQuantities[1]", "lineItems[1]"]
    assert spectrum.FIELDS.path("OrderLines[1].Quantity", origins) == "lineItems[0].skuQuantities[1].quantity"
    assert spectrum.FIELDS.path("OrderLines[2].ItemIdentifier.SupplierSKU", origins) == "lineItems[1].sku"
    assert wms.FIELDS.path("ShipmentLines[0].ShipmentInfos[0].TrackingNumber") == "lines[0].trackingNumber"
    assert wms.FIELDS.path("ShipToAddress.Zip") == "shipTo.postalCode"


def test_a_refusal_is_rewritten_whole() -> None:
    exc = invalid("AckLines[0].ItemIdentifier.SupplierSKU", "'X' does not match line 1's SupplierSKU 'CU6'")
    in_dialect(exc, kojo.FIELDS)
    assert exc.errors == [
        FieldError("acknowledgementItems[0].vendorPartNumber", "'X' does not match line 1's vendorPartNumber 'CU6'")
    ]
    assert exc.message.startswith("acknowledgementItems[0].vendorPartNumber: ")
    exc = Unprocessable("The SalesOrder is not valid", [FieldError("ReceiverCompanyId", "is required")])
    in_dialect(exc, spectrum.FIELDS)
    assert exc.errors[0].field == "SPECTRUM_API_TOKEN" and "fulfilment" in exc.errors[0].error


def test_numbers_are_shown_as_written() -> None:
    assert shown(jsonio.loads("2.50")) == "2.50" and shown("lots") == '"lots"' and shown(None) == "null"
