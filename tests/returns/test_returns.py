"""Returns (RMAs) end to end over HTTP: requested by the buyer, authorised, received and credited by
the supplier; each refusal names its field and rule; every message is an exchange."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import error_fields, events
from tests.returns.helpers import get_return, request_return, return_body, shipped_order
from tests.support import Trade


def exchanges_of(party: Any, **params: Any) -> list[dict[str, Any]]:
    r = party.get("/Exchanges", params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["Records"])


def test_request_authorise_receive_credit(trade: Trade) -> None:
    order_key = shipped_order(trade, "PO-RMA-1")
    # By PartnerPO, through /Returns/Request, as the reference's path names it.
    body = return_body("R-1", [("01", 3), ("02", 1)], PartnerPO="PO-RMA-1")
    r = trade.buyer.post("/Returns/Request", json=body)
    assert r.status_code == 201, r.text
    key = r.json()["Body"]["LogicbrokerKey"]

    # The same ReturnNumber and body again: the first key, nothing changed.
    again = trade.buyer.post("/Returns/Request", json=body)
    assert again.status_code == 200 and again.json()["Body"]["LogicbrokerKey"] == key
    # The same number with another body: 409 naming ReturnNumber.
    other = trade.buyer.post("/Returns", json=return_body("R-1", [("01", 1)], PartnerPO="PO-RMA-1"))
    assert other.status_code == 409 and error_fields(other) == ["ReturnNumber"]

    ready = trade.supplier.get("/Returns/Ready").json()["Records"]
    assert [x["Identifier"]["LogicbrokerKey"] for x in ready] == [key]
    assert trade.buyer.get("/Returns/Ready").json()["Records"] == []  # the buyer has nothing to answer

    r = trade.supplier.post(f"/Returns/{key}/Authorisation", json={"RMANumber": "RMA-77"})
    assert r.status_code == 201, r.text
    assert r.json()["Body"]["ReturnStatusCode"] == 200
    assert trade.supplier.get("/Returns/Ready").json()["Records"] == []

    r = trade.supplier.post(
        f"/Returns/{key}/Receipts",
        json={"ReceiptLines": [{"LineNumber": "01", "Quantity": 2, "Condition": "Damaged"}]},
    )
    assert r.status_code == 201, r.text
    assert r.json()["Body"]["ReturnStatusCode"] == 500

    r = trade.supplier.post(
        f"/Returns/{key}/Credits", json={"CreditNumber": "CM-1", "CreditLines": [{"LineNumber": "01", "Quantity": 2}]}
    )
    assert r.status_code == 201, r.text
    credit_key = r.json()["Body"]["LogicbrokerKey"]
    # Every unit received is credited: the return is closed.
    assert r.json()["Body"]["ReturnStatusCode"] == 1000

    ret = get_return(trade, key)
    assert ret["StatusCode"] == 1000 and ret["Status"] == "Credited" and ret["RMANumber"] == "RMA-77"
    first = ret["ReturnLines"][0]
    assert (first["QuantityReceived"], first["QuantityCredited"], first["Condition"]) == (2, 2, "Damaged")
    assert first["AmountCredited"] == 62.04  # 2 x the order line's price 31.02, a JSON number
    assert [c["Identifier"]["LogicbrokerKey"] for c in ret["Credits"]] == [credit_key]
    assert ret["Credits"][0]["CreditNumber"] == "CM-1"

    assert [
        x["Identifier"]["LogicbrokerKey"]
        for x in trade.buyer.get(f"/Orders/{order_key}/Returns").json()["Body"]["Returns"]
    ] == [key]
    assert trade.supplier.get("/Returns", params={"status": 1000}).json()["TotalRecords"] == 1

    timeline = [e for e in events(trade, order_key) if e["Category"] == "Return"]
    assert [e["Summary"] for e in timeline if e["TypeId"] == 6] == [
        "Return refused (409): ReturnNumber 'R-1' was already used for this order by document "
        f"{key} with a different body; documents are immutable, send a new number"
    ]
    assert [e["Summary"] for e in timeline if e["TypeId"] != 6] == [
        "Return R-1 requested: 4 unit(s)",
        "Return R-1 authorised as RMA RMA-77",
        "Return R-1: 2 unit(s) received",
        "Return R-1 credited by CM-1: 2 unit(s), total 62.04",
    ]
    # Every message went through the pipeline: requests (applied, duplicate, refused) and answers.
    mine = [
        (x["Operation"], x["Kind"], x["State"]) for x in exchanges_of(trade.buyer, direction="in", orderKey=order_key)
    ]
    assert sorted(m for m in mine if m[1] == "return") == [
        ("document", "return", "applied"),
        ("document", "return", "duplicate"),
        ("document", "return", "refused"),
    ]
    theirs = [
        (x["Operation"], x["Kind"], x["State"])
        for x in exchanges_of(trade.supplier, direction="in", orderKey=order_key)
    ]
    assert sorted(t for t in theirs if t[1] in ("return", "credit")) == [
        ("return.answer", "credit", "applied"),
        ("return.answer", "return", "applied"),
        ("return.answer", "return", "applied"),
    ]


def test_no_more_returned_than_shipped_net_of_earlier_returns(trade: Trade) -> None:
    order_key = shipped_order(trade, "PO-RMA-2", ship1=4, ship2=0)
    r = trade.buyer.post(f"/Orders/{order_key}/Returns", json=return_body("R-2a", [("01", 5)]))
    assert r.status_code == 422, r.text
    assert error_fields(r) == ["ReturnLines[0].Quantity"]
    assert "shipped 4, already returned 0, this return 5 (at most 4)" in r.json()["Errors"][0]["Error"]

    r = trade.buyer.post(f"/Orders/{order_key}/Returns", json=return_body("R-2b", [("02", 1)]))
    assert r.status_code == 422 and "shipped 0" in r.json()["Errors"][0]["Error"]

    first = request_return(trade, order_key, "R-2c", [("01", 3)])
    r = trade.buyer.post(f"/Orders/{order_key}/Returns", json=return_body("R-2d", [("01", 2)]))
    assert r.status_code == 422 and "already returned 3, this return 2 (at most 1)" in r.json()["Errors"][0]["Error"]

    # A rejected return gives its units back; a received one holds only what arrived.
    assert trade.supplier.put(f"/Returns/{first}/Status/Rejected").status_code == 200
    second = request_return(trade, order_key, "R-2e", [("01", 4)])
    trade.supplier.put(f"/Returns/{second}/Status/200")
    trade.supplier.post(f"/Returns/{second}/Receipts", json={"ReceiptLines": [{"LineNumber": "1", "Quantity": 1}]})
    request_return(trade, order_key, "R-2f", [("01", 3)])
    r = trade.buyer.post(f"/Orders/{order_key}/Returns", json=return_body("R-2g", [("01", 1)]))
    assert r.status_code == 422 and "already returned 4" in r.json()["Errors"][0]["Error"]

    # The refusal is on the order's timeline and its exchange keeps the bytes and the error.
    refused = [e for e in events(trade, order_key) if e["TypeId"] == 6]
    assert refused and refused[-1]["Category"] == "Return"


def test_no_more_received_than_returned_nor_credited_than_received(trade: Trade) -> None:
    order_key = shipped_order(trade, "PO-RMA-3")
    key = request_return(trade, order_key, "R-3", [("01", 2)])
    # Receipts wait for the authorisation.
    early = trade.supplier.post(
        f"/Returns/{key}/Receipts", json={"ReceiptLines": [{"LineNumber": "01", "Quantity": 1}]}
    )
    assert early.status_code == 409 and "100 Requested" in early.json()["Message"]
    assert trade.supplier.put(f"/Returns/{key}/Status/Authorized").json()["Body"]["StatusCode"] == 200
    assert get_return(trade, key)["RMANumber"] == f"RMA{key}"  # issued by the hub

    over = trade.supplier.post(f"/Returns/{key}/Receipts", json={"ReceiptLines": [{"LineNumber": "01", "Quantity": 3}]})
    assert over.status_code == 422 and error_fields(over) == ["ReceiptLines[0].Quantity"]
    assert "returned 2, already received 0, this receipt 3" in over.json()["Errors"][0]["Error"]
    wrong = trade.supplier.post(
        f"/Returns/{key}/Receipts", json={"ReceiptLines": [{"LineNumber": "02", "Quantity": 1}]}
    )
    assert wrong.status_code == 422 and error_fields(wrong) == ["ReceiptLines[0].LineNumber"]

    ok = trade.supplier.post(f"/Returns/{key}/Receipts", json={"ReceiptLines": [{"LineNumber": "01", "Quantity": 1}]})
    assert ok.status_code == 201
    over = trade.supplier.post(
        f"/Returns/{key}/Credits", json={"CreditNumber": "CM-3", "CreditLines": [{"LineNumber": "01", "Quantity": 2}]}
    )
    assert over.status_code == 422 and error_fields(over) == ["CreditLines[0].Quantity"]
    assert "received 1, already credited 0, this credit 2 (at most 1 more)" in over.json()["Errors"][0]["Error"]
    negative = trade.supplier.post(
        f"/Returns/{key}/Credits",
        json={"CreditNumber": "CM-3", "CreditLines": [{"LineNumber": "01", "Quantity": 1, "Price": -4}]},
    )
    assert negative.status_code == 422 and error_fields(negative) == ["CreditLines[0].Price"]
    memo = {"CreditNumber": "CM-3", "CreditLines": [{"LineNumber": "01", "Quantity": 1, "Price": 30}]}
    first = trade.supplier.post(f"/Returns/{key}/Credits", json=memo)
    assert first.status_code == 201 and first.json()["Body"]["ReturnStatusCode"] == 1000
    again = trade.supplier.post(f"/Returns/{key}/Credits", json=memo)
    assert again.status_code == 200 and again.json()["Body"]["LogicbrokerKey"] == first.json()["Body"]["LogicbrokerKey"]
    assert get_return(trade, key)["ReturnLines"][0]["QuantityCredited"] == 1


def test_status_rules_and_parties(trade: Trade) -> None:
    order_key = shipped_order(trade, "PO-RMA-4")
    key = request_return(trade, order_key, "R-4", [("01", 1)])
    # The buyer cannot authorise its own return; the supplier cannot cancel it.
    assert trade.buyer.put(f"/Returns/{key}/Status/200").status_code == 403
    assert trade.supplier.put(f"/Returns/{key}/Status/Cancelled").status_code == 403
    # Received and Credited carry figures: a bare status change is refused, naming the route.
    r = trade.supplier.put(f"/Returns/{key}/Status/500")
    assert r.status_code == 409 and "Receipts" in r.json()["Message"]
    r = trade.supplier.put(f"/Returns/{key}/Status/Shipped")
    assert r.status_code == 422 and error_fields(r) == ["Status"]
    # The supplier's answer to someone else's return: no such return.
    stranger = trade.supplier.get("/Returns/999999999")
    assert stranger.status_code == 404
    assert trade.buyer.put(f"/Returns/{key}/Status/Cancelled").json()["Body"]["StatusCode"] == 1100
    r = trade.supplier.put(f"/Returns/{key}/Status/200")
    assert r.status_code == 409 and "final" in r.json()["Message"]
    # Returns of an order that shipped nothing, by someone who is not the buyer.
    r = trade.supplier.post(f"/Orders/{order_key}/Returns", json=return_body("R-4b", [("01", 1)]))
    assert r.status_code == 403


def test_bulk_status(trade: Trade) -> None:
    order_key = shipped_order(trade, "PO-RMA-5")
    a = request_return(trade, order_key, "R-5a", [("01", 1)])
    b = request_return(trade, order_key, "R-5b", [("01", 1)])
    trade.buyer.put(f"/Returns/{b}/Status/Cancelled")
    r = trade.supplier.put("/Returns/Status", json={"LogicbrokerKeys": [a, b, "nope"], "Status": "Authorised"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["Records"] == [{"LogicbrokerKey": a, "StatusCode": 200}]
    assert [(x["LogicbrokerKey"], x["Code"]) for x in out["Refused"]] == [(b, 409), ("nope", 404)]
    assert trade.supplier.get(f"/Returns/{a}/Status").json()["Body"]["StatusCode"] == 200
    bad = trade.supplier.put("/Returns/Status", json={"LogicbrokerKeys": [], "Status": 200})
    assert bad.status_code == 422 and error_fields(bad) == ["LogicbrokerKeys"]


def test_statuses_list_the_return_and_change_lifecycles(trade: Trade) -> None:
    rows = trade.buyer.get("/Statuses").json()["Body"]["DocumentTypeStatuses"]  # the v3 shape: one row a status
    types: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        types.setdefault(str(row["DocumentType"]), []).append(row)
    assert [s["StatusId"] for s in types["Return"]] == [100, 200, 500, 1000, 1100, 1300]
    assert {s["StatusDescription"] for s in types["Change"]} == {
        "Awaiting answer",
        "Applied",
        "Partly applied",
        "Rejected",
    }
