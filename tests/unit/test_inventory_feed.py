"""The inventory feed's rules, one at a time, on the row parser both formats share: each rule refuses
the cell it names with its row, and leaves the rows around it alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from pohub.core.errors import BadRequest, Unprocessable
from pohub.documents.inventory import LBInventoryItem
from pohub.inventory.feed import Item, RowError, open_feed, read_csv, read_json
from tests.support import FIXTURES

SUPPLIER = 7


def rows(csv_text: str) -> list[Item | list[RowError]]:
    return list(read_csv(csv_text.encode(), supplier_id=SUPPLIER).rows)


def errors_of(csv_text: str) -> list[tuple[int, str, str]]:
    out = []
    for parsed in rows(csv_text):
        if isinstance(parsed, list):
            out += [(e.row, e.field, e.error) for e in parsed]
    return out


def test_lbinventoryitem_is_spelled_as_published() -> None:
    published = json.loads((FIXTURES / "reference" / "lb-inventory-item.json").read_text())["LBInventoryItem"]
    assert {f.alias for f in LBInventoryItem.model_fields.values()} == set(published["properties"])


def test_a_good_row_with_warehouses() -> None:
    [item] = rows(
        "Supplier SKU,quantity,NextAvailableDate,Warehouse,WarehouseQuantity,Warehouse2,Warehouse2Quantity,"
        "Warehouse2NextAvailableQuantity,Warehouse2NextAvailableDate,Cost\n"
        "A-1,12,2026-12-01,EAST,5,WEST,7,3,2026-12-05T10:00:00+02:00,19.9900\n"
    )
    assert isinstance(item, Item)
    assert item.row == 2 and item.values["sku"] == "A-1" and item.values["quantity"] == 12
    assert item.values["next_available_date"] == datetime(2026, 12, 1, tzinfo=UTC)
    assert item.values["cost"] == Decimal("19.9900")
    assert [(w["position"], w["warehouse"], w["quantity"]) for w in item.warehouses] == [(1, "EAST", 5), (2, "WEST", 7)]
    assert item.warehouses[1]["next_available_date"] == datetime(2026, 12, 5, 8, tzinfo=UTC)


def test_quantity_defaults_to_the_warehouses_total_and_may_not_be_less() -> None:
    [item] = rows("SupplierSKU,Warehouse,WarehouseQuantity,Warehouse2,Warehouse2Quantity\nA,E,2,W,3\n")
    assert isinstance(item, Item) and item.values["quantity"] == 5
    assert errors_of("SupplierSKU,Quantity,Warehouse,WarehouseQuantity\nA,1,E,2\n") == [
        (2, "Quantity", "is 1, less than its warehouses' total of 2")
    ]
    assert errors_of("SupplierSKU,Quantity\nA,\n")[0][:2] == (2, "Quantity")


@pytest.mark.parametrize(
    ("header", "cell", "field", "rule"),
    [
        ("Quantity", "abc", "Quantity", "must be a whole number"),
        ("Quantity", "-1", "Quantity", "must not be negative"),
        ("Quantity", "2147483648", "Quantity", "must be at most 2147483647"),
        ("Quantity", "1" * 5000, "Quantity", "must be at most 2147483647"),
        ("Quantity", "2.5", "Quantity", "must be a whole number"),
        ("NextAvailableDate", "next week", "NextAvailableDate", "ISO 8601"),
        ("NextAvailableDate", "0001-01-01T00:00:00+05:00", "NextAvailableDate", "ISO 8601"),
        ("Cost", "1.23456", "Cost", "at most 4 decimal places"),
        ("Cost", "NaN", "Cost", "finite"),
        ("Cost", "1e20", "Cost", "less than"),
        ("UOM", "X" * 21, "UOM", "at most 20 characters"),
        ("Status", "a\x00b", "Status", "NUL"),
        ("SupplierId", "8", "SupplierId", "the sender is company 7"),
        ("WarehouseQuantity", "4", "WarehouseQuantity", "needs Warehouse"),
    ],
)
def test_each_rule_names_its_row_and_column(header: str, cell: str, field: str, rule: str) -> None:
    if header == "Quantity":
        text = f"SupplierSKU,Quantity\nGOOD,1\nBAD,{cell}\nALSO-GOOD,1\n"
    else:
        text = f"SupplierSKU,Quantity,{header}\nGOOD,1,\nBAD,1,{cell}\nALSO-GOOD,1,\n"
    parsed = rows(text)
    assert [type(p).__name__ for p in parsed] == ["Item", "list", "Item"], parsed
    [(row, named, error)] = errors_of(text)
    assert (row, named) == (3, field) and rule in error


def test_the_file_s_own_spelling_is_the_field_reported() -> None:
    assert errors_of("sku,on hand qty,quantity\nA,x,y\n") == [(2, "quantity", "must be a whole number, got 'y'")]


def test_rows_are_spreadsheet_rows_blank_lines_counted_and_too_many_fields_refused() -> None:
    found = errors_of("SupplierSKU,Quantity\nA,1\n\nB,x\nC,1,extra\n")
    assert found == [(4, "Quantity", "must be a whole number, got 'x'"), (5, "row", "has 3 fields; the header has 2")]


def test_semicolons_and_a_bom_are_read() -> None:
    [item] = list(read_csv("\ufeffSupplierSKU;Quantity\r\nA;3\r\n".encode(), supplier_id=SUPPLIER).rows)
    assert isinstance(item, Item) and item.values["quantity"] == 3


def test_whole_file_refusals() -> None:
    with pytest.raises(Unprocessable, match="no SupplierSKU column"):
        read_csv(b"Sku Code,Quantity\nA,1\n", supplier_id=SUPPLIER)
    with pytest.raises(Unprocessable, match="like column"):
        read_csv(b"SupplierSKU,Quantity,quantity\nA,1,2\n", supplier_id=SUPPLIER)
    with pytest.raises(Unprocessable, match="empty"):
        read_csv(b"", supplier_id=SUPPLIER)
    with pytest.raises(BadRequest, match="not UTF-8"):
        list(read_csv(b"SupplierSKU,Quantity\nA,1\n\xff\xfe,2\n", supplier_id=SUPPLIER).rows)
    with pytest.raises(BadRequest, match="Malformed JSON"):
        read_json(b"[{", supplier_id=SUPPLIER)


def test_ignored_columns_are_listed() -> None:
    feed = read_csv(b"SupplierSKU,Quantity,Color,Shelf\nA,1,red,3\n", supplier_id=SUPPLIER)
    assert feed.ignored_columns == ["Color", "Shelf"]


def test_json_fields_are_named_by_their_path() -> None:
    body: list[Any] = [{"SupplierSKU": "A", "Quantity": 1}, {"SupplierSKU": "B", "Quantity": True}, "x"]
    parsed = list(read_json(json.dumps(body).encode(), supplier_id=SUPPLIER).rows)
    assert isinstance(parsed[0], Item)
    assert [(e.row, e.field) for e in parsed[1]] == [(2, "[1].Quantity")]  # type: ignore[union-attr]
    assert [(e.row, e.field) for e in parsed[2]] == [(3, "[2]")]  # type: ignore[union-attr]
    wrapped = list(read_json(b'{"Records": [{"SupplierSKU": "A", "Quantity": "x"}]}', supplier_id=SUPPLIER).rows)
    assert [e.field for e in wrapped[0]] == ["Records[0].Quantity"]  # type: ignore[union-attr]


def test_format_by_content_type_file_name_or_first_character() -> None:
    assert open_feed(b'[{"SupplierSKU": "A", "Quantity": 1}]', "application/json", supplier_id=1).format == "json"
    assert open_feed(b"SupplierSKU,Quantity\nA,1\n", "text/csv", supplier_id=1).format == "csv"
    assert open_feed(b' [{"SupplierSKU": "A"}]', None, supplier_id=1).format == "json"
    assert open_feed(b"SupplierSKU\nA\n", "application/x-www-form-urlencoded", supplier_id=1).format == "csv"
    form = (
        b'--XYZ\r\nContent-Disposition: form-data; name="file"; filename="stock.json"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
        b'[{"SupplierSKU": "A", "Quantity": 2}]\r\n--XYZ--\r\n'
    )
    feed = open_feed(form, "multipart/form-data; boundary=XYZ", supplier_id=1)
    [item] = list(feed.rows)
    assert feed.format == "json" and isinstance(item, Item) and item.values["quantity"] == 2
    with pytest.raises(Unprocessable, match="no file"):
        open_feed(
            b'--XYZ\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--XYZ--\r\n',
            "multipart/form-data; boundary=XYZ",
            supplier_id=1,
        )
