"""Bulk import of sales orders as a durable job: the upload writes the job and one item per order in
one transaction; the worker creates the orders in batches through the hub's order service."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.core.errors import PohubError
from pohub.dialects.wms import split, translate
from pohub.documents.inbound import parse
from pohub.documents.logicbroker import SalesOrder
from pohub.jobs import repository as jobs_repo
from pohub.jobs.registry import BatchResult
from pohub.orders.service import create_order

log = logging.getLogger("pohub.dialects.wms")
KIND = "wms.bulk_import"
INSERT_CHUNK = 1000


async def submit(conn: AsyncConnection, *, company_id: int, business_unit: str, body: Any) -> tuple[int, int]:
    """Write the job and its items (one per sales order, kept as received); returns (job id, total).
    ``body`` (bytes or a mapped upload) has passed split.validate: here it is only cut into items,
    a thousand rows in memory at a time."""
    now = clock.now()
    job_id = await jobs_repo.insert_job(
        conn,
        {
            "kind": KIND,
            "company_id": company_id,
            "status": "queued",
            "params": jsonio.dumps({"businessUnitId": business_unit}).decode(),
            "total": 0,
            "processed": 0,
            "failed": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    rows: list[dict[str, Any]] = []
    total = 0
    for start, end in split.elements(body):
        chunk = bytes(body[start:end])
        data = jsonio.loads(chunk)
        ref = data.get("customerOrderNumber")
        rows.append(
            {
                "job_id": job_id,
                "seq": total,
                "ref": None if ref is None else str(ref)[:100],
                "raw": chunk.decode(),
                "state": "pending",
            }
        )
        total += 1
        if len(rows) >= INSERT_CHUNK:
            await jobs_repo.insert_items(conn, rows)
            rows = []
    await jobs_repo.insert_items(conn, rows)
    await jobs_repo.set_total(conn, job_id=job_id, total=total)
    return job_id, total


class _Handler:
    async def process(self, conn: AsyncConnection, *, job: Any, limit: int) -> BatchResult:
        """Create the next ``limit`` pending orders, each in a savepoint of the batch's transaction."""
        business_unit = str(jsonio.loads(job.params).get("businessUnitId") or "")
        items = await jobs_repo.pending_items(conn, job_id=job.id, limit=limit)
        results = []
        failed = 0
        for item in items:
            body: Any = None
            try:
                body = jsonio.loads(item.raw)
                async with conn.begin_nested():
                    canonical = translate.sales_order(body, business_unit=business_unit)
                    inbound = parse(jsonio.dumps(canonical), SalesOrder)
                    created = await create_order(conn, company_id=job.company_id, inbound=inbound)
                results.append({"item_id": item.id, "state": "done", "document_id": created.key, "error": None})
                continue
            except PohubError as exc:
                entry = translate.failed_order(exc, body)
            except Exception:
                trace_id = uuid.uuid4().hex
                log.exception("job %s item %s: unexpected error, trace id %s", job.id, item.seq, trace_id)
                entry = {
                    "customerOrderNumber": item.ref,
                    "message": f"Unexpected error; trace id {trace_id}",
                    "lines": [],
                }
            failed += 1
            results.append(
                {"item_id": item.id, "state": "failed", "document_id": None, "error": jsonio.dumps(entry).decode()}
            )
        await jobs_repo.finish_items(conn, results)
        return BatchResult(len(items), failed)

    async def report(self, conn: AsyncConnection, *, job: Any) -> dict[str, Any]:
        return await status(conn, job=job)


HANDLER = _Handler()


async def status(conn: AsyncConnection, *, job: Any) -> dict[str, Any]:
    """The job as the warehouse API reports it: {jobId, status, failedOrders, progress}."""
    failed = [jsonio.loads(r.error) for r in await jobs_repo.failed_items(conn, job_id=job.id) if r.error]
    return {
        "jobId": str(job.id),
        "status": job.status,
        "failedOrders": failed,
        "progress": {"processed": job.processed, "total": job.total},
    }
