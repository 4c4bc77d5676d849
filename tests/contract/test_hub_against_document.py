"""pohub's hub behind ``prism proxy --errors``: every request and every answer of the six-step flow
and of every search is checked against Logicbroker's published v3 document, under /api/v3 and with
the same paths under /api/v1. Any violation Prism finds (it answers 422 for a request, 500 for an
answer, and logs it) fails the test."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from pohub.api import answers
from pohub.core import jsonio
from pohub.db.engine import Database
from pohub.documents import repository as repo
from pohub.documents.examples import sales_order
from tests.prism import PrismProcess, prism_proxy
from tests.support import LiveServer, Party, Trade, make_trade

VERSIONS = ("v1", "v3")


@pytest.fixture(scope="module")
def proxy(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismProcess]:
    with prism_proxy(tmp_path_factory.mktemp("prism"), server.url, versions=VERSIONS) as prism:
        yield prism


@pytest.fixture
def clean(proxy: PrismProcess) -> Iterator[PrismProcess]:
    """The proxy, with the test failing on anything Prism found during it."""
    proxy.lines.clear()
    yield proxy
    proxy.assert_clean()


class Via:
    """One party talking to the hub through Prism, as the platform's clients do (subscription-key)."""

    def __init__(self, prism: PrismProcess, party: Party, version: str) -> None:
        self.http = httpx.Client(
            base_url=f"{prism.url}/api/{version}", params={"subscription-key": party.key}, timeout=60
        )

    def call(self, method: str, path: str, *, expect: int = 200, **kw: Any) -> Any:
        if "json" in kw:
            kw["content"] = jsonio.dumps(kw.pop("json"))
            kw["headers"] = {"Content-Type": "application/json"}
        r = self.http.request(method, path, **kw)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text[:2000]}"
        return jsonio.loads(r.content) if r.content else None


def _order(trade: Trade, po: str) -> dict[str, Any]:
    """Seed 002's order between the trade's companies, written in the definitions' formats (a client
    of the published document sends date-times, not dates)."""
    body = sales_order(
        PartnerPO=po,
        SenderCompanyId=trade.buyer.id,
        ReceiverCompanyId=trade.supplier.id,
        OrderLines=[
            {"LineNumber": "1", "Quantity": 5, "Price": 31.02, "ItemIdentifier": {"SupplierSKU": "49-98760"}},
            {"LineNumber": "2", "Quantity": 3, "Price": 10.5, "ItemIdentifier": {"SupplierSKU": "PIP-200"}},
        ],
    )
    return answers.document("order", body)


@pytest.mark.parametrize("version", VERSIONS)
def test_six_step_flow_and_every_read_follow_the_document(
    server: LiveServer, clean: PrismProcess, version: str
) -> None:
    trade = make_trade(server)
    buyer, supplier = Via(clean, trade.buyer, version), Via(clean, trade.supplier, version)
    po = f"PO-DOC-{version}"
    created = buyer.call("POST", "/Orders", json=_order(trade, po), expect=201)
    key = created["Body"]["LogicbrokerKey"]

    # (1) the POs ready to acknowledge, (2) one in full, (3) picked up
    listed = supplier.call("GET", "/Orders", params={"Filters.status": "150"})
    assert [r["Identifier"]["LogicbrokerKey"] for r in listed["Records"]] == [key]
    order = supplier.call("GET", f"/Orders/{key}")["Body"]["SalesOrder"]
    assert order["OrderLines"][0]["QuantityAcknowledged"] == 0
    supplier.call("PUT", f"/Orders/{key}/Status/200")
    status = supplier.call("GET", f"/Orders/{key}/Status")["Body"]
    assert status["Status"] == "Acknowledged" and status["StatusCode"] == 200

    # (4) acknowledge: line 1 in full, line 2 one now and two backordered
    ack = {
        "AcknowledgementNumber": f"ACK-{po}",
        "Identifier": {"LinkKey": key},
        "AcknowledgementDate": "2026-12-01T09:00:00Z",
        "ScheduledShipDate": "2026-12-03T00:00:00Z",
        "AckLines": [
            {"LineNumber": "1", "Quantity": 5, "ItemIdentifier": {"SupplierSKU": "49-98760"}},
            {"LineNumber": "2", "Quantity": 1, "QuantityBackordered": 2, "ItemIdentifier": {"SupplierSKU": "PIP-200"}},
        ],
    }
    ack_key = supplier.call("POST", "/Acknowledgements", json=ack, expect=201)["Body"]["LogicbrokerKey"]
    one_ack = supplier.call("GET", f"/Acknowledgements/{ack_key}")["Body"]
    assert one_ack["AckLines"][1]["QuantityBackordered"] == 2  # the acknowledgement is Body itself

    # (5) ship, in two shipments: the document's routes (by the order, and by Identifier.LinkKey)
    first = {
        "ShipmentNumber": f"SHP-{po}-1",
        "ShipmentDate": "2026-12-03T10:00:00Z",
        "ShipmentLines": [
            {
                "LineNumber": "1",
                "Quantity": 5,
                "ItemIdentifier": {"SupplierSKU": "49-98760"},
                "ShipmentInfos": [{"TrackingNumber": "1Z1", "Qty": 5, "DateShipped": "2026-12-03T10:00:00Z"}],
            }
        ],
    }
    ship_key = supplier.call("POST", f"/Orders/{key}/Shipments", json=first, expect=201)["Body"]["LogicbrokerKey"]
    second = {
        "ShipmentNumber": f"SHP-{po}-2",
        "Identifier": {"LinkKey": key},
        "ShipmentLines": [{"LineNumber": "2", "Quantity": 1, "ItemIdentifier": {"SupplierSKU": "PIP-200"}}],
    }
    supplier.call("POST", "/Shipments", json=second, expect=201)

    # (6) invoice what shipped, both ways
    invoice = {
        "InvoiceNumber": f"INV-{po}-1",
        "InvoiceDate": "2026-12-04T00:00:00Z",
        "InvoiceTotal": Decimal("155.10"),
        "InvoiceLines": [
            {"LineNumber": "1", "Quantity": 5, "Price": 31.02, "ItemIdentifier": {"SupplierSKU": "49-98760"}}
        ],
    }
    inv_key = supplier.call("POST", f"/Orders/{key}/Invoices", json=invoice, expect=201)["Body"]["LogicbrokerKey"]
    supplier.call(
        "POST",
        "/Invoices",
        json={
            "InvoiceNumber": f"INV-{po}-2",
            "Identifier": {"LinkKey": key},
            "InvoiceLines": [
                {"LineNumber": "2", "Quantity": 1, "Price": 10.5, "ItemIdentifier": {"SupplierSKU": "PIP-200"}}
            ],
        },
        expect=201,
    )

    # every read of what the flow made, as both parties
    for party in (buyer, supplier):
        assert party.call("GET", f"/Orders/{key}/Status")["Body"]["StatusCode"] == 500  # two units backordered
        events = party.call("GET", f"/Orders/{key}/ActivityEvents")["Body"]["ActivityEvents"]
        assert all(isinstance(e.get("LogicbrokerKey", 0), int) for e in events) and events
        assert len(party.call("GET", f"/Orders/{key}/Shipments")["Body"]["Shipments"]) == 2
        assert len(party.call("GET", f"/Orders/{key}/Invoices")["Body"]["Invoices"]) == 2
        assert (
            party.call("GET", f"/Shipments/{ship_key}")["Body"]["Shipment"]["ShipmentNumber"] == first["ShipmentNumber"]
        )
        assert party.call("GET", f"/Invoices/{inv_key}")["Body"]["Invoice"]["InvoiceTotal"] == Decimal("155.10")
        assert party.call("GET", f"/Acknowledgements/{ack_key}/Status")["Body"]["StatusCode"] == 1000
        party.call("GET", f"/Shipments/{ship_key}/status")
        party.call("GET", f"/Invoices/{inv_key}/Status")
        assert party.call("GET", f"/Shipments/{ship_key}/Events")["Body"]["ActivityEvents"]
        party.call("GET", f"/Invoices/{inv_key}/Events")
    partners = supplier.call("GET", "/Partners")["Body"]["Partners"]
    assert [(p["Id"], p["IsMerchant"], p["Status"]) for p in partners] == [(trade.buyer.id, True, "Active")]
    assert buyer.call("GET", "/Partners")["Body"]["Partners"][0]["IsMerchant"] is False
    statuses = supplier.call("GET", "/Statuses")["Body"]["DocumentTypeStatuses"]
    assert {
        "DocumentType": "Order",
        "StatusId": 150,
        "StatusDescription": "Ready to Acknowledge",
        "Default": True,
    } in statuses
    assert {s["DocumentType"] for s in supplier.call("GET", "/Statuses/Shipment")["Body"]["DocumentTypeStatuses"]} == {
        "Shipment"
    }
    # A move the supplier may make by hand (the authority table): picking up a new PO.
    fresh = buyer.call("POST", "/Orders", json=_order(trade, po + "-B"), expect=201)["Body"]["LogicbrokerKey"]
    bulk = supplier.call(
        "PUT", "/Orders/Status", json={"Status": "200", "OnlyIncreaseStatus": True, "LogicbrokerKeys": [fresh]}
    )
    assert bulk["Records"] == [fresh]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_search_follows_the_document(server: LiveServer, clean: PrismProcess, version: str) -> None:
    trade = make_trade(server)
    buyer, supplier = Via(clean, trade.buyer, version), Via(clean, trade.supplier, version)
    po = f"PO-SEARCH-{version}"
    key = buyer.call("POST", "/Orders", json=_order(trade, po), expect=201)["Body"]["LogicbrokerKey"]
    supplier.call(
        "POST",
        "/Acknowledgements",
        json={
            "AcknowledgementNumber": f"A-{po}",
            "Identifier": {"LinkKey": key},
            "AckLines": [{"LineNumber": "1", "Quantity": 5, "ItemIdentifier": {}}],
        },
        expect=201,
    )
    supplier.call(
        "POST",
        f"/Orders/{key}/Shipments",
        json={"ShipmentNumber": f"S-{po}", "ShipmentLines": [{"LineNumber": "1", "Quantity": 2, "ItemIdentifier": {}}]},
        expect=201,
    )
    supplier.call(
        "POST",
        f"/Orders/{key}/Invoices",
        json={"InvoiceNumber": f"I-{po}", "InvoiceLines": [{"LineNumber": "1", "Quantity": 2, "ItemIdentifier": {}}]},
        expect=201,
    )
    filters = [
        {},
        {"Filters.status": "500"},
        {"Filters.partnerPO": po},
        {"Filters.sourceKey": "1599999990"},
        {"Filters.linkkey": key},
        {"Filters.from": "2020-01-01T00:00:00Z", "Filters.to": "2099-01-01T00:00:00+02:00"},
        {"Filters.page": "1", "Filters.pageSize": "1"},
        {"Filters.senderCompanyId": str(trade.buyer.id)},
        {"Filters.receiverCompanyId": str(trade.supplier.id)},
    ]
    for party in (buyer, supplier):
        for path in ("/Orders", "/Acknowledgements", "/Shipments", "/Invoices"):
            for params in filters:
                party.call("GET", path, params=params)
        found = party.call("GET", "/Orders", params={"Filters.partnerPO": po})
        assert [r["Identifier"]["LogicbrokerKey"] for r in found["Records"]] == [key]
        for path in ("/Shipments", "/Invoices", "/Acknowledgements"):
            records = party.call("GET", path, params={"Filters.linkkey": key})["Records"]
            assert len(records) == 1 and records[0]["Identifier"]["LinkKey"] == key
    waiting = buyer.call("POST", "/Orders", json=_order(trade, "PO-READY"), expect=201)
    for params in ({}, {"filters.page": "1", "filters.pageSize": "10"}):
        ready = supplier.call("GET", "/Orders/Ready", params=params)
        assert [r["Identifier"]["LogicbrokerKey"] for r in ready["Records"]] == [waiting["Body"]["LogicbrokerKey"]]
        keys = supplier.call("GET", "/Orders/LogicbrokerKeys/Ready", params=params)
        assert keys["Records"] == [waiting["Body"]["LogicbrokerKey"]]


def test_date_only_input_is_kept_and_answered_as_date_time(server: LiveServer, clean: PrismProcess) -> None:
    """The seeds' own order says "OrderDate": "2013-10-31": the hub takes it (directly: Prism would
    refuse such a request), keeps it in the stored body, and answers the document's date-time."""
    trade = make_trade(server)
    body = sales_order(
        PartnerPO="PO-DATES",
        SenderCompanyId=trade.buyer.id,
        ReceiverCompanyId=trade.supplier.id,
        OrderLines=[{"LineNumber": 1, "Quantity": 2, "Price": "4.5", "ItemIdentifier": {"SupplierSKU": "X"}}],
    )
    assert body["OrderDate"] == "2013-10-31" and body["SalesRequirement"] == "0" and body["Note"]
    body["Note"] = None
    r = trade.buyer.post("/Orders", content=jsonio.dumps(body))
    assert r.status_code == 201, r.text
    key = r.json()["Body"]["LogicbrokerKey"]
    for version in VERSIONS:
        order = Via(clean, trade.supplier, version).call("GET", f"/Orders/{key}")["Body"]["SalesOrder"]
        assert order["OrderDate"] == "2013-10-31T00:00:00Z"
        assert order["PaymentTerm"]["DueDate"] == "0001-01-01T00:00:00Z"
        assert order["DocumentDate"].endswith(("Z", "+00:00"))
        assert order["SalesRequirement"] == 0 and order["OrderLines"][0]["LineNumber"] == "1"
        assert order["OrderLines"][0]["Price"] == 4.5 and "Note" not in order
    raw = asyncio.run(_raw(server.database_url, int(key), trade.supplier.id))
    assert b'"OrderDate": "2013-10-31"' in raw or b'"OrderDate":"2013-10-31"' in raw
    assert b'"LineNumber":1' in raw.replace(b" ", b"") and b'"Note":null' in raw.replace(b" ", b"")


async def _raw(database_url: str, doc_id: int, company_id: int) -> bytes:
    db = Database(database_url, pool_size=1)
    try:
        async with db.read() as conn:
            row = await repo.get_document(conn, doc_id=doc_id, company_id=company_id)
        raw = row.raw
        return raw if isinstance(raw, bytes) else str(raw).encode()
    finally:
        await db.dispose()
