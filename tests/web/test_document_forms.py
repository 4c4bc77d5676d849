"""The document forms over plain HTTP: what the ship notice and the invoice carry on the wire, the
invoice's preview (the same Decimal sum as the page's script and the hub), and the refusals of each
new form, every one a 4xx that names its field."""

from __future__ import annotations

import re
from decimal import Decimal

from pohub.web import carriers, invoice_total
from tests.support import LiveServer, Trade, make_trade
from tests.web.helpers import api_order, create_order, sign_in

D = Decimal


def test_invoice_total_by_hand() -> None:
    # 5 x 31.02 + 3 x 10.50 = 186.60; tax 8.25% of (186.60 - 6.60) = 14.85; + 12.50 freight
    parts = invoice_total.compute(
        [(5, D("31.02")), (3, D("10.50"))], discount=D("6.60"), charges=D("12.50"), tax_rate=D("8.25")
    )
    assert (parts.lines, parts.tax, parts.total) == (D("186.60"), D("14.85"), D("207.35"))
    # half a cent rounds up, on the tax and on the total: 3 x 3.335 = 10.005; 7.5% = 0.750375
    parts = invoice_total.compute([(3, D("3.335"))], tax_rate=D("7.5"))
    assert (parts.tax, parts.total) == (D("0.75"), D("10.76"))
    # a line without a price adds nothing; nothing else given is nothing
    assert invoice_total.compute([(2, None), (1, D("1"))]).total == D("1.00")


def test_tracking_links_by_scac() -> None:
    assert carriers.tracking_url("UPSN", "1Z 9") == "https://www.ups.com/track?tracknum=1Z%209"
    assert carriers.tracking_url("fdeg", "123").startswith("https://www.fedex.com/")
    assert carriers.tracking_url("FDE", "123").startswith("https://www.fedex.com/")
    assert carriers.tracking_url("USPS", "9400").startswith("https://tools.usps.com/")
    assert carriers.tracking_url("DHL", "55").startswith("https://www.dhl.com/")
    assert carriers.tracking_url("ODFL", "55") is None  # known carrier, no tracking page by number
    assert carriers.tracking_url("Bob's Trucks", "55") is None
    assert carriers.tracking_url("UPSN", "") is None


def _acknowledged(trade: Trade, po: str) -> str:
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
    return key


def test_ship_cartons_on_the_wire_and_refusals(server: LiveServer, trade: Trade) -> None:
    key = _acknowledged(trade, "PO-CTN")
    client, token = sign_in(server, trade.supplier, "clerk")
    form = client.get(f"/orders/{key}/ship").text
    assert 'name="cartons" value="1"' in form and 'id="tracking-1"' not in form
    # "Add a carton" comes back with what was typed and one more carton
    r = client.post(
        f"/orders/{key}/ship",
        data={"csrf": token, "cartons": "1", "add_carton": "1", "shipment_number": "S-1", "qty-0-0": "2"},
    )
    assert r.status_code == 200 and 'id="tracking-1"' in r.text and 'name="cartons" value="2"' in r.text
    assert re.search(r'id="qty-0-0"[^>]*value="2"', r.text)
    base = {"csrf": token, "cartons": "2", "shipment_number": "S-1", "carrier": "FDEG"}
    # a tracking number on a carton with nothing in it
    r = client.post(f"/orders/{key}/ship", data=base | {"qty-0-0": "1", "tracking-1": "7777"})
    assert r.status_code == 422 and "carton 2 has a tracking number but no units" in r.text
    assert re.search(r'id="tracking-1"[^>]*aria-invalid="true"', r.text)
    # the cartons of a line together over what it may still ship
    r = client.post(f"/orders/{key}/ship", data=base | {"qty-0-0": "4", "qty-0-1": "2"})
    assert r.status_code == 422 and "Line 01: 6 in the cartons, at most 5 can still ship" in r.text
    # junk in a box is named
    r = client.post(f"/orders/{key}/ship", data=base | {"qty-0-0": "two"})
    assert r.status_code == 422 and "must be a whole number, got &#39;two&#39;" in r.text
    r = client.post(
        f"/orders/{key}/ship",
        data=base | {"qty-0-0": "3", "tracking-0": "111", "qty-0-1": "2", "qty-1-1": "3", "tracking-1": "222"},
    )
    assert r.status_code == 303, r.text
    [shipment] = trade.buyer.get(f"/Orders/{key}/Shipments").json()["Body"]["Shipments"]
    infos = [
        (ln["LineNumber"], i["ContainerCode"], i["TrackingNumber"], i["CarrierCode"], i["Qty"])
        for ln in shipment["ShipmentLines"]
        for i in ln["ShipmentInfos"]
    ]
    assert infos == [
        ("01", "CTN-1", "111", "FDEG", 3),
        ("01", "CTN-2", "222", "FDEG", 2),
        ("02", "CTN-2", "222", "FDEG", 3),
    ]
    doc = client.get(f"/orders/{key}/documents/{shipment['Identifier']['LogicbrokerKey']}").text
    assert 'href="https://www.fedex.com/fedextrack/?trknbr=222"' in doc


def test_invoice_preview_refusals_and_total_sent(server: LiveServer, trade: Trade) -> None:
    key = _acknowledged(trade, "PO-INV")
    client, token = sign_in(server, trade.supplier, "clerk")
    assert client.get(f"/orders/{key}/invoice").status_code == 409  # nothing shipped, nothing to bill
    ship = {"csrf": token, "shipment_number": "S-1", "qty-0-0": "5", "qty-1-0": "3"}
    assert client.post(f"/orders/{key}/ship", data=ship).status_code == 303
    bill = {"csrf": token, "invoice_number": "I-1", "qty-0": "5", "qty-1": "3"}
    extras = {"charges": "12.50", "discount": "6.60", "tax_rate": "8.25"}
    r = client.post(f"/orders/{key}/invoice", data=bill | extras | {"preview": "1"})
    assert r.status_code == 200 and 'id="total-total">207.35<' in r.text and 'id="total-tax">14.85<' in r.text
    assert trade.buyer.get(f"/Orders/{key}/Invoices").json()["Body"]["Invoices"] == []  # a preview sends nothing
    for field, value, text in (
        ("discount", "999", "is more than the lines and charges (199.10)"),
        ("tax_rate", "150", "is a percentage: at most 100"),
        ("charges", "abc", "must be an amount, got &#39;abc&#39;"),
        ("charges", "-1", "must not be negative"),
    ):
        r = client.post(f"/orders/{key}/invoice", data=bill | extras | {field: value})
        assert r.status_code == 422 and text in r.text, (field, value)
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', r.text), field
    r = client.post(f"/orders/{key}/invoice", data=bill | extras)
    assert r.status_code == 303, r.text
    [invoice] = trade.buyer.get(f"/Orders/{key}/Invoices").json()["Body"]["Invoices"]
    assert D(str(invoice["InvoiceTotal"])) == D("207.35")
    assert invoice["Taxes"][0]["TaxAmount"] == 14.85 and invoice["Discounts"][0]["DiscountAmount"] == 6.6
    page = client.get(f"/orders/{key}").text
    assert f'href="/orders/{key}/invoice"' not in page  # nothing left to bill: no Invoice button


def test_document_and_return_pages_refuse_what_is_not_yours(server: LiveServer, trade: Trade) -> None:
    key = _acknowledged(trade, "PO-MINE")
    other = make_trade(server)
    other_key = _acknowledged(other, "PO-THEIRS")
    [ack] = other.supplier.get(f"/Orders/{other_key}/Acknowledgements").json()["Body"]["Acknowledgements"]
    client, token = sign_in(server, trade.supplier, "clerk")
    for path in (
        f"/orders/{key}/documents/nope",
        f"/orders/{key}/documents/{ack['Identifier']['LogicbrokerKey']}",
        f"/orders/{key}/documents/{key}",  # the order itself is not one of its documents
        f"/orders/{other_key}/print",
        "/returns/999999",
        "/changes/abc",
    ):
        assert client.get(path).status_code == 404, path
    # the supplier requests no return and sends no change; the buyer authorises nothing
    assert client.get(f"/orders/{key}/return").status_code == 404
    assert client.get(f"/orders/{key}/change").status_code == 404
    buyer, buyer_token = sign_in(server, trade.buyer, "clerk")
    assert buyer.post(f"/orders/{key}/return", data={"csrf": buyer_token, "return_number": "R"}).status_code == 422
    viewer, _ = sign_in(server, trade.buyer, "viewer")
    assert viewer.get(f"/orders/{key}/change").status_code == 403
    r = buyer.post(f"/orders/{key}/change", data={"csrf": buyer_token, "change_number": "C-1", "quantity-0": "x"})
    assert r.status_code == 422 and "must be a whole number, got &#39;x&#39;" in r.text
    r = buyer.post(f"/orders/{key}/change", data={"csrf": buyer_token, "change_number": "C-1"})
    assert r.status_code == 422 and "changes nothing" in r.text
    assert client.post("/returns/1/nope", data={"csrf": token}).status_code == 404
