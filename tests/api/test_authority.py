"""Who may set which status by hand (the authority table in orders/status.py), through the HTTP API
on every database: each rule allowed and refused, for both parties, on the single-order route and
the bulk route, which must answer a refused key with the very same code and reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.helpers import SKU2, ack, create_order, error_fields, events, get_order, line
from tests.support import Party, Trade

REASON = "Closed short: the buyer takes the 4 delivered, the rest is not needed"


def _ok(r: Any) -> None:
    assert r.status_code == 200, r.text


def _new(trade: Trade, key: str) -> None:
    """150 Ready to Acknowledge, as created."""


def _picked_up(trade: Trade, key: str) -> None:
    _ok(trade.supplier.put(f"/Orders/{key}/Status/200"))


def _partly_shipped(trade: Trade, key: str) -> None:
    """Acknowledged in full, one unit of line 01 shipped: 500 Ready to Ship."""
    po = get_order(trade, key)["PartnerPO"]
    body = ack(po, f"A-{key}", [line(1, 5), line(2, 3, SKU2)])
    assert trade.supplier.post("/Acknowledgements", json=body).status_code == 201
    shipment = {"ShipmentNumber": f"S-{key}", "ShipmentLines": [line(1, 1)]}
    assert trade.supplier.post(f"/Shipment/{key}", json=shipment).status_code == 201
    assert get_order(trade, key)["StatusCode"] == 500


def _failed(trade: Trade, key: str) -> None:
    _ok(trade.supplier.put(f"/Orders/{key}/Status/1200"))


STATES = {"new": _new, "picked up": _picked_up, "partly shipped": _partly_shipped, "failed": _failed}


@dataclass(frozen=True)
class Case:
    state: str
    party: str  # "buyer" or "supplier"
    target: int
    reason: str | None
    code: int  # 200 allowed, 403 this party may not, 409 nobody may
    says: str = ""  # part of the refusal's message: the rule

    def __str__(self) -> str:
        why = "+reason" if self.reason else ""
        return f"{self.state}-{self.party}-{self.target}{why}-{self.code}"


CASES = [
    # 200: the supplier picks the PO up (seed 000 step 3); never the buyer on its behalf.
    Case("new", "buyer", 200, None, 403, "it is the supplier's to set"),
    Case("new", "supplier", 200, None, 200),
    # 500: the supplier may pick up straight into 500 (seed 002); after pick-up it is an override.
    Case("new", "buyer", 500, REASON, 403, "it is the supplier's to set"),
    Case("new", "supplier", 500, None, 200),
    Case("picked up", "supplier", 500, None, 403, "500 Ready to Ship follows from documents"),
    Case("picked up", "supplier", 500, REASON, 200),
    # 600: the supplier's override only.
    Case("picked up", "buyer", 600, REASON, 403, "it is the supplier's to set"),
    Case("picked up", "supplier", 600, None, 403, "needs a reason"),
    Case("picked up", "supplier", 600, REASON, 200),
    # 1000: either party, as an override with a reason. The case: one click completed an
    # unacknowledged, unshipped PO.
    Case("new", "buyer", 1000, None, 403, "1000 Complete follows from documents"),
    Case("new", "buyer", 1000, "   ", 403, "needs a reason"),
    Case("new", "buyer", 1000, REASON, 200),
    Case("partly shipped", "supplier", 1000, None, 403, "needs a reason"),
    Case("partly shipped", "supplier", 1000, REASON, 200),
    # 1100: either party, while nothing has shipped.
    Case("new", "buyer", 1100, None, 200),
    Case("picked up", "supplier", 1100, None, 200),
    Case("partly shipped", "buyer", 1100, REASON, 403, "1 unit(s) have already shipped"),
    Case("partly shipped", "supplier", 1100, None, 403, "1 unit(s) have already shipped"),
    # 1200: the supplier's statement that it cannot process the order.
    Case("new", "buyer", 1200, REASON, 403, "it is the supplier's to set"),
    Case("partly shipped", "supplier", 1200, None, 200),
    # 1400: either party, on a failed order only.
    Case("failed", "buyer", 1400, None, 200),
    Case("failed", "supplier", 1400, None, 200),
    Case("new", "supplier", 1400, None, 409, "cannot move from 150 Ready to Acknowledge to 1400 Ignored"),
    # Backwards and out of final statuses: nobody, whatever the reason.
    Case("picked up", "supplier", 150, REASON, 409, "cannot move from 200 Acknowledged to 150"),
    Case("failed", "buyer", 1100, REASON, 409, "cannot move from 1200 Failed to 1100"),
]


def _events_by_hand(trade: Trade, key: str) -> list[dict[str, Any]]:
    return [e for e in events(trade, key) if e["TypeId"] == 2 and "Set by hand" in (e["Details"] or "")]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_who_may_set_which_status(trade: Trade, case: Case) -> None:
    # Two orders in the same state: one moved by the single-order route, one by the bulk route.
    single, bulk = create_order(trade, f"PO-AUTH-1-{case}"), create_order(trade, f"PO-AUTH-2-{case}")
    for key in (single, bulk):
        STATES[case.state](trade, key)
    before = get_order(trade, single)["StatusCode"]
    party: Party = getattr(trade, case.party)
    params = {"reason": case.reason} if case.reason is not None else {}
    earlier = len(_events_by_hand(trade, single))

    r = party.put(f"/Orders/{single}/Status/{case.target}", params=params)
    b = party.put("/Orders/Status", params=params, json={"Status": case.target, "LogicbrokerKeys": [bulk]})
    assert b.status_code == 200, b.text

    assert r.status_code == case.code, r.text
    if case.code == 200:
        assert get_order(trade, single)["StatusCode"] == case.target
        assert b.json()["Records"] == [bulk] and b.json()["Refused"] == []
        assert get_order(trade, bulk)["StatusCode"] == case.target
        for key in (single, bulk):  # the timeline says who did it, and why when they said
            [event] = _events_by_hand(trade, key)[earlier:]
            assert event["Summary"].startswith(f"Status changed from {before} ")
            assert f"by the {case.party}" in event["Summary"]
            assert f"company {party.id} ({party.name})" in event["Details"]
            assert (f"Reason: {case.reason}" in event["Details"]) == bool(case.reason)
        return
    body = r.json()
    assert body["Code"] == str(case.code) and case.says in body["Message"], body
    assert get_order(trade, single)["StatusCode"] == before  # nothing moved
    assert len(_events_by_hand(trade, single)) == earlier
    assert b.json()["Records"] == []
    same = body["Message"].replace(f"Order {single}:", f"Order {bulk}:")
    assert b.json()["Refused"] == [{"LogicbrokerKey": bulk, "Code": case.code, "Error": same}]
    assert get_order(trade, bulk)["StatusCode"] == before


def test_refusal_lists_what_the_party_may_do(trade: Trade) -> None:
    key = create_order(trade, "PO-AUTH-OFFER")
    r = trade.buyer.put(f"/Orders/{key}/Status/Acknowledged")
    assert r.status_code == 403 and error_fields(r) == ["Status"]
    assert r.json()["AllowedStatuses"] == [1000, 1100]
    assert "The buyer may set now: 1000 Complete (with a reason), 1100 Cancelled" in r.json()["Message"]
    r = trade.buyer.put(f"/Orders/{key}/Status/1000")
    assert r.status_code == 403 and error_fields(r) == ["reason"]
    _partly_shipped(trade, key)
    r = trade.supplier.put(f"/Orders/{key}/Status/150")
    assert r.status_code == 409 and r.json()["AllowedStatuses"] == [600, 1000, 1200]  # no cancelling now


def test_override_is_marked_on_the_timeline(trade: Trade) -> None:
    key = create_order(trade, "PO-AUTH-OVERRIDE")
    _ok(trade.buyer.put(f"/Orders/{key}/Status/Complete", params={"reason": REASON}))
    [event] = _events_by_hand(trade, key)
    assert event["Summary"] == "Status changed from 150 Ready to Acknowledge to 1000 Complete by the buyer (override)"
    assert event["Level"] == "Warning" and "Override" in event["Details"]
    # An ordinary move is not an override, and a reason given for it is kept too.
    key = create_order(trade, "PO-AUTH-PLAIN")
    _ok(trade.buyer.put(f"/Orders/{key}/Status/Cancelled", params={"reason": "Ordered twice"}))
    [event] = _events_by_hand(trade, key)
    assert event["Level"] == "Info" and "Override" not in event["Details"]
    assert event["Details"].endswith("Reason: Ordered twice")


@pytest.mark.parametrize(
    ("reason", "error"),
    [("x" * 501, "at most 500 characters"), ("a\x00b", "NUL"), ("two\nlines", "control characters")],
    ids=["too-long", "nul", "newline"],
)
def test_bad_reason_is_refused_with_the_field(trade: Trade, reason: str, error: str) -> None:
    key = create_order(trade, "PO-AUTH-REASON")
    for r in (
        trade.buyer.put(f"/Orders/{key}/Status/1000", params={"reason": reason}),
        trade.buyer.put("/Orders/Status", params={"reason": reason}, json={"Status": 1000, "LogicbrokerKeys": [key]}),
    ):
        assert r.status_code == 422, r.text
        assert r.json()["Errors"] == [{"Field": "reason", "Error": r.json()["Errors"][0]["Error"]}]
        assert error in r.json()["Errors"][0]["Error"]
    assert get_order(trade, key)["StatusCode"] == 150
    assert trade.buyer.put(f"/Orders/{key}/Status/1000", params={"reason": "x" * 500}).status_code == 200


def test_bulk_answers_each_key_on_its_own(trade: Trade) -> None:
    fresh = create_order(trade, "PO-AUTH-BULK-1")
    shipped = create_order(trade, "PO-AUTH-BULK-2")
    _partly_shipped(trade, shipped)
    r = trade.buyer.put("/Orders/Status", json={"Status": "Cancelled", "LogicbrokerKeys": [fresh, shipped, "9x"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["Records"] == [fresh]
    assert [(x["LogicbrokerKey"], x["Code"]) for x in body["Refused"]] == [(shipped, 403), ("9x", 404)]
    assert "already shipped" in body["Refused"][0]["Error"]
    assert get_order(trade, fresh)["StatusCode"] == 1100 and get_order(trade, shipped)["StatusCode"] == 500
