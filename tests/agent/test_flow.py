"""The whole partner flow, 150 to 1000, driven only by `pohub agent` against a live hub."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.agent.helpers import SHIP_HEADER, agent, agent_env, create_order, documents, order, write_csv
from tests.support import LiveServer, Trade


def test_full_flow_from_150_to_1000(server: LiveServer, trade: Trade, tmp_path: Path) -> None:
    env = agent_env(server, trade, tmp_path)
    a = create_order(trade, "PO-A", [("SKU-1", 5, "31.02"), ("SKU-2", 3, "10.5")])
    b = create_order(trade, "PO-B", [("SKU-1", 2, "19.999")])
    c = create_order(trade, "PO-C", [("SKU-3", 1, "7.10")], sales_requirement=None)

    code, report, out = agent(env, "acknowledge")
    assert code == 0, out
    assert (report["acknowledged"], report["accepted_units"], report["failed"]) == (3, 11, 0)
    for key in (a, b, c):
        po = order(trade, key)
        assert po["StatusCode"] == 500
        assert all(ln["QuantityAcknowledged"] == ln["Quantity"] for ln in po["OrderLines"])
    [ack] = documents(trade, a, "Acknowledgements")
    assert ack["AcknowledgementNumber"] == "ACK-PO-A-1"
    assert ack["ScheduledShipDate"] and ack["AckLines"][0]["ItemIdentifier"]["SupplierSKU"] == "SKU-1"
    # Step 3 happened before step 4: the timeline shows 150 -> 200, then 200 -> 500.
    summaries = [e["Summary"] for e in trade.supplier.get(f"/Orders/{a}/Events").json()["Body"]["ActivityEvents"]]
    assert any("150 Ready to Acknowledge to 200" in s for s in summaries), summaries

    # PO-A ships in two shipments (the first in two cartons), by key and by PartnerPO; lines by number or SKU.
    ship = write_csv(
        tmp_path / "ship.csv",
        SHIP_HEADER,
        [
            ["PO-A", "", "01", "", 2, "UPSN", "GND", "1Z1", "2026-12-01", "S-A1"],
            ["PO-A", "", "", "SKU-1", 2, "UPSN", "GND", "1Z2", "2026-12-01", "S-A1"],
            ["PO-A", "", "1", "SKU-1", 1, "FDX", "2D", "F1", "2026-12-02", "S-A2"],
            ["PO-A", "", "02", "SKU-2", 3, "FDX", "2D", "F1", "2026-12-02", "S-A2"],
            ["", b, "01", "SKU-1", 2, "UPSN", "GND", "1Z3", "2026-12-01T09:30:00Z", "S-B1"],
            ["PO-C", "", "01", "", 1, "USPS", "PRI", "9400", "2026-12-01", "S-C1"],
        ],
    )
    code, report, out = agent(env, "ship", str(ship))
    assert code == 0, out
    assert (report["shipped"], report["shipped_units"]) == (4, 11)
    assert [order(trade, k)["StatusCode"] for k in (a, b, c)] == [600, 600, 600]
    # The agent sends shipments concurrently: find them by number, not by arrival order.
    first = next(d for d in documents(trade, a, "Shipments") if d["ShipmentNumber"] == "S-A1")
    assert [i["TrackingNumber"] for i in first["ShipmentLines"][0]["ShipmentInfos"]] == ["1Z1", "1Z2"]

    code, report, out = agent(env, "invoice")
    assert code == 0, out
    assert report["invoiced"] == 4
    # 4 x 31.02 + (31.02 + 3 x 10.5) + 2 x 19.999 + 7.10
    assert Decimal(report["invoiced_amount"]) == Decimal("124.08") + Decimal("62.52") + Decimal("40.00") + Decimal(
        "7.10"
    )
    assert [order(trade, k)["StatusCode"] for k in (a, b, c)] == [1000, 1000, 1000]
    invoices = documents(trade, a, "Invoices")
    assert sorted(i["InvoiceNumber"] for i in invoices) == ["S-A1", "S-A2"]
    assert next(i for i in invoices if i["InvoiceNumber"] == "S-A1")["InvoiceTotal"] == Decimal("124.08")
    assert all(ln["QuantityInvoiced"] == ln["Quantity"] for ln in order(trade, a)["OrderLines"])

    # A second round finds nothing to do and sends nothing.
    code, report, out = agent(env, "run", "--once", "--json")
    assert code == 0, out
    assert report["acknowledged"] + report["shipped"] + report["invoiced"] + report["duplicates"] == 0
    code, report, _ = agent(env, "ship", str(ship))
    assert code == 0 and report["shipped"] == 0 and report["already_done"] == 4
    assert len(documents(trade, a, "Shipments")) == 2 and len(documents(trade, a, "Invoices")) == 2


def test_the_key_is_never_printed(server: LiveServer, trade: Trade, tmp_path: Path) -> None:
    env = agent_env(server, trade, tmp_path)
    create_order(trade, "PO-K", [("SKU-1", 1, "1.00")])
    _, _, out = agent(env, "acknowledge")
    from pohub.cli.main import app
    from tests.agent.helpers import runner

    shown = runner.invoke(app, ["agent", "config"], env=env)
    assert shown.exit_code == 0 and "api_key" in shown.output
    assert trade.supplier.key not in out + shown.output

    bad = runner.invoke(app, ["agent", "acknowledge"], env={**env, "POHUB_AGENT_API_KEY": ""})
    assert bad.exit_code == 2 and "POHUB_AGENT_API_KEY" in bad.output
