"""The dashboard in a real browser: Debian's Chromium driven by Playwright against a live pohub.

Screenshots of every page land in the test's output directory (test-output/<test name>/).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support import PATIENCE, LiveServer, Trade, free_port, make_trade
from tests.web.a11y import assert_accessible
from tests.web.helpers import Person, api_order, create_order, held_job, make_user, release_job, wms_order
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_webhooks import SECRET

# Debian's package, installed by `make test`'s set-up (scripts/install-browser.sh), never from here.
CHROMIUM = os.environ.get("POHUB_TEST_CHROMIUM") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium where it runs as root with apt-get"
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI runs as root, so the set-up should have installed it)")
    pytest.skip(reason)


@contextmanager
def launch(executable: str) -> Iterator[Any]:
    """A headless Chromium. Playwright's sync API runs an event loop on this thread while open, so
    tests set up their companies (asyncio.run) before they launch it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _shot(page: Any, out: Path, name: str) -> None:
    """A screenshot of the page state for review, and axe-core on the same state (0 violations)."""
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    assert_accessible(page, f"{out.name}/{name}")


def _collect_errors(page: Any) -> list[str]:
    """Script errors and console errors of the page, to be empty at the end of a test."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Refused forms and the 404 page answer 4xx on purpose; anything else logged as an error (a
    # script error, something the content security policy blocked) fails the test.
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    return errors


def _reload_until(page: Any, locator: Any, what: str, timeout: float = PATIENCE) -> None:
    """Reload a page (that does not follow on its own) until ``locator`` is on it."""
    deadline = time.monotonic() + timeout
    while locator.count() == 0:
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
        page.reload()


def test_supplier_works_an_order_in_the_browser(
    chromium: str, server: LiveServer, trade: Trade, output_dir: Path
) -> None:

    key = create_order(trade, "PO-1001", PaymentTerm={"TermsDescription": "Net 30", "PayInNumberOfDays": 30})
    other_key = create_order(trade, "PO-1002")
    done_key = create_order(trade, "PO-0999")
    assert trade.supplier.put(f"/Orders/{done_key}/Status/200").status_code == 200
    stranger = make_trade(server)
    secret_key = create_order(stranger, "PO-SECRET")
    clerk = make_user(server, trade.supplier, "clerk", "Sam Supplier")
    with launch(chromium) as browser:
        _work_the_order(
            browser, server, trade, output_dir, key=key, other_key=other_key, secret_key=secret_key, clerk=clerk
        )


def _sign_in(page: Any, person: Person) -> None:
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()


def _work_the_order(
    browser: Any,
    server: LiveServer,
    trade: Trade,
    output_dir: Path,
    *,
    key: str,
    other_key: str,
    secret_key: str,
    clerk: Person,
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = _collect_errors(page)

    # signing in as a person: a wrong password first
    page.goto(f"{server.url}/orders")
    expect(page).to_have_url(f"{server.url}/signin?next=%2Forders")
    _shot(page, output_dir, "01-signin")
    _sign_in(page, Person(clerk.email, "not the password", clerk.name, clerk.role))
    expect(page.get_by_role("alert")).to_contain_text("The email or password is wrong")
    _shot(page, output_dir, "02-signin-wrong-password")
    _sign_in(page, clerk)
    expect(page).to_have_url(f"{server.url}/orders")
    expect(page.locator(".company")).to_have_text(trade.supplier.name)
    expect(page.locator(".person")).to_contain_text("Sam Supplier")
    _shot(page, output_dir, "03-orders")

    # filter to 150: the first chip for a supplier
    first_chip = page.locator("nav.chips a").nth(1)
    expect(first_chip).to_contain_text("To acknowledge")
    first_chip.click()
    expect(page).to_have_url(f"{server.url}/orders?status=150")
    expect(page.locator("a.po")).to_have_text(["PO-1002", "PO-1001"])
    _shot(page, output_dir, "04-orders-150")

    # open the order
    page.get_by_role("link", name="PO-1001").click()
    expect(page).to_have_url(f"{server.url}/orders/{key}")
    expect(page.locator(".status-now")).to_contain_text("150 Ready to Acknowledge")
    _shot(page, output_dir, "05-order")

    # acknowledge: line 1 backorders one unit, line 2 is cancelled; first a mistake the API refuses
    page.get_by_role("link", name="Acknowledge", exact=True).click()
    expect(page.get_by_label("Answer").first).to_have_value("accept")
    page.get_by_label("Answer").first.select_option("split")
    page.locator("#backorder-0").fill("1")  # Accept not typed yet: the script takes it from Accept
    expect(page.locator("#accept-0")).to_have_value("4")
    page.locator("#accept-0").fill("6")  # typed: nothing else is rewritten, the line says what is wrong
    expect(page.locator("#balance-0")).to_have_text("7 answered, 2 more than the 5 ordered.")
    page.get_by_role("button", name="Send acknowledgement").click()
    expect(page.locator("#line-0-error")).to_contain_text("7 answered, 2 more than the 5 ordered")
    expect(page.locator("#accept-0")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-summary")).to_be_focused()
    _shot(page, output_dir, "06-acknowledge-refused")
    page.locator("#accept-0").fill("4")
    expect(page.locator("#balance-0")).to_have_text("All 5 answered.")
    page.locator("#backorder_date-0").fill("2099-02-01")
    page.locator("#reason-0").fill("Out of stock")
    page.locator("#action-1").select_option("cancel")
    expect(page.locator("#cancel-1")).to_have_value("3")
    page.locator("#reason-1").fill("Discontinued")
    _shot(page, output_dir, "07-acknowledge-filled")
    page.get_by_role("button", name="Send acknowledgement").click()
    expect(page).to_have_url(f"{server.url}/orders/{key}?notice=acknowledged")
    expect(page.locator(".status-now")).to_contain_text("500 Ready to Ship")
    expect(page.locator(".timeline")).to_contain_text("4 accepted, 1 backordered, 3 cancelled")
    expect(page.locator(".timeline")).to_contain_text("to 500 Ready to Ship")
    expect(page.locator(".timeline li").first).to_contain_text("by Sam Supplier")
    _shot(page, output_dir, "08-order-acknowledged")

    expect(page.locator("time.backorder-date")).to_have_text("2099-02-01")
    # ship part of line 1: the form offers the 4 accepted, never the backordered unit
    page.get_by_role("link", name="Ship", exact=True).click()
    expect(page.get_by_label("Units of line 01 in carton 1")).to_have_value("4")
    page.get_by_label("Carrier (SCAC)").fill("UPSN")
    page.get_by_label("Tracking number of carton 1").fill("1Z999AA10123456784")
    page.get_by_label("Units of line 01 in carton 1").fill("2")
    expect(page.get_by_label("Units of line 02 in carton 1")).to_have_value("0")
    _shot(page, output_dir, "09-ship")
    page.get_by_role("button", name="Send ship notice").click()
    expect(page).to_have_url(f"{server.url}/orders/{key}?notice=shipped")
    expect(page.locator(".docs").nth(1)).to_contain_text("1Z999AA10123456784")
    expect(page.locator(".timeline li").first).to_contain_text("2 unit(s) shipped")
    expect(page.locator(".status-now")).to_contain_text("500 Ready to Ship")
    expect(page.get_by_role("img", name="2 of 5 shipped, 0 invoiced")).to_be_visible()
    _shot(page, output_dir, "10-order-shipped")
    lines = api_order(trade.buyer, key)["OrderLines"]
    assert [(ln["QuantityShipped"], ln["QuantityCancelled"]) for ln in lines] == [(2, 0), (0, 3)]

    # the list now shows it as 500, and the 150 count went down
    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.locator("nav.chips a").nth(1)).to_contain_text("1")
    _shot(page, output_dir, "11-orders-after")

    page.get_by_role("link", name="Scorecard").click()
    expect(page.locator("h1")).to_have_text("Scorecard")
    _shot(page, output_dir, "12-scorecard")

    # another company's order by URL
    response = page.goto(f"{server.url}/orders/{secret_key}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    _shot(page, output_dir, "13-not-found")

    # the same pages on a phone
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.add_cookies(context.cookies())
    mobile = phone.new_page()
    mobile.goto(f"{server.url}/orders")
    _shot(mobile, output_dir, "14-phone-orders")
    mobile.goto(f"{server.url}/orders/{key}")
    _shot(mobile, output_dir, "15-phone-order")
    mobile.goto(f"{server.url}/orders/{other_key}/acknowledge")
    _shot(mobile, output_dir, "16-phone-acknowledge")
    phone.close()

    # sign out: the session is gone
    page.goto(f"{server.url}/orders")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{server.url}/signin?notice=signed-out")
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(f"{server.url}/orders/{key}")
    expect(page).to_have_url(f"{server.url}/signin?next=%2Forders%2F{key}")
    context.close()
    assert errors == [], errors  # no script errors, nothing blocked by the content security policy


def test_keyboard_only_sign_in(chromium: str, server: LiveServer, trade: Trade) -> None:
    from playwright.sync_api import expect

    person = make_user(server, trade.buyer, "viewer")
    with launch(chromium) as browser:
        page = browser.new_page()
        page.goto(f"{server.url}/signin")
        expect(page.get_by_label("Email")).to_be_focused()  # autofocus
        page.keyboard.type(person.email)
        page.keyboard.press("Tab")
        page.keyboard.type(person.password)
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{server.url}/orders")
        page.keyboard.press("Tab")
        expect(page.locator("a.skip")).to_be_focused()
        page.close()


def test_jobs_and_webhooks_in_the_browser(
    chromium: str, fast_server: LiveServer, receiver: Receiver, output_dir: Path
) -> None:
    """A bulk import followed live (the script polls, then reloads for the failed orders), and a
    webhook created through the form whose refused delivery is replayed; a dead-lettered one too."""
    from playwright.sync_api import expect

    trade = make_trade(fast_server)
    orders = [
        wms_order("BULK-1", ("10", "SKU-A", 2)),
        wms_order("BULK-2", ("10", "SKU-A", 1), ("20", "SKU-B", 0)),
        wms_order("BULK-3", ("10", "SKU-C", 1)),
        wms_order("BULK-1", ("10", "SKU-A", 5)),
        wms_order("BULK-5", ("10", "SKU-D", 4), ("20", "", 1)),
    ]
    job_id = held_job(fast_server, trade.buyer, trade.supplier.id, orders, first=2)
    closed = f"http://127.0.0.1:{free_port()}/nobody-listens"
    r = trade.buyer.post("/Webhooks", json={"Address": closed, "Topic": "order.created", "Enabled": True})
    assert r.status_code == 201, r.text

    admin = make_user(fast_server, trade.buyer, "admin")
    with launch(chromium) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors = _collect_errors(page)
        page.goto(f"{fast_server.url}/signin")
        _sign_in(page, admin)
        expect(page).to_have_url(f"{fast_server.url}/orders")

        # Jobs: held part done by this test, so the bar is caught half way
        page.get_by_role("link", name="Jobs", exact=True).click()
        expect(page.locator("h1")).to_have_text("Jobs")
        expect(page.locator(".job-label")).to_have_text("2 of 5 processed, 1 failed")
        _shot(page, output_dir, "01-jobs-running")
        page.get_by_role("link", name=f"Job {job_id}").click()
        expect(page.locator(".status-now")).to_have_text("Running")
        expect(page.get_by_role("img", name="2 of 5 processed, 1 failed")).to_be_visible()
        _shot(page, output_dir, "02-job-running")
        # let the server's worker finish it: the page follows by itself, then lists every failure
        release_job(fast_server, job_id)
        expect(page.locator(".status-now")).to_have_text("Completed with failures")
        expect(page.locator(".job-label")).to_have_text("5 of 5 processed, 3 failed")
        expect(page.locator("table.failed-orders tbody tr")).to_have_count(3)
        expect(page.locator("table.failed-orders")).to_contain_text("was already submitted")
        _shot(page, output_dir, "03-job-done")

        # Webhooks: create one through the form
        page.get_by_role("link", name="Webhooks", exact=True).click()
        expect(page.locator("table.webhooks")).to_contain_text("nobody-listens")
        page.get_by_label("Address").fill(f"{receiver.url}/hook")
        page.get_by_label("Topic").select_option("order.created")
        page.get_by_label("Shared secret").fill("short")
        page.get_by_role("button", name="Add webhook").click()
        expect(page.locator("#secret-error")).to_contain_text("whsec_ followed by the base64 of 24 to 64")
        expect(page.locator("#error-summary")).to_be_focused()
        _shot(page, output_dir, "04-webhooks-refused")
        page.get_by_label("Shared secret").fill(SECRET)
        page.get_by_role("button", name="Add webhook").click()
        expect(page.get_by_role("status")).to_contain_text("Webhook created.")
        hook_url = page.url.split("?")[0]

        # an order: the receiver refuses it (400 is final), the dead address is tried three times
        receiver.script["/hook"] = [400]
        create_order(trade, "PO-HOOK")
        _reload_until(page, page.locator(".deliveries .chip-failed"), "the refused delivery")
        expect(page.locator(".deliveries")).to_contain_text("400")
        _shot(page, output_dir, "05-webhook-failed")
        receiver.script["/hook"] = [204]
        page.get_by_role("button", name="Replay").click()
        expect(page.get_by_role("status")).to_contain_text("Delivery queued again")
        _reload_until(page, page.locator(".deliveries .chip-done"), "the replayed delivery")
        expect(page.locator(".attempts .code")).to_have_text(["400", "204"])
        expect(page.get_by_role("button", name="Replay")).to_have_count(0)
        _shot(page, output_dir, "06-webhook-replayed")
        page.get_by_role("button", name="Disable").click()
        expect(page.locator(".status-now")).to_have_text("Disabled")

        page.get_by_role("link", name="← Webhooks").click()
        _shot(page, output_dir, "07-webhooks")
        page.get_by_role("link", name=closed).click()
        _reload_until(page, page.locator(".deliveries .chip-failed"), "the dead-lettered delivery")
        # the orders the import created and PO-HOOK: each tried three times, then dead-lettered
        newest = page.locator(".deliveries tbody tr").first
        expect(newest.locator(".chip")).to_have_text("Dead-lettered")
        expect(newest.locator(".attempts .code")).to_have_text(["no answer"] * 3)
        expect(newest.get_by_role("button", name="Replay")).to_be_visible()
        _shot(page, output_dir, "08-webhook-dead")

        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        phone.add_cookies(context.cookies())
        mobile = phone.new_page()
        mobile.goto(f"{fast_server.url}/jobs/{job_id}")
        _shot(mobile, output_dir, "09-phone-job")
        mobile.goto(hook_url)
        _shot(mobile, output_dir, "10-phone-webhook")
        phone.close()
        context.close()
    assert errors == [], errors
    assert len(receiver.on("/hook")) == 2


def test_orders_desk_bulk_csv_and_a_viewer(chromium: str, server: LiveServer, trade: Trade, output_dir: Path) -> None:
    """A supplier's clerk filters, sorts, exports CSV and acknowledges two POs in one step; a viewer
    of the same company sees the same list without a way to act; a buyer confirms a final move."""
    from playwright.sync_api import expect

    keys = [create_order(trade, f"PO-DESK-{n}", DoNotShipAfter=f"2099-01-0{n}") for n in (1, 2, 3)]
    clerk = make_user(server, trade.supplier, "clerk", "Cy Clerk")
    viewer = make_user(server, trade.supplier, "viewer", "Vi Viewer")
    buyer = make_user(server, trade.buyer, "clerk", "Bo Buyer")
    with launch(chromium) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors = _collect_errors(page)
        page.goto(f"{server.url}/signin")
        _sign_in(page, clerk)
        page.get_by_label("Sort by").select_option("po")
        expect(page).to_have_url(re.compile(r"/orders\?.*sort=po"))
        page.get_by_label("Order", exact=True).select_option("asc")
        expect(page.locator("a.po")).to_have_text(["PO-DESK-1", "PO-DESK-2", "PO-DESK-3"])
        _shot(page, output_dir, "01-orders-sorted")
        with page.expect_download() as download:
            page.get_by_role("link", name="Export CSV").click()
        text = Path(download.value.path()).read_text()
        assert [ln.split(",")[0] for ln in text.splitlines()] == ["PartnerPO", "PO-DESK-1", "PO-DESK-2", "PO-DESK-3"]
        page.get_by_label("Select PO-DESK-1").check()
        page.get_by_label("Select PO-DESK-3").check()
        _shot(page, output_dir, "02-orders-selected")
        page.get_by_role("button", name="Acknowledge selected as accepted").click()
        expect(page.get_by_role("status")).to_contain_text("2 POs acknowledged as accepted.")
        expect(page.locator("a.po")).to_have_text(["PO-DESK-1", "PO-DESK-2", "PO-DESK-3"])  # the same view
        _shot(page, output_dir, "03-orders-bulk-done")
        assert [api_order(trade.buyer, k)["StatusCode"] for k in keys] == [500, 150, 500]
        page.get_by_role("link", name="PO-DESK-1").click()
        expect(page.locator(".timeline li").first).to_contain_text("by Cy Clerk")
        page.get_by_role("button", name="Sign out").click()

        # a viewer reads the same desk, without a checkbox, a button or a status form
        _sign_in(page, viewer)
        expect(page.locator("a.po").first).to_be_visible()
        expect(page.locator("input.pick")).to_have_count(0)
        page.get_by_role("link", name="PO-DESK-2").click()
        expect(page.get_by_role("link", name="Acknowledge", exact=True)).to_have_count(0)
        expect(page.locator("#status")).to_have_count(0)
        _shot(page, output_dir, "04-viewer-order")
        page.get_by_role("button", name="Sign out").click()

        # the buyer cannot acknowledge; a final move asks first
        _sign_in(page, buyer)
        page.goto(f"{server.url}/orders/{keys[1]}")
        expect(page.get_by_role("link", name="Acknowledge", exact=True)).to_have_count(0)
        expect(page.locator("#status")).to_have_value("")
        page.locator("#status").select_option("1100")
        page.get_by_label("Reason").fill("Ordered twice by mistake")
        page.get_by_role("button", name="Set status…").click()
        expect(page.locator("h1")).to_contain_text("to 1100 Cancelled?")
        expect(page.locator("q.reason")).to_have_text("Ordered twice by mistake")
        _shot(page, output_dir, "05-buyer-confirm-cancel")
        page.get_by_role("button", name="Yes, set 1100 Cancelled").click()
        expect(page.locator(".status-now")).to_contain_text("1100 Cancelled")
        expect(page.locator(".timeline li").first).to_contain_text("by Bo Buyer")
        expect(page.locator(".timeline li").first).to_contain_text("Ordered twice by mistake")
        _shot(page, output_dir, "06-buyer-cancelled")

        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        phone.add_cookies(context.cookies())
        mobile = phone.new_page()
        mobile.goto(f"{server.url}/orders")
        expect(mobile.locator("details.filter-fold")).not_to_have_attribute("open", "")
        _shot(mobile, output_dir, "07-phone-orders-folded")
        phone.close()
        context.close()
    assert errors == [], errors
