"""Stock published for one buyer: a feed row with a MerchantId is that buyer's own figure for the SKU.
The buyer sees its own figure wherever it reads stock (availability, the item, the download); other
buyers, and the supplier's own view, keep seeing the figure for every buyer."""

from __future__ import annotations

from tests.inventory.helpers import broadcast_csv, download, item, published
from tests.support import LiveServer, Trade, connect, make_party


def test_a_buyer_sees_its_own_figure_where_one_exists(server: LiveServer, trade: Trade) -> None:
    other = make_party(server)
    connect(server, other, trade.supplier)
    me = trade.buyer.id
    published(
        trade.supplier,
        f"SupplierSKU,MerchantId,Quantity,NextAvailableDate\nTIP-1,,100,\nTIP-1,{me},7,2026-12-20\nTIP-2,,50,\n",
    )
    # Availability: the buyer's own figure for TIP-1, the general one for TIP-2.
    mine = trade.buyer.get("/Inventory/Availability/TIP-1").json()
    assert [(x["SupplierSKU"], x["Quantity"], x.get("MerchantId")) for x in mine["Records"]] == [("TIP-1", 7, me)]
    assert mine["TotalQuantity"] == 7
    assert trade.buyer.get("/Inventory/Availability/TIP-2").json()["TotalQuantity"] == 50
    theirs = other.get("/Inventory/Availability/TIP-1").json()
    assert [(x["Quantity"], "MerchantId" in x) for x in theirs["Records"]] == [(100, False)]

    # The item and the download, as the buyer and as another buyer read them.
    assert item(trade.buyer, trade.supplier.id, "TIP-1")["NextAvailableDate"].startswith("2026-12-20")
    assert item(other, trade.supplier.id, "TIP-1")["Quantity"] == 100
    assert [(r["SupplierSKU"], r["Quantity"], r["MerchantId"]) for r in download(trade.buyer, trade.supplier.id)] == [
        ("TIP-1", "7", str(me)),
        ("TIP-2", "50", ""),
    ]
    assert [r["Quantity"] for r in download(other, trade.supplier.id)] == ["100", "50"]
    # The supplier: its own view is the figures for every buyer; naming a buyer, what that buyer sees.
    assert [r["Quantity"] for r in download(trade.supplier, trade.supplier.id)] == ["100", "50"]
    assert item(trade.supplier, trade.supplier.id, "TIP-1")["Quantity"] == 100
    assert item(trade.supplier, me, "TIP-1")["Quantity"] == 7

    # A later broadcast for every buyer leaves the buyer's own figure alone, and the other way round.
    published(trade.supplier, "SupplierSKU,Quantity\nTIP-1,90\n")
    assert item(trade.buyer, trade.supplier.id, "TIP-1")["Quantity"] == 7
    assert item(other, trade.supplier.id, "TIP-1")["Quantity"] == 90
    published(trade.supplier, f"SupplierSKU,MerchantId,Quantity\nTIP-1,{me},3\n")
    assert (
        item(trade.buyer, trade.supplier.id, "TIP-1")["Quantity"],
        item(other, trade.supplier.id, "TIP-1")["Quantity"],
    ) == (3, 90)

    # JSON carries it as a number, like SupplierId.
    r = trade.supplier.post("/Inventory/Broadcast", json=[{"SupplierSKU": "TIP-2", "MerchantId": me, "Quantity": 4}])
    assert r.status_code == 200 and r.json()["Body"]["Imported"] == 1, r.text
    assert item(trade.buyer, trade.supplier.id, "TIP-2")["Quantity"] == 4


def test_merchant_id_must_be_one_of_the_supplier_s_buyers(server: LiveServer, trade: Trade) -> None:
    stranger = make_party(server)
    text = (
        "SupplierSKU,MerchantId,Quantity\n"
        f"A,{stranger.id},1\n"
        f"B,{trade.supplier.id},1\n"
        "C,x,1\n"
        f"D,{trade.buyer.id},1\n"
        f"D,{trade.buyer.id},2\n"
        "D,,5\n"
    )
    r = broadcast_csv(trade.supplier, text)
    assert r.status_code == 200, r.text
    body = r.json()["Body"]
    found = [(e["Row"], e["Field"]) for e in body["Errors"]]
    assert found == [(2, "MerchantId"), (3, "MerchantId"), (4, "MerchantId"), (6, "SupplierSKU")], body["Errors"]
    assert "not one of your buyers" in body["Errors"][0]["Error"]
    assert "for buyer" in body["Errors"][3]["Error"]
    assert (body["Imported"], body["Refused"]) == (2, 4)  # D for the buyer, and D for every buyer
    assert stranger.get("/Inventory/Availability/A").json()["Records"] == []
    assert item(trade.buyer, trade.supplier.id, "D")["Quantity"] == 1
    # All or nothing: one bad MerchantId refuses the lot.
    r = broadcast_csv(
        trade.supplier, f"SupplierSKU,MerchantId,Quantity\nE,,1\nF,{stranger.id},1\n", allOrNothing="true"
    )
    assert r.status_code == 422 and [e["Field"] for e in r.json()["Errors"]] == ["MerchantId"]
    assert trade.buyer.get("/Inventory/Availability/E").json()["Records"] == []
