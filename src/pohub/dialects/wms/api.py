"""The warehouse API (seed 001), mounted under /wms: sales orders, their bulk import as a durable job,
the job's status, and salesOrderAck. `Authorization: Bearer <pohub API key>`; the caller is the buyer
and the business unit names the supplier (its company id)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from pohub.api.http import JSON
from pohub.core import jsonio
from pohub.core.errors import Conflict, NotFound, PohubError
from pohub.dialects import common
from pohub.dialects.wms import importer, translate
from pohub.documents import repository as repo
from pohub.exchanges import inbound
from pohub.exchanges.inbound import Applied, Message
from pohub.jobs import repository as jobs_repo
from pohub.jobs.worker import wake
from pohub.orders import service as orders
from pohub.orders.status import OrderStatus


def _error(_: Request, exc: PohubError) -> Response:
    errors: list[dict[str, str | None]] = [{"message": e.error, "field": e.field} for e in exc.errors]
    errors = errors or [{"message": exc.message, "field": None}]
    return JSON({"message": exc.message, "errors": errors}, status_code=exc.status_code)


router = APIRouter(tags=["Wms"], route_class=common.route_class(_error), responses=common.ERROR_RESPONSES)
BULK_LIMIT = 512 * 1024 * 1024


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


@inbound.handler("wms.bulk")
async def _bulk(conn: AsyncConnection, msg: Message) -> Applied:
    assert msg.company_id is not None
    job_id, total = await importer.submit(
        conn,
        company_id=msg.company_id,
        business_unit=str(msg.params.get("business_unit")),
        body=msg.raw,
        exchange_id=msg.exchange_id,
    )
    return Applied(job_id=job_id, status_code=202, result=total)


@router.post("/business_units/{business_unit_id}/sales_orders/bulk", status_code=202)
async def bulk(business_unit_id: str, request: Request) -> JSON:
    """Queue {"data": [sales orders]} for import; answers 202 with the jobId at once."""
    company_id = await _company(request)
    limit = int(getattr(request.app.state.settings, "bulk_max_body_bytes", BULK_LIMIT))
    done = await common.receive(
        request,
        channel="wms",
        operation="wms.bulk",
        company_id=company_id,
        kind="order",
        params={"business_unit": business_unit_id},
        limit=limit,
    )
    wake(request.app)
    return JSON(
        {"data": {"jobId": str(done.job_id), "status": "queued", "progress": {"processed": 0, "total": done.result}}},
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


@inbound.handler("wms.sales_order_ack")
async def _sales_order_ack(conn: AsyncConnection, msg: Message) -> Applied:
    body = common.parsed(msg)
    data = body.get("data") if isinstance(body, dict) else None
    job_ref = data.get("jobId") if isinstance(data, dict) else None
    if job_ref is None:
        raise common.bad("data.jobId", "is required")
    ref = common.ident(job_ref)
    job = None if ref is None else await jobs_repo.get_job(conn, job_id=ref)
    unit = str(jsonio.loads(job.params).get("businessUnitId")) if job is not None else ""
    if job is None or msg.company_id not in (job.company_id, common.ident(unit)):
        raise NotFound(f"No job {job_ref!r}")
    return Applied(job_id=job.id)


@router.post("/salesOrderAck")
async def sales_order_ack(request: Request) -> JSON:
    """A warehouse's acknowledgement of a bulk import, recorded against the job it names."""
    company_id = await _company(request)
    await common.receive(request, channel="wms", operation="wms.sales_order_ack", company_id=company_id, kind="job")
    return JSON({})


@router.post("/business_units/{business_unit_id}/sales_orders", status_code=201)
async def create(business_unit_id: str, request: Request) -> JSON:
    """Create one sales order at once (the bulk call queues many)."""
    company_id = await _company(request)
    done = await common.receive(
        request,
        channel="wms",
        operation=importer.OPERATION,
        company_id=company_id,
        kind="order",
        params={"business_unit": business_unit_id},
    )
    wake(request.app)
    async with request.app.state.db.read() as conn:
        row = await repo.get_document(conn, doc_id=done.document_id or 0, company_id=company_id)
        return JSON({"data": await _out(conn, row)}, status_code=201)


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
    done = await common.receive(
        request,
        channel="wms",
        operation="wms.update",
        company_id=company_id,
        kind="order",
        params={"business_unit": business_unit_id, "customer_order_number": customer_order_number},
    )
    async with request.app.state.db.read() as conn:
        row = await repo.get_document(conn, doc_id=done.document_id or 0, company_id=company_id)
        return JSON({"data": await _out(conn, row)})


@inbound.handler("wms.update")
async def _update(conn: AsyncConnection, msg: Message) -> Applied:
    assert msg.company_id is not None
    con = str(msg.params["customer_order_number"])
    unit = str(msg.params["business_unit"])
    body = common.parsed(msg)
    if isinstance(body, dict) and body.get("customerOrderNumber") is None:
        body["customerOrderNumber"] = con
    canonical = translate.sales_order(body, business_unit=unit)
    row = await _find(conn, company_id=msg.company_id, business_unit=unit, con=con)
    if jsonio.content_hash(jsonio.loads(jsonio.dumps(canonical))) != row.body_hash:
        exc = Conflict(
            f"Sales order {con!r} was received already and orders are immutable; "
            "cancel it (DELETE) and send the change under a new customerOrderNumber"
        )
        exc.order_id = row.id
        raise exc
    return Applied(document_id=row.id, order_id=row.id, duplicate=True)


@inbound.handler("wms.cancel")
async def _cancel(conn: AsyncConnection, msg: Message) -> Applied:
    assert msg.company_id is not None
    unit = str(msg.params["business_unit"])
    row = await _find(conn, company_id=msg.company_id, business_unit=unit, con=str(msg.params["customer_order_number"]))
    try:
        await orders.set_status(conn, company_id=msg.company_id, key=str(row.id), status=int(OrderStatus.CANCELLED))
    except PohubError as exc:
        exc.order_id = row.id
        raise
    return Applied(document_id=row.id, order_id=row.id, kind="status")


@router.delete("/business_units/{business_unit_id}/sales_orders/{customer_order_number}")
async def cancel_sales_order(business_unit_id: str, customer_order_number: str, request: Request) -> JSON:
    """Cancel a sales order (status 1100), if its lifecycle still allows it."""
    company_id = await _company(request)
    done = await common.receive(
        request,
        channel="wms",
        operation="wms.cancel",
        company_id=company_id,
        kind="status",
        params={"business_unit": business_unit_id, "customer_order_number": customer_order_number},
        raw=b"",
    )
    wake(request.app)
    async with request.app.state.db.read() as conn:
        fresh = await repo.get_document(conn, doc_id=done.document_id or 0, company_id=company_id)
        return JSON({"data": await _out(conn, fresh)})


@router.get("/business_units/{business_unit_id}/sales_orders/{customer_order_number}/shipments")
async def shipments(business_unit_id: str, customer_order_number: str, request: Request) -> JSON:
    """The shipments received for a sales order."""
    company_id = await _company(request)
    async with request.app.state.db.read() as conn:
        row = await _find(conn, company_id=company_id, business_unit=business_unit_id, con=customer_order_number)
        docs = await repo.documents_of_order(conn, order_id=row.id, kind="shipment")
    return JSON({"data": [translate.shipment_out(d, jsonio.loads(d.raw)) for d in docs]})
