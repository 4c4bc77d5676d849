"""Receiving a document over HTTP: read, parse, apply in one unit of work; on refusal keep the body
as received with the reason, and note it on the order's timeline."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.api import schemas as s
from pohub.api.auth import CompanyDep
from pohub.api.http import JSON, message, page, read_body
from pohub.api.search import SEARCH_PARAMETERS, parse_search
from pohub.core import clock, jsonio
from pohub.core.errors import NotFound, PohubError
from pohub.db.engine import Database
from pohub.documents import repository as repo
from pohub.documents.inbound import Inbound, parse
from pohub.documents.render import render
from pohub.ops.metrics import document_outcome
from pohub.orders import events
from pohub.orders.service import Created

Receiver = Callable[..., Awaitable[Created]]
LABELS = {
    "order": "Order",
    "acknowledgement": "Acknowledgement",
    "shipment": "Shipment",
    "invoice": "Invoice",
}


async def receive(
    request: Request,
    *,
    company_id: int,
    kind: str,
    model: type[BaseModel],
    apply: Receiver,
    path_key: str | None = None,
) -> JSON:
    db: Database = request.app.state.db
    raw = b""
    try:
        raw = await read_body(request)
        inbound: Inbound[Any] = parse(raw, model)
        async with db.write() as conn:
            if path_key is None:
                created = await apply(conn, company_id=company_id, inbound=inbound)
            else:
                created = await apply(conn, company_id=company_id, inbound=inbound, path_key=path_key)
    except PohubError as exc:
        await record_refusal(db, request=request, company_id=company_id, kind=kind, raw=raw, exc=exc)
        document_outcome(kind=kind, channel="api", outcome="refused")
        raise
    document_outcome(kind=kind, channel="api", outcome="duplicate" if created.duplicate else "applied")
    label = LABELS[kind]
    body = {"LogicbrokerKey": str(created.key), "OrderStatusCode": created.status}
    if created.duplicate:
        return JSON(
            {
                "Code": "200",
                "Message": f"{label} already received as {created.key}; nothing changed",
                "Body": body,
            },
            status_code=200,
        )
    return JSON({"Code": "201", "Message": f"{label} created", "Body": body}, status_code=201)


async def record_refusal(
    db: Database, *, request: Request, company_id: int | None, kind: str, raw: bytes, exc: PohubError
) -> None:
    now = clock.now()
    async with db.write() as conn:
        await repo.insert_refusal(
            conn,
            {
                "received_at": now,
                "company_id": company_id,
                "order_id": exc.order_id,
                "kind": kind,
                "method": request.method,
                "path": request.url.path[:500],
                "status_code": exc.status_code,
                "errors": jsonio.dumps(exc.as_wire()).decode(),
                "raw": raw,
            },
        )
        if exc.order_id is not None:
            order = await repo.get_document(conn, doc_id=exc.order_id, company_id=company_id or 0)
            if order is not None:
                details = "; ".join(f"{e.field}: {e.error}" for e in exc.errors) or None
                await repo.insert_events(
                    conn,
                    [
                        events.document_refused(
                            order=order,
                            at=now,
                            document_type=LABELS[kind],
                            status_code=exc.status_code,
                            message=exc.message,
                            details=details,
                        )
                    ],
                )


async def render_rows(conn: AsyncConnection, rows: list[Any]) -> list[dict[str, Any]]:
    """Documents for the wire; orders get their lines' quantities (one query for the page)."""
    order_ids = [r.id for r in rows if r.kind == "order"]
    lines = await repo.lines_of_orders(conn, order_ids=order_ids) if order_ids else {}
    return [render(r, lines.get(r.id)) for r in rows]


def document_router(*, kind: str, plural: str, singular: str, model: type[BaseModel], apply: Receiver) -> APIRouter:
    """The routes every supplier document has: post (with the order in the body, or in the URL),
    search, and read one."""
    router = APIRouter(tags=[plural])
    label = LABELS[kind]
    body = s.body(model.__name__)

    async def post(request: Request, company_id: CompanyDep) -> JSON:
        return await receive(request, company_id=company_id, kind=kind, model=model, apply=apply)

    async def post_for_order(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
        return await receive(
            request, company_id=company_id, kind=kind, model=model, apply=apply, path_key=LogicbrokerKey
        )

    async def search(request: Request, company_id: CompanyDep) -> JSON:
        q = parse_search(request, kind=kind, company_id=company_id)
        async with request.app.state.db.read() as conn:
            rows, total = await repo.search(conn, q)
        return page([render(r) for r in rows], total=total, page_number=q.page, page_size=q.page_size)

    async def get_one(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
        doc_id = repo.parse_key(LogicbrokerKey)
        async with request.app.state.db.read() as conn:
            row = (
                None
                if doc_id is None
                else await repo.get_document(conn, doc_id=doc_id, company_id=company_id, kind=kind)
            )
        if row is None:
            raise NotFound(f"No {kind} with LogicbrokerKey {LogicbrokerKey!r}")
        return message(200, "OK", {label: render(row)})

    post.__doc__ = (
        f"Post a {kind}; its order is named by Identifier.LinkKey or by PartnerPO. Re-posting the same "
        f"{singular}Number with the same body returns the first key (200)."
    )
    post_for_order.__doc__ = f"Post a {kind} for the order named in the URL."
    search.__doc__ = f"{plural} the caller sent or received, filtered as the platform's search is."
    get_one.__doc__ = f"One {kind}, as received plus the hub's fields."
    for fn, name in (
        (post, "post"),
        (post_for_order, "post_for_order"),
        (search, "search"),
        (get_one, "get"),
    ):
        fn.__name__ = f"{name}_{kind}"

    router.add_api_route(
        f"/{plural}",
        post,
        methods=["POST"],
        status_code=201,
        responses=s.CREATE_RESPONSES,
        openapi_extra=body,
    )
    router.add_api_route(
        f"/{singular}/{{LogicbrokerKey}}",
        post_for_order,
        methods=["POST"],
        status_code=201,
        responses=s.CREATE_RESPONSES,
        openapi_extra=body,
    )
    router.add_api_route(
        f"/Orders/{{LogicbrokerKey}}/{plural}",
        post_for_order,
        methods=["POST"],
        status_code=201,
        responses=s.CREATE_RESPONSES,
        openapi_extra=body,
        include_in_schema=False,
    )
    router.add_api_route(
        f"/{plural}",
        search,
        methods=["GET"],
        responses=s.SEARCH_RESPONSES,
        openapi_extra={"parameters": SEARCH_PARAMETERS},
    )
    router.add_api_route(f"/{plural}/{{LogicbrokerKey}}", get_one, methods=["GET"], responses=s.DOCUMENT_RESPONSES)
    return router
