"""Asynchronous MDNs for pohub's own AS2 sends: a message sent with ``As2Settings.Mdn: "async"``
carries a Message-ID that names its exchange, and its attempt keeps the MIC in every digest; the
partner's MDN, POSTed later to ``/as2``, is an inbound exchange of its own (``as2.mdn``) matched to
that send: processed with the same MIC confirms it (an attempt on its log), anything else fails it."""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.core.errors import Conflict, FieldError, NotFound, Unprocessable
from pohub.edi import transports
from pohub.edi.as2 import MdnError, parse_mdn
from pohub.edi.as2.mdn import ReceivedMdn
from pohub.edi.as2.mime import Headers
from pohub.edi.as2_ids import AWAITED, exchange_of
from pohub.edi.partners import service as partners
from pohub.exchanges import inbound, outbound
from pohub.exchanges.inbound import Applied, Message
from pohub.exchanges.models import exchange_attempts, exchanges

OPERATION = "as2.mdn"
X, A = exchanges.c, exchange_attempts.c


def verdict(mdn: ReceivedMdn, expected: dict[str, Any]) -> str | None:
    """Why the MDN does not confirm the send (None: it does)."""
    if mdn.original_message_id != expected["MessageId"]:
        return f"the MDN is for {mdn.original_message_id}, not {expected['MessageId']}"
    if not mdn.processed:
        return f"the partner reports {mdn.disposition}"
    if mdn.mic is None:
        return "the MDN carries no Received-Content-MIC"
    mine = (expected.get("Mics") or {}).get(mdn.mic.digest)
    if mine is None or not hmac.compare_digest(str(mine), mdn.mic.value):
        return f"Received-Content-MIC {mdn.mic.header_value()} differs from the MIC sent ({mine}, {mdn.mic.digest})"
    return None


async def _sent(conn: AsyncConnection, exchange_id: int, partner_id: int) -> tuple[Any, dict[str, Any] | None] | None:
    stmt = select(X.id, X.state).where(
        X.id == exchange_id, X.direction == "out", X.channel == "as2", X.endpoint_id == partner_id
    )
    row = (await conn.execute(stmt.with_for_update())).first()
    if row is None:
        return None
    bodies = select(A.response_body).where(A.exchange_id == exchange_id).order_by(A.id.desc())
    for body in (await conn.execute(bodies)).scalars():
        try:
            noted = jsonio.loads(body or "")
        except ValueError:
            continue
        if isinstance(noted, dict) and noted.get("State") == AWAITED:
            return row, noted
    return row, None


@inbound.handler(OPERATION)
async def match(conn: AsyncConnection, msg: Message) -> Applied:
    """An MDN POSTed to /as2 for a message pohub sent: confirm or fail that send."""
    partner = await partners.profile(conn, partner_id=int(msg.params["partner_id"]))
    headers = Headers([(str(k), str(v)) for k, v in msg.params["headers"]])
    try:
        mdn = parse_mdn(headers, msg.raw, transports.as2_profile(partner))
    except (MdnError, ValueError, OSError) as exc:
        raise Unprocessable(f"The MDN cannot be read: {exc}", [FieldError("body", str(exc))]) from None
    exchange_id = exchange_of(mdn.original_message_id)
    sent = await _sent(conn, exchange_id, partner.id) if exchange_id is not None else None
    if sent is None:
        raise NotFound(
            f"No AS2 message {mdn.original_message_id} sent to this partner awaits an MDN",
            [FieldError("Original-Message-ID", "must name a message pohub sent with an asynchronous MDN")],
        )
    row, expected = sent
    if expected is None:
        if row.state == outbound.SENDING:  # the MDN overtook the record of the send: the partner retries
            raise Conflict(
                f"The message {mdn.original_message_id} is still being recorded as sent: send the MDN again",
                [FieldError("Original-Message-ID", "names a send not yet recorded")],
            )
        raise NotFound(
            f"The message {mdn.original_message_id} was not sent with an asynchronous MDN",
            [FieldError("Original-Message-ID", "must name a message pohub sent with an asynchronous MDN")],
        )
    why = verdict(mdn, expected)
    now = clock.now()
    mic = mdn.mic.header_value() if mdn.mic else ""
    note = f"async MDN {mdn.disposition}" + (f": {why}" if why else f", MIC {mic}")
    await conn.execute(
        insert(exchange_attempts).values(
            exchange_id=row.id, attempted_at=now, duration_ms=0, status_code=200, response_body=note[:2000]
        )
    )
    if why is not None:
        error = jsonio.dumps({"Code": 422, "Message": f"MDN: {why}"}).decode()
        await conn.execute(
            update(exchanges).where(X.id == row.id).values(state=outbound.FAILED, error=error, updated_at=now)
        )
    return Applied(kind="MDN", status_code=200 if why is None else 422, result={"ExchangeId": row.id, "Error": why})
