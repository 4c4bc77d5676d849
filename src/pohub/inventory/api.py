"""The inventory routes under /api/v1/Inventory, as Logicbroker's v3 names them: Broadcast (CSV or JSON),
the CSV download, one item, ZeroOut, and a SKU's availability across the caller's suppliers.

A broadcast and a zero-out are messages: each goes through the exchanges pipeline (kept with its
bytes, its state and its errors, retried from there). Reads are not recorded, as for every GET.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response, StreamingResponse

from pohub.api import schemas as s
from pohub.api.auth import CompanyDep
from pohub.api.http import JSON, message, page
from pohub.core.errors import FieldError, NotFound, PayloadTooLarge, PohubError, invalid
from pohub.db.engine import Database
from pohub.documents import kinds
from pohub.exchanges import inbound
from pohub.exchanges.documents import rules_of
from pohub.exchanges.inbound import Applied, Message
from pohub.inventory import render, service
from pohub.inventory import repository as repo
from pohub.inventory.feed import instant, open_feed

router = APIRouter(tags=["Inventory"])
KIND = kinds.INVENTORY
BROADCAST = "inventory.broadcast"
ZERO_OUT = "inventory.zero_out"
PAGE = 2000  # items per page of the streamed download

PartnerId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Partner account number (company id)")]

_CSV_BODY = {"type": "string", "description": "A header row of LBInventoryItem names, then one row per SKU"}
BROADCAST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": _CSV_BODY},
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/LBInventoryItem"}}
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}
DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The items as CSV (or, asked for with Accept: application/json, {Code, Message, Body: the CSV})",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": s.Message.model_json_schema()},
        },
    },
    **{k: v for k, v in s.DOCUMENT_RESPONSES.items() if k != 200},
}


async def _read(request: Request, msg: Message) -> None:
    """The body, refused with 413 past the inventory limit (the refusal is kept as an exchange)."""
    limit: int = request.app.state.settings.inventory_max_body_bytes
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(
                    f"The body is over the {limit}-byte limit", [FieldError("body", f"must be at most {limit} bytes")]
                )
            chunks.append(chunk)
    except PohubError as exc:
        await inbound.refuse(request.app.state.db, msg, exc)
        raise
    msg.raw = b"".join(chunks)


Rules = Callable[..., Awaitable[service.Outcome]]


@inbound.handler(BROADCAST)
async def _broadcast(conn: AsyncConnection, msg: Message) -> Applied:
    assert msg.company_id is not None
    feed = open_feed(msg.raw, msg.content_type, supplier_id=msg.company_id)
    rules = cast(Rules, rules_of(KIND))  # the kind's rules, as the registry names them
    outcome = await rules(
        conn,
        company_id=msg.company_id,
        feed=feed,
        exchange_id=msg.exchange_id,
        all_or_nothing=bool(msg.params.get("all_or_nothing")),
    )
    error = None
    if outcome.refused_rows:
        error = {
            "Code": 200,
            "Message": f"Inventory applied in part: {outcome.summary()}",
            "Errors": [e.as_wire() for e in outcome.errors],
            "ErrorCount": outcome.error_count,
        }
    return Applied(kind=KIND.name, status_code=200, result=outcome, error=error)


@inbound.handler(ZERO_OUT)
async def _zero_out(conn: AsyncConnection, msg: Message) -> Applied:
    assert msg.company_id is not None
    count = await service.zero_out(
        conn, company_id=msg.company_id, partner_id=int(msg.params["partner_id"]), exchange_id=msg.exchange_id
    )
    return Applied(kind=KIND.name, status_code=200, result=count)


def _message(request: Request, company_id: int, operation: str, params: dict[str, Any]) -> Message:
    return Message(
        channel="api",
        operation=operation,
        company_id=company_id,
        raw=b"",
        kind=KIND.name,
        params=params | {"method": request.method, "path": request.url.path[:500]},
        content_type=request.headers.get("content-type"),
    )


@router.post("/Inventory/Broadcast", responses=s.DOCUMENT_RESPONSES, openapi_extra=BROADCAST_BODY)
async def broadcast(
    request: Request,
    company_id: CompanyDep,
    allOrNothing: Annotated[bool, Query(description="Refuse the whole feed if any row is bad")] = False,
) -> JSON:
    """Publish the caller's stock to every buyer it trades with: CSV (a header of LBInventoryItem
    names), a JSON array of LBInventoryItem, or either as the ``file`` of a multipart form. Each row
    replaces its SKU; SKUs not sent are left as they were. Bad rows are reported by row and column and
    the good ones import, unless allOrNothing=true."""
    msg = _message(request, company_id, BROADCAST, {"all_or_nothing": True} if allOrNothing else {})
    await _read(request, msg)
    applied = await inbound.receive(request.app.state.db, msg)
    outcome: service.Outcome = applied.result
    body = {"ExchangeId": msg.exchange_id, **outcome.as_wire()}
    return message(200, f"Inventory received: {outcome.summary()}", body)


@router.get("/Inventory/Availability/{sku:path}", responses=s.SEARCH_RESPONSES)
async def availability(sku: str, request: Request, company_id: CompanyDep) -> JSON:
    """A SKU (SupplierSKU or MerchantSKU) at each supplier the caller buys from, with the total."""
    async with request.app.state.db.read() as conn:
        suppliers = await repo.suppliers_of(conn, buyer_id=company_id)
        rows = await repo.availability(conn, supplier_ids=suppliers, sku=sku, buyer_id=company_id)
        warehouses = await repo.warehouses_of(conn, item_ids=[r.id for r in rows])
    records = [render.item(r, warehouses[r.id]) for r in rows]
    total = sum(r.quantity for r in rows)
    return page(records, total=len(records), page_number=1, page_size=max(len(records), 1), TotalQuantity=total)


def _modified_after(value: str | None) -> datetime | None:
    if value is None or not value.strip():
        return None
    try:
        return instant(value)
    except ValueError as exc:
        raise invalid("modifiedAfter", str(exc)) from None


def _wants_json(request: Request) -> bool:
    first = request.headers.get("accept", "").split(",", 1)[0].strip().lower()
    return first.startswith("application/json")


@router.get("/Inventory/{partnerId}", responses=DOWNLOAD_RESPONSES, response_class=Response)
async def download(
    partnerId: PartnerId,
    request: Request,
    company_id: CompanyDep,
    modifiedAfter: Annotated[str | None, Query(description="Only items changed at or after this time")] = None,
    mapped: Annotated[bool | None, Query(description="true: items with a MerchantSKU only; false: without")] = None,
    fileType: Annotated[str | None, Query(description="CSV (the only one offered)")] = None,
    includeNullQuantity: Annotated[bool | None, Query(description="Accepted; every stored item has a quantity")] = None,
) -> Response:
    """The stock the caller may see under this partner id, as CSV: a supplier's own (partnerId is itself
    or one of its buyers), or a buyer's supplier's. Streamed a page at a time."""
    if fileType is not None and fileType.strip().upper() != "CSV":
        raise invalid("fileType", f"only CSV is offered, got {fileType!r}")
    since = _modified_after(modifiedAfter)
    db: Database = request.app.state.db
    async with db.read() as conn:
        supplier_id, buyer_id = await service.stock_view(conn, company_id=company_id, partner_id=partnerId)
    cond = repo.download_conditions(supplier_id=supplier_id, modified_after=since, mapped=mapped, buyer_id=buyer_id)

    async def chunks() -> AsyncIterator[str]:
        # One read transaction for the whole file: a broadcast committing meanwhile is in it entirely
        # or not at all.
        async with db.read() as conn:
            writer = render.CsvWriter(await repo.widest(conn, cond))
            yield writer.header()
            after = 0
            while True:
                items = await repo.items_after(conn, cond, after_id=after, limit=PAGE)
                if not items:
                    return
                warehouses = await repo.warehouses_of(conn, item_ids=[i.id for i in items])
                yield writer.rows(items, warehouses)
                after = items[-1].id

    if _wants_json(request):
        text = "".join([c async for c in chunks()])
        return message(200, "OK", text)
    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="inventory-{supplier_id}.csv"'},
    )


@router.get("/Inventory/{partnerId}/Item/{sku:path}", responses=s.DOCUMENT_RESPONSES)
async def get_item(partnerId: PartnerId, sku: str, request: Request, company_id: CompanyDep) -> JSON:
    """One SKU (SupplierSKU) of the stock the caller may see under this partner id."""
    async with request.app.state.db.read() as conn:
        supplier_id, buyer_id = await service.stock_view(conn, company_id=company_id, partner_id=partnerId)
        row = await repo.item(conn, supplier_id=supplier_id, sku=sku, buyer_id=buyer_id)
        if row is None:
            raise NotFound(f"No inventory item {sku!r} for partner {partnerId}")
        warehouses = await repo.warehouses_of(conn, item_ids=[row.id])
    return message(200, "OK", render.item(row, warehouses[row.id]))


@router.put("/Inventory/{partnerId}/ZeroOut", responses=s.DOCUMENT_RESPONSES)
async def zero_out(partnerId: PartnerId, request: Request, company_id: CompanyDep) -> JSON:
    """Set every quantity of the caller's own stock to 0 (partnerId: itself or one of its buyers)."""
    msg = _message(request, company_id, ZERO_OUT, {"partner_id": partnerId})
    applied = await inbound.receive(request.app.state.db, msg)
    body = {"ExchangeId": msg.exchange_id, "Items": applied.result}
    return message(200, f"Inventory zeroed out: {applied.result} items", body)
