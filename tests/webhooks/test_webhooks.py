"""Webhooks delivered to a real HTTP receiver on loopback: Standard Webhooks signatures checked
independently, retries on 5xx / network errors, no retry on other 4xx, dead-letter, replay, Test,
and the warehouse job's salesOrderAck."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from tests.dialects.helpers import create_order, wait_job, wms
from tests.support import PATIENCE, LiveServer, Party, free_port, make_trade
from tests.webhooks.conftest import Receiver

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
LINES = [{"LineNumber": 1, "Quantity": 2, "Price": 5, "ItemIdentifier": {"SupplierSKU": "A"}}]


def subscribe(party: Party, address: str, topic: str, secret: str | None = SECRET) -> dict[str, Any]:
    body = {"Address": address, "Topic": topic, "Enabled": True}
    if secret:
        body["SharedSecret"] = secret
    r = party.post("/Webhooks", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json()["Body"])


def verified(received: Any, secret: str) -> bool:
    """The Standard Webhooks check, written here from the specification (not pohub's code)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        sig.startswith("v1,") and hmac.compare_digest(sig[3:], expected)
        for sig in received.headers["webhook-signature"].split()
    )


def deliveries(party: Party, webhook_id: int, until: Any = None, timeout: float = PATIENCE) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        records = list(party.get(f"/Webhooks/{webhook_id}/Deliveries").json()["Records"])
        if until is None or until(records):
            return records
        assert time.monotonic() < deadline, records
        time.sleep(0.05)


def test_signed_delivery_and_retries(fast_server: LiveServer, receiver: Receiver) -> None:
    trade = make_trade(fast_server)
    ok = subscribe(trade.buyer, f"{receiver.url}/ok", "order.created")
    assert ok["SharedSecret"] == SECRET and ok["Topic"] == "order.created"
    flaky = subscribe(trade.supplier, f"{receiver.url}/flaky", "*")
    receiver.script["/flaky"] = [503, 500, 200]
    rejecting = subscribe(trade.supplier, f"{receiver.url}/reject", "order.created")
    receiver.script["/reject"] = [400]
    closed = subscribe(trade.supplier, f"http://127.0.0.1:{free_port()}/gone", "order.created")

    key = create_order(trade, "WH-1", LINES)

    [got] = receiver.wait("/ok", 1)
    assert verified(got, SECRET)
    assert not verified(got, "whsec_" + base64.b64encode(b"another secret, not ours!").decode())
    payload = json.loads(got.body)
    assert payload["type"] == "order.created" and payload["data"]["LinkKey"] == key
    assert payload["data"]["SenderId"] == trade.buyer.id and got.headers["webhook-id"].startswith("msg_")

    # 503, 500, then 200: delivered on the third attempt, with the same webhook-id each time.
    flaky_hits = receiver.wait("/flaky", 3)
    assert len({h.headers["webhook-id"] for h in flaky_hits}) == 1
    [d] = deliveries(trade.supplier, flaky["Id"], until=lambda rs: rs and rs[0]["State"] == "delivered")
    assert [a["StatusCode"] for a in d["AttemptLog"]] == [503, 500, 200] and d["Attempts"] == 3

    # 400 is final: one attempt, no retry.
    [d] = deliveries(trade.supplier, rejecting["Id"], until=lambda rs: rs and rs[0]["State"] == "failed")
    assert [a["StatusCode"] for a in d["AttemptLog"]] == [400]
    assert len(receiver.on("/reject")) == 1  # "failed" is final: a retry would have left it pending

    # Nobody listening: network errors, retried, then dead-lettered after three attempts.
    [d] = deliveries(trade.supplier, closed["Id"], until=lambda rs: rs and rs[0]["State"] == "dead")
    assert d["Attempts"] == 3 and all(a["StatusCode"] is None and a["Error"] for a in d["AttemptLog"])

    # Replay the refused one after the receiver is fixed.
    receiver.script["/reject"] = [204]
    refused = deliveries(trade.supplier, rejecting["Id"])[0]["Id"]
    r = trade.supplier.post(f"/Webhooks/{rejecting['Id']}/Deliveries/{refused}/Replay")
    assert r.status_code == 200 and r.json()["Body"]["State"] == "pending", r.text
    [d] = deliveries(trade.supplier, rejecting["Id"], until=lambda rs: rs and rs[0]["State"] == "delivered")
    assert [a["StatusCode"] for a in d["AttemptLog"]] == [400, 204]
    assert len(receiver.on("/reject")) == 2


def test_crud_test_message_and_tenancy(fast_server: LiveServer, receiver: Receiver) -> None:
    trade = make_trade(fast_server)
    hook = subscribe(trade.buyer, f"{receiver.url}/t", "Order.Status_Changed", secret=None)
    assert hook["Topic"] == "order.status_changed" and hook["SharedSecret"].startswith("whsec_")
    secret = hook["SharedSecret"]
    listed = trade.buyer.get("/Webhooks").json()["Records"]
    assert [h["Id"] for h in listed] == [hook["Id"]] and listed[0]["SharedSecret"] != secret
    assert trade.supplier.get(f"/Webhooks/{hook['Id']}").status_code == 404
    r = trade.buyer.post("/Webhooks", json={"Address": "ftp://x", "Topic": "order.created"})
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "Address"
    r = trade.buyer.post("/Webhooks", json={"Address": receiver.url, "Topic": "order.exploded"})
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "Topic"

    r = trade.buyer.get(f"/Webhooks/{hook['Id']}/Test")
    assert r.status_code == 200, r.text
    [got] = receiver.wait("/t", 1)
    assert verified(got, secret) and json.loads(got.body)["type"] == "webhook.test"

    # Disabled: events write no deliveries. Enabled again: a status change is delivered.
    assert trade.buyer.put(f"/Webhooks/{hook['Id']}", json={"Enabled": False}).json()["Body"]["Enabled"] is False
    key = create_order(trade, "WH-2", LINES)
    assert trade.supplier.put(f"/Orders/{key}/Status/200").status_code == 200
    assert trade.buyer.put(f"/Webhooks/{hook['Id']}", json={"Enabled": True}).status_code == 200
    assert trade.supplier.put(f"/Orders/{key}/Status/1100").status_code == 200
    hits = receiver.wait("/t", 2)
    # Delivery rows are written with the event: the change made while disabled has none, now or later.
    assert len(deliveries(trade.buyer, hook["Id"])) == 2 and len(receiver.on("/t")) == 2
    assert "to 1100 Cancelled" in json.loads(hits[1].body)["data"]["Summary"]
    assert trade.buyer.delete(f"/Webhooks/{hook['Id']}").status_code == 200
    assert trade.buyer.get(f"/Webhooks/{hook['Id']}").status_code == 404


def test_finished_bulk_import_is_pushed_as_sales_order_ack(fast_server: LiveServer, receiver: Receiver) -> None:
    trade = make_trade(fast_server)
    subscribe(trade.buyer, f"{receiver.url}/ack", "salesOrderAck")
    client = wms(fast_server, trade.buyer)
    orders = [
        {"customerOrderNumber": "J-1", "orderLines": [{"customerLineNumber": "1", "skuId": "A", "quantity": 1}]},
        {"customerOrderNumber": "J-2", "orderLines": [{"customerLineNumber": "1", "skuId": "", "quantity": 1}]},
    ]
    r = client.post(f"/business_units/{trade.supplier.id}/sales_orders/bulk", json={"data": orders})
    assert r.status_code == 202
    status = wait_job(client, r.json()["data"]["jobId"])
    [got] = receiver.wait("/ack", 1)
    assert verified(got, SECRET)
    body = json.loads(got.body)
    assert body["type"] == "job.finished" and body["data"] == status
    assert body["data"]["progress"] == {"processed": 2, "total": 2}
    assert [f["customerOrderNumber"] for f in body["data"]["failedOrders"]] == ["J-2"]


def test_deliveries_are_outbound_exchanges_and_retry_resends(fast_server: LiveServer, receiver: Receiver) -> None:
    trade = make_trade(fast_server)
    hook = subscribe(trade.buyer, f"{receiver.url}/picky", "order.created")
    receiver.script["/picky"] = [400]
    create_order(trade, "WH-EX-1", LINES)
    [d] = deliveries(trade.buyer, hook["Id"], until=lambda rs: rs and rs[0]["State"] == "failed")

    r = trade.buyer.get("/Exchanges", params={"direction": "out", "channel": "webhook"})
    [x] = r.json()["Records"]
    assert x["Id"] == d["Id"] and x["State"] == "failed" and x["Kind"] == "order.created" and x["StatusCode"] == 400
    one = trade.buyer.get(f"/Exchanges/{x['Id']}").json()["Body"]
    assert json.loads(one["Raw"])["type"] == "order.created"
    assert [a["StatusCode"] for a in one["AttemptLog"]] == [400]
    # The supplier's view has no such message.
    assert trade.supplier.get(f"/Exchanges/{x['Id']}").status_code == 404

    receiver.script["/picky"] = [200]
    r = trade.buyer.post(f"/Exchanges/{x['Id']}/Retry")
    assert r.status_code == 200 and r.json()["Body"]["State"] == "queued", r.text
    [d] = deliveries(trade.buyer, hook["Id"], until=lambda rs: rs and rs[0]["State"] == "delivered")
    assert [a["StatusCode"] for a in d["AttemptLog"]] == [400, 200]
    hits = receiver.on("/picky")
    assert len(hits) == 2 and len({h.headers["webhook-id"] for h in hits}) == 1
