"""The hub's document routes: a post is read and handed to the exchanges pipeline (which keeps it as
received, applies it, and records what became of it); searches and reads render stored documents."""

from fastapi import APIRouter, Request

from pohub.api import answers
from pohub.api import schemas as s
from pohub.api.auth import CompanyDep
from pohub.api.http import JSON, header, message, page, read_body, url_path
from pohub.api.search import SEARCH_PARAMETERS, parse_search
from pohub.core.errors import PohubError
from pohub.db.engine import Database
from pohub.documents import kinds
from pohub.documents import repository as repo
from pohub.documents.render import render
from pohub.exchanges import documents as exchange_documents
from pohub.exchanges import inbound
from pohub.exchanges.inbound import Message


def channel_message(request: Request, *, channel: str, company_id: int, kind: str, path_key: str | None) -> Message:
    params = {"path_key": path_key} if path_key is not None else {}
    params |= {"method": request.method, "path": url_path(request)[:500]}
    return Message(
        channel=channel,
        operation=exchange_documents.OPERATION,
        company_id=company_id,
        raw=b"",
        kind=kind,
        params=params,
        content_type=header(request, b"content-type"),
    )


async def receive(request: Request, *, company_id: int, kind: str, path_key: str | None = None) -> JSON:
    """Read the body and hand it to the exchanges pipeline; answer as the platform does."""
    db: Database = request.app.state.db
    msg = channel_message(request, channel="api", company_id=company_id, kind=kind, path_key=path_key)
    try:
        msg.raw = await read_body(request)
    except PohubError as exc:
        await inbound.refuse(db, msg, exc)
        raise
    applied = await inbound.receive(db, msg)
    label = kinds.label(kind)
    body = {"LogicbrokerKey": str(applied.document_id), "OrderStatusCode": applied.result.status}
    if applied.duplicate:
        return JSON(
            {
                "Code": "200",
                "Message": f"{label} already received as {applied.document_id}; nothing changed",
                "Body": body,
            },
            status_code=200,
        )
    return JSON({"Code": "201", "Message": f"{label} created", "Body": body}, status_code=201)


def document_router(spec: kinds.KindSpec) -> APIRouter:
    """The routes every supplier document has: post (with the order in the body, or in the URL),
    search, and read one."""
    kind, plural, singular = spec.name, spec.plural, spec.singular
    router = APIRouter(tags=[plural])
    body = s.body(spec.model.__name__)

    async def post(request: Request, company_id: CompanyDep) -> JSON:
        return await receive(request, company_id=company_id, kind=kind)

    async def post_for_order(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
        return await receive(request, company_id=company_id, kind=kind, path_key=LogicbrokerKey)

    async def search(request: Request, company_id: CompanyDep) -> JSON:
        q = parse_search(request, kind=kind, company_id=company_id)
        async with request.app.state.db.read() as conn:
            rows, total = await repo.search(conn, q)
        return page(
            [answers.document(kind, render(r)) for r in rows], total=total, page_number=q.page, page_size=q.page_size
        )

    async def get_one(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
        async with request.app.state.db.read() as conn:
            row = await repo.document_by_key(conn, key=LogicbrokerKey, company_id=company_id, kind=kind)
        return message(200, "OK", answers.single(kind, render(row)))

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
