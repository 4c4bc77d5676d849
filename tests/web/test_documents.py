"""Issue 11's document tasks in a real browser, as a supplier's clerk does them: a ship notice of
two cartons with their own tracking numbers, each document's own page with its cartons and tracking
links, the print views (one A4/Letter page per 20 lines, counted in PDFs Chromium prints), the
invoice's running total with charges, a discount and tax, and a status set by hand with a reason.
Screenshots in test-output/<test>/, axe-core on every page state."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pohub.core import clock
from pohub.db.engine import Database
from pohub.documents.examples import sales_order
from pohub.documents.models import documents
from pohub.exchanges import repository as exchanges_repo
from tests.support import LiveServer, Trade
from tests.web.helpers import SKU1, SKU2, api_order, create_order, in_thread, make_user
from tests.web.test_browser import _collect_errors, _shot, _sign_in, chromium, launch

__all__ = ["chromium"]

UPS_1 = "1Z999AA10123456784"
UPS_2 = "1Z999AA10123456785"


def _accept_all(trade: Trade, po: str, lines: list[dict[str, Any]]) -> None:
    ack_lines = [
        {"LineNumber": ln["LineNumber"], "Quantity": ln["Quantity"], "ItemIdentifier": ln["ItemIdentifier"]}
        for ln in lines
    ]
    body = {"PartnerPO": po, "AcknowledgementNumber": f"ACK-{po}", "AckLines": ack_lines}
    r = trade.supplier.post("/Acknowledgements", json=body)
    assert r.status_code == 201, r.text


def _pdf_pages(data: bytes) -> int:
    """Pages of a PDF Chromium printed: its page objects (/Type /Page, not the /Pages tree)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", data))


def test_ship_cartons_document_page_invoice_total_and_reason(
    chromium: str, server: LiveServer, trade: Trade, output_dir: Path
) -> None:
    from playwright.sync_api import expect

    key = create_order(trade, "PO-DOC-1")
    order = api_order(trade.supplier, key)
    _accept_all(trade, "PO-DOC-1", order["OrderLines"])
    other = create_order(trade, "PO-DOC-2")
    clerk = make_user(server, trade.supplier, "clerk", "Sam Supplier")
    with launch(chromium) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors = _collect_errors(page)
        page.goto(f"{server.url}/orders/{key}")
        _sign_in(page, clerk)
        expect(page).to_have_url(f"{server.url}/orders/{key}")
        # nothing shipped yet: nothing to bill, so no Invoice button
        expect(page.get_by_role("link", name="Invoice", exact=True)).to_have_count(0)

        # ship in two cartons: the carrier from the SCAC list, a tracking number per carton
        page.get_by_role("link", name="Ship", exact=True).click()
        expect(page.get_by_label("Units of line 01 in carton 1")).to_have_value("5")
        assert page.locator("datalist#carriers option[value='FDEG']").count() == 1
        page.get_by_label("Carrier (SCAC)").fill("UPSN")
        page.get_by_label("Tracking number of carton 1").fill(UPS_1)
        page.get_by_label("Units of line 01 in carton 1").fill("3")
        page.get_by_label("Units of line 02 in carton 1").fill("0")
        page.get_by_role("button", name="Add a carton").click()
        expect(page.get_by_label("Units of line 01 in carton 1")).to_have_value("3")  # what was typed stays
        expect(page.get_by_label("Carrier (SCAC)")).to_have_value("UPSN")
        page.get_by_label("Tracking number of carton 2").fill(UPS_2)
        page.get_by_label("Units of line 01 in carton 2").fill("2")
        page.get_by_label("Units of line 02 in carton 2").fill("3")
        _shot(page, output_dir, "01-ship-two-cartons")
        page.get_by_role("button", name="Send ship notice").click()
        expect(page).to_have_url(f"{server.url}/orders/{key}?notice=shipped")
        links = page.locator("#docs-shipment a.tracking")
        expect(links).to_have_count(2)
        assert links.nth(0).get_attribute("href") == f"https://www.ups.com/track?tracknum={UPS_1}"
        expect(page.locator("#docs-shipment")).to_contain_text("Cartons")
        _shot(page, output_dir, "02-order-shipped")
        lines = api_order(trade.buyer, key)["OrderLines"]
        assert [ln["QuantityShipped"] for ln in lines] == [5, 3]

        # the ship notice's own page: its lines, its cartons with their contents and tracking links
        page.locator("#docs-shipment a.doc-link").first.click()
        expect(page.locator("h1")).to_have_text("SHP-PO-DOC-1-1")
        rows = page.locator("table.cartons tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text(f"CTN-1 UPSN {UPS_1}")
        expect(rows.nth(0)).to_contain_text(f"line 01 {SKU1}: 3")
        expect(rows.nth(1)).to_contain_text(f"line 01 {SKU1}: 2; line 02 {SKU2}: 3")
        assert rows.nth(1).locator("a.tracking").get_attribute("href") == (
            f"https://www.ups.com/track?tracknum={UPS_2}"
        )
        expect(page.locator("table.doc-lines tbody tr")).to_have_count(2)
        _shot(page, output_dir, "03-shipment-page")
        page.get_by_role("link", name="Print packing slip").click()
        expect(page.locator("h1")).to_have_text("Packing slip SHP-PO-DOC-1-1")
        expect(page.locator(".tracking-line")).to_contain_text(UPS_2)
        _shot(page, output_dir, "04-packing-slip-print")

        # invoice: the total runs as one types, the preview is the hub's sum, and it is what is sent
        page.goto(f"{server.url}/orders/{key}")
        page.get_by_role("link", name="Invoice", exact=True).click()
        expect(page.locator("#total-lines")).to_have_text("186.60")  # 5 x 31.02 + 3 x 10.50
        expect(page.locator("#total-total")).to_have_text("186.60")
        page.get_by_label("Freight and other charges").fill("12.50")
        page.get_by_label("Discount").fill("6.60")
        page.get_by_label("Tax rate (%)").fill("8.25")
        # tax 8.25% of 180.00 = 14.85; 186.60 + 12.50 - 6.60 + 14.85
        expect(page.locator("#total-tax")).to_have_text("14.85")
        expect(page.locator("#total-total")).to_have_text("207.35")
        page.get_by_label("Units of line 02 to invoice").fill("2")  # 10.50 less: tax 13.98
        expect(page.locator("#amount-1")).to_have_text("21.00")
        expect(page.locator("#total-total")).to_have_text("195.98")
        _shot(page, output_dir, "05-invoice-running-total")
        page.get_by_role("button", name="Preview total").click()
        expect(page.locator("#totals-title")).to_have_text("Preview: Total before sending")
        expect(page.get_by_label("Tax rate (%)")).to_have_value("8.25")
        expect(page.locator("#total-total")).to_have_text("195.98")
        _shot(page, output_dir, "06-invoice-preview")
        page.get_by_role("button", name="Send invoice").click()
        expect(page).to_have_url(f"{server.url}/orders/{key}?notice=invoiced")
        expect(page.locator("#docs-invoice")).to_contain_text("195.98")
        # one unit of line 02 is still to bill: the button stays until nothing is left
        expect(page.get_by_role("link", name="Invoice", exact=True)).to_have_count(1)
        page.locator("#docs-invoice a.doc-link").first.click()
        expect(page.locator("h1")).to_have_text("INV-PO-DOC-1-1")
        expect(page.locator("section").first).to_contain_text("Tax (8.25%)")
        _shot(page, output_dir, "07-invoice-page")
        page.get_by_role("link", name="Print invoice").click()
        expect(page.locator(".print-totals")).to_contain_text("195.98")
        _shot(page, output_dir, "08-invoice-print")

        page.goto(f"{server.url}/orders/{key}/invoice")
        page.get_by_role("button", name="Send invoice").click()
        expect(page).to_have_url(f"{server.url}/orders/{key}?notice=invoiced")
        expect(page.get_by_role("link", name="Invoice", exact=True)).to_have_count(0)
        _shot(page, output_dir, "09-order-fully-invoiced")
        response = page.goto(f"{server.url}/orders/{key}/invoice")
        assert response is not None and response.status == 409
        expect(page.locator("main")).to_contain_text("Nothing left to bill")

        # a status set by hand says why, and the timeline keeps it with the person's name
        page.goto(f"{server.url}/orders/{other}")
        page.get_by_label("Set status to").select_option("200")
        page.get_by_label("Reason").fill("Confirmed by phone with the buyer")
        _shot(page, output_dir, "10-status-with-reason")
        page.get_by_role("button", name="Set status…").click()
        expect(page).to_have_url(f"{server.url}/orders/{other}?notice=status")
        first = page.locator(".timeline li").first
        expect(first).to_contain_text("Confirmed by phone with the buyer")
        expect(first).to_contain_text("by Sam Supplier")
        _shot(page, output_dir, "11-status-set-with-reason")
        context.close()
        assert errors == [], errors


def _order_of(trade: Trade, po: str, n: int) -> tuple[str, list[dict[str, Any]]]:
    lines = [
        {
            "LineNumber": f"{i + 1:02d}",
            "Quantity": 2,
            "Price": 4.25,
            "QuantityUOM": "EA",
            "Description": f"Widget number {i + 1} with a long enough description to fill the column",
            "ItemIdentifier": {"SupplierSKU": f"SKU-{i + 1:04d}"},
        }
        for i in range(n)
    ]
    body = sales_order(
        PartnerPO=po, SenderCompanyId=trade.buyer.id, ReceiverCompanyId=trade.supplier.id, OrderLines=lines
    )
    r = trade.buyer.post("/Orders", json=body)
    assert r.status_code == 201, r.text
    key = str(r.json()["Body"]["LogicbrokerKey"])
    _accept_all(trade, po, lines)
    ship_lines = [
        {
            "LineNumber": ln["LineNumber"],
            "Quantity": 2,
            "ItemIdentifier": ln["ItemIdentifier"],
            "ShipmentInfos": [{"ContainerCode": "CTN-1", "Qty": 2, "TrackingNumber": UPS_1, "CarrierCode": "UPSN"}],
        }
        for ln in lines
    ]
    r = trade.supplier.post(
        "/Shipments", json={"PartnerPO": po, "ShipmentNumber": f"S-{po}", "ShipmentLines": ship_lines}
    )
    assert r.status_code == 201, r.text
    inv_lines = [
        {"LineNumber": ln["LineNumber"], "Quantity": 2, "ItemIdentifier": ln["ItemIdentifier"]} for ln in lines
    ]
    r = trade.supplier.post("/Invoices", json={"PartnerPO": po, "InvoiceNumber": f"I-{po}", "InvoiceLines": inv_lines})
    assert r.status_code == 201, r.text
    docs = trade.supplier.get(f"/Orders/{key}/Shipments").json()["Body"]["Shipments"]
    invoices = trade.supplier.get(f"/Orders/{key}/Invoices").json()["Body"]["Invoices"]
    return key, [docs[0], invoices[0]]


def test_print_views_fit_one_page_per_20_lines(
    chromium: str, server: LiveServer, trade: Trade, output_dir: Path
) -> None:
    from playwright.sync_api import expect

    orders = {n: _order_of(trade, f"PO-PRINT-{n}", n) for n in (20, 21)}
    clerk = make_user(server, trade.supplier, "clerk", "Pat Printer")
    with launch(chromium) as browser:
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors = _collect_errors(page)
        page.goto(f"{server.url}/signin")
        _sign_in(page, clerk)
        expect(page).to_have_url(f"{server.url}/orders")
        pages: dict[tuple[int, str, str], int] = {}
        for n, (key, (shipment, invoice)) in orders.items():
            views = {
                "po": f"/orders/{key}/print",
                "packing-slip": f"/orders/{key}/documents/{shipment['Identifier']['LogicbrokerKey']}/print",
                "invoice": f"/orders/{key}/documents/{invoice['Identifier']['LogicbrokerKey']}/print",
            }
            for name, path in views.items():
                page.goto(server.url + path)
                expect(page.locator("table.print-lines tbody tr")).to_have_count(n)
                _shot(page, output_dir, f"{name}-{n}-lines")
                for paper in ("A4", "Letter"):
                    pages[(n, name, paper)] = _pdf_pages(page.pdf(format=paper))
        expect(page.locator(".page-no").last).to_have_text("Page 2 of 2")
        context.close()
        assert errors == [], errors
    assert pages == {(n, name, paper): 1 if n == 20 else 2 for (n, name, paper) in pages}, pages
    assert len(pages) == 12


def test_order_page_links_the_edi_messages_of_its_documents(
    chromium: str, server: LiveServer, trade: Trade, output_dir: Path
) -> None:
    """Issue 9: the X12 exchange a ship notice came in by opens from the order page."""
    from playwright.sync_api import expect

    key = create_order(trade, "PO-EDI-1")
    order = api_order(trade.supplier, key)
    _accept_all(trade, "PO-EDI-1", order["OrderLines"])
    ship = {
        "PartnerPO": "PO-EDI-1",
        "ShipmentNumber": "ASN-77",
        "ShipmentLines": [{"LineNumber": "01", "Quantity": 1, "ItemIdentifier": {"SupplierSKU": SKU1}}],
    }
    r = trade.supplier.post("/Shipments", json=ship)
    assert r.status_code == 201, r.text
    shipment_id = int(r.json()["Body"]["LogicbrokerKey"])
    raw = b"ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*HUB            *261201*1200*U*00401*000000077*0*P*>~"

    async def record() -> tuple[int, int]:
        db = Database(server.database_url, pool_size=1)
        try:
            async with db.write() as conn:
                found = (await conn.execute(select(documents.c.id).where(documents.c.id == shipment_id))).first()
                assert found is not None
                ids = []
                for channel, company in (("x12", trade.supplier.id), ("as2", trade.buyer.id)):
                    now = clock.now()
                    ids.append(
                        await exchanges_repo.insert_exchange(
                            conn,
                            {
                                "direction": "in",
                                "channel": channel,
                                "operation": "x12.856",
                                "kind": "shipment",
                                "company_id": company,
                                "state": "done",
                                "raw": raw,
                                "document_id": shipment_id,
                                "order_id": int(key),
                                "created_at": now,
                                "updated_at": now,
                            },
                        )
                    )
                return ids[0], ids[1]
        finally:
            await db.dispose()

    x12_id, buyers_as2 = in_thread(record)
    clerk = make_user(server, trade.supplier, "viewer", "Val Viewer")
    with launch(chromium) as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        errors = _collect_errors(page)
        page.goto(f"{server.url}/orders/{key}")
        _sign_in(page, clerk)
        edi = page.locator("#docs-shipment a.edi-link")
        expect(edi).to_have_count(1)  # the buyer's own AS2 exchange is not the supplier's to open
        expect(edi).to_have_text(f"X12 in #{x12_id}")
        _shot(page, output_dir, "01-order-with-edi-link")
        edi.click()
        expect(page).to_have_url(f"{server.url}/messages/{x12_id}")
        expect(page.locator("main")).to_contain_text("ISA*00")
        _shot(page, output_dir, "02-edi-message")
        page.go_back()
        page.locator("#docs-shipment a.doc-link").click()
        expect(page.get_by_role("link", name=f"X12 message #{x12_id} (in, done)")).to_be_visible()
        _shot(page, output_dir, "03-shipment-with-edi-link")
        assert buyers_as2 != x12_id
        assert errors == [], errors
