"""Issue 12 in a real browser: the buyer sees the supplier's stock on its order, requests a return of
shipped units and sends a change; the supplier's viewer reads but cannot act; the supplier's clerk
authorises, receives and credits the return (an over-credit refused on the page) and answers the
change. Through the same services as the API; screenshots and axe-core on every page state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support import LiveServer, Trade
from tests.web.helpers import SKU1, SKU2, Person, api_order, create_order, make_user
from tests.web.test_browser import _collect_errors, _shot, _sign_in, chromium, launch

__all__ = ["chromium"]


def _shipped_order(trade: Trade, po: str) -> str:
    key = create_order(trade, po)
    lines = api_order(trade.supplier, key)["OrderLines"]
    ack = {
        "PartnerPO": po,
        "AcknowledgementNumber": f"A-{po}",
        "AckLines": [
            {"LineNumber": ln["LineNumber"], "Quantity": ln["Quantity"], "ItemIdentifier": ln["ItemIdentifier"]}
            for ln in lines
        ],
    }
    assert trade.supplier.post("/Acknowledgements", json=ack).status_code == 201
    ship = {
        "PartnerPO": po,
        "ShipmentNumber": f"S-{po}",
        "ShipmentLines": [{"LineNumber": "01", "Quantity": 5, "ItemIdentifier": {"SupplierSKU": SKU1}}],
    }
    assert trade.supplier.post("/Shipments", json=ship).status_code == 201
    return key


def _page(browser: Any, server: LiveServer, person: Person, path: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = _collect_errors(page)
    page.goto(server.url + path)
    _sign_in(page, person)
    return context, page, errors


def test_returns_changes_and_stock_in_the_browser(
    chromium: str, server: LiveServer, trade: Trade, output_dir: Path
) -> None:
    from playwright.sync_api import expect

    key = _shipped_order(trade, "PO-RMA-1")
    stock = [{"SupplierSKU": SKU1, "Quantity": 40, "NextAvailableQuantity": 100, "NextAvailableDate": "2099-03-01"}]
    assert trade.supplier.post("/Inventory/Broadcast", json=stock).status_code in (200, 201, 202)
    buyer = make_user(server, trade.buyer, "clerk", "Bea Buyer")
    viewer = make_user(server, trade.supplier, "viewer", "Vic Viewer")
    clerk = make_user(server, trade.supplier, "clerk", "Cal Clerk")
    with launch(chromium) as browser:
        # the buyer: the supplier's stock on the order, then a return of shipped units
        context, page, errors = _page(browser, server, buyer, f"/orders/{key}")
        expect(page).to_have_url(f"{server.url}/orders/{key}")
        stock_rows = page.locator("#supplier-stock tbody tr")
        expect(stock_rows.nth(0).locator(".stock-available")).to_have_text("40")
        expect(stock_rows.nth(0).locator(".stock-next-date")).to_have_text("2099-03-01")
        expect(stock_rows.nth(1)).to_contain_text("Not in the supplier's inventory feed")
        _shot(page, output_dir, "01-buyer-order-with-stock")
        page.get_by_role("link", name="Request a return").click()
        page.get_by_label("Units of line 01 to return").fill("7")
        page.get_by_label("Why line 01 comes back").select_option("DAMAGED")
        page.get_by_role("button", name="Request return").click()
        expect(page.locator("#qty-0-error")).to_have_text("at most 5 shipped unit(s) of line 01 can come back")
        _shot(page, output_dir, "02-return-request-refused")
        page.get_by_label("Units of line 01 to return").fill("2")
        page.get_by_label("Note on line 01").fill("Two arrived crushed")
        page.get_by_role("button", name="Request return").click()
        expect(page.get_by_role("status")).to_have_text("Return requested: the supplier answers it here.")
        expect(page.locator(".status-now")).to_contain_text("100 Requested")
        return_url = page.url.split("?")[0]
        _shot(page, output_dir, "03-return-requested")

        # ... and a change: the order is acknowledged, so it waits for the supplier's answer
        page.goto(f"{server.url}/orders/{key}")
        page.get_by_role("link", name="Change order").click()
        expect(page.locator("p.notice")).to_contain_text("waits for its answer")
        page.get_by_label("Units of line 02").fill("2")
        page.get_by_label("Reason (optional)").fill("Budget cut")
        _shot(page, output_dir, "04-change-form")
        page.get_by_role("button", name="Send change").click()
        expect(page.locator(".status-now")).to_contain_text("100 Awaiting answer")
        change_url = page.url.split("?")[0]
        _shot(page, output_dir, "05-change-sent")
        context.close()
        assert errors == [], errors

        # the supplier's viewer reads both, and is offered nothing to do
        context, page, errors = _page(browser, server, viewer, "/returns")
        expect(page.locator("a.return-link")).to_have_text(["RET-PO-RMA-1-1"])
        _shot(page, output_dir, "06-viewer-returns")
        page.locator("a.return-link").click()
        expect(page.get_by_role("button", name="Authorise return")).to_have_count(0)
        expect(page.locator("main")).to_contain_text("Your role reads returns")
        _shot(page, output_dir, "07-viewer-return")
        page.goto(change_url)
        expect(page.get_by_role("button", name="Send answer")).to_have_count(0)
        expect(page.locator("main")).to_contain_text("Your role reads changes")
        _shot(page, output_dir, "07b-viewer-change")
        context.close()
        assert errors == [], errors

        # the supplier's clerk: authorise, receive, a refused over-credit, then the credit
        context, page, errors = _page(browser, server, clerk, "/returns")
        page.locator("a.return-link").click()
        expect(page).to_have_url(return_url)
        _shot(page, output_dir, "08-clerk-return")
        page.get_by_label("RMA number").fill("RMA-77")
        page.get_by_role("button", name="Authorise return").click()
        expect(page.locator(".status-now")).to_contain_text("200 Authorised")
        expect(page.locator("dd.rma")).to_have_text("RMA-77")
        _shot(page, output_dir, "09-return-authorised")
        page.get_by_label("Units of line 01 received").fill("2")
        page.get_by_label("Condition of line 01").select_option("Damaged")
        page.get_by_role("button", name="Record receipt").click()
        expect(page.locator(".status-now")).to_contain_text("500 Received")
        expect(page.locator("table.return-lines tbody tr").first).to_contain_text("Damaged")
        _shot(page, output_dir, "10-return-received")
        page.get_by_label("Units of line 01 credited").fill("3")
        page.get_by_role("button", name="Send credit memo").click()
        expect(page.get_by_role("alert")).to_contain_text("Cannot credit more than was received on line 01")
        _shot(page, output_dir, "11-over-credit-refused")
        page.get_by_label("Units of line 01 credited").fill("2")
        page.get_by_role("button", name="Send credit memo").click()
        expect(page.locator(".status-now")).to_contain_text("1000 Credited")
        expect(page.locator("dd.credit")).to_have_text("CR-RET-PO-RMA-1-1-1: 62.04")
        _shot(page, output_dir, "12-return-credited")

        # the change: accept it, and the order's line 02 is 2 units now
        page.get_by_role("link", name="Changes", exact=True).click()
        expect(page.locator("a.change-link")).to_have_text(["CHG-PO-RMA-1-1"])
        expect(page.locator("table.changes-list")).to_contain_text("100 Awaiting answer")
        _shot(page, output_dir, "12b-changes-list")
        page.locator("a.change-link").click()
        page.get_by_role("button", name="Send answer").click()
        expect(page.get_by_role("alert")).to_contain_text("answer every line")
        _shot(page, output_dir, "13-change-answer-missing")
        page.get_by_label("Accept").check()
        page.get_by_role("button", name="Send answer").click()
        expect(page.locator(".status-now")).to_contain_text("1000 Applied")
        expect(page.locator(".line-state")).to_have_text("applied")
        _shot(page, output_dir, "14-change-applied")
        page.goto(f"{server.url}/orders/{key}")
        expect(page.get_by_role("link", name="Returns (1)")).to_be_visible()
        expect(page.locator(".timeline")).to_contain_text("RMA-77")
        _shot(page, output_dir, "15-supplier-order-after")
        context.close()
        assert errors == [], errors
    lines = api_order(trade.buyer, key)["OrderLines"]
    assert [(ln["ItemIdentifier"]["SupplierSKU"], ln["Quantity"]) for ln in lines] == [(SKU1, 5), (SKU2, 2)]
    body = trade.buyer.get(f"/Returns/{return_url.rsplit('/', 1)[1]}").json()["Body"]["Return"]
    assert body["RMANumber"] == "RMA-77" and body["ReturnLines"][0]["QuantityCredited"] == 2
