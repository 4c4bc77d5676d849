"""The warehouse API (seed 001), mounted under /wms: sales orders, their bulk import as a durable job,
the job's status, and salesOrderAck. `Authorization: Bearer <pohub API key>`; the caller is the buyer
and the business unit names the supplier (its company id)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from pohub.api.http import JSON, spooled_body
from pohub.core import jsonio
from pohub.core.errors import Conflict, NotFound, PohubError
from pohub.dialects import common
from pohub.dialects.wms import importer, split, translate
from pohub.documents import repository as repo
from pohub.documents.inbound import parse
from pohub.documents.logicbroker import SalesOrder
from pohub.jobs import repository as jobs_repo
from pohub.jobs.worker import wake
from pohub.orders import service as orders
from pohub.orders.status import OrderStatus


def _error(_: Request, exc: PohubError) -> Response:
    errors: list[dict[str, str | None]] = [{"message": e.error, "field": e.field} for e in exc.errors]
    errors = errors or [{"message": exc.message, "field": None}]
    return JSON({"message": exc.message, "errors": errors}, status_code=exc.status_code)


router = APIRouter(tags=["Wms"], route_class=common.route_class(_error), responses=common.ERROR_RESPONSES)


async def _company(request: Request) -> int:
    return await common.company(request, common.bearer_or_query_key(request))


async def _find(conn: Any, *, company_id: int, business_unit: str, con: str) -> Any:
    row = await common.order_by_po(conn, company_id=company_id, partner_po=con)
    unit = common.ident(business_unit)
    if unit is not None and company_id != unit and row.receiver_company_id != unit:
        raise NotFound(f"No sales order {con!r} in business unit {business_unit}")
    return row


async def _out(conn: Any, row: Any) -> dict[str, Any]:
    lines = await repo.order_lines_of(conn, order_id=row.id)
    return translate.sales_order_out(row, lines, jsonio.loads(row.raw))


@router.post("/business_units/{business_unit_id}/sales_orders/bulk", status_code=202)
async def bulk(business_unit_id: str, request: Request) -> JSON:
    """Queue {"data": [sales orders]} for import; answers 202 with the jobId at once. The body is
    spooled to a temporary file (POHUB_BULK_MAX_BODY_BYTES at most) and checked whole as JSON before
    anything is written: malformed JSON imports nothing and says where (line and column)."""
    company_id = await _company(request)
    limit = int(request.app.state.settings.bulk_max_body_bytes)
    async with spooled_body(request, limit=limit) as body:
        # CPU-bound over the whole body: in a thread, so the server goes on answering meanwhile.
        await asyncio.to_thread(split.validate, body)
        async with request.app.state.db.write() as conn:
            job_id, total = await importer.submit(
                conn, company_id=company_id, business_unit=business_unit_id, body=body
            )
    wake(request.app)
    return JSON(
        {"data": {"jobId": str(job_id), "status": "queued", "progress": {"processed": 0, "total": total}}},
        status_code=202,
    )


@router.get("/jobs/{job_id}")
async def job_status(job_id: str, request: Request) -> JSON:
    """{data: {jobId, status, failedOrders, progress: {processed, total}}} at any moment."""
    company_id = await _company(request)
    async with request.app.state.db.read() as conn:
        ref = common.ident(job_id)
        job = None if ref is None else await jobs_repo.get_job(conn, job_id=ref)
        if job is None or job.company_id != company_id:
            raise NotFound(f"No job {job_id!r}")
        return JSON({"data": await importer.status(conn, job=job)})


@router.post("/salesOrderAck")
async def sales_order_ack(request: Request) -> JSON:
    """A warehouse's acknowledgement of a bulk import, recorded against the job it names."""
    company_id = await _company(request)
    raw, body = await common.json_body(request)
    data = body.get("data") if isinstance(body, dict) else None
    job_ref = data.get("jobId") if isinstance(data, dict) else None
    if job_ref is None:
        raise common.bad("data.jobId", "is required")
    async with request.app.state.db.write() as conn:
        ref = common.ident(job_ref)
        job = None if ref is None else await jobs_repo.get_job(conn, job_id=ref)
        unit = str(jsonio.loads(job.params).get("businessUnitId")) if job is not None else ""
        if job is None or company_id not in (job.company_id, common.ident(unit)):
            raise NotFound(f"No job {job_ref!r}")
        await common.record_exchange(
            conn,
            dialect="wms",
            operation="salesOrderAck",
            company_id=company_id,
            raw=raw,
            status_code=200,
            job_id=job.id,
        )
    return JSON({})


@router.post("/business_units/{business_unit_id}/sales_orders", status_code=201)
async def create(business_unit_id: str, request: Request) -> JSON:
    """Create one sales order at once (the bulk call queues many)."""
    company_id = await _company(request)
    raw = b""
    try:
        raw, body = await common.json_body(request)
        inbound = parse(jsonio.dumps(translate.sales_order(body, business_unit=business_unit_id)), SalesOrder)
        async with request.app.state.db.write() as conn:
            created = await orders.create_order(conn, company_id=company_id, inbound=inbound)
            await common.record_exchange(
                conn,
                dialect="wms",
                operation="create",
                company_id=company_id,
                raw=raw,
                status_code=201,
                order_id=created.key,
                document_id=created.key,
            )
            row = await repo.get_document(conn, doc_id=created.key, company_id=company_id)
            answer = await _out(conn, row)
    except PohubError as exc:
        await common.refused(
            request, dialect="wms", operation="create", company_id=company_id, kind="order", raw=raw, exc=exc
        )
        raise
    wake(request.app)
    return JSON({"data": answer}, status_code=201)


@router.get("/business_units/{business_unit_id}/sales_orders")
async def list_sales_orders(business_unit_id: str, request: Request) -> JSON:
    """The caller's sales orders (sent, or received when the caller is the warehouse), page and limit."""
    company_id = await _company(request)
    q = request.query_params
    page = max(common.ident(q.get("page", "")) or 1, 1)
    limit = min(max(common.ident(q.get("limit", "")) or 50, 1), 500)
    unit = common.ident(business_unit_id)
    role = "supplier" if unit == company_id else "buyer"
    async with request.app.state.db.read() as conn:
        rows, total = await common.orders_page(
            conn,
            company_id=company_id,
            role=role,
            limit=limit,
            offset=(page - 1) * limit,
            receiver_id=unit if role == "buyer" else None,
        )
        data = [await _out(conn, r) for r in rows]
    return JSON({"data": data, "meta": {"page": page, "limit": limit, "total": total}})


@router.get("/business_units/{business_unit_id}/sales_orders/{customer_order_number}")
async def get_sales_order(business_unit_id: str, customer_order_number: str, request: Request) -> JSON:
    """One sales order by customerOrderNumber."""
    company_id = await _company(request)
    async with request.app.state.db.read() as conn:
        row = await _find(conn, company_id=company_id, business_unit=business_unit_id, con=customer_order_number)
        return JSON({"data": await _out(conn, row)})


@router.put("/business_units/{business_unit_id}/sales_orders/{customer_order_number}")
async def update_sales_order(business_unit_id: str, customer_order_number: str, request: Request) -> JSON:
    """Orders are immutable once received (the platform's rule): the same order again answers 200; a
    change is refused with 409 (cancel it and send a new customerOrderNumber)."""
    company_id = await _company(request)
    _, body = await common.json_body(request)
    if isinstance(body, dict) and body.get("customerOrderNumber") is None:
        body["customerOrderNumber"] = customer_order_number
    canonical = translate.sales_order(body, business_unit=business_unit_id)
    async with request.app.state.db.read() as conn:
        row = await _find(conn, company_id=company_id, business_unit=business_unit_id, con=customer_order_number)
        if jsonio.content_hash(jsonio.loads(jsonio.dumps(canonical))) != row.body_hash:
            raise Conflict(
                f"Sales order {customer_order_number!r} was received already and orders are immutable; "
                "cancel it (DELETE) and send the change under a new customerOrderNumber"
            )
        return JSON({"data": await _out(conn, row)})


@router.delete("/business_units/{business_unit_id}/sales_orders/{customer_order_number}")
async def cancel_sales_order(business_unit_id: str, customer_order_number: str, request: Request) -> JSON:
    """Cancel a sales order (status 1100), if its lifecycle still allows it."""
    company_id = await _company(request)
    async with request.app.state.db.write() as conn:
        row = await _find(conn, company_id=company_id, business_unit=business_unit_id, con=customer_order_number)
        await orders.set_status(conn, company_id=company_id, key=str(row.id), status=int(OrderStatus.CANCELLED))
        fresh = await repo.get_document(conn, doc_id=row.id, company_id=company_id)
        answer = await _out(conn, fresh)
    wake(request.app)
    return JSON({"data": answer})


@router.get("/business_units/{business_unit_id}/sales_orders/{customer_order_number}/shipments")
async def shipments(business_unit_id: str, customer_order_number: str, request: Request) -> JSON:
    """The shipments received for a sales order."""
    company_id = await _company(request)
    async with request.app.state.db.read() as conn:
        row = await _find(conn, company_id=company_id, business_unit=business_unit_id, con=customer_order_number)
        docs = await repo.documents_of_order(conn, order_id=row.id, kind="shipment")
    return JSON({"data": [translate.shipment_out(d, jsonio.loads(d.raw)) for d in docs]})
