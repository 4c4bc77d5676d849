"""Broadcasting inventory through the API, end to end on a live server (SQLite, and PostgreSQL when
configured): CSV, JSON and multipart bodies, the bad-rows report, all-or-nothing, repeats of a SKU,
and each message kept as an exchange with its bytes, state and errors."""

from __future__ import annotations

import json

from tests.inventory.helpers import CSV, broadcast_csv, download, exchange, item, published
from tests.support import Trade

STOCK = (
    "SupplierSKU,SupplierDescription,Quantity,NextAvailableQuantity,NextAvailableDate,LeadTime,Status,"
    "Warehouse,WarehouseQuantity,Warehouse2,Warehouse2Quantity,Warehouse2NextAvailableDate\r\n"
    "TIP-200,Pipette tips 200 uL,30,100,2026-12-01,5 days,active,EAST,10,WEST,20,2026-12-03\r\n"
    "GLV-M,Nitrile gloves M,0,50,2026-11-20,,backorder,,,,,\r\n"
)


def test_a_csv_broadcast_is_what_buyer_and_supplier_read(trade: Trade) -> None:
    body = published(trade.supplier, STOCK)
    assert (body["Format"], body["Rows"], body["Imported"], body["Errors"]) == ("csv", 2, 2, [])

    tips = item(trade.buyer, trade.supplier.id, "TIP-200")
    assert tips["SupplierId"] == trade.supplier.id and tips["Quantity"] == 30
    assert (tips["NextAvailableQuantity"], tips["NextAvailableDate"]) == (100, "2026-12-01T00:00:00+00:00")
    assert (tips["LeadTime"], tips["Status"], tips["SupplierDescription"]) == (
        "5 days",
        "active",
        "Pipette tips 200 uL",
    )
    assert (tips["Warehouse"], tips["WarehouseQuantity"], tips["Warehouse2"], tips["Warehouse2Quantity"]) == (
        "EAST",
        10,
        "WEST",
        20,
    )
    assert tips["Warehouse2NextAvailableDate"] == "2026-12-03T00:00:00+00:00"
    # The supplier reads its own stock under its own id, or under a buyer's.
    assert item(trade.supplier, trade.supplier.id, "TIP-200") == tips
    assert item(trade.supplier, trade.buyer.id, "TIP-200") == tips

    # A later broadcast replaces the SKUs it names (warehouses too) and leaves the others alone.
    published(trade.supplier, "SupplierSKU,Warehouse,WarehouseQuantity\r\nTIP-200,NORTH,4\r\n")
    tips = item(trade.buyer, trade.supplier.id, "TIP-200")
    assert (tips["Quantity"], tips["Warehouse"], tips["WarehouseQuantity"]) == (4, "NORTH", 4)
    assert "Warehouse2" not in tips and "NextAvailableDate" not in tips
    assert item(trade.buyer, trade.supplier.id, "GLV-M")["NextAvailableQuantity"] == 50


def test_a_json_broadcast_and_a_multipart_file(trade: Trade) -> None:
    items = [
        {"SupplierSKU": "J-1", "Quantity": 5, "Cost": 12.3456, "UOM": "EA", "MerchantSKU": "ZG-J1"},
        {
            "SupplierSKU": "J-2",
            "Warehouse": "EAST",
            "WarehouseQuantity": 2,
            "Warehouse2": "WEST",
            "Warehouse2Quantity": 1,
        },
    ]
    r = trade.supplier.post("/Inventory/Broadcast", json=items)
    assert r.status_code == 200, r.text
    assert (r.json()["Body"]["Format"], r.json()["Body"]["Imported"]) == ("json", 2)
    assert item(trade.buyer, trade.supplier.id, "J-1")["Cost"] == 12.3456
    assert item(trade.buyer, trade.supplier.id, "J-2")["Quantity"] == 3  # the warehouses' total

    r = trade.supplier.post(
        "/Inventory/Broadcast", files={"file": ("stock.csv", b"SupplierSKU,Quantity\nJ-1,9\n", "text/csv")}
    )
    assert r.status_code == 200 and r.json()["Body"]["Format"] == "csv", r.text
    assert item(trade.buyer, trade.supplier.id, "J-1")["Quantity"] == 9
    r = trade.supplier.post("/Inventory/Broadcast", json={"Records": [{"SupplierSKU": "J-2", "Quantity": 8}]})
    assert r.status_code == 200 and item(trade.buyer, trade.supplier.id, "J-2")["Quantity"] == 8


def test_bad_rows_are_reported_by_row_and_column_and_the_good_ones_import(trade: Trade) -> None:
    text = (
        "SupplierSKU,Quantity,NextAvailableDate,Warehouse,WarehouseQuantity,Colour\r\n"
        "OK-1,5,,,,red\r\n"  # row 2
        "BAD-QTY,five,,,,\r\n"  # row 3
        "OK-2,6,2026-12-01,,,\r\n"  # row 4
        "BAD-DATE,1,soon,,,\r\n"  # row 5
        ",4,,,,\r\n"  # row 6: no SKU
        "OK-1,7,,,,\r\n"  # row 7: OK-1 again
        "BAD-WH,1,,,3,\r\n"  # row 8: a warehouse quantity with no warehouse
    )
    r = broadcast_csv(trade.supplier, text)
    assert r.status_code == 200, r.text
    body = r.json()["Body"]
    assert (body["Rows"], body["Imported"], body["Refused"], body["IgnoredColumns"]) == (7, 2, 5, ["Colour"])
    assert [(e["Row"], e["Field"]) for e in body["Errors"]] == [
        (3, "Quantity"),
        (5, "NextAvailableDate"),
        (6, "SupplierSKU"),
        (7, "SupplierSKU"),
        (8, "WarehouseQuantity"),
    ]
    assert "whole number" in body["Errors"][0]["Error"] and "row 2 already" in body["Errors"][3]["Error"]
    assert r.json()["Message"] == "Inventory received: 2 of 7 rows imported, 5 refused"
    assert {row["SupplierSKU"]: row["Quantity"] for row in download(trade.buyer, trade.supplier.id)} == {
        "OK-1": "5",  # the first row of a SKU stands; the repeat is refused, not silently applied
        "OK-2": "6",
    }

    # The message is kept: its bytes as sent, applied, and the bad rows as its error.
    x = exchange(trade.supplier, body["ExchangeId"])
    assert (x["Channel"], x["Operation"], x["Kind"], x["State"]) == (
        "api",
        "inventory.broadcast",
        "inventory",
        "applied",
    )
    assert x["Raw"] == text and x["ContentType"] == "text/csv"
    assert [(e["Row"], e["Field"]) for e in x["Error"]["Errors"]][:2] == [(3, "Quantity"), (5, "NextAvailableDate")]


def test_all_or_nothing_refuses_the_lot_and_changes_nothing(trade: Trade) -> None:
    published(trade.supplier, "SupplierSKU,Quantity\nKEEP,1\n")
    r = broadcast_csv(trade.supplier, "SupplierSKU,Quantity\nKEEP,2\nNEW,3\nBAD,-4\n", allOrNothing="true")
    assert r.status_code == 422, r.text
    answer = r.json()
    assert answer["Errors"] == [{"Row": 4, "Field": "Quantity", "Error": "must not be negative, got -4"}]
    assert (answer["Rows"], answer["Refused"]) == (3, 1)
    assert {row["SupplierSKU"]: row["Quantity"] for row in download(trade.buyer, trade.supplier.id)} == {"KEEP": "1"}
    [x] = [e for e in trade.supplier.get("/Exchanges", params={"state": "refused"}).json()["Records"]]
    assert (x["Operation"], x["StatusCode"], x["Error"]["Errors"][0]["Row"]) == ("inventory.broadcast", 422, 4)


def test_a_feed_with_no_good_row_is_refused_and_can_be_run_again(trade: Trade) -> None:
    r = broadcast_csv(trade.supplier, "SupplierSKU,Quantity\nA,x\nB,y\n")
    assert r.status_code == 422 and "no row could be imported" in r.json()["Message"]
    [x] = trade.supplier.get("/Exchanges", params={"state": "refused", "kind": "inventory"}).json()["Records"]
    again = trade.supplier.post(f"/Exchanges/{x['Id']}/Retry")
    assert again.status_code == 200 and again.json()["Body"]["State"] == "refused"
    assert again.json()["Body"]["Attempts"] == 2


def test_whole_file_refusals_answer_4xx_and_are_kept(trade: Trade) -> None:
    cases = [
        (b"Sku Code,Qty\nA,1\n", 422, "no SupplierSKU column"),
        (b"SupplierSKU,Quantity\n", 422, "no inventory rows"),
        (b"SupplierSKU,Quantity\nA,1\n\xff,2\n", 400, "not UTF-8"),
        (b"", 422, "empty"),
    ]
    for raw, status, text in cases:
        r = trade.supplier.post("/Inventory/Broadcast", content=raw, headers=CSV)
        assert r.status_code == status and text in r.json()["Message"], (raw, r.text)
    r = trade.supplier.post("/Inventory/Broadcast", content=b"[{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["Errors"][0]["Field"] == "body"
    refused = trade.supplier.get("/Exchanges", params={"kind": "inventory", "state": "refused"}).json()["Records"]
    assert len(refused) == len(cases) + 1


def test_download_round_trip_and_filters(trade: Trade) -> None:
    published(trade.supplier, STOCK)
    rows = download(trade.buyer, trade.supplier.id)
    assert [r["SupplierSKU"] for r in rows] == ["TIP-200", "GLV-M"]
    assert rows[0]["Warehouse2"] == "WEST" and rows[0]["Warehouse2Quantity"] == "20"
    r = trade.buyer.get(f"/Inventory/{trade.supplier.id}")
    assert "attachment" in r.headers["content-disposition"]

    # The download is a broadcast as it stands: sent back, it changes no figure.
    before = item(trade.buyer, trade.supplier.id, "TIP-200")
    text = trade.supplier.get(f"/Inventory/{trade.supplier.id}").text
    assert published(trade.supplier, text)["Imported"] == 2
    after = item(trade.buyer, trade.supplier.id, "TIP-200")
    assert {k: v for k, v in after.items() if k != "LastUpdate"} == {
        k: v for k, v in before.items() if k != "LastUpdate"
    }

    stamp = after["LastUpdate"]
    published(trade.supplier, "SupplierSKU,Quantity,MerchantSKU\nLATE,1,ZG-LATE\n")
    later = item(trade.buyer, trade.supplier.id, "LATE")["LastUpdate"]
    assert [r["SupplierSKU"] for r in download(trade.buyer, trade.supplier.id, modifiedAfter=later)] == ["LATE"]
    assert len(download(trade.buyer, trade.supplier.id, modifiedAfter=stamp)) == 3
    assert [r["SupplierSKU"] for r in download(trade.buyer, trade.supplier.id, mapped="true")] == ["LATE"]
    assert len(download(trade.buyer, trade.supplier.id, mapped="false")) == 2
    assert trade.buyer.get(f"/Inventory/{trade.supplier.id}", params={"modifiedAfter": "soon"}).status_code == 422
    assert trade.buyer.get(f"/Inventory/{trade.supplier.id}", params={"fileType": "XLSX"}).status_code == 422

    # Asked for JSON (as the platform's client does): {Code, Message, Body: the CSV}.
    r = trade.buyer.get(f"/Inventory/{trade.supplier.id}", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["Body"].startswith("SupplierSKU,SupplierId,")


def test_one_item_and_a_sku_with_a_slash(trade: Trade) -> None:
    published(trade.supplier, "SupplierSKU,Quantity\nCEN/15,3\n")
    assert item(trade.buyer, trade.supplier.id, "CEN%2F15")["Quantity"] == 3
    r = trade.buyer.get(f"/Inventory/{trade.supplier.id}/Item/NOPE")
    assert r.status_code == 404 and "NOPE" in r.json()["Message"]
    assert trade.buyer.get("/Inventory/abc/Item/X").status_code == 422
    assert trade.buyer.get("/Inventory/99999999999/Item/X").status_code == 422


def test_zero_out(trade: Trade) -> None:
    published(trade.supplier, STOCK)
    r = trade.supplier.put(f"/Inventory/{trade.supplier.id}/ZeroOut")
    assert r.status_code == 200 and r.json()["Body"]["Items"] == 2, r.text
    tips = item(trade.buyer, trade.supplier.id, "TIP-200")
    assert (tips["Quantity"], tips["WarehouseQuantity"], tips["Warehouse2Quantity"]) == (0, 0, 0)
    assert tips["NextAvailableQuantity"] == 100  # what is coming is still coming
    x = exchange(trade.supplier, r.json()["Body"]["ExchangeId"])
    assert (x["Operation"], x["State"]) == ("inventory.zero_out", "applied")
    # Under a buyer's id it is the same stock; a buyer cannot zero its supplier's stock.
    assert trade.supplier.put(f"/Inventory/{trade.buyer.id}/ZeroOut").status_code == 200
    r = trade.buyer.put(f"/Inventory/{trade.supplier.id}/ZeroOut")
    assert r.status_code == 403 and r.json()["Errors"][0]["Field"] == "partnerId"


def test_json_body_of_the_wrong_shape(trade: Trade) -> None:
    r = trade.supplier.post("/Inventory/Broadcast", content=json.dumps(5), headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "body"
    someone_else = {"SupplierSKU": "A", "Quantity": 1, "SupplierId": trade.buyer.id}
    r = trade.supplier.post("/Inventory/Broadcast", json=[someone_else])
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "[0].SupplierId"
