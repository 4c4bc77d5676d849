"""The dashboard's routes over HTTP, without a browser: sessions, CSRF, filters, forms through the
API's services, tenancy."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

from pohub.db.engine import Database
from pohub.partners import repository as partners_repo
from tests.support import LiveServer, Trade, make_trade
from tests.web.helpers import SKU1, api_order, browser, create_order, csrf_of, sign_in


def rows_of(html: str) -> list[str]:
    """The PartnerPOs listed on an orders page, top to bottom."""
    return re.findall(r'class="po">([^<]+)</a>', html)


def test_pages_need_a_session(server: LiveServer) -> None:
    client = browser(server)
    for path in ("/orders", "/orders/1", "/orders/1/acknowledge", "/scorecard", "/jobs", "/jobs/1", "/webhooks"):
        r = client.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/signin?next=")
    assert client.get("/").headers["location"] == "/signin"


def test_sign_in_sets_a_signed_httponly_cookie_and_checks_csrf(server: LiveServer, trade: Trade) -> None:
    client = browser(server)
    page = client.get("/signin")
    assert page.status_code == 200 and 'for="key"' in page.text
    token = csrf_of(page.text)
    # no token, or another one: refused
    assert client.post("/signin", data={"key": trade.supplier.key}).status_code == 403
    assert client.post("/signin", data={"key": trade.supplier.key, "csrf": "forged"}).status_code == 403
    r = client.post("/signin", data={"csrf": token, "key": trade.supplier.key, "next": "/scorecard"})
    assert r.status_code == 303 and r.headers["location"] == "/scorecard"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "pohub_session=" in cookie
    assert trade.supplier.key not in r.headers["set-cookie"]
    orders = client.get("/orders")
    assert orders.status_code == 200 and trade.supplier.name in orders.text
    # the token changes on sign-in
    assert csrf_of(orders.text) != token
    # an open redirect is not possible
    client2 = browser(server)
    t2 = csrf_of(client2.get("/signin").text)
    r = client2.post("/signin", data={"csrf": t2, "key": trade.supplier.key, "next": "//evil.example/x"})
    assert r.headers["location"] == "/orders"


def test_wrong_key_is_refused_on_the_form(server: LiveServer) -> None:
    client = browser(server)
    token = csrf_of(client.get("/signin").text)
    r = client.post("/signin", data={"csrf": token, "key": "pohub_not-a-key"})
    assert r.status_code == 401
    assert "The API key is not valid" in r.text and 'aria-invalid="true"' in r.text
    assert client.get("/orders").status_code == 303


def test_tampered_cookie_and_sign_out(server: LiveServer, trade: Trade) -> None:
    client, token = sign_in(server, trade.supplier)
    value = client.cookies["pohub_session"]
    forged = browser(server)
    forged.cookies.set("pohub_session", value[:-3] + ("aaa" if not value.endswith("aaa") else "bbb"))
    assert forged.get("/orders").status_code == 303
    assert client.post("/signout", data={}).status_code == 403  # sign-out is a form too
    r = client.post("/signout", data={"csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/signin?notice=signed-out"
    assert 'pohub_session=""' in r.headers["set-cookie"] or "max-age=0" in r.headers["set-cookie"].lower()
    client.cookies.clear()
    assert client.get("/orders").status_code == 303


def test_revoked_key_ends_the_session(server: LiveServer, trade: Trade) -> None:
    client, _ = sign_in(server, trade.supplier)
    assert client.get("/orders").status_code == 200

    async def revoke() -> None:
        db = Database(server.database_url, pool_size=1)
        try:
            async with db.write() as conn:
                await partners_repo.revoke_key(conn, prefix=trade.supplier.key[:12], revoked_at=datetime.now(UTC))
        finally:
            await db.dispose()

    asyncio.run(revoke())
    assert client.get("/orders").status_code == 303


def test_orders_list_filters_live_in_the_url(server: LiveServer, trade: Trade) -> None:
    keys = [create_order(trade, f"PO-LIST-{n:02d}") for n in range(27)]
    create_order(trade, "OTHER-9")
    assert trade.supplier.put(f"/Orders/{keys[0]}/Status/200").status_code == 200
    client, _ = sign_in(server, trade.supplier)

    first = client.get("/orders")
    assert first.status_code == 200
    listed = rows_of(first.text)
    assert listed[:3] == ["OTHER-9", "PO-LIST-26", "PO-LIST-25"]  # newest first
    assert len(listed) == 25 and "Page 1 of 2" in first.text
    # counts along the top, 150 first for a supplier
    chips = re.findall(r'chip-link[^"]*"[^>]*title="(\d+) [^"]*">[^<]*<span class="count">(\d+)</span>', first.text)
    assert chips[0] == ("150", "27") and ("200", "1") in chips

    second = client.get("/orders", params={"page": 2})
    assert rows_of(second.text) == ["PO-LIST-02", "PO-LIST-01", "PO-LIST-00"]

    acked = client.get("/orders", params={"status": 200})
    assert rows_of(acked.text) == ["PO-LIST-00"]

    search = client.get("/orders", params={"po": "list-1"})
    assert sorted(rows_of(search.text)) == [f"PO-LIST-{n}" for n in range(10, 20)]
    assert 'value="list-1"' in search.text

    today = datetime.now(UTC).date()
    window = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    assert len(rows_of(client.get("/orders", params=window).text)) == 25
    past = {"to": (today - timedelta(days=2)).isoformat()}
    assert rows_of(client.get("/orders", params=past).text) == []

    other = make_trade(server)
    assert rows_of(client.get("/orders", params={"partner": other.buyer.id}).text) == []
    assert len(rows_of(client.get("/orders", params={"partner": trade.buyer.id, "status": 150}).text)) == 25
    # junk in the URL is ignored rather than an error
    assert client.get("/orders", params={"status": "x", "page": "-3", "from": "nope"}).status_code == 200


def test_another_companys_order_is_404(server: LiveServer, trade: Trade) -> None:
    other = make_trade(server)
    key = create_order(other, "PO-SECRET")
    client, token = sign_in(server, trade.supplier)
    for path in (f"/orders/{key}", f"/orders/{key}/acknowledge", f"/orders/{key}/ship"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "PO-SECRET" not in r.text and "Not found" in r.text
    r = client.post(f"/orders/{key}/status", data={"csrf": token, "status": "1100"})
    assert r.status_code == 404
    assert api_order(other.supplier, key)["StatusCode"] == 150


def test_order_page_shows_header_lines_documents_timeline(server: LiveServer, trade: Trade) -> None:
    key = create_order(trade, "PO-PAGE")
    client, _ = sign_in(server, trade.buyer)
    r = client.get(f"/orders/{key}")
    assert r.status_code == 200
    for text in (
        "PO PAGE".replace(" ", "-"),
        "Merchant Co",
        "111 Merchant Lane",
        "Get well soon!",
        "net 30 days",
        SKU1,
    ):
        assert text in r.text, text
    assert "Order PO-PAGE received with 2 line(s)" in r.text
    assert 'role="img" aria-label="0 of 5 shipped, 0 invoiced"' in r.text
    # the buyer sets statuses but sends no supplier documents
    assert f'href="/orders/{key}/acknowledge"' not in r.text
    assert client.get(f"/orders/{key}/acknowledge").status_code == 404
    # only the moves the lifecycle allows
    offered = re.findall(r'<option value="(\d+)">', r.text)
    assert offered == ["200", "500", "600", "1000", "1100", "1200"]
    for header, value in (("content-security-policy", "default-src 'self'"), ("x-frame-options", "DENY")):
        assert value in r.headers[header]
    assert r.headers["cache-control"] == "no-store"


def test_acknowledge_ship_invoice_through_the_forms(server: LiveServer, trade: Trade) -> None:
    key = create_order(trade, "PO-FORMS")
    client, token = sign_in(server, trade.supplier)
    form = client.get(f"/orders/{key}/acknowledge")
    assert form.status_code == 200
    assert 'name="accept-0"' in form.text and 'value="ACK-PO-FORMS-1"' in form.text

    # the API's own error, next to the field it names; the form keeps what was typed
    bad = {"csrf": token, "ack_number": "ACK-1", "action-0": "split", "accept-0": "9", "action-1": "accept"}
    r = client.post(f"/orders/{key}/acknowledge", data=bad)
    assert r.status_code == 422
    assert re.search(r'id="accept-0"[^>]*aria-invalid="true"', r.text)
    assert '<span class="field-error" id="accept-0-error">accepted 9 + backordered 0 + cancelled 0' in r.text
    assert 'value="9"' in r.text
    # ... and it is on the order's timeline, as the API's refusals are
    assert "Acknowledgement refused (422)" in client.get(f"/orders/{key}").text
    r = client.post(f"/orders/{key}/acknowledge", data=bad | {"accept-0": "x"})
    assert r.status_code == 422 and "must be a whole number" in r.text

    good = {
        "csrf": token,
        "ack_number": "ACK-1",
        "scheduled_ship_date": "2099-01-01",
        "action-0": "split",
        "accept-0": "4",
        "backorder-0": "1",
        "backorder_date-0": "2099-02-01",
        "reason-0": "Out of stock",
        "action-1": "cancel",
        "reason-1": "Discontinued",
    }
    r = client.post(f"/orders/{key}/acknowledge", data=good)
    assert r.status_code == 303 and r.headers["location"] == f"/orders/{key}?notice=acknowledged"
    lines = api_order(trade.buyer, key)["OrderLines"]
    assert [(ln["QuantityAcknowledged"], ln["QuantityBackordered"], ln["QuantityCancelled"]) for ln in lines] == [
        (4, 1, 0),
        (0, 0, 3),
    ]
    ack = trade.buyer.get(f"/Orders/{key}/Acknowledgements").json()["Body"]["Acknowledgements"][0]
    # the form sends a date; the API answers the definitions' date-time
    assert ack["ScheduledShipDate"] == "2099-01-01T00:00:00Z" and ack["AckLines"][1]["ChangeReason"] == "Discontinued"
    page = client.get(f"/orders/{key}?notice=acknowledged")
    assert "Acknowledgement sent." in page.text and "4 accepted, 1 backordered, 3 cancelled" in page.text
    # a second acknowledgement is sent as an update
    assert "acknowledgement update" in client.get(f"/orders/{key}/acknowledge").text

    # over-shipping is refused with the API's words, next to the quantity
    r = client.post(f"/orders/{key}/ship", data={"csrf": token, "shipment_number": "S-1", "qty-0": "9", "qty-1": "0"})
    assert r.status_code == 422 and "Cannot over-ship line 01" in r.text
    assert re.search(r'id="qty-0"[^>]*aria-invalid="true"', r.text)
    ship = {
        "csrf": token,
        "shipment_number": "S-1",
        "carrier": "UPSN",
        "tracking": "1ZTRACK1",
        "qty-0": "2",
        "qty-1": "0",
    }
    r = client.post(f"/orders/{key}/ship", data=ship)
    assert r.status_code == 303, r.text
    page = client.get(f"/orders/{key}").text
    assert "1ZTRACK1" in page and "Shipment S-1: 2 unit(s) shipped (tracking 1ZTRACK1)" in page
    r = client.post(f"/orders/{key}/ship", data=ship | {"shipment_number": "S-2", "tracking": "1ZTRACK2", "qty-0": "3"})
    assert r.status_code == 303

    r = client.post(
        f"/orders/{key}/invoice",
        data={"csrf": token, "invoice_number": "I-1", "qty-0": "5", "price-0": "31.02", "qty-1": "0"},
    )
    assert r.status_code == 303, r.text
    assert api_order(trade.buyer, key)["StatusCode"] == 1000
    page = client.get(f"/orders/{key}").text
    assert "155.10" in page and "is final" in page


def test_set_status_where_the_lifecycle_allows(server: LiveServer, trade: Trade) -> None:
    key = create_order(trade, "PO-STATUS")
    client, token = sign_in(server, trade.supplier)
    r = client.post(f"/orders/{key}/status", data={"csrf": token, "status": "200"})
    assert r.status_code == 303
    assert api_order(trade.buyer, key)["StatusCode"] == 200
    r = client.post(f"/orders/{key}/status", data={"csrf": token, "status": "150"})
    assert r.status_code == 409 and "cannot move from 200 Acknowledged to 150" in r.text
    assert client.post(f"/orders/{key}/status", data={"status": "1100"}).status_code == 403


def test_static_files_are_served_by_pohub(server: LiveServer) -> None:
    client = browser(server)
    css = client.get("/static/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/static/app.css", headers={"If-None-Match": css.headers["etag"]}).status_code == 304
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    for bad in ("/static/..%2Froutes.py", "/static/routes.py", "/static/nope.css"):
        assert client.get(bad).status_code == 404, bad
    page = client.get("/signin").text
    assert "http://" not in page.replace(server.url, "") and "https://" not in page  # nothing from a CDN


def test_scorecard_page(server: LiveServer, trade: Trade) -> None:
    create_order(trade, "PO-SC-1")
    client, _ = sign_in(server, trade.buyer)
    r = client.get("/scorecard")
    assert r.status_code == 200
    assert trade.supplier.name in r.text and "Fill rate" in r.text and "<svg" in r.text
    assert "1 PO received" in r.text
    assert client.get("/scorecard", params={"days": 90}).status_code == 200
