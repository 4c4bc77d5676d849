"""The hub's field paths in the warehouse's own words (pohub.dialects.wms.fields)."""

from __future__ import annotations

from pohub.core.errors import FieldError, Unprocessable
from pohub.dialects.wms import translate
from pohub.dialects.wms.fields import FIELDS, warehouse_field, warehouse_text


def test_every_known_path_is_put_in_the_warehouse_words() -> None:
    assert warehouse_field("OrderLines[0].ItemIdentifier.SupplierSKU") == "orderLines[0].skuId"
    assert warehouse_field("OrderLines[12].Quantity") == "orderLines[12].quantity"
    assert warehouse_field("OrderLines[3]") == "orderLines[3]"
    assert warehouse_field("PartnerPO") == "customerOrderNumber"
    assert warehouse_field("SomethingElse") == "SomethingElse"
    for hub, wms in FIELDS.paths.items():  # the warehouse's one table (translate.FIELDS)
        if "[" not in hub:
            assert warehouse_field(hub) == wms
    assert warehouse_field("ItemIdentifier.SupplierSKU") == "skuId"  # below a line, as old messages wrote it


def test_messages_lose_every_internal_path() -> None:
    text = "OrderLines[0].ItemIdentifier.SupplierSKU: is required; PartnerPO: is required"
    assert warehouse_text(text) == "orderLines[0].skuId: is required; customerOrderNumber: is required"
    assert warehouse_text("The order was refused") == "The order was refused"


def test_failed_orders_name_the_warehouse_fields() -> None:
    exc = Unprocessable(
        "OrderLines[1].ItemIdentifier.SupplierSKU: is required",
        [FieldError("OrderLines[1].ItemIdentifier.SupplierSKU", "is required"), FieldError("PartnerPO", "too long")],
    )
    body = {"customerOrderNumber": "C-1", "orderLines": [{"customerLineNumber": "10"}, {"customerLineNumber": "20"}]}
    entry = translate.failed_order(exc, body)
    assert entry["lines"] == [{"customerLineNumber": "20", "message": "skuId: is required"}]
    assert entry["message"] == "customerOrderNumber: too long"
    only_message = translate.failed_order(Unprocessable("OrderLines[0].Quantity: must be at least 1", []), body)
    assert only_message["message"] == "orderLines[0].quantity: must be at least 1"


def test_the_job_page_shows_stored_failures_in_warehouse_words() -> None:
    from pohub.web.job_pages import _in_warehouse_words

    stored = {
        "customerOrderNumber": "C-1",
        "message": "OrderLines[0].ItemIdentifier.SupplierSKU: is required",
        "lines": [{"customerLineNumber": "10", "message": "ItemIdentifier.SupplierSKU: is required"}],
    }
    shown = _in_warehouse_words(stored)
    assert shown["message"] == "orderLines[0].skuId: is required"
    assert shown["lines"] == [{"customerLineNumber": "10", "message": "skuId: is required"}]
