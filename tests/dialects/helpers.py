"""Small helpers for the dialect tests: fixtures from tests/fixtures/dialects, dialect clients, orders."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support import LiveServer, Party, Trade

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dialects"


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def load(name: str) -> Any:
    return json.loads(raw(name))


def kojo(server: LiveServer, party: Party) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/kojo", headers={"Authorization": f"Bearer {party.key}"}, timeout=60)


def spectrum(server: LiveServer, party: Party) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/spectrum", headers={"SPECTRUM_API_TOKEN": party.key}, timeout=60)


def wms(server: LiveServer, party: Party) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/wms", headers={"Authorization": f"Bearer {party.key}"}, timeout=60)


def create_order(trade: Trade, po: str, lines: list[dict[str, Any]]) -> str:
    body = {
        "PartnerPO": po,
        "SenderCompanyId": trade.buyer.id,
        "ReceiverCompanyId": trade.supplier.id,
        "OrderDate": "2024-05-03",
        "OrderLines": lines,
    }
    r = trade.buyer.post("/Orders", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["Body"]["LogicbrokerKey"])


def lb_order(party: Party, key: str) -> dict[str, Any]:
    r = party.get(f"/Orders/{key}")
    assert r.status_code == 200, r.text
    return dict(r.json()["Body"]["SalesOrder"])


def events(party: Party, key: str) -> list[dict[str, Any]]:
    r = party.get(f"/Orders/{key}/Events")
    assert r.status_code == 200, r.text
    return list(r.json()["Body"]["ActivityEvents"])


def wait_job(client: httpx.Client, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/jobs/{job_id}")
        assert r.status_code == 200, r.text
        data = dict(r.json()["data"])
        if data["status"] == "completed":
            return data
        assert time.monotonic() < deadline, f"job {job_id} did not finish: {data}"
        time.sleep(0.05)
