"""Kill the server in the middle of a 10,000-order bulk import and start it again: the job finishes,
every order is imported exactly once, and progress never goes backwards."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from pohub.core import jsonio
from pohub.db.engine import Database
from tests.support import LiveServer, connect, database_url, free_port, make_party

ORDERS = 10_000
# A job that makes no progress for this long has stalled. There is no deadline for the whole import:
# a loaded machine may take as long as it takes, as long as the count keeps moving.
STALL_SECONDS = 300


class Stall:
    """Fails when the value watched has not changed for STALL_SECONDS (not when the total is slow)."""

    def __init__(self) -> None:
        self.last: object = None
        self.since = time.monotonic()

    def check(self, value: object, context: object) -> None:
        if value != self.last:
            self.last, self.since = value, time.monotonic()
        assert time.monotonic() - self.since < STALL_SECONDS, context


@contextmanager
def pohub_serve(url: str, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "POHUB_DATABASE_URL": url, "POHUB_PORT": str(port), "POHUB_LOG_LEVEL": "warning"}
    with log.open("ab") as out:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "pohub"), "serve"], env=env, stdout=out, stderr=out)
    try:
        started = time.monotonic()
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() - started < STALL_SECONDS, log.read_text()[-2000:]
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)


def upload(orders: int) -> bytes:
    parts = [
        jsonio.dumps(
            {
                "customerOrderNumber": f"CR-{i:06d}",
                "orderLines": [
                    {"customerLineNumber": "1", "skuId": "SKU-A", "quantity": 1 + i % 7},
                    {"customerLineNumber": "2", "skuId": "SKU-B", "quantity": 2},
                ],
            }
        )
        for i in range(orders)
    ]
    return b'{"data": [' + b",".join(parts) + b"]}"


async def _scalars(url: str, queries: dict[str, str], params: dict[str, Any]) -> dict[str, int]:
    db = Database(url, pool_size=1)
    try:
        async with db.read() as conn:
            return {name: int((await conn.execute(text(q), params)).scalar_one()) for name, q in queries.items()}
    finally:
        await db.dispose()


def progress(client: httpx.Client, job_id: str) -> dict[str, Any]:
    r = client.get(f"/wms/jobs/{job_id}")
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


def test_kill_mid_import_and_resume(backend: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with database_url(backend, tmp_path) as url:
        port = free_port()
        stub = LiveServer(f"http://127.0.0.1:{port}", url, backend)
        buyer = make_party(stub, "crash-buyer")
        supplier = make_party(stub, "crash-supplier")
        connect(stub, buyer, supplier)
        client = httpx.Client(base_url=stub.url, headers={"Authorization": f"Bearer {buyer.key}"}, timeout=120)
        seen: list[int] = []

        with pohub_serve(url, port, log) as proc:
            r = client.post(f"/wms/business_units/{supplier.id}/sales_orders/bulk", content=upload(ORDERS))
            assert r.status_code == 202, r.text
            job_id = r.json()["data"]["jobId"]
            stall = Stall()
            while not seen or seen[-1] < 1000:
                seen.append(progress(client, job_id)["progress"]["processed"])
                assert proc.poll() is None, log.read_text()[-2000:]
                stall.check(seen[-1], seen[-5:])
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)  # no shutdown, no cleanup: a crash
            proc.wait(timeout=10)
        assert seen[-1] < ORDERS, "the import finished before the crash; nothing was tested"

        with pohub_serve(url, port, log) as proc:
            stall = Stall()
            while True:
                data = progress(client, job_id)
                seen.append(data["progress"]["processed"])
                if data["status"] == "completed":
                    break
                assert proc.poll() is None, log.read_text()[-2000:]
                stall.check(seen[-1], seen[-5:])
                time.sleep(0.1)

        assert seen == sorted(seen), "progress went backwards"
        assert data["progress"] == {"processed": ORDERS, "total": ORDERS} and data["failedOrders"] == []
        counts = asyncio.run(
            _scalars(
                url,
                {
                    "orders": "SELECT count(*) FROM documents WHERE kind = 'order' AND sender_company_id = :b",
                    "distinct_po": "SELECT count(DISTINCT partner_po) FROM documents WHERE sender_company_id = :b",
                    "lines": "SELECT count(*) FROM order_lines l JOIN documents d ON d.id = l.order_id "
                    "WHERE d.sender_company_id = :b",
                    "created_events": "SELECT count(*) FROM events WHERE type_id = 1 AND sender_id = :b",
                    "items_done": "SELECT count(DISTINCT document_id) FROM job_items "
                    "WHERE job_id = :j AND state = 'done'",
                },
                {"b": buyer.id, "j": int(job_id)},
            )
        )
        assert counts == {
            "orders": ORDERS,
            "distinct_po": ORDERS,
            "lines": 2 * ORDERS,
            "created_events": ORDERS,
            "items_done": ORDERS,
        }
