"""Bulk import of warehouse sales orders: orders per second, peak memory, and the ratio to a raw
executemany insert of the same rows into the same database in the same run.

    python -m bench.wms_bench [--orders 100000] [--lines 5] [--database-url URL]

The import runs the real path: the upload is split and written as a job with its items in one
transaction (as POST /wms/.../sales_orders/bulk does), then worker batches create each order through
the hub's order service (parse, validate, partner check, duplicate rule, events, webhook outbox).
The baseline inserts the very documents and lines the import wrote (read back beforehand, for another
buyer and supplier) with two executemany statements a transaction, and nothing else, in transactions
of the import's batch size. (In one transaction for all of them, PostgreSQL updates each order_counts
row, which a trigger keeps, once per order in the same transaction and walks the row's versions every
time: quadratic, 969 s for 100,000 orders against 335 s for the whole import. Batches of 200 make the
baseline about 1.8 x cheaper on PostgreSQL at 10,000 and no dearer on SQLite: the stronger baseline.)
Both are timed by the wall clock and in CPU seconds (this process, and on PostgreSQL its server
backends).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from pohub.core import jsonio
from pohub.db.engine import Database
from pohub.db.migrate import upgrade
from pohub.dialects.wms import importer
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


class _Cpu:
    """CPU seconds spent by this process (all its threads: SQLite runs in aiosqlite's) and, on
    PostgreSQL, by the server backends serving this database: wall time swings with the machine's
    load, CPU much less."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.backends: dict[int, int] = {}
        self.process = 0.0

    async def _pids(self) -> list[int]:
        if self.db.sqlite:
            return []
        async with self.db.read() as conn:
            stmt = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            return [int(r.pid) for r in (await conn.execute(stmt)).all()]

    @staticmethod
    def _ticks(pid: int) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0
        return int(fields[11]) + int(fields[12])  # utime + stime

    async def start(self) -> None:
        self.backends = {pid: self._ticks(pid) for pid in await self._pids()}
        self.process = time.process_time()

    async def stop(self) -> float:
        spent = time.process_time() - self.process
        ticks = sum(self._ticks(pid) - self.backends.get(pid, 0) for pid in await self._pids())
        return spent + ticks / os.sysconf("SC_CLK_TCK")


async def _parties(db: Database, tag: str) -> tuple[int, int]:
    async with db.write() as conn:
        buyer = await partners.add_company(conn, name=f"bench-buyer-{tag}")
        supplier = await partners.add_company(conn, name=f"bench-supplier-{tag}")
        await partners.connect(conn, buyer_id=buyer.id, supplier_id=supplier.id)
    return buyer.id, supplier.id


async def _import(db: Database, body: bytes, buyer: int, supplier: int, batch: int) -> tuple[float, float, float, int]:
    cpu = _Cpu(db)
    await cpu.start()
    started = time.perf_counter()
    async with db.write() as conn:
        job_id, total = await importer.submit(conn, company_id=buyer, business_unit=str(supplier), body=body)
    submitted = time.perf_counter() - started
    lease = timedelta(seconds=60)
    claimed = await runner.claim(db, worker_id="bench", lease=lease)
    assert claimed == job_id
    while await runner.run_batch(db, job_id=job_id, worker_id="bench", lease=lease, batch_size=batch):
        pass
    return submitted, time.perf_counter() - started, await cpu.stop(), total


async def _rows_of(db: Database, buyer: int) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """The documents and lines the import wrote, exactly (every column but the ids), read outside the clock."""
    mine = select(documents.c.id).where(documents.c.sender_company_id == buyer)
    async with db.read() as conn:
        docs = (await conn.execute(select(documents).where(documents.c.id.in_(mine)).order_by("id"))).mappings().all()
        lines = (
            (await conn.execute(select(order_lines).where(order_lines.c.order_id.in_(mine)).order_by("id")))
            .mappings()
            .all()
        )
    by_order: dict[int, list[dict[str, Any]]] = {}
    for ln in lines:
        by_order.setdefault(int(ln["order_id"]), []).append(
            {k: v for k, v in ln.items() if k not in ("id", "order_id")}
        )
    return [{k: v for k, v in d.items() if k != "id"} for d in docs], [by_order.get(int(d["id"]), []) for d in docs]


async def _raw_insert(db: Database, buyer: int, supplier: int, batch: int) -> tuple[float, float]:
    """The baseline: the very rows the import left in documents and order_lines (built beforehand, for
    another buyer and supplier), inserted with two executemany statements a transaction of ``batch``
    orders, on the same database with the same settings; nothing else. (wall seconds, CPU seconds)"""
    docs, lines = await _rows_of(db, buyer)
    b2, s2 = await _parties(db, f"raw-{buyer}")
    for d in docs:
        d["sender_company_id"], d["receiver_company_id"] = b2, s2
    started, cpu = time.perf_counter(), _Cpu(db)
    await cpu.start()
    for at in range(0, len(docs), batch):
        async with db.write() as conn:
            result = await conn.execute(
                insert(documents).returning(documents.c.id, sort_by_parameter_order=True), docs[at : at + batch]
            )
            ids = [int(r.id) for r in result.all()]
            await conn.execute(
                insert(order_lines),
                [
                    ln | {"order_id": doc_id}
                    for doc_id, ls in zip(ids, lines[at : at + batch], strict=True)
                    for ln in ls
                ],
            )
    return time.perf_counter() - started, await cpu.stop()


async def _main(args: argparse.Namespace, url: str) -> dict[str, Any]:
    db = Database(url, pool_size=2)
    try:
        tag = str(int(time.time() * 1000))
        buyer, supplier = await _parties(db, tag + "a")
        rss0 = _rss_mb()
        body = upload(args.orders, args.lines)
        rss_body = _rss_mb()
        submit_s, total_s, import_cpu, total = await _import(db, body, buyer, supplier, args.batch)
        rss_import = _rss_mb()
        del body
        raw_s, raw_cpu = await _raw_insert(db, buyer, supplier, args.batch)
    finally:
        await db.dispose()
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    print(f"wms bulk import ({backend}): {total} sales orders x {args.lines} lines, batches of {args.batch}")
    print(f"  upload body              {len(upload(1, args.lines)) * args.orders / 1e6:8.1f} MB (approx.)")
    print(f"  upload -> job + items    {submit_s:8.2f} s")
    print(f"  import total             {total_s:8.2f} s   {total / total_s:8.0f} orders/s   CPU {import_cpu:8.2f} s")
    print(f"  raw executemany          {raw_s:8.2f} s   {total / raw_s:8.0f} orders/s   CPU {raw_cpu:8.2f} s")
    print(f"  ratio import / raw       {total_s / raw_s:8.1f} x (wall)   {import_cpu / raw_cpu:.1f} x (CPU)")
    print(f"  peak RSS before body     {rss0:8.0f} MB")
    print(f"  peak RSS with body       {rss_body:8.0f} MB   (+{rss_body - rss0:.0f} MB: the body and its generation)")
    print(f"  peak RSS after import    {rss_import:8.0f} MB   (+{rss_import - rss_body:.0f} MB beyond the body)")
    return {
        "backend": backend,
        "orders": total,
        "lines_per_order": args.lines,
        "import_seconds": round(total_s, 2),
        "import_cpu_seconds": round(import_cpu, 2),
        "orders_per_second": round(total / total_s),
        "raw_executemany_seconds": round(raw_s, 2),
        "raw_executemany_cpu_seconds": round(raw_cpu, 2),
        "ratio_to_raw": round(total_s / raw_s, 1),
        "cpu_ratio_to_raw": round(import_cpu / raw_cpu, 1),
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
