"""A return's lifecycle pushed to a real receiver on loopback: each step under its own topic, signed,
with the return's key; the buyer hears the supplier's answers and the supplier hears the request."""

from __future__ import annotations

import json
import time

from tests.returns.helpers import request_return, shipped_order
from tests.support import PATIENCE, LiveServer, make_trade
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_webhooks import SECRET, subscribe, verified


def test_return_topics_reach_both_parties(fast_server: LiveServer, receiver: Receiver) -> None:
    trade = make_trade(fast_server)
    subscribe(trade.supplier, f"{receiver.url}/supplier", "Return.Requested")
    subscribe(trade.buyer, f"{receiver.url}/buyer", "*")
    order_key = shipped_order(trade, "PO-RMA-HOOK")
    key = request_return(trade, order_key, "R-H", [("01", 2)])
    assert trade.supplier.put(f"/Returns/{key}/Status/Authorised").status_code == 200
    r = trade.supplier.post(f"/Returns/{key}/Receipts", json={"ReceiptLines": [{"LineNumber": "01", "Quantity": 2}]})
    assert r.status_code == 201
    memo = {"CreditNumber": "CM-H", "CreditLines": [{"LineNumber": "01", "Quantity": 2}]}
    assert trade.supplier.post(f"/Returns/{key}/Credits", json=memo).status_code == 201

    (to_supplier,) = receiver.wait("/supplier", 1)
    assert verified(to_supplier, SECRET)
    payload = json.loads(to_supplier.body)
    assert payload["type"] == "return.requested"
    assert payload["data"]["LogicbrokerKey"] == key and payload["data"]["LinkKey"] == order_key

    wanted = {"return.requested", "return.authorised", "return.received", "return.credited"}
    deadline = time.monotonic() + PATIENCE
    while True:
        types = {json.loads(x.body)["type"] for x in receiver.on("/buyer")}
        if wanted <= types:
            break
        assert time.monotonic() < deadline, types
        time.sleep(0.05)
    credited = [json.loads(x.body) for x in receiver.on("/buyer") if json.loads(x.body)["type"] == "return.credited"]
    assert credited[0]["data"]["Summary"] == "Return R-H credited by CM-H: 2 unit(s), total 62.04"
    # The supplier subscribed to requests only.
    assert {json.loads(x.body)["type"] for x in receiver.on("/supplier")} == {"return.requested"}


def test_change_topics(fast_server: LiveServer, receiver: Receiver) -> None:
    trade = make_trade(fast_server)
    subscribe(trade.supplier, f"{receiver.url}/changes-in", "change.received")
    subscribe(trade.buyer, f"{receiver.url}/answers", "Change.Answered")
    order_key = shipped_order(trade, "PO-CHG-HOOK", ship1=1, ship2=0)
    body = {"ChangeNumber": "C-H", "ChangeLines": [{"LineNumber": "02", "Action": "Cancel"}]}
    r = trade.buyer.post(f"/Orders/{order_key}/Changes", json=body)
    assert r.status_code == 201, r.text
    change_key = r.json()["Body"]["LogicbrokerKey"]
    r = trade.supplier.post(f"/Orders/{order_key}/Changes/{change_key}/Answer", json={"Accept": True})
    assert r.status_code == 200, r.text
    (received,) = receiver.wait("/changes-in", 1)
    assert verified(received, SECRET)
    data = json.loads(received.body)["data"]
    assert data["LogicbrokerKey"] == change_key and "waits for the supplier's answer" in data["Summary"]
    (answered,) = receiver.wait("/answers", 1)
    assert json.loads(answered.body)["data"]["Summary"] == "Change C-H answered: line 02 accepted"
