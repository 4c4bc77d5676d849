"""The Spectrum order API (seed 004), mounted under /spectrum. Token in the SPECTRUM_API_TOKEN header
(a pohub API key). The merchant (buyer) submits orders; the fulfilment side (supplier) sends ship
notifications; either side sets the workflow status."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

import pohub
from pohub.api.http import JSON
from pohub.core import clock, jsonio
from pohub.core.errors import AlreadyReceived, Conflict, FieldError, PohubError, Unauthorized
from pohub.dialects import common
from pohub.dialects.fields import in_dialect
from pohub.dialects.spectrum import translate
from pohub.documents import kinds, render
from pohub.documents import repository as repo
from pohub.exchanges import inbound
from pohub.exchanges.documents import applied, apply_canonical
from pohub.exchanges.inbound import Applied, Message
from pohub.jobs.worker import wake
from pohub.orders import events
from pohub.orders import service as orders
from pohub.orders.service import Created
from pohub.orders.status import OPEN, OrderStatus

ALREADY = "Purchase order has already been submitted."


def _envelope(error: str, **extra: Any) -> dict[str, Any]:
    return {"lastModification": clock.now().isoformat(), "error": error, "apiVersion": pohub.__version__, **extra}


def _message(exc: PohubError) -> str:
    """The one text Spectrum's envelope has: every field's problem, when the message is one of them."""
    if isinstance(exc, AlreadyReceived):
        return ALREADY
    details = "; ".join(f"{e.field}: {e.error}" for e in exc.errors)
    if not details or details in exc.message:
        return exc.message
    if exc.message.startswith(f"{exc.errors[0].field}"):
        return details
    return f"{exc.message} ({details})"


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


TOKEN = "SPECTRUM_API_TOKEN"


async def _company(request: Request) -> int:
    """The company of the token in the SPECTRUM_API_TOKEN header; a 401 names the header."""
    token = request.headers.get(TOKEN)
    try:
        return await common.company(request, token)
    except Unauthorized:
        why = "is missing" if not token else "holds no pohub API key that is known and active"
        raise Unauthorized(
            f"The {TOKEN} header {why}", [FieldError(TOKEN, f"{why}: send a pohub API key in it")]
        ) from None


def _statuses(body: Any, ok: bool, message: str) -> list[dict[str, Any]]:
    return [{"recipeSetId": r, "success": ok, "message": message} for r in translate.recipe_sets(body)]


def _answer(body: Any) -> dict[str, Any]:
    po = body.get("purchaseOrderNumber") if isinstance(body, dict) else None
    return {
        "purchaseOrderNumber": po,
        "statuses": _statuses(body, True, "Processed Successfully"),
        "allSuccessful": True,
    }


@inbound.handler("spectrum.order")
async def _order_in(conn: AsyncConnection, msg: Message) -> Applied:
    """An order acknowledgement (a PO to the supplier) or a full order, in Spectrum's shape. A full
    order for a PO its acknowledgement created is that order's details (its addresses)."""
    assert msg.company_id is not None
    body = common.parsed(msg)
    full = bool(msg.params.get("full"))
    order = translate.order(body, full=full)
    try:
        created = await apply_canonical(
            conn, spec=kinds.ORDER, company_id=msg.company_id, raw=jsonio.dumps(order.body), path_key=None
        )
    except AlreadyReceived as exc:
        key = repo.parse_key(str(exc.extra.get("LogicbrokerKey") or ""))
        if not full or key is None:
            in_dialect(exc, translate.FIELDS, order.lines)
            raise
        created = await _details(conn, company_id=msg.company_id, order_id=key, order=order)
    except PohubError as exc:
        in_dialect(exc, translate.FIELDS, order.lines)
        raise
    done = applied(created, kinds.ORDER.name)
    done.result = body
    return done


def _about(exc: PohubError, order: Any) -> PohubError:
    """A refusal noted on the order's timeline."""
    exc.order_id = order.id
    return exc


async def _details(conn: AsyncConnection, *, company_id: int, order_id: int, order: translate.Translated) -> Created:
    """A full order after the acknowledgement that created its PO: kept as the order's details when it
    orders what was acknowledged (the body as first received stays as it was); otherwise a 409 naming
    each disagreement. Once the order has its details, it is already submitted."""
    locked = await repo.lock_order(conn, doc_id=order_id)
    row = await repo.get_document(conn, doc_id=order_id, company_id=company_id, kind="order")
    stored = jsonio.loads(row.raw)
    # A full order came already: as these details, or as the order itself (it has both addresses).
    if row.details is not None or (stored.get("ShipToAddress") and stored.get("BillToAddress")):
        raise _about(AlreadyReceived(ALREADY, [FieldError("purchaseOrderNumber", "its full order came already")]), row)
    status = OrderStatus(locked.status)
    if status not in OPEN:
        raise _about(Conflict(f"Order {row.partner_po} is {status.label}: it takes no more details"), row)
    added, names, disagreements = translate.details(stored, order)
    if disagreements:
        why = "; ".join(f"{e.field} {e.error}" for e in disagreements)
        raise _about(
            Conflict(
                f"The full order does not agree with the acknowledged order {row.partner_po}: {why}", disagreements
            ),
            row,
        )
    now = clock.now()
    await repo.set_details(conn, doc_id=order_id, details=jsonio.dumps(added).decode(), at=now)
    await events.record(conn, [events.order_details_received(order=locked, at=now, fields=names)])
    return Created(order_id, int(status), order_id=order_id, partner_id=locked.receiver_company_id)


@inbound.handler("spectrum.acknowledgements")
async def _orders_in(conn: AsyncConnection, msg: Message) -> Applied:
    """Many order acknowledgements: each is its own exchange (a child of this one) and succeeds or
    fails on its own."""
    body = common.parsed(msg)
    if not isinstance(body, list):
        raise translate.bad("body", "must be a JSON array of order acknowledgements")
    results = []
    for item in body:
        child = Message(
            channel=msg.channel,
            operation="spectrum.order",
            company_id=msg.company_id,
            raw=jsonio.dumps(item),
            kind=kinds.ORDER.name,
            params={"full": False},
            content_type=msg.content_type,
            parent_id=msg.exchange_id,
        )
        done, problem = await inbound.receive_in(conn, child)
        if done is not None:
            results.append(_answer(item))
            continue
        po = item.get("purchaseOrderNumber") if isinstance(item, dict) else None
        text = _message(problem) if isinstance(problem, PohubError) else f"Unexpected error; trace log ID {problem}"
        statuses = _statuses(item, False, text) or [{"recipeSetId": None, "success": False, "message": text}]
        results.append({"purchaseOrderNumber": po, "statuses": statuses, "allSuccessful": False})
    return Applied(result=results)


async def _receive(request: Request, operation: str, kind: str | None, **params: Any) -> Applied:
    company_id = await _company(request)
    done = await common.receive(
        request, channel="spectrum", operation=operation, company_id=company_id, kind=kind, params=params
    )
    wake(request.app)
    return done


@router.post("/api/order/acknowledgement")
async def acknowledgement(request: Request) -> JSON:
    """One order acknowledgement: the order was purchased and awaits fulfilment (a PO to the supplier)."""
    done = await _receive(request, "spectrum.order", kinds.ORDER.name, full=False)
    return JSON(_answer(done.result))


@router.post("/api/order")
async def full_order(request: Request) -> JSON:
    """A full order with customer and shipping addresses."""
    done = await _receive(request, "spectrum.order", kinds.ORDER.name, full=True)
    return JSON(_answer(done.result))


@router.post("/api/order/acknowledgements")
async def acknowledgements(request: Request) -> JSON:
    """Many acknowledgements: each order succeeds or fails on its own."""
    done = await _receive(request, "spectrum.acknowledgements", None)
    return JSON(done.result)


@inbound.handler("spectrum.ship-notification")
async def _ship_notification(conn: AsyncConnection, msg: Message) -> Applied:
    assert msg.company_id is not None
    body = common.parsed(msg)
    po = body.get("purchaseOrderNumber") if isinstance(body, dict) else None
    number = "SPECTRUM-" + hashlib.sha256(jsonio.dumps(body)).hexdigest()[:16]
    row = await common.order_by_po(
        conn, company_id=msg.company_id, partner_po=translate.text(po, "purchaseOrderNumber"), as_role="supplier"
    )
    try:
        earlier = await repo.numbered_documents(conn, order_id=row.id, kind=kinds.SHIPMENT.name)
        for doc in earlier:
            if doc.number == number:  # this very notice was applied before (the number is its content hash)
                return Applied(document_id=doc.id, order_id=row.id, duplicate=True, result=po)
        lines = await repo.order_lines_of(conn, order_id=row.id)
        try:
            notice = translate.shipment(body, order_row=row, order_body=render.body_of(row), lines=lines, number=number)
        except PohubError as exc:
            raise Conflict(exc.message, exc.errors) from None
        try:
            created = await apply_canonical(
                conn,
                spec=kinds.SHIPMENT,
                company_id=msg.company_id,
                raw=jsonio.dumps(notice.body),
                path_key=str(row.id),
            )
        except PohubError as exc:
            in_dialect(exc, translate.FIELDS, notice.lines)
            raise
    except PohubError as exc:
        exc.order_id = row.id
        raise
    done = applied(created, kinds.SHIPMENT.name)
    done.result = po
    return done


@router.post("/api/order/ship-notification")
async def ship_notification(request: Request) -> JSON:
    """The supplier shipped recipe sets of an order; all or nothing (409 if any line item is missing)."""
    try:
        done = await _receive(request, "spectrum.ship-notification", kinds.SHIPMENT.name)
    except PohubError as exc:
        status = 409 if exc.status_code in (409, 422) else exc.status_code
        po = common.field_of_body(request, "purchaseOrderNumber")
        return JSON({"purchaseOrderNumber": po, "status": "Error", "details": _message(exc)}, status_code=status)
    details = "Already received; nothing changed" if done.duplicate else "Shipment recorded"
    return JSON({"purchaseOrderNumber": done.result, "status": "OK", "details": details})


@inbound.handler("spectrum.status")
async def _status(conn: AsyncConnection, msg: Message) -> Applied:
    assert msg.company_id is not None
    body = common.parsed(msg)
    if not isinstance(body, dict):
        raise translate.bad("body", "must be a JSON object")
    po = translate.text(body.get("purchaseOrderNumber"), "purchaseOrderNumber")
    target = translate.workflow_status(body.get("workflowStatus"))
    row = await common.order_by_po(conn, company_id=msg.company_id, partner_po=po)
    try:
        new = await orders.set_status(conn, company_id=msg.company_id, key=str(row.id), status=int(target))
    except PohubError as exc:
        exc.order_id = row.id
        in_dialect(exc, translate.FIELDS)
        raise
    answer = {"purchaseOrderNumber": po, "workflowStatus": body.get("workflowStatus"), "statusCode": int(new)}
    return Applied(order_id=row.id, kind="status", result=answer | {"status": "OK"})


@router.put("/api/order/status")
async def status(request: Request) -> JSON:
    """Set the workflow status (not-started, in-progress, ..., delivered, cancelled); unknown order 404."""
    done = await _receive(request, "spectrum.status", "status")
    return JSON(done.result)


@router.get("/api/order/order-number/{purchase_order_number}")
async def get_order(purchase_order_number: str, request: Request) -> JSON:
    """An order the caller sent or received, in Spectrum's shape."""
    company_id = await _company(request)
    async with request.app.state.db.read() as conn:
        row = await common.order_by_po(conn, company_id=company_id, partner_po=purchase_order_number)
        lines = await repo.order_lines_of(conn, order_id=row.id)
    return JSON(translate.order_out(row, lines, render.body_of(row)))
