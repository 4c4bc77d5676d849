"""POST /edi: an X12 or EDIFACT interchange as the raw body, the partner known by its API key
(``Authorization: Bearer`` or ``subscription-key``). Answers a JSON summary: what was applied, each
document's exchange, and the 997 / TA1 / CONTRL generated for it (also kept as an outbound exchange)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from pohub.api.http import JSON, read_body
from pohub.core import clock
from pohub.core.errors import BadRequest, FieldError, PohubError
from pohub.dialects import common
from pohub.edi import as2_mdn, receive, send, transports
from pohub.edi.as2 import Headers, is_mdn
from pohub.edi.as2 import receive as as2_receive
from pohub.edi.as2.envelope import parse_as2_id
from pohub.exchanges import inbound, outbound
from pohub.exchanges.inbound import Message  # send also listens to the orders' events
from pohub.jobs.worker import wake

log = logging.getLogger("pohub.edi")
router = APIRouter(tags=["EDI"])


@router.post(
    "/edi",
    # Documented as text (X12 and EDIFACT are text); any content type is taken (application/edi-x12,
    # application/edifact ...): the standard is read from the first segment.
    openapi_extra={"requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}}},
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
    raw = await read_body(request, json=False)
    summary, _exchange_id = await receive.take(
        request.app.state.db,
        channel="edi",
        company_id=company_id,
        raw=raw,
        content_type=request.headers.get("content-type"),
    )
    wake(request.app)
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


async def _take_mdn(request: Request, partner: Any, headers: list[tuple[str, str]], body: bytes) -> Response:
    """An asynchronous MDN for a message pohub sent: kept as an inbound exchange and matched to it."""
    msg = Message(
        channel="as2",
        operation=as2_mdn.OPERATION,
        company_id=partner.company_id,
        raw=body,
        kind="MDN",
        params={"partner_id": partner.id, "headers": [list(h) for h in headers]},
        content_type=request.headers.get("content-type"),
    )
    try:
        await inbound.receive(request.app.state.db, msg)
    except PohubError as exc:  # kept as a refused exchange; a 409 asks the partner to send it again
        return Response(content=f"{exc}\n".encode(), status_code=exc.status_code, media_type="text/plain")
    return Response(content=b"", status_code=200)  # taken: what it said is on the exchange it answers


@router.post(
    "/as2",
    responses={
        200: {"description": "The synchronous MDN (or an empty answer when the MDN is asynchronous)"},
        400: {"description": "AS2-From, AS2-To or Message-ID missing or malformed"},
        403: {"description": "No AS2 partner with these AS2 ids"},
    },
)
async def post_as2(request: Request) -> Response:
    """Receive an AS2 message (RFC 4130): its payload is an interchange, taken as ``POST /edi``
    takes one; the MDN says whether the message opened, the 997 / CONTRL (sent back over AS2) what
    its content was worth."""
    db = request.app.state.db
    body = await read_body(request, json=False)
    headers = list(request.headers.items())
    as2_from = parse_as2_id(request.headers.get("as2-from", ""))
    as2_to = parse_as2_id(request.headers.get("as2-to", ""))
    async with db.read() as conn:
        partner = await transports.as2_partner(conn, as2_from=as2_from, as2_to=as2_to)
    if partner is not None and is_mdn(Headers(headers), body):
        return await _take_mdn(request, partner, headers, body)
    profile = transports.as2_profile(partner) if partner is not None else None
    answer = as2_receive(headers, body, lambda _f, _t: profile)
    exchange_id: int | None = None
    if partner is not None and answer.message is not None:
        msg = answer.message
        try:
            _summary, exchange_id = await receive.take(
                db, channel="as2", company_id=partner.company_id, raw=msg.payload, content_type=msg.content_type
            )
        except PohubError as exc:  # kept as a refused exchange by the pipeline; no 997 could be written
            log.warning("as2 message from %s refused: %s", as2_from, exc)
    elif partner is not None and answer.error is not None:
        refusal = BadRequest(f"AS2 message did not open: {answer.error}", [FieldError("AS2", str(answer.error))])
        failed = Message(channel="as2", operation=receive.INTERCHANGE, company_id=partner.company_id, raw=body)
        exchange_id = await inbound.refuse(db, failed, refusal)
    if partner is not None and answer.mdn is not None and answer.async_url:
        async with db.write() as conn:
            row = outbound.outbound_row(
                channel=transports.MDN_CHANNEL,
                operation="as2.mdn",
                company_id=partner.company_id,
                kind="MDN",
                payload=transports.stored_mdn(answer.mdn, answer.async_url),
                content_type="application/json",
                at=clock.now(),
                endpoint_id=partner.id,
                parent_id=exchange_id,
                partner_id=partner.counterparty_id,
            )
            await outbound.queue(conn, [row])
    wake(request.app)
    response = Response(content=answer.body, status_code=answer.status_code)
    for name, value in answer.headers:
        response.headers.append(name, value)
    return response
