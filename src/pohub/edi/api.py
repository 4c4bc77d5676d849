"""POST /edi: an X12 or EDIFACT interchange as the raw body, the partner known by its API key
(``Authorization: Bearer`` or ``subscription-key``). Answers a JSON summary: what was applied, each
document's exchange, and the 997 / TA1 / CONTRL generated for it (also kept as an outbound exchange)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from pohub.api.http import JSON, read_body
from pohub.dialects import common
from pohub.edi import receive, send  # send also listens to the orders' events
from pohub.exchanges import inbound
from pohub.exchanges.inbound import Message
from pohub.jobs.worker import wake

router = APIRouter(tags=["EDI"])


async def take(request: Request, *, channel: str, company_id: int, raw: bytes) -> receive.Summary:
    """Hand an interchange to the exchanges pipeline and mark it refused when it had errors."""
    db = request.app.state.db
    msg = Message(
        channel=channel,
        operation=receive.INTERCHANGE,
        company_id=company_id,
        raw=raw,
        kind="interchange",
        content_type=request.headers.get("content-type"),
    )
    done = await inbound.receive(db, msg)
    summary: receive.Summary = done.result
    if not summary.accepted and msg.exchange_id is not None:
        async with db.write() as conn:
            await receive.mark_rejected(conn, exchange_id=msg.exchange_id, summary=summary)
    wake(request.app)
    return summary


@router.post(
    "/edi",
    openapi_extra={"requestBody": {"content": {"application/edi-x12": {}, "application/edifact": {}}}},
    responses={
        200: {"description": "Read, acknowledged and (unless a test or a duplicate) applied"},
        400: {"description": "Not an interchange, or one that cannot be tokenized"},
        401: {"description": "No or unknown API key"},
        413: {"description": "Body too large"},
        422: {"description": "No partner profile for its identities, or errors (acknowledged with them)"},
    },
)
async def post_edi(request: Request) -> JSON:
    """Receive one interchange; the answer carries its acknowledgement."""
    company_id = await common.company(request, common.bearer_or_query_key(request))
    raw = await read_body(request)
    summary = await take(request, channel="edi", company_id=company_id, raw=raw)
    return JSON(summary.body, status_code=200 if summary.accepted else 422)


@router.get("/edi", responses={200: {"description": "The interchanges waiting for the caller, now marked sent"}})
async def pull_edi(request: Request) -> JSON:
    """For partners on the ``api`` transport: the interchanges pohub has for the caller (855, 856,
    810, 850 ...), oldest first; each is marked sent as it is handed over."""
    company_id = await common.company(request, common.bearer_or_query_key(request))
    async with request.app.state.db.write() as conn:
        rows = await send.hand_over(conn, company_id=company_id, limit=100)
    return JSON(
        {
            "Interchanges": [
                {"ExchangeId": r.id, "Kind": r.kind, "ContentType": r.content_type, "Raw": bytes(r.raw).decode()}
                for r in rows
            ]
        }
    )
