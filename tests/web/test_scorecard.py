"""GET /api/v1/Scorecard and the figures behind the dashboard's scorecard."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from pohub.db.engine import Database
from pohub.documents.models import documents
from pohub.scorecard.definitions import DEFINITIONS
from pohub.scorecard.service import percentile, scheduled_ship_deadline, scorecard
from tests.support import LiveServer, Trade, make_party
from tests.web.helpers import SKU1, SKU2, create_order


def test_percentile_and_deadline() -> None:
    assert percentile([], 90) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 90) == pytest.approx(9.1)
    assert percentile([10.0, 0.0], 50) == 5.0
    assert scheduled_ship_deadline('{"ScheduledShipDate": "2026-03-01"}') == datetime(2026, 3, 2, tzinfo=UTC)
    assert scheduled_ship_deadline('{"ScheduledShipDate": "2026-03-01T23:00:00-05:00"}') == datetime(
        2026, 3, 3, tzinfo=UTC
    )
    assert scheduled_ship_deadline("{}") is None
    assert scheduled_ship_deadline('{"ScheduledShipDate": "soon"}') is None


def test_scorecard_needs_a_key(server: LiveServer) -> None:
    import httpx

    assert httpx.get(f"{server.api}/Scorecard").status_code == 401
    assert httpx.get(f"{server.api}/Scorecard", params={"subscription-key": "nope"}).status_code == 401


def test_scorecard_figures(server: LiveServer, trade: Trade) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    # PO 1: 4 of 5 accepted and 1 backordered, line 2 all cancelled; everything owed ships on time
    k1 = create_order(trade, "PO-SC-1")
    r = trade.supplier.post(
        f"/Acknowledgement/{k1}",
        json={
            "AcknowledgementNumber": "A-1",
            "ScheduledShipDate": tomorrow,
            "AckLines": [
                {"LineNumber": 1, "Quantity": 4, "QuantityBackordered": 1, "ItemIdentifier": {"SupplierSKU": SKU1}},
                {"LineNumber": 2, "Quantity": 0, "QuantityCancelled": 3, "ItemIdentifier": {"SupplierSKU": SKU2}},
            ],
        },
    )
    assert r.status_code == 201, r.text
    r = trade.supplier.post(
        f"/Shipment/{k1}",
        json={
            "ShipmentNumber": "S-1",
            "ShipmentLines": [{"LineNumber": 1, "Quantity": 5, "ItemIdentifier": {"SupplierSKU": SKU1}}],
        },
    )
    assert r.status_code == 201, r.text
    r = trade.supplier.post(
        f"/Invoice/{k1}",
        json={
            "InvoiceNumber": "I-1",
            "InvoiceLines": [{"LineNumber": 1, "Quantity": 5, "ItemIdentifier": {"SupplierSKU": SKU1}}],
        },
    )
    assert r.status_code == 201 and r.json()["Body"]["OrderStatusCode"] == 1000
    # PO 2: not acknowledged yet (and younger than 24 h: not a miss yet); PO 3: cancelled by the buyer
    create_order(trade, "PO-SC-2")
    k3 = create_order(trade, "PO-SC-3")
    assert trade.buyer.put(f"/Orders/{k3}/Status/1100").status_code == 200

    body = trade.buyer.get("/Scorecard", params={"days": 90}).json()["Body"]
    assert body["Days"] == 90 and body["CompanyId"] == trade.buyer.id
    [p] = body["Partners"]
    assert p["PartnerCompanyId"] == trade.supplier.id and p["Relationship"] == "Supplier"
    assert (p["OrdersReceived"], p["OrdersAcknowledged"], p["OrdersCompleted"], p["OrdersCancelled"]) == (3, 1, 1, 1)
    assert p["AckWithin24hShare"] == 1.0 and p["AckHoursMedian"] is not None and p["AckHoursMedian"] < 1
    assert p["FillRate"] == pytest.approx(4 / 8, abs=1e-4)
    assert (p["UnitsAccepted"], p["UnitsOrderedOfAcknowledged"]) == (4, 8)
    assert (p["UnitsOrdered"], p["UnitsCancelled"]) == (24, 3 + 8)
    assert p["CancellationRate"] == pytest.approx(11 / 24, abs=1e-4)
    assert (p["OnTimeShipmentRate"], p["OnTimeShipmentsMeasured"]) == (1.0, 1)
    assert p["InvoiceHoursMedian"] is not None
    assert len(p["Daily"]) == 90
    assert p["Daily"][-1] == {"Date": datetime.now(UTC).date().isoformat(), "Received": 3, "Completed": 1}

    # the supplier sees the same relationship from its side
    [s] = trade.supplier.get("/Scorecard").json()["Body"]["Partners"]
    assert s["Relationship"] == "Buyer" and s["OrdersReceived"] == 3 and len(s["Daily"]) == 30
    # a company without partners has an empty scorecard; a silly window is refused
    loner = make_party(server)
    assert loner.get("/Scorecard").json()["Body"]["Partners"] == []
    assert trade.buyer.get("/Scorecard", params={"days": 0}).status_code == 422


def test_scorecard_is_in_the_openapi_document(server: LiveServer) -> None:
    import httpx

    doc = httpx.get(f"{server.url}/openapi.json").json()
    op = doc["paths"]["/api/v1/Scorecard"]["get"]
    assert op["tags"] == ["Scorecard"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("ScorecardMessage")
    partner = doc["components"]["schemas"]["PartnerScorecard"]["properties"]
    assert {"AckHoursMedian", "AckHoursP90", "AckWithin24hShare", "FillRate", "OnTimeShipmentRate"} <= set(partner)
    assert not any(path.startswith("/orders") or path == "/signin" for path in doc["paths"])


def _post(party: Any, path: str, body: dict[str, Any]) -> int:
    r = party.post(path, json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["Body"]["LogicbrokerKey"])


def _line(number: int, sku: str, accepted: int, backordered: int = 0, cancelled: int = 0) -> dict[str, Any]:
    return {
        "LineNumber": number,
        "Quantity": accepted,
        "QuantityBackordered": backordered,
        "QuantityCancelled": cancelled,
        "ItemIdentifier": {"SupplierSKU": sku},
    }


def test_scorecard_against_hand_computed_figures(server: LiveServer, trade: Trade) -> None:
    """Four POs of 8 units (5 + 3) with arrival times set by hand, and the clock fixed at
    2026-06-30 12:00 UTC. Every figure below is worked out on paper in the comments."""
    at = {}  # document id -> its arrival time at the hub

    def t(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
        return datetime(2026, 6, day, hour, minute, second, tzinfo=UTC)

    # PO 1 arrives 10 Jun 08:00, acknowledged 2 h later accepting all 8, ScheduledShipDate 12 Jun;
    # the ship notice (ShipmentDate a bare day, 11 Jun) arrives 11 Jun 09:00, the invoice 30 s later.
    k1 = int(create_order(trade, "PO-HC-1"))
    at[k1] = t(10, 8)
    ack1 = {
        "AcknowledgementNumber": "A1",
        "ScheduledShipDate": "2026-06-12",
        "AckLines": [_line(1, SKU1, 5), _line(2, SKU2, 3)],
    }
    at[_post(trade.supplier, f"/Acknowledgement/{k1}", ack1)] = t(10, 10)
    lines = [
        {"LineNumber": 1, "Quantity": 5, "ItemIdentifier": {"SupplierSKU": SKU1}},
        {"LineNumber": 2, "Quantity": 3, "ItemIdentifier": {"SupplierSKU": SKU2}},
    ]
    at[
        _post(
            trade.supplier,
            f"/Shipment/{k1}",
            {"ShipmentNumber": "S1", "ShipmentDate": "2026-06-11", "ShipmentLines": lines},
        )
    ] = t(11, 9)
    at[_post(trade.supplier, f"/Invoice/{k1}", {"InvoiceNumber": "I1", "InvoiceLines": lines})] = t(11, 9, 0, 30)
    # PO 2 arrives 20 Jun 00:00, acknowledged 30 h later: line 1 accepts 2 and backorders 3, line 2
    # cancels 3; ScheduledShipDate 22 Jun passes with nothing shipped (late).
    k2 = int(create_order(trade, "PO-HC-2"))
    at[k2] = t(20, 0)
    ack2 = {
        "AcknowledgementNumber": "A2",
        "ScheduledShipDate": "2026-06-22",
        "AckLines": [_line(1, SKU1, 2, 3), _line(2, SKU2, 0, 0, 3)],
    }
    at[_post(trade.supplier, f"/Acknowledgement/{k2}", ack2)] = t(21, 6)
    # PO 3 arrives 29 Jun 20:00 (16 h before "now": not yet a miss); PO 4 arrives 25 Jun (a miss).
    k3, k4 = int(create_order(trade, "PO-HC-3")), int(create_order(trade, "PO-HC-4"))
    at[k3], at[k4] = t(29, 20), t(25, 0)

    async def figures() -> Any:
        db = Database(server.database_url, pool_size=1)
        try:
            async with db.write() as conn:
                # PO 1 became Complete with its invoice: its last change is then
                completed = {k1: t(11, 9, 0, 30)}
                for doc_id, when in at.items():
                    await conn.execute(
                        update(documents)
                        .where(documents.c.id == doc_id)
                        .values(created_at=when, updated_at=completed.get(doc_id, when))
                    )
            async with db.read() as conn:
                return await scorecard(conn, company_id=trade.buyer.id, days=30, now=t(30, 12))
        finally:
            await db.dispose()

    card = asyncio.run(figures())
    [p] = card.partners
    assert (p.orders_received, p.orders_acknowledged, p.orders_completed) == (4, 2, 1)
    # ack hours [2, 30]: median 16, p90 = 2 + 0.9 * 28 = 27.2
    assert (p.ack_hours_median, p.ack_hours_p90) == (16.0, 27.2)
    # within 24 h: PO 1 only, of 3 decided (POs 1 and 2, and PO 4 past 24 h); PO 3 is not decided yet
    assert p.ack_within_24h == pytest.approx(1 / 3, abs=1e-4)
    # fill: (8 + 2) accepted of (8 + 8) ordered on the acknowledged POs = 0.625; the page shows the same pair
    assert (p.units_accepted, p.units_ordered_acknowledged, p.fill_rate) == (10, 16, 0.625)
    # cancellation: 3 of the 32 units ordered on all four POs
    assert (p.units_cancelled, p.units_ordered) == (3, 32)
    assert p.cancellation_rate == pytest.approx(3 / 32, abs=1e-4)
    # on time: PO 1 shipped 11 Jun (by the end of 12 Jun), PO 2 is past 22 Jun with units owed: 1 of 2
    assert (p.on_time_shipment, p.on_time_measured) == (0.5, 2)
    # invoice 30 s after the ship notice arrived: 0.0083 h, shown to two decimals (the bare
    # ShipmentDate, midnight, would have made it 9 h)
    assert p.invoice_hours_median == 0.01
    daily = {d.day.day: (d.received, d.completed) for d in p.daily}
    assert daily[10] == (1, 0) and daily[11] == (0, 1) and daily[20] == (1, 0) and daily[30] == (0, 0)

    # the API answers the same definitions the page shows
    body = trade.buyer.get("/Scorecard").json()["Body"]
    assert body["Definitions"] == DEFINITIONS and "UnitsOrderedOfAcknowledged" in body["Partners"][0]
