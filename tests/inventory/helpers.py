"""Publishing and reading inventory through the API, as a supplier and a buyer do."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from tests.support import Party

CSV = {"Content-Type": "text/csv"}


def broadcast_csv(party: Party, text: str, **params: str) -> httpx.Response:
    return party.post("/Inventory/Broadcast", content=text.encode(), headers=CSV, params=params)


def published(party: Party, text: str) -> dict[str, Any]:
    """Broadcast a CSV that must import whole; the answer's Body."""
    r = broadcast_csv(party, text)
    assert r.status_code == 200, r.text
    body = dict(r.json()["Body"])
    assert body["Refused"] == 0, body
    return body


def download(party: Party, partner_id: int, **params: str) -> list[dict[str, str]]:
    r = party.get(f"/Inventory/{partner_id}", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.text)))


def item(party: Party, partner_id: int, sku: str) -> dict[str, Any]:
    r = party.get(f"/Inventory/{partner_id}/Item/{sku}")
    assert r.status_code == 200, r.text
    return dict(r.json()["Body"])


def exchange(party: Party, exchange_id: int) -> dict[str, Any]:
    r = party.get(f"/Exchanges/{exchange_id}")
    assert r.status_code == 200, r.text
    return dict(r.json()["Body"])
