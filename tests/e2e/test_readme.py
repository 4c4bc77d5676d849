"""The README's first pages as a new user follows them: the demo data it describes, and the partner
flow's curl commands run as written against a server with `make run`'s demo data, ending where the
README says they end."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from pohub import demo
from pohub.db.engine import Database
from pohub.documents.models import documents
from tests.support import database_url, live_server

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"## {title}")
    return README[start : README.index("\n## ", start + 1)]


async def _load_demo(url: str) -> tuple[dict[str, str], Counter[str]]:
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            companies = await demo.load(conn)
        names = {c.id: c.name for c in companies}
        async with db.read() as conn:
            rows = (
                await conn.execute(select(documents.c.receiver_company_id).where(documents.c.kind == "order"))
            ).all()
        return {c.name: c.key for c in companies}, Counter(names[r[0]] for r in rows)
    finally:
        await db.dispose()


def curl_commands(block: str) -> list[dict[str, Any]]:
    """Each `curl` of a shell block: method, URL and body, with the block's own quoting."""
    tokens = shlex.split(block, comments=True)
    commands: list[dict[str, Any]] = []
    for token in tokens:
        if token == "curl":
            commands.append({"method": "GET", "url": None, "body": None})
        elif commands:
            command = commands[-1]
            if command.get("next"):
                command[command.pop("next")] = token
            elif token == "-X":
                command["next"] = "method"
            elif token == "-d":
                command["next"] = "body"
            elif token == "-H":
                command["next"] = "header"
            elif token.startswith("$H"):
                command["url"] = token
    return commands


def test_the_demo_split_is_as_the_readme_says(tmp_path: Path) -> None:
    with database_url("sqlite", tmp_path) as url:
        _, per_supplier = asyncio.run(_load_demo(url))
    text = " ".join(section("Two commands").split())
    said = dict(re.findall(r"(\d+) to (Acme Lab Supply|Beta Scientific)", text))
    assert {name: int(n) for n, name in said.items()} == dict(per_supplier)
    assert sum(per_supplier.values()) == 25


def test_the_partner_flow_ends_where_the_readme_says(backend: str, tmp_path: Path) -> None:
    flow = section("The partner flow, step by step")
    blocks = re.findall(r"```sh\n(.*?)```", flow, re.DOTALL)
    said = re.search(r"Where this ends: the order is at \*\*(\d+)", flow)
    assert said, "the README says where the partner flow ends"
    ends_at = int(said.group(1))
    with database_url(backend, tmp_path) as url:
        keys, _ = asyncio.run(_load_demo(url))
        with live_server(url, backend) as server, httpx.Client(timeout=60) as http:
            supplier = keys["Acme Lab Supply"]
            for command in curl_commands(blocks[0]):
                target = command["url"].replace("$H", server.api).replace("$KEY", supplier)
                r = http.request(
                    command["method"], target, content=command["body"], headers={"Content-Type": "application/json"}
                )
                assert r.status_code < 300, (command, r.text)
            status = http.get(f"{server.api}/Orders/1/Status", params={"subscription-key": supplier}).json()
            assert status["Body"]["StatusCode"] == ends_at == 500, status

            # The continuation it shows for line 01, then the other lines of order 1 the same way.
            [update] = curl_commands(blocks[1])
            order = http.get(f"{server.api}/Orders/1", params={"subscription-key": supplier}).json()
            lines = order["Body"]["SalesOrder"]["OrderLines"]
            body = json.loads(update["body"])
            body["AckLines"] = [
                {"LineNumber": ln["LineNumber"], "Quantity": ln["Quantity"], "ItemIdentifier": ln["ItemIdentifier"]}
                for ln in lines
            ]
            assert body["AckLines"][0]["ItemIdentifier"]["SupplierSKU"] == "CEN-15"
            target = update["url"].replace("$H", server.api).replace("$KEY", supplier)
            assert http.post(target, json=body).status_code == 201
            rest = [
                {
                    "LineNumber": ln["LineNumber"],
                    "Quantity": ln["Quantity"] - ln["QuantityShipped"],
                    "ItemIdentifier": ln["ItemIdentifier"],
                }
                for ln in lines
            ]
            shipped = http.post(
                f"{server.api}/Shipment/1",
                params={"subscription-key": supplier},
                json={"ShipmentNumber": "SHP-2", "ShipmentDate": "2026-12-08T10:00:00Z", "ShipmentLines": rest},
            )
            assert shipped.json()["Body"]["OrderStatusCode"] == 600, shipped.text
            invoiced = http.post(
                f"{server.api}/Invoice/1",
                params={"subscription-key": supplier},
                json={"InvoiceNumber": "INV-2", "InvoiceLines": rest},
            )
            assert invoiced.json()["Body"]["OrderStatusCode"] == 1000, invoiced.text
