"""The hub benchmark: the six-step flow through the HTTP API with 32 concurrent clients against a
server this benchmark starts, on SQLite and PostgreSQL; the floor (same stack, one raw INSERT) in
the same run; and the Step 1 search with a million orders in the database."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from bench.loadgen import Result, run
from pohub.core import jsonio
from pohub.db.engine import Database
from pohub.db.migrate import upgrade
from pohub.documents.examples import sales_order
from pohub.partners import service as partners

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(args: list[str], database_url: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "POHUB_DATABASE_URL": database_url,
        "POHUB_PORT": str(port),
        "POHUB_LOG_LEVEL": "warning",
        "POHUB_DB_POOL_SIZE": "20",
    }
    cmd = [sys.executable, "-m", *args, "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def database(backend: str, pg_url: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    import asyncpg

    base = make_url(pg_url)
    name = f"pohub_bench_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(
            host=base.host, port=base.port or 5432, user=base.username, password=base.password, database=base.database
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def setup_parties(database_url: str) -> dict[str, Any]:
    db = Database(database_url, pool_size=1)
    try:
        async with db.write() as conn:
            buyer = await partners.add_company(conn, name="Bench Buyer")
            supplier = await partners.add_company(conn, name="Bench Supplier")
            await partners.connect(conn, buyer_id=buyer.id, supplier_id=supplier.id)
            return {
                "buyer": buyer.id,
                "supplier": supplier.id,
                "buyer_key": await partners.create_key(conn, company_id=buyer.id),
                "supplier_key": await partners.create_key(conn, company_id=supplier.id),
            }
    finally:
        await db.dispose()


LINES = [("49-98760", 31.02, 5), ("PIP-200", 12.5, 3), ("FLK-500", 8.75, 2)]


def order_doc(i: int, parties: dict[str, Any]) -> bytes:
    lines = [
        {
            "LineNumber": f"{n:02d}",
            "Quantity": q,
            "Price": p,
            "QuantityUOM": "EA",
            "ItemIdentifier": {"SupplierSKU": sku},
        }
        for n, (sku, p, q) in enumerate(LINES, start=1)
    ]
    return jsonio.dumps(
        sales_order(
            PartnerPO=f"BENCH-{i:07d}",
            SenderCompanyId=parties["buyer"],
            ReceiverCompanyId=parties["supplier"],
            OrderLines=lines,
        )
    )


def ack_doc(i: int, key: str) -> bytes:
    return jsonio.dumps(
        {
            "AcknowledgementNumber": f"A-{i}",
            "Identifier": {"LinkKey": key},
            "ScheduledShipDate": "2026-12-01",
            "AckLines": [
                {"LineNumber": f"{n:02d}", "Quantity": q, "ItemIdentifier": {"SupplierSKU": sku}}
                for n, (sku, _, q) in enumerate(LINES, start=1)
            ],
        }
    )


def ship_doc(i: int) -> bytes:
    return jsonio.dumps(
        {
            "ShipmentNumber": f"S-{i}",
            "ShipmentDate": "2026-12-01T10:00:00Z",
            "ShipmentLines": [
                {
                    "LineNumber": f"{n:02d}",
                    "ItemIdentifier": {"SupplierSKU": sku},
                    "ShipmentInfos": [{"TrackingNumber": f"1Z{i:010d}", "Qty": q}],
                }
                for n, (sku, _, q) in enumerate(LINES, start=1)
            ],
        }
    )


def invoice_doc(i: int) -> bytes:
    total = sum(p * q for _, p, q in LINES)
    return jsonio.dumps(
        {
            "InvoiceNumber": f"I-{i}",
            "InvoiceTotal": round(total, 2),
            "InvoiceLines": [
                {"LineNumber": f"{n:02d}", "Quantity": q, "Price": p, "ItemIdentifier": {"SupplierSKU": sku}}
                for n, (sku, p, q) in enumerate(LINES, start=1)
            ],
        }
    )


async def flow(url: str, floor_url: str, parties: dict[str, Any], n: int, concurrency: int) -> list[Result]:
    buyer = {"Authorization": f"Bearer {parties['buyer_key']}"}
    supplier = {"Authorization": f"Bearer {parties['supplier_key']}"}
    api = "/api/v1"
    keys: list[str] = []

    def keep_key(status: int, body: bytes) -> None:
        if status in (200, 201):
            keys.append(json.loads(body)["Body"]["LogicbrokerKey"])

    results = [
        await run(
            "POST /Orders (buyer creates POs)",
            url,
            lambda i: ("POST", f"{api}/Orders", order_doc(i, parties)),
            total=n,
            concurrency=concurrency,
            headers=buyer,
            check=keep_key,
        )
    ]
    keys.sort(key=int)
    results.append(
        await run(
            "(1) GET /Orders?Filters.status=150&pageSize=100",
            url,
            lambda i: ("GET", f"{api}/Orders?Filters.status=150&pageSize=100&page={i % 10 + 1}", b""),
            total=min(n, 1000),
            concurrency=concurrency,
            headers=supplier,
        )
    )
    results.append(
        await run(
            "(2) GET /Orders/{key}",
            url,
            lambda i: ("GET", f"{api}/Orders/{keys[i]}", b""),
            total=n,
            concurrency=concurrency,
            headers=supplier,
        )
    )
    results.append(
        await run(
            "(3) PUT /Orders/{key}/Status/200",
            url,
            lambda i: ("PUT", f"{api}/Orders/{keys[i]}/Status/200", b""),
            total=n,
            concurrency=concurrency,
            headers=supplier,
        )
    )
    results.append(
        await run(
            "(4) POST /Acknowledgements",
            url,
            lambda i: ("POST", f"{api}/Acknowledgements", ack_doc(i, keys[i])),
            total=n,
            concurrency=concurrency,
            headers=supplier,
        )
    )
    results.append(
        await run(
            "(5) POST /Shipment/{key}",
            url,
            lambda i: ("POST", f"{api}/Shipment/{keys[i]}", ship_doc(i)),
            total=n,
            concurrency=concurrency,
            headers=supplier,
        )
    )
    results.append(
        await run(
            "(6) POST /Invoice/{key}",
            url,
            lambda i: ("POST", f"{api}/Invoice/{keys[i]}", invoice_doc(i)),
            total=n,
            concurrency=concurrency,
            headers=supplier,
        )
    )
    results.append(
        await run(
            "floor: POST same ack JSON, one raw INSERT",
            floor_url,
            lambda i: ("POST", "/floor", ack_doc(i, keys[i])),
            total=n,
            concurrency=concurrency,
        )
    )
    return results


# --- a million orders for the Step 1 search -------------------------------------------------------


def _rows(start_id: int, count: int, parties: dict[str, Any], others: list[int]) -> Iterator[tuple[Any, ...]]:
    """Orders spread over many buyer->supplier pairs; a tenth go to the bench supplier, a fifth of
    those are in 150."""
    now = datetime.now(UTC)
    raw = order_doc(0, parties).decode()
    for j in range(count):
        doc_id = start_id + j
        mine = j % 10 == 0
        receiver = parties["supplier"] if mine else others[j % len(others)]
        status = 150 if (mine and j % 50 == 0) or (not mine and j % 7 == 0) else (500 if j % 3 else 1000)
        yield (doc_id, "order", parties["buyer"], receiver, f"M-{doc_id}", status, now, now, now, "h", raw)


async def fill(database_url: str, parties: dict[str, Any], total: int) -> float:
    """Insert ``total`` orders (3 lines each) straight into the database; returns seconds taken."""
    db = Database(database_url, pool_size=1)
    others: list[int] = []
    async with db.write() as conn:
        for k in range(50):
            other = await partners.add_company(conn, name=f"Filler supplier {k}")
            await partners.connect(conn, buyer_id=parties["buyer"], supplier_id=other.id)
            others.append(other.id)
    await db.dispose()
    started = time.perf_counter()
    cols = (
        "id",
        "kind",
        "sender_company_id",
        "receiver_company_id",
        "partner_po",
        "status",
        "document_date",
        "created_at",
        "updated_at",
        "body_hash",
        "raw",
    )
    line_cols = (
        "order_id",
        "position",
        "line_number",
        "line_key",
        "supplier_sku",
        "quantity",
        "qty_accepted",
        "qty_backordered",
        "qty_cancelled",
        "qty_shipped",
        "qty_invoiced",
    )
    start_id = 10_000_000
    batch = 20_000
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(database_url).database or "")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        for offset in range(0, total, batch):
            rows = list(_rows(start_id + offset, min(batch, total - offset), parties, others))
            conn.executemany(
                f"INSERT INTO documents ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                [(*r[:6], r[6].isoformat(), r[7].isoformat(), r[8].isoformat(), *r[9:]) for r in rows],
            )
            conn.executemany(
                f"INSERT INTO order_lines ({','.join(line_cols)}) VALUES ({','.join('?' * len(line_cols))})",
                [
                    (r[0], n - 1, f"{n:02d}", str(n), sku, q, 0, 0, 0, 0, 0)
                    for r in rows
                    for n, (sku, _, q) in enumerate(LINES, start=1)
                ],
            )
            conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
        conn.close()
    else:
        import asyncpg

        u = make_url(database_url)
        pg = await asyncpg.connect(
            host=u.host, port=u.port or 5432, user=u.username, password=u.password, database=u.database
        )
        try:
            for offset in range(0, total, batch):
                rows = list(_rows(start_id + offset, min(batch, total - offset), parties, others))
                await pg.copy_records_to_table("documents", records=rows, columns=list(cols))
                await pg.copy_records_to_table(
                    "order_lines",
                    columns=list(line_cols),
                    records=[
                        (r[0], n - 1, f"{n:02d}", str(n), sku, q, 0, 0, 0, 0, 0)
                        for r in rows
                        for n, (sku, _, q) in enumerate(LINES, start=1)
                    ],
                )
            await pg.execute(
                "SELECT setval(pg_get_serial_sequence('documents', 'id'), (SELECT max(id) FROM documents))"
            )
            # What autovacuum does to a table after a bulk load: without it index-only scans visit the heap.
            await pg.execute("VACUUM ANALYZE documents")
            await pg.execute("VACUUM ANALYZE order_lines")
        finally:
            await pg.close()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="bench hub", description=__doc__)
    parser.add_argument("--orders", type=int, default=2000, help="POs driven through the six steps")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--list-orders", type=int, default=1_000_000, help="orders in the database for the search")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("POHUB_BENCH_DATABASE_URL", PG_DEFAULT))
    args = parser.parse_args(argv)
    report: dict[str, Any] = {}
    for backend in args.backends.split(","):
        print(f"\n== hub on {backend}: {args.orders} POs, {args.concurrency} concurrent clients", flush=True)
        with database(backend, args.pg_url) as url:
            upgrade(url)
            parties = asyncio.run(setup_parties(url))
            with (
                server(["pohub.cli.main", "serve"], url) as hub,
                server(["uvicorn", "bench.floor:create_app", "--factory", "--log-level", "warning"], url) as floor,
            ):
                results = asyncio.run(flow(hub, floor, parties, args.orders, args.concurrency))
                for r in results:
                    print(r.line(), flush=True)
                by_name = {r.name.split(" ")[0] + " " + r.name.split(" ")[1]: r for r in results}
                ack = next(r for r in results if "Acknowledgements" in r.name)
                floor_r = results[-1]
                ratio = ack.rate / floor_r.rate if floor_r.rate else 0.0
                print(
                    f"acknowledgements: {ack.rate:.0f}/s = {ratio:.2f} x the floor ({floor_r.rate:.0f}/s); "
                    f"ack p99 {ack.pct(99):.1f} ms (targets: >= 0.5 x, p99 <= 25 ms)",
                    flush=True,
                )
                report[backend] = {"flow": [r.as_dict() for r in results], "ack_to_floor": round(ratio, 3)}
                del by_name
            if args.list_orders:
                print(f"filling {args.list_orders:,} orders for the search ...", flush=True)
                secs = asyncio.run(fill(url, parties, args.list_orders))
                print(f"filled in {secs:.0f} s", flush=True)
                with server(["pohub.cli.main", "serve"], url) as hub:
                    headers = {"Authorization": f"Bearer {parties['supplier_key']}"}
                    r = asyncio.run(
                        run(
                            f"GET /Orders?Filters.status=150&pageSize=100 ({args.list_orders:,} in db)",
                            hub,
                            lambda i: ("GET", f"/api/v1/Orders?Filters.status=150&pageSize=100&page={i % 20 + 1}", b""),
                            total=1000,
                            concurrency=args.concurrency,
                            headers=headers,
                        )
                    )
                    print(r.line(), "(target p99 <= 20 ms)", flush=True)
                    one = asyncio.run(
                        run(
                            "  the same, one client at a time",
                            hub,
                            lambda i: ("GET", f"/api/v1/Orders?Filters.status=150&pageSize=100&page={i % 20 + 1}", b""),
                            total=300,
                            concurrency=1,
                            headers=headers,
                        )
                    )
                    print(one.line(), flush=True)
                    report[backend]["search_1m"] = r.as_dict()
                    report[backend]["search_1m_one_client"] = one.as_dict()
    return report


if __name__ == "__main__":
    main()
