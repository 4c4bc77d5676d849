"""What every supplier document goes through (documents/inbound.py), as pure functions: required
fields, line matching, the parties, the duplicate rule, open orders. Each test names its rule."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any

import pytest
from pydantic import AfterValidator, BaseModel, TypeAdapter, ValidationError

from pohub.documents.inbound import (
    Duplicate,
    check_parties,
    find_duplicate,
    match_lines,
    order_key,
    parse,
    require,
    validation_errors,
)
from pohub.documents.logicbroker import Acknowledgement, OrderLine, Shipment
from pohub.orders.apply import ensure_open
from pohub.orders.status import OrderStatus
from tests.unit.rules import ORDER, errors, order_line, refusal


@pytest.mark.parametrize("value", [None, "", "   ", []])
def test_rule_required_means_present_and_not_blank(value: Any) -> None:
    exc = refusal(lambda: require(value, "ShipmentNumber"))
    assert exc.status_code == 422 and errors(exc) == [("ShipmentNumber", "is required")]
    exc = refusal(lambda: require(value, "AckLines", "must have at least one line"))
    assert errors(exc) == [("AckLines", "must have at least one line")]


@pytest.mark.parametrize("value", ["S-1", 0, [1], " x "])
def test_rule_required_takes_any_other_value(value: Any) -> None:
    assert require(value, "Field") == value


def doc_line(**fields: Any) -> OrderLine:
    return OrderLine.model_validate({"ItemIdentifier": {}, **fields})


LINES = [order_line("01", line_id=1, sku="SKU-1"), order_line("02", line_id=2, sku="SKU-2")]


def test_rule_lines_match_by_line_number_in_any_spelling() -> None:
    pairs = match_lines(
        LINES, [doc_line(LineNumber=2), doc_line(LineNumber="01"), doc_line(LineNumber=" 1 ")], "AckLines"
    )
    assert [(i, line.id) for i, _, line in pairs] == [(0, 2), (1, 1), (2, 1)]
    assert pairs[0][1].line_number == "2"


def test_rule_an_unknown_line_number_is_refused_listing_the_lines() -> None:
    exc = refusal(lambda: match_lines(LINES, [doc_line(LineNumber="01"), doc_line(LineNumber="3")], "ShipmentLines"))
    assert errors(exc) == [("ShipmentLines[1].LineNumber", "the order has no line '3' (lines: 01, 02)")]


def test_rule_a_sku_that_contradicts_the_line_is_refused() -> None:
    line = doc_line(LineNumber="01", ItemIdentifier={"SupplierSKU": "SKU-2"})
    exc = refusal(lambda: match_lines(LINES, [line], "AckLines"))
    assert errors(exc) == [
        ("AckLines[0].ItemIdentifier.SupplierSKU", "'SKU-2' does not match line 01's SupplierSKU 'SKU-1'")
    ]
    # Agreeing, or a line without a SKU of its own, is fine.
    assert match_lines(LINES, [doc_line(LineNumber="01", ItemIdentifier={"SupplierSKU": "SKU-1"})], "AckLines")
    no_sku = [order_line("01", sku=None)]
    assert match_lines(no_sku, [doc_line(LineNumber="01", ItemIdentifier={"SupplierSKU": "X"})], "AckLines")


def test_rule_without_a_line_number_the_sku_names_exactly_one_line() -> None:
    [(_, _, line)] = match_lines(LINES, [doc_line(ItemIdentifier={"SupplierSKU": "SKU-2"})], "InvoiceLines")
    assert line.id == 2
    exc = refusal(lambda: match_lines(LINES, [doc_line(ItemIdentifier={"SupplierSKU": "NOPE"})], "InvoiceLines"))
    assert errors(exc) == [("InvoiceLines[0].ItemIdentifier.SupplierSKU", "'NOPE' matches no line")]
    twice = [order_line("01", line_id=1, sku="SKU-1"), order_line("02", line_id=2, sku="SKU-1")]
    exc = refusal(lambda: match_lines(twice, [doc_line(ItemIdentifier={"SupplierSKU": "SKU-1"})], "InvoiceLines"))
    assert errors(exc) == [
        ("InvoiceLines[0].ItemIdentifier.SupplierSKU", "'SKU-1' matches several lines; give LineNumber")
    ]


def test_rule_a_line_names_its_number_or_its_sku() -> None:
    exc = refusal(lambda: match_lines(LINES, [doc_line(LineNumber="01"), doc_line()], "AckLines"))
    assert errors(exc) == [("AckLines[1].LineNumber", "or ItemIdentifier.SupplierSKU is required")]
    exc = refusal(lambda: match_lines(LINES, [SimpleNamespace(line_number=None, item_identifier=None)], "AckLines"))
    assert errors(exc) == [("AckLines[0].LineNumber", "or ItemIdentifier.SupplierSKU is required")]
    # A line of a kind without item identifiers at all matches by its number.
    [(_, _, line)] = match_lines(LINES, [SimpleNamespace(line_number="02")], "ReturnLines")
    assert line.id == 2


def shipment(**fields: Any) -> Shipment:
    return Shipment.model_validate({"ShipmentLines": [], **fields})


def test_rule_only_the_orders_supplier_sends_its_documents() -> None:
    check_parties(ORDER, shipment(), company_id=7, kind="shipment")
    exc = refusal(lambda: check_parties(ORDER, shipment(), company_id=5, kind="shipment"))
    assert exc.status_code == 403 and exc.message == "Only the order's supplier (company 7) sends shipments for it"


def test_rule_the_sender_is_the_caller() -> None:
    check_parties(ORDER, shipment(SenderCompanyId=7), company_id=7, kind="shipment")
    exc = refusal(lambda: check_parties(ORDER, shipment(SenderCompanyId=8), company_id=7, kind="shipment"))
    assert exc.status_code == 403 and exc.message == "SenderCompanyId 8 is not your company (7)"
    assert errors(exc) == [("SenderCompanyId", "must be the company of the API key")]


def test_rule_the_receiver_is_the_orders_buyer() -> None:
    check_parties(ORDER, shipment(ReceiverCompanyId=5), company_id=7, kind="shipment")
    exc = refusal(lambda: check_parties(ORDER, shipment(ReceiverCompanyId=6), company_id=7, kind="shipment"))
    assert exc.status_code == 422 and errors(exc) == [("ReceiverCompanyId", "must be the order's buyer (5)")]


def test_rule_the_partner_po_is_the_orders() -> None:
    check_parties(ORDER, shipment(PartnerPO="PO-1"), company_id=7, kind="shipment")
    exc = refusal(lambda: check_parties(ORDER, shipment(PartnerPO="PO-2"), company_id=7, kind="shipment"))
    assert errors(exc) == [("PartnerPO", "'PO-2' does not match the order's PartnerPO 'PO-1'")]


def row(doc_id: int, number: str, sender: int = 7, body_hash: str = "h1") -> Any:
    return SimpleNamespace(id=doc_id, number=number, sender_company_id=sender, body_hash=body_hash)


def test_rule_the_same_number_and_body_again_is_the_same_document() -> None:
    earlier = [row(10, "S-0"), row(11, "S-1")]
    found = find_duplicate(earlier, sender_id=7, number="S-1", body_hash="h1", number_field="ShipmentNumber")
    assert found == Duplicate(11)
    assert find_duplicate(earlier, sender_id=7, number="S-2", body_hash="h1", number_field="ShipmentNumber") is None
    assert find_duplicate(earlier, sender_id=7, number=None, body_hash="h1", number_field="ShipmentNumber") is None
    # Another sender's number is not this sender's document.
    assert find_duplicate(earlier, sender_id=8, number="S-1", body_hash="h2", number_field="ShipmentNumber") is None


def test_rule_documents_are_immutable_a_number_with_another_body_conflicts() -> None:
    earlier = [row(11, "S-1")]
    exc = refusal(
        lambda: find_duplicate(earlier, sender_id=7, number="S-1", body_hash="h2", number_field="ShipmentNumber")
    )
    assert exc.status_code == 409
    assert exc.message == (
        "ShipmentNumber 'S-1' was already used for this order by document 11 with a different body; "
        "documents are immutable, send a new number"
    )
    assert errors(exc) == [("ShipmentNumber", "must be unique per order")]
    assert exc.extra == {"LogicbrokerKey": "11"}


@pytest.mark.parametrize("status", list(OrderStatus))
def test_rule_only_open_orders_take_documents(status: OrderStatus) -> None:
    order = SimpleNamespace(id=41, status=int(status))
    open_ = status in (100, 150, 200, 500, 600)
    if open_:
        ensure_open(order, "shipment")  # type: ignore[arg-type]
        return
    exc = refusal(lambda: ensure_open(order, "shipment"))  # type: ignore[arg-type]
    assert exc.status_code == 409
    assert exc.message == f"Order 41 is {int(status)} {status.label}: it takes no more shipments"


def test_rule_a_body_is_a_json_object_of_the_kind() -> None:
    exc = refusal(lambda: parse(b"[1]", Acknowledgement))
    assert exc.status_code == 422 and exc.message == "The body must be a JSON object"
    assert errors(exc) == [("body", "must be a JSON object")]
    exc = refusal(lambda: parse(b'{"AckLines": [{"ItemIdentifier": {}, "Quantity": "many"}]}', Acknowledgement))
    assert exc.status_code == 422 and exc.message == "The Acknowledgement is not valid"
    assert [field for field, _ in errors(exc)] == ["AckLines[0].Quantity"]
    exc = refusal(lambda: parse(b"{}", Acknowledgement))
    assert errors(exc) == [("AckLines", "Field required")]


def test_rule_a_valid_body_is_kept_as_received() -> None:
    raw = b'{"AckLines": [{"ItemIdentifier": {}, "Quantity": 2, "Price": 1.10}]}'
    inbound = parse(raw, Acknowledgement)
    assert inbound.raw == raw and inbound.doc.ack_lines[0].quantity == 2
    assert inbound.data["AckLines"][0]["Quantity"] == 2
    assert (
        inbound.body_hash
        == parse(b'{"AckLines":[{"Price":1.10,"Quantity":2,"ItemIdentifier":{}}]}', Acknowledgement).body_hash
    )
    assert (
        inbound.body_hash != parse(b'{"AckLines": [{"ItemIdentifier": {}, "Quantity": 3}]}', Acknowledgement).body_hash
    )


def _pos(value: int) -> int:
    if value < 0:
        raise ValueError("must not be negative")
    return value


class _Probe(BaseModel):
    x: Annotated[int, AfterValidator(_pos)] | list[int]


def test_rule_error_paths_name_wire_fields_and_messages_read_plainly() -> None:
    # pydantic's own words stay out of the answer: no "function-after[...]" in a path, no
    # "Value error, " before a message.
    with pytest.raises(ValidationError) as exc:
        _Probe.model_validate({"x": -1})
    assert [(e.field, e.error) for e in validation_errors(exc.value)] == [
        ("x", "must not be negative"),
        ("x.list[int]", "Input should be a valid list"),
    ]
    with pytest.raises(ValidationError) as exc:
        TypeAdapter(int).validate_python("seven")
    assert [e.field for e in validation_errors(exc.value)] == ["body"]  # the whole body is at fault


def test_rule_the_url_and_the_link_key_name_the_same_order() -> None:
    linked = shipment(Identifier={"LinkKey": " 41 "})
    assert order_key("41", linked) == "41"
    assert order_key(None, linked) == " 41 "
    assert order_key("41", shipment()) == "41" and order_key(None, shipment()) is None
    assert order_key("41", shipment(Identifier={"LinkKey": ""})) == "41"
    exc = refusal(lambda: order_key("42", linked))
    assert exc.status_code == 422 and errors(exc) == [("Identifier.LinkKey", "is ' 41 ' but the URL names order '42'")]
    assert order_key("41", SimpleNamespace()) == "41"  # a document kind without an Identifier
