"""GET /api/v1/Scorecard and the figures behind the dashboard's scorecard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pohub.scorecard.service import percentile, scheduled_ship_deadline
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
