"""The agent and the client take every kind's wire names from the registry (pohub.documents.kinds):
each kind the agent sends is the registry's, and changing a spec's field changes what is sent, read
and recorded."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pohub.agent import documents as build
from pohub.agent import kinds
from pohub.agent.csvfiles import ShipmentRequest, ShipRow
from pohub.agent.policies import POLine, PurchaseOrder
from pohub.agent.state import State
from pohub.client import Created, calls
from pohub.core import jsonio
from pohub.documents import kinds as registry


def test_every_kind_the_agent_sends_is_a_supplier_kind_of_the_registry() -> None:
    sent = list(kinds.all_sent())
    assert {k.name for k in sent} == {"acknowledgement", "shipment", "invoice"}
    for kind in sent:
        assert kind.spec is registry.KINDS[kind.name]
        assert kind.spec in registry.SUPPLIER_KINDS
        assert kind.number_field == kind.spec.number_field
    with pytest.raises(LookupError):
        kinds.sent("order")  # the buyer's: the agent reads orders, never sends one


def _ship_row(quantity: int) -> ShipRow:
    return ShipRow(2, "PO-1", "K1", "1", "SKU-1", quantity, "UPS", "GND", "1Z", "")


def test_a_changed_shipment_spec_changes_the_document_built_and_the_figures_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        registry.KINDS, "shipment", replace(registry.SHIPMENT, number_field="DispatchNo", lines_field="Parcels")
    )
    state = State(tmp_path / "agent.db")
    try:
        state.remember_order(
            order=PurchaseOrder("K1", "PO-1", (POLine("1", "SKU-1", 5),)),
            buyer_id=1,
            supplier_id=2,
            currency="USD",
            status=200,
        )
        record = state.order("K1")
        assert record is not None
        body = build.shipment(record=record, request=ShipmentRequest("S-1", [_ship_row(3)]))
        assert body["DispatchNo"] == "S-1" and "ShipmentNumber" not in body
        assert [ln["Quantity"] for ln in body["Parcels"]] == [3] and "ShipmentLines" not in body

        doc = state.save_pending(kind="shipment", order_key="K1", number="S-1", body=jsonio.dumps(body), input_hash="h")
        state.mark_sent(doc, Created("S9", None, False), http_status=201)
        after = state.order("K1")
        assert after is not None and after.lines[0].shipped == 3  # read back from the spec's line field
    finally:
        state.close()


def test_a_changed_spec_changes_the_client_s_routes_and_envelopes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert calls.post_document("invoice", b"{}").path == "/Invoices"
    assert calls.search_page("order", {}, page=1, page_size=10).path == "/Orders"
    monkeypatch.setitem(registry.KINDS, "invoice", replace(registry.INVOICE, plural="Bills", number_field="BillNo"))
    assert calls.post_document("invoice", b"{}").path == "/Bills"
    assert calls.get_document("invoice", "7").path == "/Bills/7"
    assert calls.search_page("invoice", {}, page=1, page_size=10).path == "/Bills"
    records = [{"BillNo": "B-1", "Identifier": {"LogicbrokerKey": "77"}}]
    assert calls.find_posted("invoice", {"BillNo": "B-1"}, records) == "77"
    assert calls.find_posted("invoice", {"InvoiceNumber": "B-1"}, records) == ""


def test_an_order_is_found_by_its_answer_and_read_from_its_definition_s_name() -> None:
    # POST /Orders names the order itself; the others belong to an order and may be looked up by number.
    assert calls.names_itself("order")
    assert not any(calls.names_itself(k.name) for k in registry.SUPPLIER_KINDS)
    # GET /Orders/{key} answers Body.SalesOrder; an older search answers Body.SalesOrders.
    line = {"LineNumber": "1", "Quantity": 1, "ItemIdentifier": {"SupplierSKU": "A"}}
    answer = {"Body": {"SalesOrder": {"PartnerPO": "PO-1", "OrderLines": [line]}}}
    order = calls.get_document("order", "1").parse(200, answer)
    assert order.partner_po == "PO-1"
    page = calls.search_page("order", {}, page=1, page_size=10).parse(200, {"Body": {"SalesOrders": [{"A": 1}]}})
    assert page.records == [{"A": 1}]
