"""The dashboard's routes over HTTP, without a browser: sessions, CSRF, filters, forms through the
API's services, tenancy."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.support import LiveServer, Trade, make_trade
from tests.web.helpers import SKU1, SKU2, api_order, browser, create_order, csrf_of, make_user, sign_in, sign_in_as


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
    person = make_user(server, trade.supplier, "clerk")
    client = browser(server)
    page = client.get("/signin")
    assert page.status_code == 200 and 'for="email"' in page.text and 'for="password"' in page.text
    token = csrf_of(page.text)
    creds = {"email": person.email, "password": person.password}
    # no token, or another one: refused
    assert client.post("/signin", data=creds).status_code == 403
    assert client.post("/signin", data=creds | {"csrf": "forged"}).status_code == 403
    r = client.post("/signin", data=creds | {"csrf": token, "next": "/scorecard"})
    assert r.status_code == 303 and r.headers["location"] == "/scorecard"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "pohub_session=" in cookie
    assert person.password not in r.headers["set-cookie"]
    orders = client.get("/orders")
    assert orders.status_code == 200 and trade.supplier.name in orders.text and person.name in orders.text
    # the token changes on sign-in
    assert csrf_of(orders.text) != token
    # an open redirect is not possible
    client2 = browser(server)
    t2 = csrf_of(client2.get("/signin").text)
    r = client2.post("/signin", data=creds | {"csrf": t2, "next": "//evil.example/x"})
    assert r.headers["location"] == "/orders"


def test_api_keys_do_not_sign_in_to_the_dashboard(server: LiveServer, trade: Trade) -> None:
    client = browser(server)
    token = csrf_of(client.get("/signin").text)
    r = client.post("/signin", data={"csrf": token, "email": trade.supplier.key, "password": trade.supplier.key})
    assert r.status_code == 401 and client.get("/orders").status_code == 303


def test_wrong_password_is_refused_and_then_throttled(server: LiveServer, trade: Trade) -> None:
    person = make_user(server, trade.buyer, "viewer")
    client = browser(server)
    token = csrf_of(client.get("/signin").text)
    # an unknown email and a wrong password read the same
    r = client.post("/signin", data={"csrf": token, "email": "nobody@example.com", "password": "x" * 12})
    assert r.status_code == 401 and "The email or password is wrong" in r.text
    for _ in range(5):
        r = client.post("/signin", data={"csrf": token, "email": person.email, "password": "wrong password!"})
        assert r.status_code == 401 and "The email or password is wrong" in r.text and 'aria-invalid="true"' in r.text
        assert f'value="{person.email}"' in r.text  # the email stays in its box
    # the fifth failure locks the account for 30 s: even the right password waits
    r = client.post("/signin", data={"csrf": token, "email": person.email, "password": person.password})
    assert r.status_code == 429 and "Too many wrong passwords: try again in" in r.text
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


def test_removing_a_user_ends_their_session(server: LiveServer, trade: Trade) -> None:
    admin, admin_token = sign_in(server, trade.supplier)
    clerk, _, person = sign_in_as(server, make_user(server, trade.supplier, "clerk"))
    assert clerk.get("/orders").status_code == 200
    settings = admin.get("/settings").text
    [user_id] = re.findall(r'action="/settings/users/(\d+)/remove"', settings.split(person.email, 1)[1])[:1]
    r = admin.post(f"/settings/users/{user_id}/remove", data={"csrf": admin_token})
    assert r.status_code == 303 and r.headers["location"] == "/settings?notice=removed"
    assert clerk.get("/orders").status_code == 303  # the open session is over
    again = browser(server)
    t = csrf_of(again.get("/signin").text)
    r = again.post("/signin", data={"csrf": t, "email": person.email, "password": person.password})
    assert r.status_code == 401


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
    # junk in the URL is ignored, but a date that is not one is said plainly, as is a reversed range
    assert client.get("/orders", params={"status": "x", "page": "-3"}).status_code == 200
    bad = client.get("/orders", params={"from": "nope"})
    assert bad.status_code == 422 and "is not a date (YYYY-MM-DD): &#39;nope&#39;" in bad.text
    reversed_range = client.get("/orders", params={"from": today.isoformat(), "to": "2020-01-01"})
    assert reversed_range.status_code == 422 and rows_of(reversed_range.text) == []
    assert f"Received from ({today.isoformat()}) is after Received to (2020-01-01)" in reversed_range.text
    assert 'id="from" name="from" type="date" value="' + today.isoformat() in reversed_range.text


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
    # only the moves the buyer may make by hand (orders/status.py MANUAL_MOVES): never 200 for the supplier
    offered = re.findall(r'<option value="(\d+)">', r.text)
    assert offered == ["1000", "1100"]
    for header, value in (("content-security-policy", "default-src 'self'"), ("x-frame-options", "DENY")):
        assert value in r.headers[header]
    assert r.headers["cache-control"] == "no-store"


def test_acknowledge_ship_invoice_through_the_forms(server: LiveServer, trade: Trade) -> None:
    key = create_order(trade, "PO-FORMS")
    client, token = sign_in(server, trade.supplier)
    form = client.get(f"/orders/{key}/acknowledge")
    assert form.status_code == 200
    assert 'name="accept-0"' in form.text and 'value="ACK-PO-FORMS-1"' in form.text

    # every mistake at once, each field marked: an empty number, a line with units unanswered, a
    # backorder date without units to backorder, one in the past; the form keeps what was typed
    bad = {
        "csrf": token,
        "ack_number": "",
        "action-0": "split",
        "accept-0": "4",
        "backorder-0": "0",
        "backorder_date-0": "2099-02-01",
        "action-1": "split",
        "accept-1": "1",
        "backorder-1": "2",
        "backorder_date-1": "2001-01-01",
    }
    r = client.post(f"/orders/{key}/acknowledge", data=bad)
    assert r.status_code == 422
    assert '<span class="field-error" id="ack_number-error">is required: type the acknowledgement number' in r.text
    assert "Line 01: 1 of 5 units unanswered: accept, backorder or cancel them" in r.text
    for box in ("accept-0", "backorder-0", "cancel-0"):
        assert re.search(rf'id="{box}"[^>]*aria-invalid="true" aria-describedby="line-0-error"', r.text), box
    assert "a backorder date needs units to backorder" in r.text
    assert "is in the past (2001-01-01)" in r.text
    assert re.search(r'id="backorder_date-1"[^>]*aria-invalid="true"', r.text)
    assert "4 fields need a look" in r.text and 'value="2099-02-01"' in r.text
    # nothing reached the hub: no acknowledgement, nothing on either timeline
    assert trade.buyer.get(f"/Orders/{key}/Acknowledgements").json()["Body"]["Acknowledgements"] == []
    assert "refused" not in client.get(f"/orders/{key}").text
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
    assert ack["AckLines"][0]["ExtendedAttributes"] == [{"Name": "BackorderDate", "Value": "2099-02-01"}]
    page = client.get(f"/orders/{key}?notice=acknowledged")
    assert "Acknowledgement sent." in page.text and "4 accepted, 1 backordered, 3 cancelled" in page.text
    # the backorder date, on the line and in the list, to both sides
    buyer_client, _ = sign_in(server, trade.buyer)
    for who in (client, buyer_client):
        assert '<time class="backorder-date" datetime="2099-02-01">' in who.get(f"/orders/{key}").text
        assert 'due <time datetime="2099-02-01">' in who.get("/orders", params={"po": "PO-FORMS"}).text
    # a second acknowledgement is sent as an update, prefilled with the date
    update_form = client.get(f"/orders/{key}/acknowledge").text
    assert "acknowledgement update" in update_form and 'value="2099-02-01"' in update_form

    # the ship form offers what is accepted and not yet shipped (4), never the backordered unit
    ship_form = client.get(f"/orders/{key}/ship").text
    assert re.search(r'id="qty-0-0" name="qty-0-0"[^>]*value="4"', ship_form)
    assert re.search(r'id="qty-1-0" name="qty-1-0"[^>]*value="0"', ship_form)
    # an all-zero shipment marks every quantity box
    r = client.post(
        f"/orders/{key}/ship", data={"csrf": token, "shipment_number": "S-0", "qty-0-0": "0", "qty-1-0": "0"}
    )
    assert r.status_code == 422 and "Nothing to ship: every quantity is 0" in r.text
    assert re.search(r'id="qty-0-0"[^>]*aria-invalid="true" aria-describedby="qty-0-0-error"', r.text)
    assert re.search(r'id="qty-1-0"[^>]*aria-invalid="true" aria-describedby="qty-0-0-error"', r.text)
    # over-shipping is caught before sending, next to the quantity
    r = client.post(
        f"/orders/{key}/ship", data={"csrf": token, "shipment_number": "S-1", "qty-0-0": "9", "qty-1-0": "0"}
    )
    assert r.status_code == 422 and "Line 01: 9 in the cartons, at most 5 can still ship" in r.text
    assert re.search(r'id="qty-0-0"[^>]*aria-invalid="true" aria-describedby="line-0-error"', r.text)
    ship = {
        "csrf": token,
        "shipment_number": "S-1",
        "carrier": "UPSN",
        "tracking-0": "1ZTRACK1",
        "qty-0-0": "2",
        "qty-1-0": "0",
    }
    r = client.post(f"/orders/{key}/ship", data=ship)
    assert r.status_code == 303, r.text
    page = client.get(f"/orders/{key}").text
    assert "1ZTRACK1" in page and "Shipment S-1: 2 unit(s) shipped (tracking 1ZTRACK1)" in page

    # the hub refuses an update that cancels shipped units: the supplier sees why on its own
    # timeline; the buyer's timeline does not show a form that never reached it
    cancel_all = {"csrf": token, "ack_number": "ACK-2", "action-0": "cancel", "action-1": "cancel"}
    r = client.post(f"/orders/{key}/acknowledge", data=cancel_all)
    assert r.status_code == 422 and "2 of 5 have already shipped" in r.text
    assert "Acknowledgement form refused (422); not sent to the trading partner" in client.get(f"/orders/{key}").text
    buyer_page = buyer_client.get(f"/orders/{key}").text
    assert "refused" not in buyer_page and "2 of 5 have already shipped" not in buyer_page
    events = trade.buyer.get(f"/Orders/{key}/Events").json()["Body"]["ActivityEvents"]
    assert events and not any("refused" in e["Summary"] for e in events)

    r = client.post(
        f"/orders/{key}/ship", data=ship | {"shipment_number": "S-2", "tracking-0": "1ZTRACK2", "qty-0-0": "3"}
    )
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
    r = client.post(f"/orders/{key}/status", data={"csrf": token, "status": "200", "reason": "Agreed by phone"})
    assert r.status_code == 303
    assert api_order(trade.buyer, key)["StatusCode"] == 200
    r = client.post(f"/orders/{key}/status", data={"csrf": token, "status": "150", "reason": "Back"})
    assert r.status_code == 409 and "cannot move from 200 Acknowledged to 150" in r.text
    assert client.post(f"/orders/{key}/status", data={"status": "1100"}).status_code == 403
    # nothing is chosen until a person chooses: an empty choice changes nothing
    page = client.get(f"/orders/{key}").text
    assert '<option value="" selected>Choose a status…</option>' in page
    assert len(re.findall(r"<option [^>]*selected", page)) == 1
    r = client.post(f"/orders/{key}/status", data={"csrf": token, "status": "", "reason": "x"})
    assert r.status_code == 422 and "Choose the status to set." in r.text
    # a status set by hand says why: no reason, no move, and the choice is kept
    r = client.post(f"/orders/{key}/status", data={"csrf": token, "status": "500", "reason": " "})
    assert r.status_code == 422 and "Say why you set the status by hand" in r.text
    assert '<option value="500" selected>' in r.text and api_order(trade.buyer, key)["StatusCode"] == 200
    # a final move asks first, on a page of its own; only "yes" makes it
    for final in ("1100", "1000"):
        r = client.post(f"/orders/{key}/status", data={"csrf": token, "status": final, "reason": "Buyer asked"})
        assert r.status_code == 200 and "is <strong>final</strong>" in r.text
        assert 'name="confirm" value="yes"' in r.text
        assert api_order(trade.buyer, key)["StatusCode"] == 200
    r = client.post(
        f"/orders/{key}/status", data={"csrf": token, "status": "1100", "confirm": "yes", "reason": "Buyer asked"}
    )
    assert r.status_code == 303 and api_order(trade.buyer, key)["StatusCode"] == 1100
    assert "Buyer asked" in client.get(f"/orders/{key}").text


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


def test_roles_viewer_reads_clerk_acts_admin_manages(server: LiveServer, trade: Trade) -> None:
    key = create_order(trade, "PO-ROLES")
    viewer, viewer_token = sign_in(server, trade.supplier, "viewer")
    page = viewer.get(f"/orders/{key}").text
    assert f'href="/orders/{key}/acknowledge"' not in page and 'action="/orders/{key}/status"' not in page
    assert viewer.get(f"/orders/{key}/acknowledge").status_code == 403
    r = viewer.post(f"/orders/{key}/status", data={"csrf": viewer_token, "status": "200"})
    assert r.status_code == 403 and "reads orders but does not act" in r.text
    assert viewer.get("/settings").status_code == 403 and 'href="/settings"' not in page
    assert viewer.post("/webhooks", data={"csrf": viewer_token, "address": "http://127.0.0.1:9/x"}).status_code == 403
    assert api_order(trade.buyer, key)["StatusCode"] == 150

    clerk, clerk_token, _ = sign_in_as(server, make_user(server, trade.supplier, "clerk", "Cleo Clerk"))
    assert clerk.get("/settings").status_code == 403
    r = clerk.post(f"/orders/{key}/status", data={"csrf": clerk_token, "status": "200", "reason": "Confirmed by email"})
    assert r.status_code == 303
    # the timeline names the person, to both sides
    assert "by Cleo Clerk" in clerk.get(f"/orders/{key}").text
    buyer, _ = sign_in(server, trade.buyer, "viewer")
    assert "by Cleo Clerk" in buyer.get(f"/orders/{key}").text
    # ... and the buyer, whatever its role, sends no acknowledgement
    buyer_admin, buyer_token = sign_in(server, trade.buyer, "admin")
    assert buyer_admin.get(f"/orders/{key}/acknowledge").status_code == 404
    assert buyer_admin.post(f"/orders/{key}/acknowledge", data={"csrf": buyer_token}).status_code == 404


def test_admin_invites_a_user_who_sets_a_password(server: LiveServer, trade: Trade) -> None:
    admin, token = sign_in(server, trade.buyer)
    email = f"new-{trade.buyer.name}@example.com"
    r = admin.post("/settings/users", data={"csrf": token, "email": email, "name": "Nia New", "role": "clerk"})
    assert r.status_code == 201, r.text
    [link] = re.findall(r'<code class="shown-once">[^<]*(/invite/[^<]+)</code>', r.text)
    assert "shown only now" in r.text
    again = admin.post("/settings/users", data={"csrf": token, "email": email, "role": "clerk"})
    assert again.status_code == 409 and "already has an account" in again.text

    person = browser(server)
    form = person.get(link)
    assert form.status_code == 200 and email in form.text
    t = csrf_of(form.text)
    r = person.post(link, data={"csrf": t, "password": "too short", "password_again": "too short"})
    assert r.status_code == 422 and "at least 12 characters" in r.text
    r = person.post(link, data={"csrf": t, "password": "a fine long password", "password_again": "different one!"})
    assert r.status_code == 422 and "does not match" in r.text
    r = person.post(
        link, data={"csrf": t, "password": "a fine long password", "password_again": "a fine long password"}
    )
    assert r.status_code == 303 and "Nia New" in person.get("/orders").text
    assert browser(server).get(link).status_code == 404  # used once

    # keys are made and revoked here, and shown once
    r = admin.post("/settings/keys", data={"csrf": token, "label": "ERP"})
    assert r.status_code == 201
    [new_key] = re.findall(r'<code class="shown-once">(pohub_[^<]+)</code>', r.text)
    assert trade.buyer.client.get("/Partners", headers={"Authorization": f"Bearer {new_key}"}).status_code == 200
    settings = admin.get("/settings").text
    [key_id] = re.findall(
        rf'action="/settings/keys/(\d+)/revoke"[^>]*>\s*<input[^>]*>\s*<button[^>]*{new_key[:12]}', settings
    )
    assert admin.post(f"/settings/keys/{key_id}/revoke", data={"csrf": token}).status_code == 303
    assert trade.buyer.client.get("/Partners", headers={"Authorization": f"Bearer {new_key}"}).status_code == 401


def test_orders_list_sorts_pages_flags_exports_and_bulk_acknowledges(server: LiveServer, trade: Trade) -> None:
    late = create_order(trade, "PO-P-03", DoNotShipAfter="2020-01-10")
    create_order(trade, "PO-P-01", RequestedShipDate="2099-05-01", DoNotShipAfter="2099-05-03T20:00:00Z")
    backordered = create_order(trade, "PO-P-02", DoNotShipAfter="2099-06-01")
    r = trade.supplier.post(
        f"/Acknowledgement/{backordered}",
        json={
            "AcknowledgementNumber": "A",
            "AckLines": [
                {"LineNumber": 1, "Quantity": 4, "QuantityBackordered": 1, "ItemIdentifier": {"SupplierSKU": SKU1}},
                {"LineNumber": 2, "Quantity": 3, "ItemIdentifier": {"SupplierSKU": SKU2}},
            ],
        },
    )
    assert r.status_code == 201, r.text
    client, token = sign_in(server, trade.supplier, "clerk")

    assert rows_of(client.get("/orders", params={"sort": "po", "dir": "asc"}).text) == ["PO-P-01", "PO-P-02", "PO-P-03"]
    assert rows_of(client.get("/orders").text) == ["PO-P-02", "PO-P-01", "PO-P-03"]  # newest first
    listing = client.get("/orders", params={"sort": "po", "dir": "asc"}).text
    assert '<time datetime="2099-05-03">' in listing  # ship by: DoNotShipAfter before RequestedShipDate
    assert rows_of(client.get("/orders", params={"flag": "backordered"}).text) == ["PO-P-02"]
    assert rows_of(client.get("/orders", params={"flag": "late"}).text) == ["PO-P-03"]
    one = client.get("/orders", params={"sort": "po", "dir": "asc", "size": "25", "page": "2"}).text
    assert rows_of(one) == [] and "Go to page" not in one  # one page only: no pager
    assert 'name="page" type="number"' not in one

    # CSV: the filtered list, whole, in the list's order; formulas defused
    csv_r = client.get("/orders.csv", params={"sort": "po", "dir": "asc"})
    assert csv_r.status_code == 200 and csv_r.headers["content-type"].startswith("text/csv")
    lines = csv_r.text.splitlines()
    assert lines[0].startswith("PartnerPO,LogicbrokerKey,StatusCode,Status,TradingPartner")
    assert [ln.split(",")[0] for ln in lines[1:]] == ["PO-P-01", "PO-P-02", "PO-P-03"]
    assert lines[3].split(",")[11] == "2020-01-10"
    assert client.get("/orders.csv", params={"flag": "late"}).text.count("\r\n") == 2

    # bulk: the two POs still to acknowledge, accepted in full through the service
    page = client.get("/orders").text
    assert f'name="key" value="{late}"' in page and f'name="key" value="{backordered}"' not in page
    others = [k for k in re.findall(r'name="key" value="(\d+)"', page)]
    r = client.post("/orders/acknowledge", data={"csrf": token, "key": [*others, backordered], "back": "/orders"})
    assert r.status_code == 303
    report = client.get(r.headers["location"]).text
    assert "2 POs acknowledged as accepted. 1 refused:" in report and "Acknowledgement Update" in report
    for key in others:
        assert api_order(trade.buyer, key)["StatusCode"] == 500
    events = trade.buyer.get(f"/Orders/{late}/Events").json()["Body"]["ActivityEvents"]
    assert any("8 accepted" in e["Summary"] for e in events)
    # a viewer has no checkboxes and cannot post it
    viewer, viewer_token = sign_in(server, trade.supplier, "viewer")
    assert 'name="key"' not in viewer.get("/orders").text
    assert viewer.post("/orders/acknowledge", data={"csrf": viewer_token, "key": late}).status_code == 403
