"""The Messages page: the company's exchanges with state chips and filters; one message with its
payload, the error on the line of the field it names, and Retry."""

from __future__ import annotations

import re

from tests.api.helpers import create_order
from tests.support import LiveServer, Trade
from tests.web.helpers import csrf_of, sign_in


def test_messages_list_detail_and_retry(server: LiveServer, trade: Trade) -> None:
    key = create_order(trade, "MSG-1")
    bad = {
        "AcknowledgementNumber": "A-1",
        "AckLines": [{"LineNumber": "01", "Quantity": -3, "ItemIdentifier": {"SupplierSKU": "49-98760"}}],
    }
    assert trade.supplier.post(f"/Acknowledgement/{key}", json=bad).status_code == 422
    client, _ = sign_in(server, trade.supplier)

    listing = client.get("/messages", params={"state": "refused"})
    assert listing.status_code == 200
    ids = re.findall(r'href="/messages/(\d+)"', listing.text)
    assert len(ids) == 1 and "must not be negative" in listing.text
    # The buyer's order creation is the buyer's message, not the supplier's.
    assert "MSG-1" not in client.get("/messages", params={"direction": "in", "kind": "order"}).text

    page = client.get(f"/messages/{ids[0]}")
    assert page.status_code == 200
    # The error sits on the payload line of the field it names.
    [marked] = re.findall(
        r'<li class="has-error"><code>([^<]*)</code><span class="field-error">([^<]*)</span>', page.text
    )
    assert "&#34;Quantity&#34;: -3" in marked[0] and marked[1].startswith("AckLines[0].Quantity: must not be negative")
    assert f'href="/orders/{key}"' in page.text

    # Retry: still refused (nothing changed), and says so; the attempt is counted.
    r = client.post(f"/messages/{ids[0]}/retry", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303
    again = trade.supplier.get(f"/Exchanges/{ids[0]}").json()["Body"]
    assert again["State"] == "refused" and again["Attempts"] == 2
    # Another company's message is not found; nor is a CSRF-less retry accepted.
    other, _ = sign_in(server, trade.buyer)
    assert other.get(f"/messages/{ids[0]}").status_code == 404
    assert client.post(f"/messages/{ids[0]}/retry", data={"csrf": "nope"}).status_code == 403
    # The order page links to its messages.
    assert f"/messages?order={key}" in client.get(f"/orders/{key}").text
