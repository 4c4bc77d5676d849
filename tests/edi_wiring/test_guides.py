"""A partner's implementation guide set through the API, on a live server: what the partner sends
is checked against it (its 997 names what the guide requires, and nothing is applied), and so is
what pohub writes for it (refused, naming the rule, before it leaves)."""

from __future__ import annotations

import uuid

from pohub.documents.logicbroker import SalesOrder
from pohub.edi.mapping.x12_order import order_to_850
from tests.api.helpers import ack, create_order, error_fields, line
from tests.edi.documents import ORDER
from tests.edi_wiring.helpers import add_partner
from tests.edi_wiring.test_changes import interchange
from tests.edi_wiring.test_outbound import outbound_of
from tests.edi_wiring.test_post_edi import orders_of, post_edi
from tests.support import LiveServer, Trade


def test_an_inbound_850_missing_what_the_guide_requires_is_refused(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    partner = add_partner(trade.buyer, trade.supplier, TheirId=f"P{tag}", OurId=f"H{tag}")
    r = trade.buyer.put(f"/EdiPartners/{partner['Id']}/Guide", json={"850": {"Require": ["ref dp"]}})
    assert r.status_code == 422 and error_fields(r) == ["Guide.850.Require[0]"], r.text
    other = trade.supplier.put(f"/EdiPartners/{partner['Id']}/Guide", json={})
    assert other.status_code == 200  # the counterparty may set it too
    guide = {"850": {"Require": ["REF*ZZ"], "Codes": {"PO103": ["EA"]}}}
    r = trade.buyer.put(f"/EdiPartners/{partner['Id']}/Guide", json=guide)
    assert r.status_code == 200 and r.json()["Body"]["Guide"] == guide, r.text

    body = order_to_850(SalesOrder.model_validate(ORDER | {"PartnerPO": f"PO-{tag}"}))
    r = post_edi(server, trade.buyer, interchange(tag, "850", "PO", body, 71))
    assert r.status_code == 422, r.text
    assert any("requires REF*ZZ" in e["Message"] for e in r.json()["Errors"])
    assert "**3~" in r.json()["Acknowledgement"]["Raw"] and "AK5*R*5~" in r.json()["Acknowledgement"]["Raw"]
    assert orders_of(trade.supplier) == []

    r = trade.buyer.put(f"/EdiPartners/{partner['Id']}/Guide", json={"850": {"Codes": {"PO103": ["EA", "CA"]}}})
    assert r.status_code == 200, r.text
    r = post_edi(server, trade.buyer, interchange(tag, "850", "PO", body, 72))
    assert r.status_code == 200 and r.json()["Documents"][0]["State"] == "applied", r.text


def test_an_outbound_855_that_breaks_the_guide_is_refused_before_it_leaves(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    partner = add_partner(trade.buyer, trade.supplier, TheirId=f"P{tag}", OurId=f"H{tag}")
    r = trade.buyer.put(f"/EdiPartners/{partner['Id']}/Guide", json={"855": {"Require": ["DTM*068"]}})
    assert r.status_code == 200, r.text
    po = f"PO-{tag}"
    key = create_order(trade, po)
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=ack(po, "A-1", [line("01", 5)]))
    assert r.status_code == 422 and "DTM" in error_fields(r), r.text
    assert "requires DTM*068" in r.text and outbound_of(trade.buyer, kind="acknowledgement") == []
    body = ack(po, "A-1", [line("01", 5)]) | {"ScheduledShipDate": "2026-12-01"}
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=body)
    assert r.status_code == 201, r.text
    (sent,) = outbound_of(trade.buyer, kind="acknowledgement")
    assert "DTM*068*20261201~" in sent["Raw"]
