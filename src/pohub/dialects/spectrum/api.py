"""The Spectrum order API (seed 004), mounted under /spectrum. Token in the SPECTRUM_API_TOKEN header
(a pohub API key). The merchant (buyer) submits orders; the fulfilment side (supplier) sends ship
notifications; either side sets the workflow status."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

import pohub
from pohub.api.http import JSON
from pohub.core import clock, jsonio
from pohub.core.errors import Conflict, PohubError
from pohub.dialects import common
from pohub.dialects.spectrum import translate
from pohub.documents import repository as repo
from pohub.documents.inbound import parse
from pohub.documents.logicbroker import SalesOrder, Shipment
from pohub.jobs.worker import wake
from pohub.ops.metrics import document_outcome
from pohub.orders import service as orders
from pohub.shipments import service as shipments

ALREADY = "Purchase order has already been submitted."


def _envelope(error: str, **extra: Any) -> dict[str, Any]:
    return {"lastModification": clock.now().isoformat(), "error": error, "apiVersion": pohub.__version__, **extra}


def _message(exc: PohubError) -> str:
    if exc.status_code == 409 and "already sent" in exc.message:
        return ALREADY
    details = "; ".join(f"{e.field}: {e.error}" for e in exc.errors)
    return f"{exc.message} ({details})" if details and details not in exc.message else exc.message


def _error(_: Request, exc: PohubError) -> Response:
    text = _message(exc)
    errors = [{"field": e.field, "message": e.error} for e in exc.errors]
    extra = {"errors": errors} if errors and text != ALREADY else {}
    return JSON(_envelope(text, **extra), status_code=exc.status_code)


def _unexpected(_: Request, trace_id: str) -> Response:
    return JSON(_envelope(f"Unexpected error; trace log ID {trace_id}", traceId=trace_id), status_code=500)


router = APIRouter(
    tags=["Spectrum"], route_class=common.route_class(_error, _unexpected), responses=common.ERROR_RESPONSES
)


async def _company(request: Request) -> int:
    return await common.company(request, request.headers.get("spectrum_api_token"))


def _statuses(body: Any, ok: bool, message: str) -> list[dict[str, Any]]:
    return [{"recipeSetId": r, "success": ok, "message": message} for r in translate.recipe_sets(body)]


async def _submit(request: Request, *, company_id: int, body: Any, raw: bytes, full: bool, operation: str) -> None:
    try:
        canonical = translate.order(body, full=full)
        inbound = parse(jsonio.dumps(canonical), SalesOrder)
        async with request.app.state.db.write() as conn:
            created = await orders.create_order(conn, company_id=company_id, inbound=inbound)
            await common.record_exchange(
                conn,
                dialect="spectrum",
                operation=operation,
                company_id=company_id,
                raw=raw,
                status_code=200,
                order_id=created.key,
                document_id=created.key,
            )
            document_outcome(kind="order", channel="spectrum", outcome="duplicate" if created.duplicate else "applied")
    except PohubError as exc:
        await common.refused(
            request, dialect="spectrum", operation=operation, company_id=company_id, kind="order", raw=raw, exc=exc
        )
        raise


def _answer(body: Any) -> dict[str, Any]:
    po = body.get("purchaseOrderNumber") if isinstance(body, dict) else None
    return {
        "purchaseOrderNumber": po,
        "statuses": _statuses(body, True, "Processed Successfully"),
        "allSuccessful": True,
    }


@router.post("/api/order/acknowledgement")
async def acknowledgement(request: Request) -> JSON:
    """One order acknowledgement: the order was purchased and awaits fulfilment (a PO to the supplier)."""
    company_id = await _company(request)
    raw, body = await common.json_body(request)
    await _submit(request, company_id=company_id, body=body, raw=raw, full=False, operation="acknowledgement")
    wake(request.app)
    return JSON(_answer(body))


@router.post("/api/order")
async def full_order(request: Request) -> JSON:
    """A full order with customer and shipping addresses."""
    company_id = await _company(request)
    raw, body = await common.json_body(request)
    await _submit(request, company_id=company_id, body=body, raw=raw, full=True, operation="order")
    wake(request.app)
    return JSON(_answer(body))


@router.post("/api/order/acknowledgements")
async def acknowledgements(request: Request) -> JSON:
    """Many acknowledgements: each order succeeds or fails on its own."""
    company_id = await _company(request)
    _, body = await common.json_body(request)
    if not isinstance(body, list):
        raise translate.bad("body", "must be a JSON array of order acknowledgements")
    results = []
    for item in body:
        raw = jsonio.dumps(item)
        try:
            await _submit(request, company_id=company_id, body=item, raw=raw, full=False, operation="acknowledgements")
            results.append(_answer(item))
        except PohubError as exc:
            po = item.get("purchaseOrderNumber") if isinstance(item, dict) else None
            message = _message(exc)
            statuses = _statuses(item, False, message) or [{"recipeSetId": None, "success": False, "message": message}]
            results.append({"purchaseOrderNumber": po, "statuses": statuses, "allSuccessful": False})
    wake(request.app)
    return JSON(results)


@router.post("/api/order/ship-notification")
async def ship_notification(request: Request) -> JSON:
    """The supplier shipped recipe sets of an order; all or nothing (409 if any line item is missing)."""
    company_id = await _company(request)
    raw, body = await common.json_body(request)
    po = body.get("purchaseOrderNumber") if isinstance(body, dict) else None
    number = "SPECTRUM-" + hashlib.sha256(jsonio.dumps(body)).hexdigest()[:16]
    try:
        async with request.app.state.db.write() as conn:
            row = await common.order_by_po(
                conn, company_id=company_id, partner_po=translate.text(po, "purchaseOrderNumber"), as_role="supplier"
            )
            earlier = await repo.numbered_documents(conn, order_id=row.id, kind="shipment")
            if any(d.number == number for d in earlier):
                # This very notice was applied before (the number is its content hash).
                return JSON({"purchaseOrderNumber": po, "status": "OK", "details": "Already received; nothing changed"})
            lines = await repo.order_lines_of(conn, order_id=row.id)
            try:
                canonical = translate.shipment(
                    body, order_row=row, order_body=jsonio.loads(row.raw), lines=lines, number=number
                )
            except PohubError as exc:
                raise Conflict(exc.message, exc.errors) from None
            inbound = parse(jsonio.dumps(canonical), Shipment)
            created = await shipments.receive(conn, company_id=company_id, inbound=inbound, path_key=str(row.id))
            await common.record_exchange(
                conn,
                dialect="spectrum",
                operation="ship-notification",
                company_id=company_id,
                raw=raw,
                status_code=200,
                order_id=row.id,
                document_id=created.key,
            )
            document_outcome(
                kind="shipment", channel="spectrum", outcome="duplicate" if created.duplicate else "applied"
            )
    except PohubError as exc:
        await common.refused(
            request,
            dialect="spectrum",
            operation="ship-notification",
            company_id=company_id,
            kind="shipment",
            raw=raw,
            exc=exc,
        )
        status = 409 if exc.status_code in (409, 422) else exc.status_code
        return JSON({"purchaseOrderNumber": po, "status": "Error", "details": _message(exc)}, status_code=status)
    wake(request.app)
    details = "Already received; nothing changed" if created.duplicate else "Shipment recorded"
    return JSON({"purchaseOrderNumber": po, "status": "OK", "details": details})


@router.put("/api/order/status")
async def status(request: Request) -> JSON:
    """Set the workflow status (not-started, in-progress, ..., delivered, cancelled); unknown order 404."""
    company_id = await _company(request)
    raw, body = await common.json_body(request)
    if not isinstance(body, dict):
        raise translate.bad("body", "must be a JSON object")
    po = translate.text(body.get("purchaseOrderNumber"), "purchaseOrderNumber")
    target = translate.workflow_status(body.get("workflowStatus"))
    async with request.app.state.db.write() as conn:
        row = await common.order_by_po(conn, company_id=company_id, partner_po=po)
        new = await orders.set_status(conn, company_id=company_id, key=str(row.id), status=int(target))
        await common.record_exchange(
            conn,
            dialect="spectrum",
            operation="status",
            company_id=company_id,
            raw=raw,
            status_code=200,
            order_id=row.id,
        )
    wake(request.app)
    return JSON(
        {
            "purchaseOrderNumber": po,
            "workflowStatus": body.get("workflowStatus"),
            "statusCode": int(new),
            "status": "OK",
        }
    )


@router.get("/api/order/order-number/{purchase_order_number}")
async def get_order(purchase_order_number: str, request: Request) -> JSON:
    """An order the caller sent or received, in Spectrum's shape."""
    company_id = await _company(request)
    async with request.app.state.db.read() as conn:
        row = await common.order_by_po(conn, company_id=company_id, partner_po=purchase_order_number)
        lines = await repo.order_lines_of(conn, order_id=row.id)
    return JSON(translate.order_out(row, lines, jsonio.loads(row.raw)))
