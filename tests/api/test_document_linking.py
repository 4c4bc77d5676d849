"""How a supplier document finds its order (documents/inbound.py, order_for_document and the duplicate
rule): by the URL's key, its LinkKey or its PartnerPO, and what each refusal says. These rules need
the database; `make mutation-deep` runs them against mutants of that code."""

from __future__ import annotations

from tests.api.helpers import SKU2, ack, create_order, error_fields, events, get_order, line, order_body
from tests.support import LiveServer, Trade, connect, make_party


def test_rule_the_url_alone_names_the_order(trade: Trade) -> None:
    key = create_order(trade, "PO-LINK-URL")
    # No PartnerPO, no LinkKey: the key in the URL is enough.
    body = {"AcknowledgementNumber": "A-URL", "AckLines": [line(1, 5), line(2, 3, SKU2)]}
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=body)
    assert r.status_code == 201, r.text
    assert get_order(trade, key)["OrderLines"][0]["QuantityAcknowledged"] == 5
    r = trade.supplier.post(f"/Shipment/{key}", json={"ShipmentNumber": "S-URL", "ShipmentLines": [line(1, 2)]})
    assert r.status_code == 201, r.text
    # The documents carry the order's PartnerPO, so searches by it find them.
    for plural in ("Acknowledgements", "Shipments"):
        found = trade.buyer.get(f"/{plural}", params={"partnerPO": "PO-LINK-URL"}).json()["Records"]
        assert len(found) == 1 and found[0]["PartnerPO"] == "PO-LINK-URL", (plural, found)


def test_rule_the_same_acknowledgement_again_is_the_first_one(trade: Trade) -> None:
    key = create_order(trade, "PO-LINK-DUP")
    body = ack("PO-LINK-DUP", "A-DUP", [line(1, 4)])
    first = trade.supplier.post(f"/Acknowledgement/{key}", json=body)
    assert first.status_code == 201, first.text
    again = trade.supplier.post(f"/Acknowledgement/{key}", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["Body"]["LogicbrokerKey"] == first.json()["Body"]["LogicbrokerKey"]
    changed = trade.supplier.post(f"/Acknowledgement/{key}", json=ack("PO-LINK-DUP", "A-DUP", [line(1, 3)]))
    assert changed.status_code == 409 and error_fields(changed) == ["AcknowledgementNumber"]
    assert len(trade.supplier.get(f"/Orders/{key}/Acknowledgements").json()["Body"]["Acknowledgements"]) == 1


def test_rule_an_unknown_order_is_named_in_the_404(trade: Trade) -> None:
    r = trade.supplier.post("/Shipment/987654321", json={"ShipmentNumber": "S", "ShipmentLines": [line(1, 1)]})
    assert r.status_code == 404 and r.json()["Message"] == "No order with LogicbrokerKey '987654321'"
    r = trade.supplier.post("/Acknowledgements", json=ack("PO-LINK-NOPE", "A", [line(1, 1)]))
    assert r.status_code == 404 and r.json()["Message"] == "No order with PartnerPO 'PO-LINK-NOPE' sent to you"


def test_rule_a_document_must_name_its_order(trade: Trade) -> None:
    create_order(trade, "PO-LINK-NONE")
    r = trade.supplier.post("/Acknowledgements", json={"AcknowledgementNumber": "A", "AckLines": [line(1, 1)]})
    assert r.status_code == 422
    assert r.json()["Errors"] == [
        {"Field": "Identifier.LinkKey", "Error": "or PartnerPO is required to link the document to its order"}
    ]


def test_rule_a_partner_po_two_buyers_use_needs_the_buyer(server: LiveServer, trade: Trade) -> None:
    other = make_party(server)
    connect(server, other, trade.supplier)
    mine = create_order(trade, "PO-LINK-SHARED")
    r = other.post("/Orders", json={**order_body(trade, "PO-LINK-SHARED"), "SenderCompanyId": other.id})
    assert r.status_code == 201, r.text
    theirs = r.json()["Body"]["LogicbrokerKey"]

    r = trade.supplier.post("/Acknowledgements", json=ack("PO-LINK-SHARED", "A-1", [line(1, 2)]))
    assert r.status_code == 422
    assert r.json()["Errors"] == [
        {"Field": "Identifier.LinkKey", "Error": "is required: PartnerPO matches orders from several buyers"}
    ]
    # ReceiverCompanyId says which buyer's PO it is.
    body = {**ack("PO-LINK-SHARED", "A-1", [line(1, 2)]), "ReceiverCompanyId": other.id}
    assert trade.supplier.post("/Acknowledgements", json=body).status_code == 201
    assert get_order(trade, theirs)["OrderLines"][0]["QuantityAcknowledged"] == 2
    assert get_order(trade, mine)["OrderLines"][0]["QuantityAcknowledged"] == 0


def test_rule_only_the_supplier_sends_documents_for_an_order(trade: Trade) -> None:
    key = create_order(trade, "PO-LINK-BUYER")
    r = trade.buyer.post(f"/Shipment/{key}", json={"ShipmentNumber": "S", "ShipmentLines": [line(1, 1)]})
    assert r.status_code == 403
    assert r.json()["Message"] == f"Only the order's supplier (company {trade.supplier.id}) sends shipments for it"


def test_rule_each_document_is_on_the_timeline_under_its_own_key(trade: Trade) -> None:
    key = create_order(trade, "PO-LINK-TIMELINE")
    body = ack("PO-LINK-TIMELINE", "A-T", [line(1, 0, QuantityCancelled=5), line(2, 0, SKU2, QuantityCancelled=3)])
    ack_key = trade.supplier.post("/Acknowledgements", json=body).json()["Body"]["LogicbrokerKey"]
    [warning] = [e for e in events(trade, key) if e["TypeId"] == 7]  # every line cancelled
    assert warning["LogicbrokerKey"] == int(ack_key)  # an integer in events, as the definitions say

    key = create_order(trade, "PO-LINK-TIMELINE-2")
    r = trade.supplier.post(
        f"/Shipment/{key}", json={"ShipmentNumber": "S-T", "ShipmentLines": [line(1, 5), line(2, 3, SKU2)]}
    )
    doc = r.json()["Body"]["LogicbrokerKey"]
    timeline = events(trade, key)
    assert [e["LogicbrokerKey"] for e in timeline if e["TypeId"] == 4] == [int(doc)]
    assert [e["Details"] for e in timeline if e["TypeId"] == 2] == [f"Shipment {doc} received"]
    # A closed order takes no more documents, and says which kind it refused.
    assert trade.buyer.put(f"/Orders/{key}/Status/1000", params={"reason": "no invoice needed"}).status_code == 200
    r = trade.supplier.post(f"/Shipment/{key}", json={"ShipmentNumber": "S-T2", "ShipmentLines": [line(1, 1)]})
    assert r.status_code == 409 and r.json()["Message"] == f"Order {key} is 1000 Complete: it takes no more shipments"
