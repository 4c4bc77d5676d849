"""Signing in to the dashboard over plain HTTP, and orders to look at."""

from __future__ import annotations

import re
from typing import Any

import httpx

from pohub.documents.examples import sales_order
from tests.support import LiveServer, Party, Trade

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SKU1 = "49-98760"
SKU2 = "PIP-200"


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def browser(server: LiveServer) -> httpx.Client:
    """A client that keeps cookies, like a browser (redirects are followed by hand)."""
    return httpx.Client(base_url=server.url, timeout=30)


def sign_in(server: LiveServer, party: Party) -> tuple[httpx.Client, str]:
    """A client signed in as the party, and the session's CSRF token."""
    client = browser(server)
    token = csrf_of(client.get("/signin").text)
    r = client.post("/signin", data={"csrf": token, "key": party.key, "next": "/orders"})
    assert r.status_code == 303, r.text
    return client, csrf_of(client.get("/orders").text)


def two_lines(trade: Trade, po: str, **changes: Any) -> dict[str, Any]:
    return sales_order(
        PartnerPO=po,
        SenderCompanyId=trade.buyer.id,
        ReceiverCompanyId=trade.supplier.id,
        OrderLines=[
            {
                "LineNumber": "01",
                "Quantity": 5,
                "Price": 31.02,
                "QuantityUOM": "EA",
                "ItemIdentifier": {"SupplierSKU": SKU1},
            },
            {
                "LineNumber": "02",
                "Quantity": 3,
                "Price": 10.5,
                "QuantityUOM": "EA",
                "ItemIdentifier": {"SupplierSKU": SKU2},
            },
        ],
        **changes,
    )


def create_order(trade: Trade, po: str, **changes: Any) -> str:
    r = trade.buyer.post("/Orders", json=two_lines(trade, po, **changes))
    assert r.status_code == 201, r.text
    return str(r.json()["Body"]["LogicbrokerKey"])


def api_order(party: Party, key: str) -> dict[str, Any]:
    r = party.get(f"/Orders/{key}")
    assert r.status_code == 200, r.text
    return dict(r.json()["Body"]["SalesOrder"])
