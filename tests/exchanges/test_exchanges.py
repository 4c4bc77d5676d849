"""Every message that reaches pohub is an exchange: found afterwards with its bytes exactly as
received and what became of it, whichever channel it came by, and run again by Retry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.helpers import create_order, order_body
from tests.dialects.helpers import kojo, load, spectrum, wait_job, wms
from tests.dialects.test_wms import sales_order
from tests.support import LiveServer, Trade, connect, database_url, live_server, make_trade, sql
from tests.web.helpers import sign_in


def exchanges(party: Any, **filters: Any) -> list[dict[str, Any]]:
    r = party.get("/Exchanges", params=filters)
    assert r.status_code == 200, r.text
    return list(r.json()["Records"])


def exchange(party: Any, exchange_id: int) -> dict[str, Any]:
    r = party.get(f"/Exchanges/{exchange_id}")
    assert r.status_code == 200, r.text
    return dict(r.json()["Body"])


def newest(party: Any, **filters: Any) -> dict[str, Any]:
    found = exchanges(party, **filters)
    assert found, f"no exchange matches {filters}"
    return exchange(party, found[0]["Id"])


MALFORMED = b'{"AckLines": [{"LineNumber": "01", "Quantity": 2,}'


def test_api_messages_applied_refused_and_malformed(trade: Trade) -> None:
    key = create_order(trade, "EX-API-1")
    applied = newest(trade.buyer, channel="api", kind="order")
    assert applied["State"] == "applied" and applied["DocumentKey"] == key and applied["Direction"] == "in"
    assert json.loads(applied["Raw"])["PartnerPO"] == "EX-API-1"
    assert applied["PartnerId"] == trade.supplier.id

    r = trade.supplier.post(f"/Acknowledgement/{key}", content=MALFORMED, headers={"content-type": "application/json"})
    assert r.status_code == 400
    bad = newest(trade.supplier, channel="api", state="refused")
    assert bad["Raw"].encode() == MALFORMED and bad["StatusCode"] == 400
    assert bad["Error"]["Code"] == "400" and bad["Kind"] == "acknowledgement"
    assert bad["ContentType"] == "application/json"

    refused = {
        "AcknowledgementNumber": "A-9",
        "AckLines": [{"LineNumber": "07", "Quantity": 1, "ItemIdentifier": {"SupplierSKU": "49-98760"}}],
    }
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=refused)
    assert r.status_code == 422
    row = newest(trade.supplier, channel="api", state="refused")
    assert row["Error"]["Errors"][0]["Field"] == "AckLines[0].LineNumber"
    assert row["OrderKey"] == key and json.loads(row["Raw"]) == refused

    # The same document posted twice: the second is an exchange of its own, a duplicate.
    ack = {
        "AcknowledgementNumber": "A-1",
        "AckLines": [{"LineNumber": "01", "Quantity": 5, "ItemIdentifier": {"SupplierSKU": "49-98760"}}],
    }
    assert trade.supplier.post(f"/Acknowledgement/{key}", json=ack).status_code == 201
    assert trade.supplier.post(f"/Acknowledgement/{key}", json=ack).status_code == 200
    states = [x["State"] for x in exchanges(trade.supplier, kind="acknowledgement", orderKey=key)]
    assert states[:2] == ["duplicate", "applied"]

    # Tenancy: the buyer does not see the supplier's messages, nor can it open one.
    assert all(x["CompanyId"] == trade.buyer.id for x in exchanges(trade.buyer))
    assert trade.buyer.get(f"/Exchanges/{row['Id']}").status_code == 404


def test_filters_are_checked(trade: Trade) -> None:
    for params, field in (
        ({"state": "lost"}, "state"),
        ({"direction": "sideways"}, "direction"),
        ({"documentKey": "x1"}, "documentKey"),
        ({"pageSize": "0"}, "pageSize"),
    ):
        r = trade.buyer.get("/Exchanges", params=params)
        assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == field, r.text


def test_dialect_messages_are_kept_as_received(server: LiveServer, trade: Trade) -> None:
    key = create_order(trade, "EX-DIA-1")
    seller = kojo(server, trade.supplier)
    seed = (Path(__file__).parents[1] / "fixtures" / "dialects" / "kojo_acknowledge_seed.txt").read_bytes()
    assert seller.post(f"/seller/order/{key}/acknowledge", content=seed).status_code == 400
    row = newest(trade.supplier, channel="kojo")
    assert row["Raw"].encode() == seed and row["State"] == "refused" and row["Operation"] == "kojo.acknowledge"
    assert seller.post("/seller/order/999999999/acknowledge", json={"acknowledgementItems": []}).status_code == 404
    assert newest(trade.supplier, channel="kojo")["StatusCode"] == 404

    merchant = spectrum(server, trade.buyer)
    broken = b'{"purchaseOrderNumber": "SP-1", '
    assert merchant.post("/api/order/acknowledgement", content=broken).status_code == 400
    row = newest(trade.buyer, channel="spectrum")
    assert row["Raw"].encode() == broken and row["State"] == "refused"

    # A bulk of two: the body is one exchange, each order a child of it with its own outcome.
    good = load("spectrum_acknowledgements_corrected.json")
    first = dict(good[0], purchaseOrderNumber="EX-SP-BULK-1")
    r = merchant.post("/api/order/acknowledgements", json=[first, first])
    assert r.status_code == 200 and [x["allSuccessful"] for x in r.json()] == [True, False]
    parent = newest(trade.buyer, operation="spectrum.acknowledgements")
    kids = exchange(trade.buyer, parent["Id"])["Children"]
    assert [c["State"] for c in kids] == ["applied", "refused"]

    warehouse = wms(server, trade.buyer)
    unit = trade.supplier.id
    assert warehouse.post(f"/business_units/{unit}/sales_orders", content=b"{nope").status_code == 400
    assert newest(trade.buyer, channel="wms")["Raw"] == "{nope"
    assert warehouse.delete(f"/business_units/{unit}/sales_orders/NO-SUCH").status_code == 404
    cancel = newest(trade.buyer, channel="wms")
    assert cancel["Operation"] == "wms.cancel" and cancel["State"] == "refused"


def test_job_items_are_exchanges_of_their_own(server: LiveServer, trade: Trade) -> None:
    client = wms(server, trade.buyer)
    unit = trade.supplier.id
    orders = [sales_order("EX-J-1", ("10", "SKU-A", 2)), sales_order("EX-J-2", ("10", "SKU-A", 0))]
    r = client.post(f"/business_units/{unit}/sales_orders/bulk", json={"data": orders})
    assert r.status_code == 202
    job_id = r.json()["data"]["jobId"]
    wait_job(client, job_id)
    upload = newest(trade.buyer, operation="wms.bulk")
    assert upload["JobId"] == job_id
    kids = exchange(trade.buyer, upload["Id"])["Children"]
    assert sorted(k["State"] for k in kids) == ["applied", "refused"]
    assert all(k["JobId"] == job_id for k in kids)


def test_dashboard_forms_are_exchanges(server: LiveServer, trade: Trade) -> None:
    key = create_order(trade, "EX-WEB-1")
    ack = {
        "AcknowledgementNumber": "A-1",
        "AckLines": [{"LineNumber": "01", "Quantity": 5, "ItemIdentifier": {"SupplierSKU": "49-98760"}}],
    }
    assert trade.supplier.post(f"/Acknowledgement/{key}", json=ack).status_code == 201
    client, token = sign_in(server, trade.supplier)
    form = {"csrf": token, "shipment_number": "S-1", "ship_date": "2026-12-01", "qty-0": "2", "qty-1": "0"}
    assert client.post(f"/orders/{key}/ship", data=form).status_code == 303
    sent = newest(trade.supplier, channel="dashboard")
    assert sent["State"] == "applied" and sent["Kind"] == "shipment" and sent["OrderKey"] == key
    assert json.loads(sent["Raw"])["ShipmentNumber"] == "S-1"
    # The same number with another body: the hub refuses it (the form could not know).
    r = client.post(f"/orders/{key}/ship", data=form | {"qty-0": "1"})
    assert r.status_code == 409
    refused = newest(trade.supplier, channel="dashboard", state="refused")
    assert refused["OrderKey"] == key and refused["Error"]["Code"] == "409"
    # The author sees it on their own timeline; the partner's timeline does not show it.
    assert "not sent to the trading partner" in client.get(f"/orders/{key}").text
    buyer_events = trade.buyer.get(f"/Orders/{key}/Events").json()["Body"]["ActivityEvents"]
    assert not any("refused" in e["Summary"].lower() for e in buyer_events)


# ----------------------------------------------------------------- crashes, and Retry


@pytest.fixture
def fragile(backend: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own, whose database a test may break (and mend) under it."""
    with database_url(backend, tmp_path) as url, live_server(url, backend) as live:
        yield live


def test_a_crash_keeps_the_message_and_its_trace_id_and_retry_applies_it(fragile: LiveServer) -> None:
    trade = make_trade(fragile)
    key = create_order(trade, "EX-CRASH-0")
    # A real failure under the handler: the table the rules need is gone (the exchanges table is not).
    sql(fragile.database_url, "ALTER TABLE order_lines RENAME TO order_lines_away")
    try:
        r = trade.buyer.post("/Orders", json=order_body(trade, "EX-CRASH-1"))
        assert r.status_code == 500
        api_trace = r.json()["TraceId"]
        seller = kojo(fragile, trade.supplier)
        r = seller.post(f"/seller/order/{key}/acknowledge", json=load("kojo_acknowledge_corrected.json"))
        assert r.status_code == 500
        merchant = spectrum(fragile, trade.buyer)
        item = dict(load("spectrum_acknowledgements_corrected.json")[0], purchaseOrderNumber="EX-CRASH-SP")
        r = merchant.post("/api/order/acknowledgement", json=item)
        assert r.status_code == 500 and r.json()["traceId"]
        spectrum_trace = r.json()["traceId"]
    finally:
        sql(fragile.database_url, "ALTER TABLE order_lines_away RENAME TO order_lines")

    failed = {x["Channel"]: x for x in exchanges(trade.buyer, state="failed")}
    assert failed["api"]["TraceId"] == api_trace and failed["api"]["StatusCode"] == 500
    assert failed["spectrum"]["TraceId"] == spectrum_trace
    assert exchanges(trade.supplier, state="failed", channel="kojo")
    row = exchange(trade.buyer, failed["api"]["Id"])
    assert json.loads(row["Raw"])["PartnerPO"] == "EX-CRASH-1"

    # The cause is fixed: Retry applies the very message, on the same exchange.
    r = trade.buyer.post(f"/Exchanges/{row['Id']}/Retry")
    assert r.status_code == 200, r.text
    again = r.json()["Body"]
    assert again["Id"] == row["Id"] and again["State"] == "applied" and again["Attempts"] == 2
    made = trade.buyer.get(f"/Orders/{again['DocumentKey']}")
    assert made.status_code == 200 and made.json()["Body"]["SalesOrder"]["PartnerPO"] == "EX-CRASH-1"
    # Applied now: a second Retry is refused, and changes nothing.
    assert trade.buyer.post(f"/Exchanges/{row['Id']}/Retry").status_code == 409
    assert trade.buyer.get("/Orders", params={"partnerPO": "EX-CRASH-1"}).json()["TotalRecords"] == 1


def test_retry_of_a_refusal_whose_cause_is_fixed(server: LiveServer) -> None:
    trade = make_trade(server)
    other = make_trade(server)
    # Sent to a supplier the buyer is not connected with: refused ...
    body = order_body(trade, "EX-RETRY-1") | {"ReceiverCompanyId": other.supplier.id}
    assert trade.buyer.post("/Orders", json=body).status_code == 403
    row = newest(trade.buyer, state="refused")
    r = trade.buyer.post(f"/Exchanges/{row['Id']}/Retry")
    assert r.status_code == 200 and r.json()["Body"]["State"] == "refused" and r.json()["Body"]["Attempts"] == 2
    # ... until they are connected.
    connect(server, trade.buyer, other.supplier)
    r = trade.buyer.post(f"/Exchanges/{row['Id']}/Retry")
    assert r.json()["Body"]["State"] == "applied", r.text
