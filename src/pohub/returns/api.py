"""Routes for returns (RMAs): every post is a message handed to the exchanges pipeline; searches and
reads render stored returns. Paths as the platform's v3 reference names them, under /api/v1."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.api import schemas as s
from pohub.api.auth import CompanyDep
from pohub.api.documents import receive
from pohub.api.http import JSON, message, page, read_body
from pohub.api.search import SEARCH_PARAMETERS, parse_search
from pohub.core.errors import PohubError
from pohub.db.engine import Database
from pohub.documents import kinds
from pohub.documents import repository as docs_repo
from pohub.documents.render import render
from pohub.exchanges import inbound
from pohub.exchanges import returns as handlers
from pohub.exchanges.inbound import Message
from pohub.orders import service as orders_service
from pohub.returns import repository as repo
from pohub.returns.render import render_return
from pohub.returns.status import READY, ReturnStatus

router = APIRouter(tags=["Returns"])
KIND = kinds.RETURN.name
SEARCH = {"parameters": SEARCH_PARAMETERS}


async def _render(conn: AsyncConnection, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [r.id for r in rows]
    lines = await repo.lines_of_returns(conn, return_ids=ids)
    details = await repo.details_of(conn, return_ids=ids)
    return [render_return(r, lines.get(r.id, []), details.get(r.id)) for r in rows]


async def _send(
    request: Request, *, company_id: int, operation: str, kind: str, params: dict[str, Any], read: bool = True
) -> Any:
    """Hand a return message to the pipeline (recorded as an exchange whatever becomes of it)."""
    db: Database = request.app.state.db
    msg = Message(
        channel="api",
        operation=operation,
        company_id=company_id,
        raw=b"",
        kind=kind,
        params=params | {"method": request.method, "path": request.url.path[:500]},
        content_type=request.headers.get("content-type"),
    )
    try:
        if read:
            msg.raw = await read_body(request)
    except PohubError as exc:
        await inbound.refuse(db, msg, exc)
        raise
    return await inbound.receive(db, msg)


@router.post("/Returns", status_code=201, responses=s.CREATE_RESPONSES, openapi_extra=s.body("Return"))
@router.post("/Returns/Request", status_code=201, responses=s.CREATE_RESPONSES, include_in_schema=False)
async def request_return(request: Request, company_id: CompanyDep) -> JSON:
    """The buyer requests a return of shipped units; its order is named by Identifier.LinkKey or PartnerPO."""
    return await receive(request, company_id=company_id, kind=KIND)


@router.post("/Orders/{LogicbrokerKey}/Returns", status_code=201, responses=s.CREATE_RESPONSES)
async def request_return_for_order(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
    """The buyer requests a return of the order named in the URL."""
    return await receive(request, company_id=company_id, kind=KIND, path_key=LogicbrokerKey)


@router.get("/Orders/{LogicbrokerKey}/Returns", responses=s.DOCUMENT_RESPONSES)
async def order_returns(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
    """The order's returns, oldest first."""
    async with request.app.state.db.read() as conn:
        row, _ = await orders_service.get_order(conn, company_id=company_id, key=LogicbrokerKey)
        docs = await docs_repo.documents_of_order(conn, order_id=row.id, kind=KIND)
        return message(200, "OK", {"Returns": await _render(conn, docs)})


@router.get("/Returns", responses=s.SEARCH_RESPONSES, openapi_extra=SEARCH)
async def search_returns(request: Request, company_id: CompanyDep) -> JSON:
    """Returns the caller sent or received, filtered as the platform's search is."""
    q = parse_search(request, kind=KIND, company_id=company_id)
    async with request.app.state.db.read() as conn:
        rows, total = await docs_repo.search(conn, q)
        records = await _render(conn, rows)
    return page(records, total=total, page_number=q.page, page_size=q.page_size)


@router.get("/Returns/Ready", responses=s.SEARCH_RESPONSES, openapi_extra=SEARCH)
async def ready_returns(request: Request, company_id: CompanyDep) -> JSON:
    """Returns the caller (the supplier) received and has still to answer (100 Requested)."""
    q = parse_search(request, kind=KIND, company_id=company_id, statuses=tuple(int(x) for x in READY))
    q.receiver_id = company_id
    async with request.app.state.db.read() as conn:
        rows, total = await docs_repo.search(conn, q)
        records = await _render(conn, rows)
    return page(records, total=total, page_number=q.page, page_size=q.page_size)


@router.put("/Returns/Status", responses=s.BULK_RESPONSES, openapi_extra=s.body("BulkStatusUpdateRequest"))
async def bulk_return_status(request: Request, company_id: CompanyDep) -> JSON:
    """Set the status of many returns; each key moves or is refused on its own."""
    applied = await _send(request, company_id=company_id, operation=handlers.BULK_STATUS, kind=KIND, params={})
    result: dict[str, list[dict[str, Any]]] = applied.result
    updated = result["Updated"]
    return page(updated, total=len(updated), page_number=1, page_size=max(len(updated), 1), Refused=result["Refused"])


@router.get("/Returns/{LogicbrokerKey}", responses=s.DOCUMENT_RESPONSES)
async def get_return(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
    """One return, as received plus its lines' received and credited units, RMA number and status."""
    async with request.app.state.db.read() as conn:
        row = await docs_repo.document_by_key(conn, key=LogicbrokerKey, company_id=company_id, kind=KIND)
        (body,) = await _render(conn, [row])
        credits = [
            render(d)
            for d in await docs_repo.documents_of_order(conn, order_id=row.order_id, kind="credit")
            if d.link_key == str(row.id)
        ]
    body["Credits"] = credits
    return message(200, "OK", {"Return": body})


@router.get("/Returns/{LogicbrokerKey}/Status", responses=s.STATUS_RESPONSES)
async def get_return_status(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
    """The return's status code and name."""
    async with request.app.state.db.read() as conn:
        row = await docs_repo.document_by_key(conn, key=LogicbrokerKey, company_id=company_id, kind=KIND)
    status = ReturnStatus(row.status)
    return message(200, "OK", {"Status": status.label, "StatusCode": int(status), "ErrorMessage": None})


@router.put("/Returns/{LogicbrokerKey}/Status/{Status}", responses=s.STATUS_RESPONSES)
async def set_return_status(LogicbrokerKey: str, Status: str, request: Request, company_id: CompanyDep) -> JSON:
    """Authorise (the hub issues the RMA number), reject or cancel a return by status alone."""
    applied = await _send(
        request,
        company_id=company_id,
        operation=handlers.STATUS,
        kind=KIND,
        params={"return_key": LogicbrokerKey, "status": Status},
        read=False,
    )
    status = ReturnStatus(applied.result.status)
    return message(
        200,
        f"Return {LogicbrokerKey} is {int(status)} {status.label}",
        {"Status": status.label, "StatusCode": int(status), "ErrorMessage": None},
    )


def _answer_route(path: str, action: str, kind: str, doc: str) -> None:
    async def post_answer(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
        applied = await _send(
            request,
            company_id=company_id,
            operation=handlers.ANSWER,
            kind=kind,
            params={"return_key": LogicbrokerKey, "action": action},
        )
        created = applied.result
        status = ReturnStatus(created.status)
        body = {"LogicbrokerKey": str(created.key), "ReturnStatusCode": int(status), "ReturnStatus": status.label}
        if applied.duplicate:
            return JSON({"Code": "200", "Message": f"Already received as {created.key}; nothing changed", "Body": body})
        return JSON(
            {"Code": "201", "Message": f"Return {LogicbrokerKey} is {status.label}", "Body": body}, status_code=201
        )

    post_answer.__doc__ = doc
    post_answer.__name__ = f"return_{action}"
    router.add_api_route(
        f"/Returns/{{LogicbrokerKey}}/{path}",
        post_answer,
        methods=["POST"],
        status_code=201,
        responses=s.CREATE_RESPONSES,
    )


for _path, _action, _kind, _doc in (
    ("Authorisation", "authorise", KIND, "The supplier authorises the return: {RMANumber, Note} (RMANumber optional)."),
    ("Rejection", "reject", KIND, "The supplier rejects the return: {Reason}."),
    (
        "Receipts",
        "receive",
        KIND,
        "Units that reached the supplier: {ReceiptLines: [{LineNumber, Quantity, Condition}]}.",
    ),
    (
        "Credits",
        "credit",
        "credit",
        "The supplier's credit memo: {CreditNumber, CreditLines: [{LineNumber, Quantity, Price}]}.",
    ),
    ("Cancellation", "cancel", KIND, "The buyer withdraws the return before any unit arrived."),
):
    _answer_route(_path, _action, _kind, _doc)
