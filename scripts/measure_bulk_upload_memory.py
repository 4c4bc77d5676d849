"""Measure what a large warehouse bulk upload costs the server in memory.

Starts a pohub server in a child process on a fresh database, sends one large upload streamed
from a generator (a body of about ``--megabytes`` MB), and reads the child's /proc status while it
works: resident anonymous memory (the heap) and file-backed resident memory (the mapped spool
file) before, at the peak, and after the answer. Two uploads: one refused at its very end (a
trailing comma: read and checked whole, then refused), and one taken (jobs are not run:
PostgreSQL with the embedded worker off, so only the upload itself is measured).

    .venv/bin/python scripts/measure_bulk_upload_memory.py --megabytes 100 \\
        --database postgresql://postgres@127.0.0.1:5432/test

Prints figures; asserts nothing (memory figures depend on the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

SERVER = """
import sys, uvicorn
from pohub.api.app import create_app
from pohub.config import Settings
settings = Settings(database_url=sys.argv[1], embedded_worker=False, bulk_max_body_bytes=2**31, key_cache_seconds=0)
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def status_kb(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("RssAnon", "RssFile", "VmRSS"):
            out[name] = int(value.split()[0])
    return out


def body(megabytes: int, *, trailing_comma: bool) -> Iterator[bytes]:
    order = {
        "customerOrderNumber": "",
        "orderLines": [{"skuId": "SKU-" + "x" * 40, "quantity": 0, "description": "d" * 300} for _ in range(1)],
    }
    yield b'{"data": ['
    size, n = 0, 0
    while size < megabytes * 1024 * 1024:
        order["customerOrderNumber"] = f"M-{n}"
        chunk = (b"," if n else b"") + json.dumps(order).encode()
        size += len(chunk)
        n += 1
        yield chunk
    yield b",]}" if trailing_comma else b"]}"


def watch(pid: int, stop: threading.Event, peak: dict[str, int]) -> None:
    while not stop.is_set():
        for k, v in status_kb(pid).items():
            peak[k] = max(peak.get(k, 0), v)
        time.sleep(0.02)


def measure(url: str, pid: int, key: str, unit: int, megabytes: int, trailing_comma: bool) -> None:
    before = status_kb(pid)
    stop, peak = threading.Event(), dict(before)
    watcher = threading.Thread(target=watch, args=(pid, stop, peak), daemon=True)
    watcher.start()
    started = time.monotonic()
    r = httpx.post(
        f"{url}/wms/business_units/{unit}/sales_orders/bulk",
        content=body(megabytes, trailing_comma=trailing_comma),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=600,
    )
    took = time.monotonic() - started
    time.sleep(1.0)
    stop.set()
    watcher.join()
    after = status_kb(pid)
    what = "refused (trailing comma at the end)" if trailing_comma else "taken"
    print(f"{megabytes} MB upload {what}: HTTP {r.status_code} in {took:.1f} s ({r.text[:100]})")
    for k in ("RssAnon", "RssFile", "VmRSS"):
        print(
            f"  {k:8} before {before[k] / 1024:7.1f} MB  peak {peak[k] / 1024:7.1f} MB  "
            f"after {after[k] / 1024:7.1f} MB  (peak +{(peak[k] - before[k]) / 1024:.1f}, "
            f"after +{(after[k] - before[k]) / 1024:.1f})"
        )


async def companies(url: str) -> tuple[int, str, int]:
    from pohub.db.engine import Database
    from pohub.partners import service

    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            buyer = await service.add_company(conn, name=f"buyer-{uuid.uuid4().hex[:6]}")
            supplier = await service.add_company(conn, name=f"supplier-{uuid.uuid4().hex[:6]}")
            key = await service.create_key(conn, company_id=buyer.id)
            await service.connect(conn, buyer_id=buyer.id, supplier_id=supplier.id, invoice_required=True)
        return buyer.id, key, supplier.id
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--database", default="", help="a PostgreSQL URL (a throwaway database is made in it)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.support import database_url, free_port

    backend = "postgresql" if args.database else "sqlite"
    if args.database:
        os.environ["POHUB_TEST_DATABASE_URL"] = args.database
    with tempfile.TemporaryDirectory() as tmp, database_url(backend, Path(tmp)) as url:
        _, key, unit = asyncio.run(companies(url))
        port = free_port()
        child = subprocess.Popen([sys.executable, "-c", SERVER, url, str(port)])
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    httpx.get(f"{base}/api/v1/Statuses", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            measure(base, child.pid, key, unit, args.megabytes, trailing_comma=True)
            if args.database:
                measure(base, child.pid, key, unit, args.megabytes, trailing_comma=False)
        finally:
            child.terminate()
            child.wait(timeout=30)


if __name__ == "__main__":
    main()
