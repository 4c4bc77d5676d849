"""Small helpers for the dialect tests: fixtures from tests/fixtures/dialects, dialect clients, orders."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, get_args

import httpx
from pydantic import BaseModel

from pohub.documents import kinds
from tests.support import PATIENCE, LiveServer, Party, Trade

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


def wait_job(client: httpx.Client, job_id: str, timeout: float = PATIENCE) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/jobs/{job_id}")
        assert r.status_code == 200, r.text
        data = dict(r.json()["data"])
        if data["status"] == "completed":
            return data
        assert time.monotonic() < deadline, f"job {job_id} did not finish: {data}"
        time.sleep(0.05)


def _aliases(model: type[BaseModel], seen: set[type[BaseModel]], out: set[str]) -> None:
    if model in seen:
        return
    seen.add(model)
    for info in model.model_fields.values():
        if info.alias:
            out.add(info.alias)
        for arg in _models_in(info.annotation):
            _aliases(arg, seen, out)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def hub_field_names() -> set[str]:
    """Every field name of the hub's documents, nested ones too, and the documents' own names (SalesOrder, ...)."""
    out: set[str] = set()
    seen: set[type[BaseModel]] = set()
    for spec in kinds.KINDS.values():
        _aliases(spec.model, seen, out)
        out.add(spec.model.__name__)
    return out


_SEGMENT = re.compile(r"\[\d+\]")


def assert_in_own_words(answers: list[httpx.Response], own: set[str], fields_of: Any) -> int:
    """Every refusal names only the dialect's own fields (each path segment one of ``own``), and its
    texts name no field of the hub and show no Python repr of a number. Returns how many errors it read."""
    hub = hub_field_names() - own
    word = re.compile(r"\b(" + "|".join(sorted(map(re.escape, hub), key=len, reverse=True)) + r")\b")
    count = 0
    for r in answers:
        assert 400 <= r.status_code < 500, (r.status_code, r.text)
        body = r.json()
        errors = list(fields_of(body))
        texts = [r.text]
        for path, text in errors:
            count += 1
            if path is not None:
                segments = [_SEGMENT.sub("", s) for s in str(path).split(".")]
                assert all(s in own for s in segments), (path, r.text)
            texts.append(text)
        for text in texts:
            assert "Decimal(" not in text, text
            found = word.search(text)
            assert found is None, (found.group(0) if found else None, text)
    return count
