"""The Kojo seller API (seed 003), mounted under /kojo: a Kojo client works against pohub by changing
only its base URL. `Authorization: Bearer <pohub API key>`; the caller is the order's supplier."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from pohub.api.http import JSON
from pohub.core import jsonio
from pohub.core.errors import NotFound, PohubError
from pohub.dialects import common
from pohub.dialects.fields import in_dialect
from pohub.dialects.kojo import translate
from pohub.documents import kinds
from pohub.documents import repository as repo
from pohub.exchanges import inbound
from pohub.exchanges.documents import applied, apply_canonical
from pohub.exchanges.inbound import Applied, Message
from pohub.jobs.worker import wake

PREFIX = "INTEGRATION_API_"
ACKNOWLEDGE = "acknowledge"


def _code(request: Request, exc: PohubError) -> str:
    if exc.status_code == 401:
        return PREFIX + "UNAUTHORIZED"
    if exc.status_code == 404:
        return PREFIX + "ORDER_NOT_FOUND"
    if getattr(request.state, "operation", None) == ACKNOWLEDGE:
        if exc.status_code == 409:
            return PREFIX + "CREATE_ORDER_ACKNOWLEDGEMENT_INVALID_ORDER_STATE"
        if exc.status_code == 403:
            return PREFIX + "FORBIDDEN"
        return translate.INVALID_ITEMS
    return PREFIX + "BAD_REQUEST"


def _error(request: Request, exc: PohubError) -> Response:
    body = {
        "code": _code(request, exc),
        "message": exc.message,
        "errors": [{"field": e.field, "message": e.error} for e in exc.errors],
    }
    return JSON(body, status_code=exc.status_code)


router = APIRouter(tags=["Kojo"], route_class=common.route_class(_error), responses=common.ERROR_RESPONSES)


async def _company(request: Request) -> int:
    return await common.company(request, common.bearer_or_query_key(request))


async def _order(conn: Any, *, company_id: int, order_id: str) -> Any:
    key = repo.parse_key(order_id)
    row = None if key is None else await repo.get_document(conn, doc_id=key, company_id=company_id, kind="order")
    if row is None or row.receiver_company_id != company_id:
        raise NotFound(f"No order {order_id!r} sent to you")
    return row


async def _render(conn: Any, row: Any) -> dict[str, Any]:
    lines = await repo.order_lines_of(conn, order_id=row.id)
    return translate.order(row, lines, jsonio.loads(row.raw))


@router.get("/seller/orders")
async def list_orders(request: Request) -> JSON:
    """Orders sent to the caller, oldest first, paged with limit (at most 100) and offset."""
    company_id = await _company(request)
    q = request.query_params
    limit = min(max(common.ident(q.get("limit", "")) or 25, 1), 100)
    offset = common.ident(q.get("offset", "")) or 0
    async with request.app.state.db.read() as conn:
        rows, total = await common.orders_page(conn, company_id=company_id, role="supplier", limit=limit, offset=offset)
        orders = [await _render(conn, r) for r in rows]
    return JSON({"orders": orders, "limit": limit, "offset": offset, "totalCount": total})


@router.get("/seller/order/{order_id}")
async def get_order(order_id: str, request: Request) -> JSON:
    """One order sent to the caller, in Kojo's shape."""
    company_id = await _company(request)
    async with request.app.state.db.read() as conn:
        row = await _order(conn, company_id=company_id, order_id=order_id)
        return JSON(await _render(conn, row))


@inbound.handler("kojo.acknowledge")
async def _acknowledge(conn: AsyncConnection, msg: Message) -> Applied:
    """A Kojo acknowledgement. A second or later POST for the same order is an update (Kojo has no
    marker for one): it carries the hub's update attribute, so lines a partial first
    acknowledgement left out can be acknowledged later, and lines named again take the new figures."""
    assert msg.company_id is not None
    row = await _order(conn, company_id=msg.company_id, order_id=str(msg.params["order_id"]))
    try:
        body = common.parsed(msg)
        await repo.lock_order(conn, doc_id=row.id)  # "is this an update" is decided under the order's lock
        earlier = await repo.numbered_documents(conn, order_id=row.id, kind=kinds.ACKNOWLEDGEMENT.name)
        lines = await repo.order_lines_of(conn, order_id=row.id)
        ack = translate.acknowledgement(body, order=row, lines=lines, update=bool(earlier))
        try:
            created = await apply_canonical(
                conn,
                spec=kinds.ACKNOWLEDGEMENT,
                company_id=msg.company_id,
                raw=jsonio.dumps(ack.body),
                path_key=str(row.id),
            )
        except PohubError as exc:
            in_dialect(exc, translate.FIELDS)
            raise
    except PohubError as exc:
        exc.order_id = row.id
        raise
    done = applied(created, kinds.ACKNOWLEDGEMENT.name)
    done.result = ack.items
    return done


@router.post("/seller/order/{order_id}/acknowledge")
async def acknowledge(order_id: str, request: Request) -> JSON:
    """Acknowledge an open order with acknowledgementItems (again: an update); answers the updated
    order with the acknowledgement's orderId and acknowledgementItems, as the seed shows."""
    request.state.operation = ACKNOWLEDGE
    company_id = await _company(request)
    done = await common.receive(
        request,
        channel="kojo",
        operation="kojo.acknowledge",
        company_id=company_id,
        kind=kinds.ACKNOWLEDGEMENT.name,
        params={"order_id": order_id},
    )
    wake(request.app)
    async with request.app.state.db.read() as conn:
        fresh = await repo.get_document(conn, doc_id=done.order_id or 0, company_id=company_id, kind="order")
        answer = await _render(conn, fresh)
    return JSON(
        answer
        | {
            "orderId": answer["id"],
            "acknowledgementId": str(done.document_id),
            "acknowledgementItems": done.result,
        }
    )
