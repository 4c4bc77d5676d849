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
from pohub.core.errors import Conflict, FieldError, NotFound, PohubError
from pohub.dialects import common
from pohub.dialects.common import attributes_of
from pohub.dialects.fields import in_dialect
from pohub.dialects.wms import importer, translate
from pohub.documents import kinds, render
from pohub.documents import repository as repo
from pohub.exchanges import inbound
from pohub.exchanges.documents import applied, apply_canonical
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


async def _find(conn: Any, *, company_id: int, business_unit: str, con: str, customer: str | None = None) -> Any:
    """The sales order the path names: its customerOrderNumber in its business unit (the supplier's
    company id, or the name it was sent under). The same number in two business units names two
    orders; only in one business unit from two customers (buyers) does it need ?customerId=."""
    unit = common.ident(business_unit)
    rows = await common.orders_by_po(conn, company_id=company_id, partner_po=con)
    if unit is not None:
        rows = [r for r in rows if r.receiver_company_id == unit]
    else:
        rows = [r for r in rows if attributes_of(render.body_of(r)).get("businessUnitId") == business_unit]
    if customer is not None:
        rows = [r for r in rows if str(r.sender_company_id) == customer.strip()]
    if not rows:
        raise NotFound(f"No sales order {con!r} in business unit {business_unit}")
    if len(rows) > 1:
        ids = ", ".join(str(r.sender_company_id) for r in rows)
        raise Conflict(
            f"Sales order {con!r} in business unit {business_unit} came from several customers ({ids}): "
            "name one with ?customerId=",
            [FieldError("customerId", f"is required: one of {ids}")],
        )
    return rows[0]


def _customer(request: Request) -> str | None:
    return request.query_params.get("customerId") or None


async def _out(conn: Any, row: Any) -> dict[str, Any]:
    lines = await repo.order_lines_of(conn, order_id=row.id)
    return translate.sales_order_out(row, lines, render.body_of(row))


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
    """A warehouse's salesOrderAck. Every field is optional (seed 001): it is kept as received, and
    recorded against the job it names; a jobId that names none of the caller's jobs is a 404, a field
    of the wrong type a 422 naming it."""
    job_ref = translate.sales_order_ack(common.parsed(msg))
    if job_ref is None:
        return Applied(kind="job", result=None)
    ref = common.ident(job_ref)
    job = None if ref is None else await jobs_repo.get_job(conn, job_id=ref)
    unit = str(jsonio.loads(job.params).get("businessUnitId")) if job is not None else ""
    if job is None or msg.company_id not in (job.company_id, common.ident(unit)):
        raise NotFound(f"No job {job_ref!r}", [FieldError("data.jobId", f"{job_ref!r} names none of your jobs")])
    return Applied(job_id=job.id, kind="job", result=str(job.id))


@router.post("/salesOrderAck")
async def sales_order_ack(request: Request) -> JSON:
    """A warehouse's acknowledgement of a bulk import. The seed answers {}; pohub adds what it
    recorded: the job the message names (null if none) and the exchange that keeps it."""
    company_id = await _company(request)
    done = await common.receive(
        request, channel="wms", operation="wms.sales_order_ack", company_id=company_id, kind="job"
    )
    exchange: Message = request.state.message
    return JSON({"jobId": done.result, "exchangeId": exchange.exchange_id})


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
        row = await _find(
            conn,
            company_id=company_id,
            business_unit=business_unit_id,
            con=customer_order_number,
            customer=_customer(request),
        )
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
        params={
            "business_unit": business_unit_id,
            "customer_order_number": customer_order_number,
            "customer": _customer(request),
        },
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
    row = await _find(conn, company_id=msg.company_id, business_unit=unit, con=con, customer=msg.params.get("customer"))
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
    row = await _find(
        conn,
        company_id=msg.company_id,
        business_unit=str(msg.params["business_unit"]),
        con=str(msg.params["customer_order_number"]),
        customer=msg.params.get("customer"),
    )
    try:
        await orders.set_status(conn, company_id=msg.company_id, key=str(row.id), status=int(OrderStatus.CANCELLED))
    except PohubError as exc:
        exc.order_id = row.id
        in_dialect(exc, translate.FIELDS)
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
        params={
            "business_unit": business_unit_id,
            "customer_order_number": customer_order_number,
            "customer": _customer(request),
        },
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
        row = await _find(
            conn,
            company_id=company_id,
            business_unit=business_unit_id,
            con=customer_order_number,
            customer=_customer(request),
        )
        docs = await repo.documents_of_order(conn, order_id=row.id, kind="shipment")
    return JSON({"data": [translate.shipment_out(d, jsonio.loads(d.raw)) for d in docs]})


@inbound.handler("wms.ship_confirmation")
async def _ship_confirmation(conn: AsyncConnection, msg: Message) -> Applied:
    """A warehouse's ship confirmation, applied by the hub's shipment rules."""
    assert msg.company_id is not None
    con = str(msg.params["customer_order_number"])
    row = await _find(
        conn,
        company_id=msg.company_id,
        business_unit=str(msg.params["business_unit"]),
        con=con,
        customer=msg.params.get("customer"),
    )
    try:
        canonical = translate.ship_confirmation(common.parsed(msg), customer_order_number=con)
        try:
            created = await apply_canonical(
                conn, spec=kinds.SHIPMENT, company_id=msg.company_id, raw=jsonio.dumps(canonical), path_key=str(row.id)
            )
        except PohubError as exc:
            in_dialect(exc, translate.FIELDS)
            raise
    except PohubError as exc:
        exc.order_id = row.id
        raise
    return applied(created, kinds.SHIPMENT.name)


@router.post("/business_units/{business_unit_id}/sales_orders/{customer_order_number}/shipments", status_code=201)
async def ship_confirmation(business_unit_id: str, customer_order_number: str, request: Request) -> JSON:
    """Ship Confirmation: the warehouse (the order's supplier) confirms a shipment of a sales order;
    201 with the shipment as GET .../shipments shows it, 200 for the same confirmation again."""
    company_id = await _company(request)
    done = await common.receive(
        request,
        channel="wms",
        operation="wms.ship_confirmation",
        company_id=company_id,
        kind=kinds.SHIPMENT.name,
        params={
            "business_unit": business_unit_id,
            "customer_order_number": customer_order_number,
            "customer": _customer(request),
        },
    )
    wake(request.app)
    async with request.app.state.db.read() as conn:
        doc = await repo.get_document(conn, doc_id=done.document_id or 0, company_id=company_id)
    return JSON(
        {"data": translate.shipment_out(doc, jsonio.loads(doc.raw))}, status_code=200 if done.duplicate else 201
    )
