"""GET /api/v1/Exchanges: every message the caller sent or was sent, with its raw bytes and state;
POST /api/v1/Exchanges/{id}/Retry runs a refused or failed inbound message again."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from pohub.api import schemas as s
from pohub.api.auth import CompanyDep
from pohub.api.http import JSON, message, page
from pohub.api.search import MAX_PAGE_SIZE, _date, _int
from pohub.core.errors import FieldError, NotFound, Unprocessable
from pohub.documents import repository as documents_repo
from pohub.exchanges import inbound, outbound
from pohub.exchanges import repository as repo
from pohub.exchanges.render import full, summary

router = APIRouter(tags=["Exchanges"])

DIRECTIONS = ("in", "out")
STATES = ("received", "applied", "duplicate", "refused", "failed", "queued", "sending", "sent", "acknowledged", "dead")
_TEXT = {"direction": "direction", "channel": "channel", "operation": "operation", "kind": "kind", "state": "state"}
_KEYS = {"documentkey": "document_id", "logicbrokerkey": "document_id", "orderkey": "order_id"}

PARAMETERS: list[dict[str, Any]] = [
    {"name": name, "in": "query", "required": False, "schema": schema, "description": text}
    for name, schema, text in [
        ("direction", {"type": "string", "enum": list(DIRECTIONS)}, "in (received) or out (sent)"),
        ("channel", {"type": "string"}, "api, dashboard, kojo, spectrum, wms, webhook, ..."),
        ("operation", {"type": "string"}, "The handler that received it: document, kojo.acknowledge, wms.bulk, ..."),
        ("kind", {"type": "string"}, "order, acknowledgement, shipment, invoice, or another message kind"),
        ("state", {"type": "string", "enum": list(STATES)}, "What became of the message"),
        ("partnerId", {"type": "integer"}, "The other company"),
        ("documentKey", {"type": "string"}, "The LogicbrokerKey of the document it created or answers"),
        ("orderKey", {"type": "string"}, "The order it is about"),
        ("from", {"type": "string", "format": "date-time"}, "Received or queued on or after"),
        ("to", {"type": "string", "format": "date-time"}, "Received or queued on or before"),
        ("page", {"type": "integer", "minimum": 0}, "1-based page"),
        ("pageSize", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}, "Records per page (default 100)"),
    ]
]


def parse_filters(request: Request, company_id: int) -> repo.ExchangeSearch:
    q = repo.ExchangeSearch(company_id=company_id)
    for raw_name, value in request.query_params.multi_items():
        name = raw_name.lower().removeprefix("filters.").removeprefix("filter.")
        if value == "":
            continue
        if name in _TEXT:
            if name == "direction" and value not in DIRECTIONS:
                raise Unprocessable(f"{raw_name}: must be in or out", [FieldError(raw_name, "must be in or out")])
            if name == "state" and value not in STATES:
                allowed = ", ".join(STATES)
                raise Unprocessable(
                    f"{raw_name}: no state {value!r}", [FieldError(raw_name, f"must be one of {allowed}")]
                )
            setattr(q, _TEXT[name], value[:50])
        elif name in _KEYS:
            key = documents_repo.parse_key(value)
            if key is None:
                raise Unprocessable(f"{raw_name} is not a key", [FieldError(raw_name, f"{value!r} names no document")])
            setattr(q, _KEYS[name], key)
        elif name == "partnerid":
            q.partner_id = _int(raw_name, value, low=0, high=2**31 - 1)
        elif name == "from":
            q.date_from = _date(raw_name, value)
        elif name == "to":
            q.date_to = _date(raw_name, value)
        elif name == "page":
            q.page = max(1, _int(raw_name, value, low=0, high=10_000_000))
        elif name == "pagesize":
            q.page_size = _int(raw_name, value, low=1, high=MAX_PAGE_SIZE)
    return q


def _exchange_id(value: str) -> int:
    key = documents_repo.parse_key(value)
    if key is None:
        raise NotFound(f"No exchange {value!r}")
    return key


@router.get("/Exchanges", responses=s.SEARCH_RESPONSES, openapi_extra={"parameters": PARAMETERS})
async def search_exchanges(request: Request, company_id: CompanyDep) -> JSON:
    """Messages the caller sent (in) or was sent (out), newest first, without their bodies."""
    q = parse_filters(request, company_id)
    async with request.app.state.db.read() as conn:
        rows, total = await repo.search(conn, q)
    return page([summary(r) for r in rows], total=total, page_number=q.page, page_size=q.page_size)


@router.get("/Exchanges/{ExchangeId}", responses=s.DOCUMENT_RESPONSES)
async def get_exchange(ExchangeId: str, request: Request, company_id: CompanyDep) -> JSON:
    """One message with its raw payload exactly as received or sent, its error and attempts."""
    exchange_id = _exchange_id(ExchangeId)
    async with request.app.state.db.read() as conn:
        row = await repo.get_exchange(conn, exchange_id=exchange_id, company_id=company_id)
        if row is None:
            raise NotFound(f"No exchange {ExchangeId!r}")
        kids = await repo.children(conn, parent_id=row.id)
        attempts = (await outbound.attempts_of(conn, exchange_ids=[row.id]))[row.id]
    return message(200, "OK", full(row, kids, attempts))


@router.post("/Exchanges/{ExchangeId}/Retry", responses=s.DOCUMENT_RESPONSES)
async def retry_exchange(ExchangeId: str, request: Request, company_id: CompanyDep) -> JSON:
    """Run a refused or failed inbound message again once its cause is fixed (answers the exchange with
    its new state: applied, or refused again with the new error), or send an outbound one again
    (queued)."""
    row = await inbound.retry(request.app.state.db, exchange_id=_exchange_id(ExchangeId), company_id=company_id)
    if row is None:
        raise NotFound(f"No exchange {ExchangeId!r}")
    text = {"applied": "Applied", "duplicate": "Applied (a duplicate)", "queued": "Queued to be sent again"}.get(
        row.state, f"Still {row.state}"
    )
    return message(200, text, full(row))
