"""Every string field of every document kind at its limit is accepted and stored exactly (on
PostgreSQL too, where a column narrower than the limit answered 500), and one character more is a
422 naming the field and the limit. The limits are the wire models' (scripts/gen_logicbroker_models.py)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select

from pohub.db.engine import Database
from pohub.documents.logicbroker import (
    Acknowledgement,
    Invoice,
    ItemIdentifier,
    OrderLine,
    SalesOrder,
    Shipment,
    ShipmentInfo,
)
from pohub.documents.models import documents, order_lines
from pohub.documents.types import string_limit
from tests.api.wire_fields import get, put, string_fields
from tests.support import LiveServer, Trade

# Filled with a two-byte character: limits count characters, on both backends.
FILL = "é"
# Fields the hub answers with its own value, whatever was sent.
HUB_OWNED = {"Identifier.LogicbrokerKey"}


def text(length: int, tag: str) -> str:
    return (tag + "-" + FILL * length)[:length]


def document(model: type[Any], extra: int, fixed: dict[str, Any], tag: str) -> dict[str, Any]:
    """Every string field of ``model`` at its limit + ``extra`` characters, then ``fixed`` on top."""
    doc: dict[str, Any] = {}
    for n, (path, limit) in enumerate(string_fields(model)):
        put(doc, path, text(limit + extra, f"{tag}{n}"))
    for path, value in fixed.items():
        put(doc, path, value)
    return doc


def rows(server: LiveServer, table: Any, **where: Any) -> list[Any]:
    async def go() -> list[Any]:
        db = Database(server.database_url, pool_size=1)
        try:
            async with db.read() as conn:
                cond = [table.c[k] == v for k, v in where.items()]
                return list((await conn.execute(select(table).where(*cond))).all())
        finally:
            await db.dispose()

    return asyncio.run(go())


def assert_stored(sent: dict[str, Any], got: dict[str, Any], model: type[Any], skip: set[str]) -> None:
    for path, limit in string_fields(model):
        if path in HUB_OWNED | skip:
            continue
        assert get(got, path) == get(sent, path), path
        assert len(get(got, path)) == limit or path in skip, path


def assert_refused_naming_every_field(response: Any, model: type[Any], skip: frozenset[str] = frozenset()) -> None:
    assert response.status_code == 422, response.text
    errors = {e["Field"]: e["Error"] for e in response.json()["Errors"]}
    expected = {path: limit for path, limit in string_fields(model) if path not in skip}
    assert set(errors) == set(expected), set(expected) ^ set(errors)
    for path, limit in expected.items():
        assert f"at most {limit} characters" in errors[path], (path, errors[path])


def test_every_string_field_at_its_limit_is_stored_and_one_more_is_refused(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:6]
    po = text(string_limit(SalesOrder, "PartnerPO"), f"PO{tag}")
    line_number = text(string_limit(OrderLine, "LineNumber"), f"L{tag}")
    sku = text(string_limit(ItemIdentifier, "SupplierSKU"), f"S{tag}")
    order_fixed = {
        "PartnerPO": po,
        "SenderCompanyId": trade.buyer.id,
        "ReceiverCompanyId": trade.supplier.id,
        "OrderLines[0].LineNumber": line_number,
        "OrderLines[0].ItemIdentifier.SupplierSKU": sku,
        "OrderLines[0].Quantity": 5,
        "OrderLines[0].Price": 10,
    }

    # Orders: one more character anywhere is a 422 naming the field, with nothing stored.
    r = trade.buyer.post("/Orders", json=document(SalesOrder, 1, {"SenderCompanyId": trade.buyer.id}, tag))
    assert_refused_naming_every_field(r, SalesOrder)
    order = document(SalesOrder, 0, order_fixed, tag)
    r = trade.buyer.post("/Orders", json=order)
    assert r.status_code == 201, r.text
    key = r.json()["Body"]["LogicbrokerKey"]
    got = trade.buyer.get(f"/Orders/{key}").json()["Body"]["SalesOrder"]
    assert_stored(order, got, SalesOrder, set())
    [head] = rows(server, documents, id=int(key))
    assert (head.partner_po, head.number, head.source_key, head.link_key) == (
        po,
        order["OrderNumber"],
        order["Identifier"]["SourceKey"],
        order["Identifier"]["LinkKey"],
    )
    [line] = rows(server, order_lines, order_id=int(key))
    sent_line = order["OrderLines"][0]
    assert (line.line_number, line.supplier_sku, line.partner_sku, line.description, line.uom) == (
        line_number,
        sku,
        sent_line["ItemIdentifier"]["PartnerSKU"],
        sent_line["Description"],
        sent_line["QuantityUOM"],
    )

    # The supplier's documents name the order's own PartnerPO, line and SKU (at their limits too).
    def supplier_fixed(lines: str, **more: Any) -> dict[str, Any]:
        return {
            "PartnerPO": po,
            "Identifier.LinkKey": key,
            f"{lines}[0].LineNumber": line_number,
            f"{lines}[0].ItemIdentifier.SupplierSKU": sku,
            **more,
        }

    cases: list[tuple[str, str, type[Any], dict[str, Any]]] = [
        (
            "/Acknowledgements",
            "Acknowledgement",
            Acknowledgement,
            supplier_fixed("AckLines", **{"AckLines[0].Quantity": 5}),
        ),
        (
            "/Shipments",
            "Shipment",
            Shipment,
            supplier_fixed(
                "ShipmentLines", **{"ShipmentLines[0].Quantity": 5, "ShipmentLines[0].ShipmentInfos[0].Qty": 5}
            ),
        ),
        (
            "/Invoices",
            "Invoice",
            Invoice,
            supplier_fixed("InvoiceLines", **{"InvoiceLines[0].Quantity": 5, "InvoiceLines[0].Price": 10}),
        ),
    ]
    for path, label, model, fixed in cases:
        r = trade.supplier.post(path, json=document(model, 1, {}, tag))
        assert_refused_naming_every_field(r, model)
        doc = document(model, 0, fixed, tag)
        r = trade.supplier.post(path, json=doc)
        assert r.status_code == 201, (label, r.text)
        doc_key = r.json()["Body"]["LogicbrokerKey"]
        body = trade.supplier.get(f"{path}/{doc_key}").json()["Body"]
        got = body.get(label, body)  # v3 puts an acknowledgement in Body itself
        assert_stored(doc, got, model, {"Identifier.LinkKey"})
        [row] = rows(server, documents, id=int(doc_key))
        number_field = f"{label}Number"
        assert (row.number, row.source_key, row.partner_po) == (doc[number_field], doc["Identifier"]["SourceKey"], po)
        if label == "Acknowledgement":
            [line] = rows(server, order_lines, order_id=int(key))
            assert line.change_reason == doc["AckLines"][0]["ChangeReason"]
    assert trade.buyer.get(f"/Orders/{key}").json()["Body"]["SalesOrder"]["StatusCode"] == 1000


def test_nul_is_refused_in_bodies_and_in_urls(trade: Trade) -> None:
    po = f"NUL-{uuid.uuid4().hex[:8]}"
    body = {
        "PartnerPO": po,
        "ReceiverCompanyId": trade.supplier.id,
        "OrderLines": [{"LineNumber": "1", "Quantity": 1, "ItemIdentifier": {"SupplierSKU": "A\u0000B"}}],
    }
    r = trade.buyer.post("/Orders", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["Errors"] == [
        {"Field": "OrderLines[0].ItemIdentifier.SupplierSKU", "Error": "must not contain the NUL character (\\u0000)"}
    ]
    # In a key, in an unknown field: refused all the same (PostgreSQL could not store the body's columns).
    r = trade.buyer.post("/Orders", content=b'{"PartnerPO": "x", "Not\\u0000e": 1, "OrderLines": []}')
    assert r.status_code == 422 and "NUL" in r.json()["Errors"][0]["Error"]
    assert trade.buyer.get("/Orders", params={"partnerPO": po}).json()["TotalRecords"] == 0

    for url in ("/Orders?partnerPO=a%00b", "/Orders?Filters.sourceKey=%00", "/Acknowledgements?linkkey=1%00"):
        r = trade.supplier.get(url)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["Errors"][0]["Field"] in ("partnerPO", "Filters.sourceKey", "linkkey")
    r = trade.supplier.get("/Orders/1%00")
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "path"


def test_an_event_quoting_long_values_fits_its_column(trade: Trade) -> None:
    """A shipment's event lists its tracking numbers: eight at their limit are longer than the event
    summary column (500), which answered 500 on PostgreSQL. The summary is cut, the details keep all."""
    po = f"EV-{uuid.uuid4().hex[:8]}"
    r = trade.buyer.post(
        "/Orders",
        json={
            "PartnerPO": po,
            "ReceiverCompanyId": trade.supplier.id,
            "OrderLines": [{"LineNumber": "1", "Quantity": 8, "ItemIdentifier": {"SupplierSKU": "A"}}],
        },
    )
    key = r.json()["Body"]["LogicbrokerKey"]
    tracking = [text(string_limit(ShipmentInfo, "TrackingNumber"), f"T{n}") for n in range(8)]
    shipment = {
        "ShipmentNumber": "S-1",
        "ShipmentLines": [
            {
                "LineNumber": "1",
                "ItemIdentifier": {},
                "ShipmentInfos": [{"TrackingNumber": t, "Qty": 1} for t in tracking],
            }
        ],
    }
    r = trade.supplier.post(f"/Shipment/{key}", json=shipment)
    assert r.status_code == 201, r.text
    [event] = [
        e
        for e in trade.buyer.get(f"/Orders/{key}/Events").json()["Body"]["ActivityEvents"]
        if e["Category"] == "Shipment"
    ]
    assert len(event["Summary"]) <= 500 and event["Summary"].endswith("\u2026")
    assert all(t in event["Details"] for t in tracking)
