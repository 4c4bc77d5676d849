"""Routes for orders: parse, call the service, shape the answer."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from pohub.api import answers
from pohub.api import schemas as s
from pohub.api.auth import CompanyDep
from pohub.api.documents import receive
from pohub.api.http import JSON, message, page, read_body
from pohub.api.search import SEARCH_PARAMETERS, json_ok, page_of_parts, parse_search
from pohub.core import jsonio
from pohub.core.errors import FieldError, Unprocessable
from pohub.documents import kinds, pages
from pohub.documents import repository as repo
from pohub.documents.inbound import validation_errors
from pohub.documents.render import render
from pohub.orders import service
from pohub.orders.status import READY, OrderStatus

router = APIRouter(tags=["Orders"])
SEARCH = {"parameters": SEARCH_PARAMETERS}

# The platform's status routes have no room for a reason (no body on the single route, a fixed
# BulkStatusUpdateRequest on the bulk one), so both take it as the same query parameter.
REASON = Query(
    default=None,
    description="Why the status is set by hand (at most 500 characters). Required for overrides "
    "(500, 600 and 1000, which otherwise follow from documents); recorded on the order's timeline.",
)


@router.post("/Orders", status_code=201, responses=s.CREATE_RESPONSES, openapi_extra=s.body("SalesOrder"))
async def create_order(request: Request, company_id: CompanyDep) -> JSON:
    """A buyer sends a purchase order to a connected supplier (status 150, or 100 if the body says so)."""
    return await receive(request, company_id=company_id, kind=kinds.ORDER.name)


async def _search(
    request: Request, company_id: int, statuses: tuple[int, ...] = (), receiver_only: bool = False
) -> Response:
    q = parse_search(request, kind="order", company_id=company_id, statuses=statuses)
    if receiver_only:
        q.receiver_id = company_id
    async with request.app.state.db.read() as conn:
        # Filled in from each order's template (documents/wire.py), not re-rendered; joined once.
        parts, total = await pages.page_parts(conn, q)
    return page_of_parts(parts, total=total, page_number=q.page, page_size=q.page_size)


@router.get("/Orders", responses=s.SEARCH_RESPONSES, openapi_extra=SEARCH)
async def search_orders(request: Request, company_id: CompanyDep) -> Response:
    """Orders the caller sent or received, oldest first, filtered as the platform's search is."""
    return await _search(request, company_id)


@router.get("/Orders/Ready", responses=s.SEARCH_RESPONSES, openapi_extra=SEARCH)
async def ready_orders(request: Request, company_id: CompanyDep) -> Response:
    """Orders the caller received and has still to pick up (100 Submitted, 150 Ready to Acknowledge)."""
    return await _search(request, company_id, tuple(int(x) for x in READY), receiver_only=True)


@router.get("/Orders/LogicbrokerKeys/Ready", responses=s.SEARCH_RESPONSES, openapi_extra=SEARCH)
async def ready_order_keys(request: Request, company_id: CompanyDep) -> JSON:
    """Just the keys of the orders the caller has still to pick up."""
    q = parse_search(request, kind="order", company_id=company_id, statuses=tuple(int(x) for x in READY))
    q.receiver_id = company_id
    async with request.app.state.db.read() as conn:
        rows, total = await repo.search(conn, q, columns=[repo.D.id])
    return page([str(r.id) for r in rows], total=total, page_number=q.page, page_size=q.page_size)


@router.put("/Orders/Status", responses=s.BULK_RESPONSES, openapi_extra=s.body("BulkStatusUpdateRequest"))
async def bulk_status(request: Request, company_id: CompanyDep, reason: str | None = REASON) -> JSON:
    """Set the status of many orders; each key is updated, left unchanged, or refused on its own
    (Refused: each key with the Code and Error the single-order route would answer)."""
    data = jsonio.parse_received(await read_body(request))
    try:
        req = s.BulkStatusUpdateRequest.model_validate(data)
    except ValidationError as exc:
        raise Unprocessable("The bulk status request is not valid", validation_errors(exc)) from None
    if not req.logicbroker_keys:
        raise Unprocessable(
            "LogicbrokerKeys is required", [FieldError("LogicbrokerKeys", "must list at least one key")]
        )
    async with request.app.state.db.write() as conn:
        result = await service.set_status_bulk(
            conn,
            company_id=company_id,
            keys=[str(k) for k in req.logicbroker_keys],
            status=req.status,
            only_increase=bool(req.only_increase_status),
            reason=reason,
        )
    return page(
        result.updated,
        total=len(result.updated),
        page_number=1,
        page_size=max(len(result.updated), 1),
        Unchanged=result.unchanged,
        Refused=result.refused,
    )


@router.get("/Orders/{LogicbrokerKey}", responses=s.DOCUMENT_RESPONSES)
async def get_order(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> Response:
    """One order in full: the body as received plus the hub's fields and per-line quantities."""
    # request.app.state.db without State.__getattr__ (a Python call made after the normal
    # attribute lookup misses, on every request): the same dict it reads.
    async with request.scope["app"].state._state["db"].read() as conn:
        order = await pages.order_json(conn, key=LogicbrokerKey, company_id=company_id)
    # message(200, "OK", {"SalesOrder": ...}) around the order's text (answers.SINGLE_HOLDER), as
    # UTF-8 in one join.
    return json_ok(b"".join((_ONE_HEAD, order.encode(), _ONE_TAIL)))


_ONE_HEAD = b'{"Code":"200","Message":"OK","Body":{"SalesOrder":'
_ONE_TAIL = b"}}"


@router.get("/Orders/{LogicbrokerKey}/Status", responses=s.STATUS_RESPONSES)
async def get_order_status(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
    """The order's status code and name."""
    async with request.app.state.db.read() as conn:
        row, _ = await service.get_order(conn, company_id=company_id, key=LogicbrokerKey)
    status = OrderStatus(row.status)
    return message(200, "OK", answers.status(status.label, int(status)))


@router.put("/Orders/{LogicbrokerKey}/Status/{Status}", responses=s.STATUS_RESPONSES)
async def set_order_status(
    LogicbrokerKey: str,
    Status: str,
    request: Request,
    company_id: CompanyDep,
    reason: str | None = REASON,
) -> JSON:
    """Move the order to a status (a code such as 200 or a name such as Acknowledged), as the
    caller's side of the order may: 403 naming the rule otherwise."""
    async with request.app.state.db.write() as conn:
        status = await service.set_status(conn, company_id=company_id, key=LogicbrokerKey, status=Status, reason=reason)
    return message(
        200,
        f"Order {LogicbrokerKey} is {int(status)} {status.label}",
        answers.status(status.label, int(status)),
    )


@router.get("/Orders/{LogicbrokerKey}/Events", responses=s.EVENTS_RESPONSES)
@router.get("/Orders/{LogicbrokerKey}/ActivityEvents", responses=s.EVENTS_RESPONSES, include_in_schema=False)
async def order_events(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
    """The order's activity events, oldest first: every change, and every refused document and why."""
    async with request.app.state.db.read() as conn:
        row, _ = await service.get_order(conn, company_id=company_id, key=LogicbrokerKey)
        rows = await repo.events_of_order(conn, order_id=row.id)
    return message(200, "OK", {"ActivityEvents": [answers.event(e, str(row.id)) for e in rows], "TotalPages": 1})


def _documents_route(kind: str, plural: str) -> None:
    async def order_documents(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
        async with request.app.state.db.read() as conn:
            row, _ = await service.get_order(conn, company_id=company_id, key=LogicbrokerKey)
            docs = await repo.documents_of_order(conn, order_id=row.id, kind=kind)
        return message(200, "OK", {plural: [answers.document(kind, render(d)) for d in docs]})

    order_documents.__doc__ = f"The order's {plural.lower()}, oldest first."
    order_documents.__name__ = f"order_{plural.lower()}"
    router.add_api_route(
        f"/Orders/{{LogicbrokerKey}}/{plural}",
        order_documents,
        methods=["GET"],
        responses=s.DOCUMENT_RESPONSES,
        tags=["Orders"],
    )


for _spec in kinds.SUPPLIER_KINDS:
    _documents_route(_spec.name, _spec.plural)
