"""The order page shows the buyer each line's stock at the supplier, as the supplier last broadcast it:
available, next available and when. The supplier's own view of the order does not carry it. Over HTTP,
and in a real browser."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.helpers import published
from tests.support import LiveServer, Trade
from tests.web.helpers import SKU1, create_order, make_user, sign_in
from tests.web.test_browser import _collect_errors, _shot, _sign_in, chromium, launch

__all__ = ["chromium"]  # the browser fixture, shared with the dashboard's own browser tests

STOCK = f"SupplierSKU,Quantity,NextAvailableQuantity,NextAvailableDate\n{SKU1},12,40,2026-12-15\n"


def test_the_buyer_sees_the_supplier_s_stock_on_the_order(server: LiveServer, trade: Trade) -> None:
    key = create_order(trade, "PO-STOCK-1")
    published(trade.supplier, STOCK)
    buyer, _ = sign_in(server, trade.buyer)
    page = buyer.get(f"/orders/{key}").text
    block = page.split('id="supplier-stock"', 1)[1].split("</section>", 1)[0]
    assert 'stock-available">12<' in block and '"num">40<' in block and 'datetime="2026-12-15"' in block
    assert "Not in the supplier's inventory feed" in block  # the order's second SKU was not published
    supplier, _ = sign_in(server, trade.supplier)
    assert 'id="supplier-stock"' not in supplier.get(f"/orders/{key}").text


def test_the_stock_block_in_a_browser(chromium: str, server: LiveServer, trade: Trade, output_dir: Path) -> None:
    key = create_order(trade, "PO-STOCK-2")
    published(trade.supplier, STOCK)
    person = make_user(server, trade.buyer, "viewer")  # reading is enough to see it
    from playwright.sync_api import expect

    with launch(chromium) as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
        page.set_default_timeout(15_000)
        errors = _collect_errors(page)
        page.goto(f"{server.url}/signin")
        _sign_in(page, person)
        page.goto(f"{server.url}/orders/{key}")
        stock = page.get_by_role("region", name="Supplier's stock")
        expect(stock).to_be_visible()
        row = stock.get_by_role("row").filter(has_text=SKU1)
        expect(row.locator(".stock-available")).to_have_text("12")
        expect(row.locator(".stock-next-date")).to_have_text("2026-12-15")
        _shot(page, output_dir, "order-supplier-stock")
        assert errors == []
