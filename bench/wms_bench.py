"""Bulk import of warehouse sales orders: orders per second, peak memory, and the ratio to a raw
executemany insert of the same rows into the same database in the same run.

    python -m bench.wms_bench [--orders 100000] [--lines 5] [--database-url URL]

The import runs the real path: the upload is split and written as a job with its items in one
transaction (as POST /wms/.../sales_orders/bulk does), then worker batches create each order through
the hub's order service (parse, validate, partner check, duplicate rule, events, webhook outbox).
The baseline inserts the same documents and lines with two executemany statements and nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from pohub.core import clock, jsonio
from pohub.db.engine import Database
from pohub.db.migrate import upgrade
from pohub.dialects.wms import importer, translate
from pohub.documents.models import documents, order_lines
from pohub.jobs import runner
from pohub.partners import service as partners


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sales_order(i: int, lines: int) -> dict[str, Any]:
    return {
        "customerOrderNumber": f"SO-{i:08d}",
        "buyerOrderNumber": f"B-{i}",
        "shipTo": {"name": "Ada Lovelace", "address1": "1 Analytical Row", "city": "London", "country": "GB"},
        "customerDates": {"requestedShipDate": "2024-07-05"},
        "orderLines": [
            {"customerLineNumber": str(n + 1), "skuId": f"SKU-{n}", "quantity": n + 1, "amount": 9.5}
            for n in range(lines)
        ],
    }


def upload(orders: int, lines: int) -> bytes:
    parts = [jsonio.dumps(sales_order(i, lines)) for i in range(orders)]
    return b'{"data": [' + b",".join(parts) + b"]}"


async def _parties(db: Database, tag: str) -> tuple[int, int]:
    async with db.write() as conn:
        buyer = await partners.add_company(conn, name=f"bench-buyer-{tag}")
        supplier = await partners.add_company(conn, name=f"bench-supplier-{tag}")
        await partners.connect(conn, buyer_id=buyer.id, supplier_id=supplier.id)
    return buyer.id, supplier.id


async def _import(db: Database, body: bytes, buyer: int, supplier: int, batch: int) -> tuple[float, float, int]:
    started = time.perf_counter()
    async with db.write() as conn:
        job_id, total = await importer.submit(conn, company_id=buyer, business_unit=str(supplier), body=body)
    submitted = time.perf_counter() - started
    lease = timedelta(seconds=60)
    claimed = await runner.claim(db, worker_id="bench", lease=lease)
    assert claimed == job_id
    while await runner.run_batch(db, job_id=job_id, worker_id="bench", lease=lease, batch_size=batch):
        pass
    return submitted, time.perf_counter() - started, total


async def _raw_insert(db: Database, orders: int, lines: int, buyer: int, supplier: int) -> float:
    """The same rows (documents with their canonical body, and lines) with executemany, nothing else."""
    now = clock.now()
    started = time.perf_counter()
    chunk = 1000
    for first in range(0, orders, chunk):
        docs = []
        bodies = []
        for i in range(first, min(first + chunk, orders)):
            body = translate.sales_order(sales_order(i, lines), business_unit=str(supplier))
            bodies.append(body)
            docs.append(
                {
                    "kind": "order",
                    "sender_company_id": buyer,
                    "receiver_company_id": supplier,
                    "partner_po": body["PartnerPO"],
                    "number": body.get("OrderNumber"),
                    "source_key": body["PartnerPO"],
                    "status": 150,
                    "document_date": now,
                    "created_at": now,
                    "updated_at": now,
                    "body_hash": "",
                    "raw": jsonio.dumps(body).decode(),
                }
            )
        async with db.write() as conn:
            ids = [r.id for r in (await conn.execute(insert(documents).returning(documents.c.id), docs)).all()]
            rows = [
                {
                    "order_id": doc_id,
                    "position": n,
                    "line_number": ln["LineNumber"],
                    "line_key": ln["LineNumber"],
                    "supplier_sku": ln["ItemIdentifier"]["SupplierSKU"],
                    "quantity": ln["Quantity"],
                    "price": ln["Price"],
                    "qty_accepted": 0,
                    "qty_backordered": 0,
                    "qty_cancelled": 0,
                    "qty_shipped": 0,
                    "qty_invoiced": 0,
                }
                for doc_id, body in zip(ids, bodies, strict=True)
                for n, ln in enumerate(body["OrderLines"])
            ]
            await conn.execute(insert(order_lines), rows)
    return time.perf_counter() - started


async def _main(args: argparse.Namespace, url: str) -> dict[str, Any]:
    db = Database(url, pool_size=2)
    try:
        tag = str(int(time.time() * 1000))
        buyer, supplier = await _parties(db, tag + "a")
        rss0 = _rss_mb()
        body = upload(args.orders, args.lines)
        rss_body = _rss_mb()
        submit_s, total_s, total = await _import(db, body, buyer, supplier, args.batch)
        rss_import = _rss_mb()
        del body
        b2, s2 = await _parties(db, tag + "b")
        raw_s = await _raw_insert(db, args.orders, args.lines, b2, s2)
    finally:
        await db.dispose()
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    print(f"wms bulk import ({backend}): {total} sales orders x {args.lines} lines, batches of {args.batch}")
    print(f"  upload body              {len(upload(1, args.lines)) * args.orders / 1e6:8.1f} MB (approx.)")
    print(f"  upload -> job + items    {submit_s:8.2f} s")
    print(f"  import total             {total_s:8.2f} s   {total / total_s:8.0f} orders/s")
    print(f"  raw executemany          {raw_s:8.2f} s   {total / raw_s:8.0f} orders/s")
    print(f"  ratio import / raw       {total_s / raw_s:8.1f} x")
    print(f"  peak RSS before body     {rss0:8.0f} MB")
    print(f"  peak RSS with body       {rss_body:8.0f} MB   (+{rss_body - rss0:.0f} MB: the body and its generation)")
    print(f"  peak RSS after import    {rss_import:8.0f} MB   (+{rss_import - rss_body:.0f} MB beyond the body)")
    return {
        "backend": backend,
        "orders": total,
        "lines_per_order": args.lines,
        "import_seconds": round(total_s, 2),
        "orders_per_second": round(total / total_s),
        "raw_executemany_seconds": round(raw_s, 2),
        "ratio_to_raw": round(total_s / raw_s, 1),
        "peak_rss_mb_with_body": round(rss_body),
        "peak_rss_mb_growth_beyond_body": round(rss_import - rss_body),
    }


def run(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="wms_bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=5)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        return asyncio.run(_main(args, url))


if __name__ == "__main__":
    run()
