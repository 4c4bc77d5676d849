"""Concurrent documents on one order never lose an update: the order row is locked while a document
is applied — within one server, and across two server processes sharing the database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.api.helpers import create_order, get_order, line
from tests.support import PATIENCE, LiveServer, Trade, free_port, make_trade


async def _ship_units(urls: list[str], key: str, token: str, count: int) -> list[int]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=120) as client:

        async def one(i: int) -> int:
            body = {"ShipmentNumber": f"S-{i}", "ShipmentLines": [line(1, 1)]}
            r = await client.post(f"{urls[i % len(urls)]}/Shipment/{key}", json=body)
            return r.status_code

        return list(await asyncio.gather(*(one(i) for i in range(count))))


def _assert_exactly_fifty(trade: Trade, key: str, codes: list[int]) -> None:
    assert sorted(codes).count(201) == 50, codes
    assert sorted(codes).count(422) == 1, codes
    assert get_order(trade, key)["OrderLines"][0]["QuantityShipped"] == 50
    shipments = trade.supplier.get(f"/Orders/{key}/Shipments").json()["Body"]["Shipments"]
    assert len(shipments) == 50


def test_fifty_one_parallel_shipments_on_a_fifty_unit_line(trade: Trade, server: LiveServer) -> None:
    key = create_order(trade, "PO-PARALLEL", qty1=50)
    codes = asyncio.run(_ship_units([server.api], key, trade.supplier.key, 51))
    _assert_exactly_fifty(trade, key, codes)


@contextmanager
def serve_process(database_url: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "POHUB_DATABASE_URL": database_url, "POHUB_PORT": str(port), "POHUB_LOG_LEVEL": "warning"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pohub.cli.main", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                if httpx.get(f"{url}/api/v1/Statuses", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pohub serve did not start: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.2)
        yield f"{url}/api/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_two_server_processes_share_the_lock(server: LiveServer) -> None:
    trade = make_trade(server)
    key = create_order(trade, "PO-TWO-PROCS", qty1=50)
    with serve_process(server.database_url) as one, serve_process(server.database_url) as two:
        codes = asyncio.run(_ship_units([one, two], key, trade.supplier.key, 51))
    _assert_exactly_fifty(trade, key, codes)
