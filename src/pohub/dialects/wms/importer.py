"""Bulk import of sales orders as a durable job: the upload writes the job and one item per order in
one transaction; the worker creates the orders in batches through the hub's order service."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.core.errors import AlreadyReceived, FieldError, PohubError
from pohub.dialects import common
from pohub.dialects.fields import in_dialect
from pohub.dialects.wms import bulk, split, translate
from pohub.documents import kinds
from pohub.exchanges import inbound
from pohub.exchanges.documents import applied, apply_canonical
from pohub.exchanges.inbound import Applied, Message
from pohub.jobs import registry
from pohub.jobs import repository as jobs_repo
from pohub.jobs.models import job_items
from pohub.jobs.registry import BatchResult

log = logging.getLogger("pohub.dialects.wms")
KIND = "wms.bulk_import"
OPERATION = "wms.order"
INSERT_CHUNK = 1000


async def submit(
    conn: AsyncConnection, *, company_id: int, business_unit: str, body: Any, exchange_id: int | None = None
) -> tuple[int, int]:
    """Write the job and its items (one per sales order, kept as received); returns (job id, total).
    ``body`` (bytes or a mapped upload) has passed split.validate: here it is only cut into items,
    a thousand rows in memory at a time. Each item becomes an exchange of its own when the worker
    applies it, a child of the upload's."""
    now = clock.now()
    job_id = await jobs_repo.insert_job(
        conn,
        {
            "kind": KIND,
            "company_id": company_id,
            "status": "queued",
            "params": jsonio.dumps({"businessUnitId": business_unit, "exchangeId": exchange_id}).decode(),
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
        # Strict again (a retried exchange comes here without the route's check): cheap, one order.
        data = split.parse_element(body, start, end, total)
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
            await bulk.store(conn, job_items, rows)
            rows = []
    await bulk.store(conn, job_items, rows)
    await jobs_repo.set_total(conn, job_id=job_id, total=total)
    return job_id, total


@inbound.handler(OPERATION)
async def apply_sales_order(conn: AsyncConnection, msg: Message) -> Applied:
    """One sales order in the warehouse's shape, created through the hub's order rules."""
    assert msg.company_id is not None
    body = common.parsed(msg)
    canonical = translate.sales_order(body, business_unit=str(msg.params.get("business_unit") or ""))
    try:
        created = await apply_canonical(
            conn, spec=kinds.ORDER, company_id=msg.company_id, raw=jsonio.dumps(canonical), path_key=None
        )
    except AlreadyReceived as exc:
        exc.message = f"customerOrderNumber {canonical['PartnerPO']!r} was already submitted to this business unit"
        exc.errors = [FieldError("customerOrderNumber", "must be unique per customer and business unit")]
        raise
    except PohubError as exc:
        in_dialect(exc, translate.FIELDS)
        raise
    return applied(created, kinds.ORDER.name)


class _Handler:
    async def process(self, conn: AsyncConnection, *, job: Any, limit: int) -> BatchResult:
        """Create the next ``limit`` pending orders. Those that pass every rule are written together
        (bulk.py); any other takes the one-by-one road, in a savepoint of the batch's transaction,
        each an exchange of its own, and is refused as it always was."""
        params = jsonio.loads(job.params)
        business_unit = str(params.get("businessUnitId") or "")
        items = await jobs_repo.pending_items(conn, job_id=job.id, limit=limit)
        messages = {item.id: _message(job, item, params, business_unit) for item in items}
        done: dict[int, int] = {}  # item id -> the order the fast road created
        if bulk.enabled():
            now = clock.now()
            ready = await asyncio.to_thread(bulk.prepare, items, messages, business_unit, now)
            fast, _slow = await bulk.sort(conn, company_id=job.company_id, ready=ready)
            ids = await bulk.write(conn, fast)
            if ids is not None:
                done = {r.item.id: order_id for r, order_id in zip(fast, ids, strict=True)}
        results = []
        failed = 0
        for item in items:
            if item.id in done:
                results.append({"item_id": item.id, "state": "done", "document_id": done[item.id], "error": None})
                continue
            applied, problem = await inbound.receive_in(conn, messages[item.id])
            if applied is not None:
                results.append({"item_id": item.id, "state": "done", "document_id": applied.document_id, "error": None})
                continue
            if isinstance(problem, PohubError):
                entry = translate.failed_order(problem, _lenient(item.raw))
            else:
                entry = {
                    "customerOrderNumber": item.ref,
                    "message": f"Unexpected error; trace id {problem}",
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


def _message(job: Any, item: Any, params: dict[str, Any], business_unit: str) -> Message:
    return Message(
        channel="wms",
        operation=OPERATION,
        company_id=job.company_id,
        raw=item.raw.encode(),
        kind=kinds.ORDER.name,
        params={"business_unit": business_unit},
        content_type="application/json",
        parent_id=params.get("exchangeId"),
        job_id=job.id,
    )


def _lenient(raw: str) -> Any:
    try:
        return jsonio.loads(raw)
    except PohubError:
        return None


HANDLER = registry.register(KIND, _Handler())


async def status(conn: AsyncConnection, *, job: Any) -> dict[str, Any]:
    """The job as the warehouse API reports it: {jobId, status, failedOrders, progress}."""
    failed = [jsonio.loads(r.error) for r in await jobs_repo.failed_items(conn, job_id=job.id) if r.error]
    return {
        "jobId": str(job.id),
        "status": job.status,
        "failedOrders": failed,
        "progress": {"processed": job.processed, "total": job.total},
    }
