"""The dashboard in a real browser: Debian's Chromium driven by Playwright against a live pohub.

Screenshots of every page land in the test's output directory (test-output/<test name>/).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support import LiveServer, Trade, free_port, make_trade
from tests.web.helpers import api_order, create_order, held_job, release_job, wms_order
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
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


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


def _reload_until(page: Any, locator: Any, what: str, timeout: float = 15) -> None:
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
    with launch(chromium) as browser:
        _work_the_order(browser, server, trade, output_dir, key=key, other_key=other_key, secret_key=secret_key)


def _work_the_order(
    browser: Any, server: LiveServer, trade: Trade, output_dir: Path, *, key: str, other_key: str, secret_key: str
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = _collect_errors(page)

    # signing in: a wrong key first
    page.goto(f"{server.url}/orders")
    expect(page).to_have_url(f"{server.url}/signin?next=%2Forders")
    _shot(page, output_dir, "01-signin")
    page.get_by_label("API key").fill("pohub_wrong-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The API key is not valid")
    _shot(page, output_dir, "02-signin-wrong-key")
    page.get_by_label("API key").fill(trade.supplier.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/orders")
    expect(page.locator(".company")).to_have_text(trade.supplier.name)
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
    page.locator("#accept-0").fill("5")
    page.locator("#backorder-0").fill("1")  # the script takes it from Accept: 4
    expect(page.locator("#accept-0")).to_have_value("4")
    page.locator("#accept-0").fill("6")
    page.get_by_role("button", name="Send acknowledgement").click()
    expect(page.locator("#accept-0-error")).to_contain_text("exceeds the 5 ordered on line 01")
    expect(page.locator("#error-summary")).to_be_focused()
    _shot(page, output_dir, "06-acknowledge-refused")
    page.locator("#backorder-0").fill("1")
    expect(page.locator("#accept-0")).to_have_value("4")
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
    expect(page.locator(".timeline")).to_contain_text("Acknowledgement refused (422)")
    expect(page.locator(".timeline")).to_contain_text("to 500 Ready to Ship")
    _shot(page, output_dir, "08-order-acknowledged")

    # ship part of line 1
    page.get_by_role("link", name="Ship", exact=True).click()
    page.get_by_label("Carrier code").fill("UPSN")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_label("Units of line 01 to ship").fill("2")
    expect(page.get_by_label("Units of line 02 to ship")).to_have_value("0")
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

    with launch(chromium) as browser:
        page = browser.new_page()
        page.goto(f"{server.url}/signin")
        expect(page.get_by_label("API key")).to_be_focused()  # autofocus
        page.keyboard.type(trade.buyer.key)
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

    with launch(chromium) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors = _collect_errors(page)
        page.goto(f"{fast_server.url}/signin")
        page.get_by_label("API key").fill(trade.buyer.key)
        page.get_by_role("button", name="Sign in").click()
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
