"""Buyer changes over HTTP: before the supplier acknowledged they apply at once; after, they wait for
the supplier's answer line by line; shipped units are never cancelled or reduced, and the refusal
says how many shipped; the status is derived from the changed lines; each step is on the timeline
and is an exchange."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import SKU2, ack, create_order, error_fields, events, get_order, line
from tests.support import Trade


def change(number: str, *lines: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"ChangeNumber": number, "ChangeLines": list(lines), **kw}


def summaries(trade: Trade, key: str) -> list[str]:
    return [e["Summary"] for e in events(trade, key) if e["Category"] == "Change" and e["TypeId"] != 6]


def test_change_before_acknowledgement_applies_at_once(trade: Trade) -> None:
    key = create_order(trade, "PO-CHG-1")
    body = change(
        "C-1",
        {"LineNumber": "01", "Quantity": 3, "RequestedShipDate": "2027-01-15"},
        {"LineNumber": "2", "Price": 9.75},
        {"LineNumber": "03", "Action": "Add", "Quantity": 2, "Price": 4.5, "ItemIdentifier": {"SupplierSKU": "NEW-1"}},
    )
    r = trade.buyer.post(f"/Orders/{key}/Changes", json=body)
    assert r.status_code == 201, r.text
    change_key = r.json()["Body"]["LogicbrokerKey"]
    again = trade.buyer.post(f"/Orders/{key}/Changes", json=body)
    assert again.status_code == 200 and again.json()["Body"]["LogicbrokerKey"] == change_key

    lines = get_order(trade, key)["OrderLines"]
    assert [(x["LineNumber"], x["Quantity"], x["Price"]) for x in lines] == [
        ("01", 3, 31.02),
        ("02", 3, 9.75),
        ("03", 2, 4.5),
    ]
    assert lines[0]["RequestedShipDate"].startswith("2027-01-15")
    got = trade.supplier.get(f"/Changes/{change_key}").json()["Body"]["Change"]
    assert got["Status"] == "Applied" and {x["State"] for x in got["Lines"]} == {"applied"}
    assert summaries(trade, key) == [
        "Change C-1 received: line 01 quantity 5 -> 3, requested ship date 2027-01-15; line 02 price 10.5 -> 9.75; "
        "add line 03 (2 x NEW-1); applied at once (not yet acknowledged)"
    ]
    # The added line takes acknowledgements and shipments like the others.
    r = trade.supplier.post(
        f"/Acknowledgement/{key}",
        json=ack("PO-CHG-1", "A-1", [line("01", 3), line("02", 3, SKU2), line("03", 2, {"SupplierSKU": "NEW-1"})]),
    )
    assert r.status_code == 201, r.text

    # Cancelling the whole PO before anything shipped: the order is cancelled... once acknowledged, on the answer.
    r = trade.buyer.post(f"/Orders/{key}/Changes", json={"ChangeNumber": "C-2", "CancelOrder": True})
    assert r.status_code == 201 and r.json()["Body"]["OrderStatusCode"] == 100  # awaiting the answer
    ck = r.json()["Body"]["LogicbrokerKey"]
    r = trade.supplier.post(f"/Orders/{key}/Changes/{ck}/Answer", json={"Accept": True})
    assert r.status_code == 200, r.text
    assert get_order(trade, key)["StatusCode"] == 1100


def test_change_after_acknowledgement_waits_for_the_answer(trade: Trade) -> None:
    key = create_order(trade, "PO-CHG-2")
    trade.supplier.post(f"/Acknowledgement/{key}", json=ack("PO-CHG-2", "A-2", [line("01", 5), line("02", 3, SKU2)]))
    ship = {"ShipmentNumber": "S-2", "ShipmentLines": [line("01", 4), line("02", 3, SKU2)]}
    assert trade.supplier.post(f"/Shipment/{key}", json=ship).status_code == 201
    assert get_order(trade, key)["StatusCode"] == 500

    # Shipped units are never reduced or cancelled: each refusal names the field and how many shipped.
    r = trade.buyer.post(f"/Orders/{key}/Changes", json=change("C-x", {"LineNumber": "01", "Quantity": 3}))
    assert r.status_code == 422 and error_fields(r) == ["ChangeLines[0].Quantity"]
    assert "4 unit(s) of it shipped already" in r.json()["Errors"][0]["Error"]
    r = trade.buyer.post(f"/Orders/{key}/Changes", json=change("C-y", {"LineNumber": "02", "Action": "Cancel"}))
    assert r.status_code == 422 and error_fields(r) == ["ChangeLines[0].Action"]
    assert "3 unit(s) of it shipped" in r.json()["Errors"][0]["Error"]
    r = trade.buyer.post(f"/Orders/{key}/Changes", json={"ChangeNumber": "C-z", "CancelOrder": True})
    assert r.status_code == 422 and error_fields(r) == ["CancelOrder"]
    assert "line 01: 4 shipped, line 02: 3 shipped" in r.json()["Errors"][0]["Error"]
    # Only the buyer changes its PO.
    assert (
        trade.supplier.post(
            f"/Orders/{key}/Changes", json=change("C-s", {"LineNumber": "01", "Quantity": 4})
        ).status_code
        == 403
    )

    body = change("C-2", {"LineNumber": "01", "Quantity": 4}, {"LineNumber": "02", "Price": 11})
    r = trade.buyer.post(f"/Orders/{key}/Changes", json=body)
    assert r.status_code == 201, r.text
    ck = r.json()["Body"]["LogicbrokerKey"]
    assert get_order(trade, key)["OrderLines"][0]["Quantity"] == 5  # waits for the supplier

    assert trade.buyer.post(f"/Orders/{key}/Changes/{ck}/Answer", json={"Accept": True}).status_code == 403
    r = trade.supplier.post(
        f"/Orders/{key}/Changes/{ck}/Answer", json={"Lines": [{"LineNumber": "01", "Accept": True}]}
    )
    assert r.status_code == 422 and error_fields(r) == ["Accept"]  # line 02 has no answer
    answer = {
        "Lines": [{"LineNumber": "01", "Accept": True}, {"LineNumber": "02", "Accept": False, "Reason": "price list"}]
    }
    r = trade.supplier.post(f"/Orders/{key}/Changes/{ck}/Answer", json=answer)
    assert r.status_code == 200, r.text
    assert r.json()["Body"]["ChangeStatus"] == "Partly applied"
    assert trade.supplier.post(f"/Orders/{key}/Changes/{ck}/Answer", json=answer).status_code == 409

    order = get_order(trade, key)
    assert [(x["Quantity"], x["Price"]) for x in order["OrderLines"]] == [(4, 31.02), (3, 10.5)]
    # Every line is now shipped in full: the status follows from the changed lines.
    assert order["StatusCode"] in (600, 1000)
    assert summaries(trade, key) == [
        "Change C-2 received: line 01 quantity 5 -> 4; line 02 price 10.5 -> 11; waits for the supplier's answer",
        "Change C-2 answered: line 01 accepted; line 02 rejected (price list)",
    ]
    mine = sorted(
        (x["Operation"], x["State"])
        for x in trade.supplier.get("/Exchanges", params={"direction": "in", "kind": "change"}).json()["Records"]
    )
    # The answer refused for a missing line, the answer, the answer again; the change it may not send.
    assert mine == [
        ("change.answer", "applied"),
        ("change.answer", "refused"),
        ("change.answer", "refused"),
        ("document", "refused"),
    ]


def test_answer_refused_when_units_shipped_meanwhile(trade: Trade) -> None:
    key = create_order(trade, "PO-CHG-3")
    trade.supplier.post(f"/Acknowledgement/{key}", json=ack("PO-CHG-3", "A-3", [line("01", 5), line("02", 3, SKU2)]))
    r = trade.buyer.post(f"/Orders/{key}/Changes", json=change("C-3", {"LineNumber": "01", "Quantity": 2}))
    assert r.status_code == 201
    ck = r.json()["Body"]["LogicbrokerKey"]
    assert (
        trade.supplier.post(
            f"/Shipment/{key}", json={"ShipmentNumber": "S-3", "ShipmentLines": [line("01", 4)]}
        ).status_code
        == 201
    )
    r = trade.supplier.post(f"/Orders/{key}/Changes/{ck}/Answer", json={"Accept": True})
    assert r.status_code == 409 and "4 shipped" in r.json()["Message"]
    assert error_fields(r) == ["Accept"]
    r = trade.supplier.post(f"/Orders/{key}/Changes/{ck}/Answer", json={"Accept": False, "Reason": "shipped already"})
    assert r.status_code == 200 and r.json()["Body"]["ChangeStatus"] == "Rejected"
    assert get_order(trade, key)["OrderLines"][0]["Quantity"] == 5


def test_added_line_fields_fit_their_columns(trade: Trade) -> None:
    key = create_order(trade, "PO-CHG-4")
    long_sku = {"LineNumber": "09", "Action": "Add", "Quantity": 1, "ItemIdentifier": {"SupplierSKU": "S" * 101}}
    r = trade.buyer.post(f"/Orders/{key}/Changes", json=change("C-4", long_sku))
    assert r.status_code == 422 and error_fields(r) == ["ChangeLines[0].ItemIdentifier.SupplierSKU"]
    # Cancelling the whole PO before acknowledgement applies at once.
    r = trade.buyer.post(f"/Orders/{key}/Changes", json={"ChangeNumber": "C-5", "CancelOrder": True})
    assert r.status_code == 201, r.text
    assert get_order(trade, key)["StatusCode"] == 1100
