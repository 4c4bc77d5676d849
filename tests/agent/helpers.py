"""Driving the agent the way a supplier does (the `pohub agent` command, settings in POHUB_AGENT_*
variables) against a live hub, and reading the hub back as the buyer or the supplier."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pohub.cli.main import app
from pohub.core import jsonio
from pohub.documents.examples import sales_order
from tests.support import LiveServer, Trade

runner = CliRunner()


def agent_env(server: LiveServer, trade: Trade, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Settings as a cron job would have them: a key, a state file, and no client-side rate limit."""
    return {
        "POHUB_AGENT_BASE_URL": server.url,
        "POHUB_AGENT_API_KEY": trade.supplier.key,
        "POHUB_AGENT_STATE": str(tmp_path / "agent-state.db"),
        "POHUB_AGENT_RATE": "off",
        "POHUB_AGENT_CONFIG": "",
        **extra,
    }


def agent(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    """Run `pohub agent ARGS --json`; answer the exit code, the JSON report and the raw output."""
    result = runner.invoke(app, ["agent", *args, "--json"], env=env, catch_exceptions=False)
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("{")]
    report = jsonio.loads(lines[-1]) if lines else {}
    return result.exit_code, report, result.output


def order_body(
    trade: Trade, po: str, lines: Sequence[tuple[str, int, str]], *, sales_requirement: int | None = 1
) -> dict[str, Any]:
    """A PO from the buyer to the supplier; lines are (SupplierSKU, quantity, price)."""
    body = sales_order(
        PartnerPO=po,
        SenderCompanyId=trade.buyer.id,
        ReceiverCompanyId=trade.supplier.id,
        OrderLines=[
            {
                "LineNumber": f"{i:02d}",
                "Quantity": qty,
                "Price": jsonio.loads(price),
                "QuantityUOM": "EA",
                "ItemIdentifier": {"SupplierSKU": sku},
            }
            for i, (sku, qty, price) in enumerate(lines, start=1)
        ],
    )
    if sales_requirement is None:
        body.pop("SalesRequirement", None)
    else:
        body["SalesRequirement"] = sales_requirement
    return body


def create_order(trade: Trade, po: str, lines: Sequence[tuple[str, int, str]], **kw: Any) -> str:
    r = trade.buyer.post("/Orders", content=jsonio.dumps(order_body(trade, po, lines, **kw)))
    assert r.status_code == 201, r.text
    return str(r.json()["Body"]["LogicbrokerKey"])


def order(trade: Trade, key: str) -> dict[str, Any]:
    r = trade.supplier.get(f"/Orders/{key}")
    assert r.status_code == 200, r.text
    return dict(jsonio.loads(r.content)["Body"]["SalesOrder"])


def documents(trade: Trade, key: str, plural: str) -> list[dict[str, Any]]:
    r = trade.buyer.get(f"/Orders/{key}/{plural}")
    assert r.status_code == 200, r.text
    return list(jsonio.loads(r.content)["Body"][plural])


def events(trade: Trade, key: str) -> list[dict[str, Any]]:
    r = trade.supplier.get(f"/Orders/{key}/Events")
    assert r.status_code == 200, r.text
    return list(r.json()["Body"]["ActivityEvents"])


SHIP_HEADER = [
    "PartnerPO",
    "LogicbrokerKey",
    "LineNumber",
    "SupplierSKU",
    "Quantity",
    "Carrier",
    "ServiceLevel",
    "TrackingNumber",
    "ShipDate",
    "ShipmentNumber",
]


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path
