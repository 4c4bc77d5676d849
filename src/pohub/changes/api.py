"""Routes for buyer changes: the change is a document handed to the exchanges pipeline; the
supplier's answer is a message of its own there too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.api import schemas as s
from pohub.api.auth import CompanyDep
from pohub.api.documents import receive
from pohub.api.http import JSON, message, read_body
from pohub.changes import repository as repo
from pohub.changes.render import render_change
from pohub.changes.status import ChangeStatus
from pohub.core.errors import PohubError
from pohub.db.engine import Database
from pohub.documents import kinds
from pohub.documents import repository as docs_repo
from pohub.exchanges import changes as handlers
from pohub.exchanges import inbound
from pohub.exchanges.inbound import Message
from pohub.orders import service as orders_service

router = APIRouter(tags=["Changes"])
KIND = kinds.CHANGE.name


async def _render(conn: AsyncConnection, rows: list[Any]) -> list[dict[str, Any]]:
    lines = await repo.lines_of_changes(conn, change_ids=[r.id for r in rows])
    return [render_change(r, lines.get(r.id, [])) for r in rows]


@router.post(
    "/Orders/{LogicbrokerKey}/Changes",
    status_code=201,
    responses=s.CREATE_RESPONSES,
    openapi_extra=s.body("OrderChange"),
)
async def post_change(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
    """The buyer changes an open PO: a line's Quantity, Price or RequestedShipDate (Action Change),
    a new line (Add), a line cancelled (Cancel), or the whole PO (CancelOrder: true)."""
    return await receive(request, company_id=company_id, kind=KIND, path_key=LogicbrokerKey)


@router.post("/Changes", status_code=201, responses=s.CREATE_RESPONSES, openapi_extra=s.body("OrderChange"))
async def post_change_by_link(request: Request, company_id: CompanyDep) -> JSON:
    """A change naming its order by Identifier.LinkKey or PartnerPO."""
    return await receive(request, company_id=company_id, kind=KIND)


@router.get("/Orders/{LogicbrokerKey}/Changes", responses=s.DOCUMENT_RESPONSES)
async def order_changes(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
    """The order's changes, oldest first, with each line's state."""
    async with request.app.state.db.read() as conn:
        row, _ = await orders_service.get_order(conn, company_id=company_id, key=LogicbrokerKey)
        docs = await docs_repo.documents_of_order(conn, order_id=row.id, kind=KIND)
        return message(200, "OK", {"Changes": await _render(conn, docs)})


@router.get("/Changes/{LogicbrokerKey}", responses=s.DOCUMENT_RESPONSES)
async def get_change(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
    """One change with its lines' states."""
    async with request.app.state.db.read() as conn:
        row = await docs_repo.document_by_key(conn, key=LogicbrokerKey, company_id=company_id, kind=KIND)
        (body,) = await _render(conn, [row])
    return message(200, "OK", {"Change": body})


@router.post("/Orders/{LogicbrokerKey}/Changes/{ChangeKey}/Answer", responses=s.CREATE_RESPONSES)
async def answer_change(LogicbrokerKey: str, ChangeKey: str, request: Request, company_id: CompanyDep) -> JSON:
    """The supplier's answer (an 865): {Accept, Reason} for the whole change, or
    {Lines: [{LineNumber, Accept, Reason}]} line by line; accepted lines apply at once."""
    db: Database = request.app.state.db
    msg = Message(
        channel="api",
        operation=handlers.ANSWER,
        company_id=company_id,
        raw=b"",
        kind=KIND,
        params={"order_key": LogicbrokerKey, "change_key": ChangeKey, "method": "POST", "path": request.url.path[:500]},
        content_type=request.headers.get("content-type"),
    )
    try:
        msg.raw = await read_body(request)
    except PohubError as exc:
        await inbound.refuse(db, msg, exc)
        raise
    applied = await inbound.receive(db, msg)
    status = ChangeStatus(applied.result.status)
    return message(
        200,
        f"Change {ChangeKey} is {int(status)} {status.label}",
        {"LogicbrokerKey": ChangeKey, "ChangeStatusCode": int(status), "ChangeStatus": status.label},
    )
