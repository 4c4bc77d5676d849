"""inventory.updated delivered to a real receiver on loopback: to the supplier and to each buyer it
trades with (those who may see the stock), signed, once per change; never to anyone else, and not for a
refused broadcast (deliveries are written in the change's own transaction, so their absence is
checked at once, with no waiting)."""

from __future__ import annotations

import json

from tests.inventory.helpers import broadcast_csv, published
from tests.support import LiveServer, make_party, make_trade
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_webhooks import SECRET, deliveries, subscribe, verified


def test_inventory_updated_reaches_the_supplier_and_its_buyers(fast_server: LiveServer, receiver: Receiver) -> None:
    trade = make_trade(fast_server)
    stranger = make_party(fast_server)
    buyer_hook = subscribe(trade.buyer, f"{receiver.url}/buyer", "inventory.updated")
    supplier_hook = subscribe(trade.supplier, f"{receiver.url}/supplier", "*")
    orders_only = subscribe(trade.buyer, f"{receiver.url}/orders-only", "order.created")
    stranger_hook = subscribe(stranger, f"{receiver.url}/stranger", "inventory.updated")

    body = published(trade.supplier, "SupplierSKU,Quantity\nTIP-200,30\nGLV-M,0\n")

    [got] = receiver.wait("/buyer", 1)
    assert verified(got, SECRET)
    payload = json.loads(got.body)
    assert payload["type"] == "inventory.updated"
    data = payload["data"]
    assert (data["SupplierId"], data["Operation"], data["Items"]) == (trade.supplier.id, "broadcast", 2)
    assert data["SupplierSKUs"] == ["TIP-200", "GLV-M"] and data["ExchangeId"] == body["ExchangeId"]
    # The payload says what changed; the stock itself is downloaded, from the time it names on.
    r = trade.buyer.get(f"/Inventory/{trade.supplier.id}", params={"modifiedAfter": data["LastUpdate"]})
    assert r.status_code == 200 and r.text.count("\n") == 3
    [mine] = receiver.wait("/supplier", 1)
    assert json.loads(mine.body)["data"] == data

    assert deliveries(stranger, stranger_hook["Id"]) == []
    assert deliveries(trade.buyer, orders_only["Id"]) == []

    # A refused broadcast changes nothing and tells nobody.
    assert broadcast_csv(trade.supplier, "SupplierSKU,Quantity\nX,bad\n").status_code == 422
    assert len(deliveries(trade.buyer, buyer_hook["Id"])) == 1

    assert trade.supplier.put(f"/Inventory/{trade.supplier.id}/ZeroOut").status_code == 200
    hits = receiver.wait("/buyer", 2)
    zeroed = json.loads(hits[1].body)["data"]
    assert (zeroed["Operation"], zeroed["Items"], zeroed["SupplierSKUs"]) == ("zero_out", 2, None)
    assert len({h.headers["webhook-id"] for h in hits}) == 2
    assert len(receiver.wait("/supplier", 2)) == 2
    assert len(deliveries(trade.supplier, supplier_hook["Id"])) == 2
    assert deliveries(stranger, stranger_hook["Id"]) == []
