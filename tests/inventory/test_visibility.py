"""Who sees whose stock: a buyer sees the suppliers it trades with (and a SKU's availability across
them), a supplier its own; anyone else's answers 404 as if it did not exist."""

from __future__ import annotations

from tests.inventory.helpers import download, item, published
from tests.support import LiveServer, Trade, connect, make_party, make_trade


def test_availability_across_two_suppliers(server: LiveServer, trade: Trade) -> None:
    second = make_party(server)
    connect(server, trade.buyer, second)
    elsewhere = make_trade(server)  # a supplier the buyer does not trade with
    published(trade.supplier, "SupplierSKU,Quantity,NextAvailableDate\nTIP-200,5,2026-12-10\n")
    published(second, "SupplierSKU,MerchantSKU,Warehouse,WarehouseQuantity\nB-77,TIP-200,EAST,7\n")
    published(elsewhere.supplier, "SupplierSKU,Quantity\nTIP-200,100\n")

    r = trade.buyer.get("/Inventory/Availability/TIP-200")
    assert r.status_code == 200, r.text
    answer = r.json()
    assert [(x["SupplierId"], x["SupplierSKU"], x["Quantity"]) for x in answer["Records"]] == [
        (trade.supplier.id, "TIP-200", 5),
        (second.id, "B-77", 7),
    ]
    assert answer["TotalQuantity"] == 12 and answer["TotalRecords"] == 2
    assert answer["Records"][0]["NextAvailableDate"] == "2026-12-10T00:00:00+00:00"
    assert answer["Records"][1]["Warehouse"] == "EAST"
    assert trade.buyer.get("/Inventory/Availability/NOTHING").json()["Records"] == []
    # The other buyer sees only its own supplier's.
    other = elsewhere.buyer.get("/Inventory/Availability/TIP-200").json()
    assert [(x["SupplierId"], x["Quantity"]) for x in other["Records"]] == [(elsewhere.supplier.id, 100)]


def test_another_company_s_stock_is_not_visible(server: LiveServer, trade: Trade) -> None:
    published(trade.supplier, "SupplierSKU,Quantity\nSECRET,9\n")
    stranger = make_party(server)
    for path in (f"/Inventory/{trade.supplier.id}", f"/Inventory/{trade.supplier.id}/Item/SECRET"):
        r = stranger.get(path)
        assert r.status_code == 404, (path, r.text)
        assert "SECRET" not in r.text
    assert stranger.get("/Inventory/Availability/SECRET").json()["Records"] == []
    r = stranger.put(f"/Inventory/{trade.supplier.id}/ZeroOut")
    assert r.status_code == 404
    assert item(trade.buyer, trade.supplier.id, "SECRET")["Quantity"] == 9  # untouched
    # The supplier's stock under a company that is not its buyer: not there either.
    assert trade.supplier.get(f"/Inventory/{stranger.id}").status_code == 404
    # The refused zero-out is the stranger's own message, and not the supplier's.
    mine = stranger.get("/Exchanges", params={"kind": "inventory"}).json()["Records"]
    assert [(x["Operation"], x["State"], x["StatusCode"]) for x in mine] == [("inventory.zero_out", "refused", 404)]
    theirs = trade.supplier.get("/Exchanges", params={"kind": "inventory"}).json()["Records"]
    assert [x["Operation"] for x in theirs] == ["inventory.broadcast"]


def test_a_supplier_s_broadcast_does_not_touch_another_supplier_s_sku(server: LiveServer, trade: Trade) -> None:
    second = make_party(server)
    connect(server, trade.buyer, second)
    published(trade.supplier, "SupplierSKU,Quantity\nSAME,1\n")
    published(second, "SupplierSKU,Quantity\nSAME,2\n")
    published(trade.supplier, "SupplierSKU,Quantity\nSAME,3\n")
    assert item(trade.buyer, trade.supplier.id, "SAME")["Quantity"] == 3
    assert item(trade.buyer, second.id, "SAME")["Quantity"] == 2
    assert trade.supplier.put(f"/Inventory/{trade.supplier.id}/ZeroOut").status_code == 200
    assert [r["Quantity"] for r in download(trade.buyer, second.id)] == ["2"]
