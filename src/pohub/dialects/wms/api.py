"""The warehouse API (seed 001), mounted under /wms: sales orders, their bulk import as a durable job,
the job's status, and salesOrderAck. `Authorization: Bearer <pohub API key>`; the caller is the buyer
and the business unit names the supplier (its company id)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from pohub.api.http import JSON, spooled_body
from pohub.core import jsonio
from pohub.core.errors import Conflict, FieldError, NotFound, PohubError
from pohub.dialects import common
from pohub.dialects.common import attributes_of
from pohub.dialects.fields import in_dialect
from pohub.dialects.wms import importer, rma, split, translate
from pohub.documents import kinds, render
from pohub.documents import repository as repo
from pohub.exchanges import inbound
from pohub.exchanges.documents import applied, apply_canonical
from pohub.exchanges.inbound import Applied, Message
from pohub.jobs import repository as jobs_repo
from pohub.jobs.worker import wake
from pohub.orders import service as orders
from pohub.orders.status import OrderStatus


def _recorded(request: Request) -> bool:
    """Whether the exchanges pipeline has the message already (common.receive ran)."""
    return getattr(request.state, "message", None) is not None


def _error(_: Request, exc: PohubError) -> Response:
    errors: list[dict[str, str | None]] = [{"message": e.error, "field": e.field} for e in exc.errors]
    errors = errors or [{"message": exc.message, "field": None}]
    return JSON({"message": exc.message, "errors": errors}, status_code=exc.status_code)


router = APIRouter(tags=["Wms"], route_class=common.route_class(_error), responses=common.ERROR_RESPONSES)


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
    """Queue {"data": [sales orders]} for import; answers 202 with the jobId at once. The body is
    spooled to a temporary file (POHUB_BULK_MAX_BODY_BYTES at most) and checked whole as JSON before
    anything is written: malformed JSON imports nothing and says where (line and column)."""
    company_id = await _company(request)
    limit = int(request.app.state.settings.bulk_max_body_bytes)
    msg = Message(
        channel="wms",
        operation="wms.bulk",
        company_id=company_id,
        raw=b"",
        kind="order",
        params={"business_unit": business_unit_id},
        content_type=request.headers.get("content-type"),
    )
    db = request.app.state.db
    refused = False
    try:
        async with spooled_body(request, limit=limit) as body:
            msg.raw = body  # the mapped upload: kept as received, never copied whole into the heap
            try:
                # CPU-bound over the whole body: in a thread, so the server goes on answering meanwhile.
                await asyncio.to_thread(split.validate, body)
            except PohubError as exc:
                refused = True
                await inbound.refuse(db, msg, exc)  # malformed: kept with its bytes and the reason
                raise
            done = await common.receive(
                request,
                channel=msg.channel,
                operation=msg.operation,
                company_id=company_id,
                kind=msg.kind,
                params=msg.params,
                raw=body,
            )
    except PohubError as exc:
        if not refused and not _recorded(request):
            msg.raw = b""  # too large or not JSON: refused before it was read
            await inbound.refuse(db, msg, exc)
        raise
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
    """The merchant's update of a sales order is a buyer's change (docs/returns.md, "Buyer changes"):
    lines whose quantity or amount differ are changed (quantity 0 cancels a line), new
    customerLineNumbers are added, lines left out stay as they are. The same order again answers
    200 and changes nothing; a change to anything but lines is refused with 409."""
    company_id = await _company(request)
    done = await common.receive(
        request,
        channel="wms",
        operation="wms.update",
        company_id=company_id,
        kind="change",
        params={
            "business_unit": business_unit_id,
            "customer_order_number": customer_order_number,
            "customer": _customer(request),
        },
    )
    async with request.app.state.db.read() as conn:
        row = await repo.get_document(conn, doc_id=done.order_id or 0, company_id=company_id)
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
    digest = jsonio.content_hash(jsonio.loads(jsonio.dumps(canonical)))
    if digest == row.body_hash:
        return Applied(document_id=row.id, order_id=row.id, duplicate=True, kind="order")
    lines = await repo.order_lines_of(conn, order_id=row.id)
    change = translate.change_of(canonical, lines, number=f"WMS-{digest[:16]}")
    if not change["ChangeLines"]:
        exc = Conflict(
            f"Sales order {con!r} was received already; an update may change its lines' quantity or amount, "
            "or add lines, and this one changes neither (cancel it and send a new customerOrderNumber)"
        )
        exc.order_id = row.id
        raise exc
    created = await apply_canonical(
        conn, spec=kinds.CHANGE, company_id=msg.company_id, raw=jsonio.dumps(change), path_key=str(row.id)
    )
    return applied(created, kinds.CHANGE.name)


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


# --- Inbound RMAs (the hub's returns; translation and handlers in rma.py) ---------------------------

RMAS = "/business_units/{business_unit_id}/inbound/rmas"


@router.get(RMAS)
async def list_rmas(business_unit_id: str, request: Request) -> JSON:
    """The caller's inbound RMAs in the business unit, oldest first, page and limit."""
    company_id = await _company(request)
    q = request.query_params
    page = max(common.ident(q.get("page", "")) or 1, 1)
    limit = min(max(common.ident(q.get("limit", "")) or 50, 1), 500)
    search = repo.Search(kind="return", company_id=company_id, page=page, page_size=limit)
    unit = common.ident(business_unit_id)
    if unit is not None and unit != company_id:
        search.receiver_id = unit
    async with request.app.state.db.read() as conn:
        rows, total = await repo.search(conn, search)
        data = [await rma.render(conn, r) for r in rows]
    return JSON({"data": data, "meta": {"page": page, "limit": limit, "total": total}})


@router.post(RMAS, status_code=201)
async def create_rma(business_unit_id: str, request: Request) -> JSON:
    """The merchant announces units coming back: {rmaNumber, customerOrderNumber, lines: [...]}."""
    company_id = await _company(request)
    done = await common.receive(
        request,
        channel="wms",
        operation=rma.CREATE,
        company_id=company_id,
        kind="return",
        params={"business_unit": business_unit_id},
    )
    async with request.app.state.db.read() as conn:
        row = await repo.get_document(conn, doc_id=done.document_id or 0, company_id=company_id)
        return JSON({"data": await rma.render(conn, row)}, status_code=200 if done.duplicate else 201)


@router.get(RMAS + "/{rma_id}")
async def get_rma(business_unit_id: str, rma_id: str, request: Request) -> JSON:
    """One inbound RMA with its lines' requested, received and credited units."""
    company_id = await _company(request)
    async with request.app.state.db.read() as conn:
        row = await rma.rma_document(conn, company_id=company_id, business_unit=business_unit_id, rma_id=rma_id)
        return JSON({"data": await rma.render(conn, row)})


@router.put(RMAS + "/{rma_id}")
async def update_rma(business_unit_id: str, rma_id: str, request: Request) -> JSON:
    """The warehouse authorises, rejects, or receives units of the RMA."""
    company_id = await _company(request)
    await common.receive(
        request,
        channel="wms",
        operation=rma.UPDATE,
        company_id=company_id,
        kind="return",
        params={"business_unit": business_unit_id, "rma_id": rma_id},
    )
    async with request.app.state.db.read() as conn:
        row = await rma.rma_document(conn, company_id=company_id, business_unit=business_unit_id, rma_id=rma_id)
        return JSON({"data": await rma.render(conn, row)})


@router.delete(RMAS + "/{rma_id}")
async def cancel_rma(business_unit_id: str, rma_id: str, request: Request) -> JSON:
    """The merchant withdraws the RMA before any unit arrived."""
    company_id = await _company(request)
    await common.receive(
        request,
        channel="wms",
        operation=rma.CANCEL,
        company_id=company_id,
        kind="return",
        params={"business_unit": business_unit_id, "rma_id": rma_id},
        raw=b"",
    )
    async with request.app.state.db.read() as conn:
        row = await rma.rma_document(conn, company_id=company_id, business_unit=business_unit_id, rma_id=rma_id)
        return JSON({"data": await rma.render(conn, row)})


@router.get(RMAS + "/{rma_id}/receipt_lines")
async def rma_receipt_lines(business_unit_id: str, rma_id: str, request: Request) -> JSON:
    """What has been received of the RMA, line by line, with the condition."""
    company_id = await _company(request)
    async with request.app.state.db.read() as conn:
        row = await rma.rma_document(conn, company_id=company_id, business_unit=business_unit_id, rma_id=rma_id)
        out = await rma.render(conn, row)
    data = [
        {k: line[k] for k in ("customerLineNumber", "skuId", "receivedQuantity", "condition")}
        for line in out["lines"]
        if line["receivedQuantity"]
    ]
    return JSON({"data": data})
