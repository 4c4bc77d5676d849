"""The dialects' own string fields take the limit of the hub field they are carried in: at the limit
the value reaches the canonical document exactly (on PostgreSQL too), one character more is a 422
naming the dialect's field, not the hub's."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx

from pohub.documents.logicbroker import AckLine, Contact, DataAttribute, ItemIdentifier, OrderLine, SalesOrder
from pohub.documents.types import string_limit
from tests.api.wire_fields import get, put
from tests.dialects.helpers import create_order, kojo, lb_order, spectrum, wms
from tests.support import LiveServer, Trade

VALUE = string_limit(DataAttribute, "Value")


def text(length: int, tag: str) -> str:
    return (tag + "-" + "é" * length)[:length]


def attribute(doc: dict[str, Any], path: str, name: str) -> Any:
    attrs = get(doc, path) if path else doc["ExtendedAttributes"]
    return next(a["Value"] for a in attrs if a["Name"] == name)


def check_fields(
    post: Any,
    base: dict[str, Any],
    cases: list[tuple[str, int]],
    stored: Any,
    refused_field: str,
    keep: frozenset[str] = frozenset(),
    over_only: frozenset[str] = frozenset(),
) -> None:
    """Each (dialect path, limit): one character past the limit is a 422 naming the path; then all
    at their limits at once are taken (those in ``keep`` already are, in ``base``: they must match
    the order; those in ``over_only`` are left out, a value at the limit being refused on other
    grounds), and ``stored(body, answer)`` checks where they landed."""
    for path, limit in cases:
        body = copy.deepcopy(base)
        put(body, path, text(limit + 1, "over"))
        r: httpx.Response = post(body)
        assert r.status_code == 422, (path, r.text)
        errors = r.json()["errors"]
        assert errors[0]["field"] == path, (path, errors)
        assert f"at most {limit} characters" in str(errors[0]), (path, errors)
        assert not str(errors[0]["field"]).startswith(refused_field)
    body = copy.deepcopy(base)
    for n, (path, limit) in enumerate(cases):
        if path in over_only:
            continue
        if path in keep:
            assert len(get(body, path)) == limit, path
        else:
            put(body, path, text(limit, f"f{n}"))
    r = post(body)
    assert r.status_code in (200, 201), r.text
    stored(body, r)


def test_kojo_acknowledgement_item_fields(server: LiveServer, trade: Trade) -> None:
    line_number = text(string_limit(AckLine, "LineNumber"), "L")
    sku = text(string_limit(ItemIdentifier, "SupplierSKU"), "S")
    # An acknowledgement is in the order line's own unit (dialect-gaps' UOM check): the line takes
    # the longest unit the hub keeps.
    uom = text(string_limit(AckLine, "QuantityUOM"), "U")
    key = create_order(
        trade,
        f"KL-{uuid.uuid4().hex[:8]}",
        [{"LineNumber": line_number, "Quantity": 2, "QuantityUOM": uom, "ItemIdentifier": {"SupplierSKU": sku}}],
    )
    item = {
        "lineNumber": line_number,
        "quantity": 2,
        "unitsOfMeasure": uom,
        "vendorPartNumber": sku,
    }
    cases = [
        ("acknowledgementItems[0].lineNumber", string_limit(AckLine, "LineNumber")),
        ("acknowledgementItems[0].vendorPartNumber", string_limit(ItemIdentifier, "SupplierSKU")),
        ("acknowledgementItems[0].manufacturerPartNumber", string_limit(ItemIdentifier, "ManufacturerSKU")),
        ("acknowledgementItems[0].universalProductCode", string_limit(ItemIdentifier, "UPC")),
        ("acknowledgementItems[0].description", string_limit(AckLine, "Description")),
        ("acknowledgementItems[0].unitsOfMeasure", string_limit(AckLine, "QuantityUOM")),
        ("acknowledgementItems[0].itemId", VALUE),
        ("acknowledgementItems[0].backorderLeadTime", VALUE),
    ]
    client = kojo(server, trade.supplier)

    def stored(body: dict[str, Any], _: httpx.Response) -> None:
        sent = body["acknowledgementItems"][0]
        [ack] = trade.buyer.get(f"/Orders/{key}/Acknowledgements").json()["Body"]["Acknowledgements"]
        line = ack["AckLines"][0]
        assert line["LineNumber"] == sent["lineNumber"] == line_number
        assert line["ItemIdentifier"] == {
            "SupplierSKU": sku,
            "ManufacturerSKU": sent["manufacturerPartNumber"],
            "UPC": sent["universalProductCode"],
        }
        assert (line["Description"], line["QuantityUOM"]) == (sent["description"], sent["unitsOfMeasure"])
        assert attribute(line, "ExtendedAttributes", "Kojo backorderLeadTime") == sent["backorderLeadTime"]

    check_fields(
        lambda b: client.post(f"/seller/order/{key}/acknowledge", json=b),
        {"acknowledgementItems": [item]},
        cases,
        stored,
        "AckLines",
        frozenset(
            {
                "acknowledgementItems[0].lineNumber",
                "acknowledgementItems[0].vendorPartNumber",
                "acknowledgementItems[0].unitsOfMeasure",
            }
        ),
        # itemId must name one of the order's items (dialect-gaps), which no text at the limit does.
        frozenset({"acknowledgementItems[0].itemId"}),
    )


def test_spectrum_order_fields(server: LiveServer, trade: Trade) -> None:
    address = {
        "firstName": "A",
        "lastName": "B",
        "address1": "1 Road",
        "city": "Town",
        "state": "ST",
        "postalCode": "1",
        "country": "US",
    }
    base = {
        "purchaseOrderNumber": "SP",
        "orderDate": "2024-01-01",
        "lineItems": [{"recipeSetId": "R", "sku": "A", "quantity": 1}],
        "shippingAddress": dict(address),
        "customerAddress": dict(address),
    }
    names = {
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
    cases = [
        ("purchaseOrderNumber", string_limit(SalesOrder, "PartnerPO")),
        ("lineItems[0].sku", string_limit(ItemIdentifier, "SupplierSKU")),
        ("lineItems[0].recipeSetId", VALUE),
        ("lineItems[0].giftMessage", VALUE),
        ("lineItems[0].shipmentVendor", VALUE),
        ("orderReference", VALUE),
        ("emailAddress", VALUE),
        *((f"shippingAddress.{name}", string_limit(Contact, alias)) for name, alias in names.items()),
    ]
    client = spectrum(server, trade.buyer)
    po = text(string_limit(SalesOrder, "PartnerPO"), uuid.uuid4().hex[:8])
    base["purchaseOrderNumber"] = po

    def stored(body: dict[str, Any], _: httpx.Response) -> None:
        [record] = trade.supplier.get("/Orders", params={"partnerPO": po}).json()["Records"]
        got = lb_order(trade.supplier, record["Identifier"]["LogicbrokerKey"])
        line, item = got["OrderLines"][0], body["lineItems"][0]
        assert got["PartnerPO"] == po and line["ItemIdentifier"]["SupplierSKU"] == item["sku"]
        for name in ("recipeSetId", "giftMessage", "shipmentVendor"):
            assert attribute(line, "ExtendedAttributes", name) == item[name]
        for name in ("orderReference", "emailAddress"):
            assert attribute(got, "", name) == body[name]
        for name, alias in names.items():
            assert got["ShipToAddress"][alias] == body["shippingAddress"][name], name

    check_fields(
        lambda b: client.post("/api/order", json=b),
        base,
        cases,
        stored,
        "ShipToAddress",
        frozenset({"purchaseOrderNumber"}),
    )


def test_warehouse_sales_order_fields(server: LiveServer, trade: Trade) -> None:
    address = {name: "x" for name in ("name", "address1", "city", "state", "postalCode", "country")}
    base = {
        "customerOrderNumber": "W",
        "orderLines": [{"skuId": "A", "quantity": 1}],
        "shipTo": address,
    }
    cases = [
        ("customerOrderNumber", 30),  # the platform's own limit
        ("jobId", 20),  # the platform's own limit
        ("buyerOrderNumber", string_limit(SalesOrder, "OrderNumber")),
        ("carrierId", VALUE),
        ("orderLines[0].customerLineNumber", string_limit(OrderLine, "LineNumber")),
        ("orderLines[0].skuId", string_limit(ItemIdentifier, "SupplierSKU")),
        ("orderLines[0].customerSku", string_limit(ItemIdentifier, "PartnerSKU")),
        ("orderLines[0].quantityMeasure", string_limit(OrderLine, "QuantityUOM")),
        ("orderLines[0].description", string_limit(OrderLine, "Description")),
        ("shipTo.address1", string_limit(Contact, "Address1")),
        ("shipTo.city", string_limit(Contact, "City")),
        ("shipTo.email", string_limit(Contact, "Email")),
    ]
    con = text(30, uuid.uuid4().hex[:8])
    base["customerOrderNumber"] = con
    client = wms(server, trade.buyer)

    def stored(body: dict[str, Any], r: httpx.Response) -> None:
        [record] = trade.supplier.get("/Orders", params={"partnerPO": con}).json()["Records"]
        got = lb_order(trade.supplier, record["Identifier"]["LogicbrokerKey"])
        line, sent = got["OrderLines"][0], body["orderLines"][0]
        assert (got["PartnerPO"], got["OrderNumber"]) == (con, body["buyerOrderNumber"])
        assert attribute(got, "", "jobId") == body["jobId"] and attribute(got, "", "carrierId") == body["carrierId"]
        assert line["LineNumber"] == sent["customerLineNumber"]
        assert line["ItemIdentifier"] == {"SupplierSKU": sent["skuId"], "PartnerSKU": sent["customerSku"]}
        assert (line["QuantityUOM"], line["Description"]) == (sent["quantityMeasure"], sent["description"])
        ship_to = got["ShipToAddress"]
        assert (ship_to["Address1"], ship_to["City"], ship_to["Email"]) == (
            body["shipTo"]["address1"],
            body["shipTo"]["city"],
            body["shipTo"]["email"],
        )
        assert r.json()["data"]["orderLines"][0]["skuId"] == sent["skuId"]

    check_fields(
        lambda b: client.post(f"/business_units/{trade.supplier.id}/sales_orders", json=b),
        base,
        cases,
        stored,
        "OrderLines",
        frozenset({"customerOrderNumber"}),
    )
