"""What every JSON route refuses before any rule runs: a key given twice (400 naming it), a body that
says it is not JSON (415), NaN / Infinity anywhere and numbers no field can hold (422 naming the
field); and money kept with every digit sent (6 decimal places), more refused."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from pohub.documents.models import documents, order_lines
from tests.api.test_field_limits import rows
from tests.dialects.helpers import kojo, spectrum, wms
from tests.support import LiveServer, Trade

JSON = {"Content-Type": "application/json"}


def _order(trade: Trade, po: str, price: str = "2", qty: str = "5") -> str:
    template = (
        '{"PartnerPO": "<po>", "ReceiverCompanyId": <to>, "OrderLines": [{"LineNumber": "1", "Quantity": <qty>, '
        '"Price": <price>, "ItemIdentifier": {"SupplierSKU": "A"}}]}'
    )
    return (
        template.replace("<po>", po)
        .replace("<to>", str(trade.supplier.id))
        .replace("<qty>", qty)
        .replace("<price>", price)
    )


def _routes(server: LiveServer, trade: Trade, key: str, po: str) -> list[tuple[str, httpx.Client, str, str, str]]:
    """(name, client, method, url, body with {n} where a number goes) for every JSON route."""
    unit = trade.supplier.id
    return [
        ("order Price", trade.buyer.client, "POST", "/Orders", _order(trade, po + "-a{tag}", price="{n}")),
        ("order Quantity", trade.buyer.client, "POST", "/Orders", _order(trade, po + "-b{tag}", qty="{n}")),
        (
            "acknowledgement",
            trade.supplier.client,
            "POST",
            f"/Acknowledgement/{key}",
            '{"AckLines": [{"LineNumber": "1", "Quantity": {n}, "ItemIdentifier": {}}]}',
        ),
        (
            "shipment",
            trade.supplier.client,
            "POST",
            f"/Shipment/{key}",
            '{"ShipmentNumber": "S{tag}", '
            '"ShipmentLines": [{"LineNumber": "1", "Quantity": {n}, "ItemIdentifier": {}}]}',
        ),
        (
            "invoice",
            trade.supplier.client,
            "POST",
            f"/Invoice/{key}",
            '{"InvoiceNumber": "I{tag}", "InvoiceLines": [{"LineNumber": "1", "Quantity": 1, "Price": {n}, '
            '"ItemIdentifier": {}}]}',
        ),
        ("bulk status", trade.supplier.client, "PUT", "/Orders/Status", '{"Status": {n}, "LogicbrokerKeys": [1]}'),
        (
            "webhook",
            trade.supplier.client,
            "POST",
            "/Webhooks",
            '{"Address": "http://127.0.0.1:9/x", "Topic": "*", "Enabled": {n}}',
        ),
        (
            "kojo quantity",
            kojo(server, trade.supplier),
            "POST",
            f"/seller/order/{key}/acknowledge",
            '{"acknowledgementItems": [{"lineNumber": 1, "quantity": {n}, "unitsOfMeasure": "EA"}]}',
        ),
        (
            "kojo unitPriceFloat",
            kojo(server, trade.supplier),
            "POST",
            f"/seller/order/{key}/acknowledge",
            '{"acknowledgementItems": [{"lineNumber": 1, "quantity": 1, "unitPriceFloat": {n}, "extPriceFloat": 1, '
            '"unitsOfMeasure": "EA"}]}',
        ),
        (
            "spectrum quantity",
            spectrum(server, trade.buyer),
            "POST",
            "/api/order/acknowledgement",
            '{"purchaseOrderNumber": "' + po + '-s{tag}", "orderDate": "2024-01-01", '
            '"lineItems": [{"recipeSetId": "r", "sku": "A", "quantity": {n}}]}',
        ),
        (
            "wms quantity",
            wms(server, trade.buyer),
            "POST",
            f"/business_units/{unit}/sales_orders",
            '{"customerOrderNumber": "W{tag}", "orderLines": [{"skuId": "A", "quantity": {n}}]}',
        ),
        (
            "wms amount",
            wms(server, trade.buyer),
            "POST",
            f"/business_units/{unit}/sales_orders",
            '{"customerOrderNumber": "X{tag}", "orderLines": [{"skuId": "A", "quantity": 1, "amount": {n}}]}',
        ),
        (
            "wms bulk",
            wms(server, trade.buyer),
            "POST",
            f"/business_units/{unit}/sales_orders/bulk",
            '{"data": [{"customerOrderNumber": "Y{tag}", "orderLines": [{"skuId": "A", "quantity": {n}}]}]}',
        ),
    ]


def _fields(response: httpx.Response) -> list[str]:
    body = response.json()
    errors = body.get("Errors") or body.get("errors") or []
    return [str(e.get("Field") or e.get("field")) for e in errors]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_numbers_no_field_can_hold_are_422_naming_the_field_on_every_route(
    server: LiveServer, trade: Trade, number: str
) -> None:
    po = f"NUM-{uuid.uuid4().hex[:8]}"
    r = trade.buyer.post("/Orders", content=_order(trade, po), headers=JSON)
    assert r.status_code == 201, r.text
    key = r.json()["Body"]["LogicbrokerKey"]
    for name, client, method, url, template in _routes(server, trade, key, po):
        if number == "1e400" and name in ("bulk status", "webhook", "wms bulk"):
            continue  # not a number field there (a status name or code, a flag, an order the job reports)
        body = template.replace("{n}", number).replace("{tag}", uuid.uuid4().hex[:8])
        r = client.request(method, url, content=body, headers=JSON)
        assert r.status_code == 422, (name, r.text)
        fields = _fields(r)
        assert fields, (name, r.text)
        wanted = {"order Price": "Price", "order Quantity": "Quantity", "bulk status": "Status", "webhook": "Enabled"}
        assert any(f.endswith(wanted.get(name, "")) for f in fields), (name, fields)
        if "kojo" in name or "spectrum" in name or "wms" in name:
            assert not any(f.startswith(("AckLines", "OrderLines")) for f in fields), (name, fields)


def test_a_key_given_twice_is_400_naming_it(server: LiveServer, trade: Trade) -> None:
    body = b'{"PartnerPO": "D-1", "PartnerPO": "D-2", "OrderLines": []}'
    r = trade.buyer.post("/Orders", content=body, headers=JSON)
    assert r.status_code == 400, r.text
    assert r.json()["Errors"][0]["Field"] == "PartnerPO"
    assert "line 1 column" in r.json()["Errors"][0]["Error"]
    assert trade.buyer.get("/Orders", params={"partnerPO": "D-2"}).json()["TotalRecords"] == 0
    nested = b'{"AckLines": [{"LineNumber": "1", "Quantity": 1, "Quantity": 2, "ItemIdentifier": {}}]}'
    assert trade.supplier.post("/Acknowledgements", content=nested, headers=JSON).status_code == 400
    key = trade.buyer.post("/Orders", content=_order(trade, f"D-{uuid.uuid4().hex[:8]}"), headers=JSON).json()
    r = kojo(server, trade.supplier).post(
        f"/seller/order/{key['Body']['LogicbrokerKey']}/acknowledge",
        content=b'{"acknowledgementItems": [], "acknowledgementItems": []}',
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "acknowledgementItems", r.text
    r = spectrum(server, trade.buyer).post("/api/order", content=b'{"orderDate": 1, "orderDate": 2}')
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "orderDate", r.text
    r = trade.supplier.put("/Orders/Status", content=b'{"Status": 200, "Status": 1100, "LogicbrokerKeys": [1]}')
    assert r.status_code == 400 and r.json()["Errors"][0]["Field"] == "Status"


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
    ],
)
def test_a_body_that_is_not_json_is_415(server: LiveServer, trade: Trade, content_type: str) -> None:
    body = _order(trade, f"CT-{uuid.uuid4().hex[:8]}")
    headers = {"Content-Type": content_type}
    for client, url in (
        (trade.buyer.client, "/Orders"),
        (trade.supplier.client, "/Acknowledgements"),
        (trade.supplier.client, "/Webhooks"),
        (kojo(server, trade.supplier), "/seller/order/1/acknowledge"),
        (spectrum(server, trade.buyer), "/api/order"),
        (wms(server, trade.buyer), f"/business_units/{trade.supplier.id}/sales_orders/bulk"),
    ):
        r = client.post(url, content=body, headers=headers)
        assert r.status_code == 415, (url, r.text)
        assert "Content-Type" in r.text
    assert trade.supplier.put("/Orders/Status", content=b"{}", headers=headers).status_code == 415


@pytest.mark.parametrize(
    "headers",
    [{}, {"Content-Type": "application/json; charset=UTF-8"}, {"Content-Type": "application/vnd.pohub+json"}],
)
def test_json_types_and_a_missing_content_type_are_read_as_json(trade: Trade, headers: dict[str, str]) -> None:
    r = trade.buyer.post("/Orders", content=_order(trade, f"OK-{uuid.uuid4().hex[:8]}"), headers=headers)
    assert r.status_code == 201, r.text


def test_money_keeps_six_decimal_places_and_refuses_more(server: LiveServer, trade: Trade) -> None:
    po = f"M-{uuid.uuid4().hex[:8]}"
    r = trade.buyer.post("/Orders", content=_order(trade, po, price="0.00001"), headers=JSON)
    assert r.status_code == 201, r.text
    key = int(r.json()["Body"]["LogicbrokerKey"])
    [line] = rows(server, order_lines, order_id=key)
    assert line.price == Decimal("0.00001") and str(line.price) == "0.00001"
    assert kojo(server, trade.supplier).get(f"/seller/order/{key}").json()["items"][0]["unitPriceFloat"] == 0.00001

    r = trade.buyer.post("/Orders", content=_order(trade, po + "-7", price="0.0000001"), headers=JSON)
    assert r.status_code == 422 and "6 decimal places" in r.json()["Errors"][0]["Error"], r.text

    # The largest price a document takes, times the largest quantity, invoiced: every digit kept.
    big, qty = "99999999999999.999999", 2**31 - 1
    r = trade.buyer.post("/Orders", content=_order(trade, po + "-big", price=big, qty=str(qty)), headers=JSON)
    assert r.status_code == 201, r.text
    big_key = r.json()["Body"]["LogicbrokerKey"]
    [line] = rows(server, order_lines, order_id=int(big_key))
    assert line.price == Decimal(big)
    ship = {"ShipmentNumber": "S", "ShipmentLines": [{"LineNumber": "1", "Quantity": qty, "ItemIdentifier": {}}]}
    assert trade.supplier.post(f"/Shipment/{big_key}", json=ship).status_code == 201
    invoice: dict[str, Any] = {
        "InvoiceNumber": "I",
        "InvoiceLines": [{"LineNumber": "1", "Quantity": qty, "ItemIdentifier": {}}],
    }
    r = trade.supplier.post(f"/Invoice/{big_key}", json=invoice)
    assert r.status_code == 201, r.text
    [row] = rows(server, documents, id=int(r.json()["Body"]["LogicbrokerKey"]))
    assert row.total == (Decimal(big) * qty).quantize(Decimal("0.01"))
