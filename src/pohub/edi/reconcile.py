"""Outbound groups against the 997s / CONTRLs received for them: an accepted group makes its
outbound exchange ``acknowledged``; a rejected one, or one not acknowledged within the partner's
``AckWithinMinutes``, is flagged on the exchange (its error) and on the order's timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.db.engine import Database
from pohub.documents import repository as documents_repo
from pohub.edi.partners import service as partners
from pohub.edi.partners.service import Profile
from pohub.edi.reading import Found, Standard
from pohub.exchanges import outbound
from pohub.exchanges.models import exchanges
from pohub.orders import events

X = exchanges.c
SEND = "edi.send"
# Outbound exchanges still waiting for the partner's acknowledgement.
AWAITING = (outbound.QUEUED, outbound.SENDING, outbound.SENT)


def params_of(groups: list[str], document_type: str) -> str:
    return jsonio.dumps({"groups": groups, "set": document_type, "flagged": None}).decode()


async def _waiting(conn: AsyncConnection, partner: Profile) -> list[Any]:
    stmt = select(X.id, X.params, X.order_id, X.state, X.created_at).where(
        X.direction == "out", X.operation == SEND, X.endpoint_id == partner.id, X.state.in_(AWAITING)
    )
    return list((await conn.execute(stmt.with_for_update())).all())


async def _flag(conn: AsyncConnection, partner: Profile, row: Any, *, why: str, code: int, at: datetime) -> None:
    params = jsonio.loads(row.params) if row.params else {}
    params["flagged"] = why
    error = {"Code": code, "Message": why}
    await conn.execute(
        update(exchanges)
        .where(X.id == row.id)
        .values(error=jsonio.dumps(error).decode(), params=jsonio.dumps(params).decode(), updated_at=at)
    )
    if row.order_id is None:
        return
    order = await documents_repo.get_document(conn, doc_id=row.order_id, company_id=partner.counterparty_id)
    if order is not None:
        set_id = str(params.get("set") or "EDI")
        event = events.edi_flagged(order=order, at=at, document_type=set_id, message=why, details=None)
        await events.record(conn, [event])


async def received(
    conn: AsyncConnection, *, standard: Standard, partner: Profile, found: Found
) -> list[dict[str, Any]]:
    """A 997 / CONTRL from the partner: settle the outbound groups it answers."""
    answers = standard.acknowledged_groups(found)
    if not answers:
        return []
    now = clock.now()
    notes = []
    waiting = await _waiting(conn, partner)
    for group, accepted, status in answers:
        matched = [r for r in waiting if group in (jsonio.loads(r.params or "{}").get("groups") or [])]
        for row in matched:
            if accepted:
                await conn.execute(
                    update(exchanges).where(X.id == row.id).values(state=outbound.ACKNOWLEDGED, updated_at=now)
                )
            else:
                why = f"The partner rejected group {group} ({found.set_id} status {status})"
                await _flag(conn, partner, row, why=why, code=422, at=now)
            notes.append({"Group": group, "ExchangeId": row.id, "Accepted": accepted, "Status": status})
        if not matched:
            notes.append({"Group": group, "ExchangeId": None, "Accepted": accepted, "Status": status})
    return notes


async def flag_overdue(db: Database, *, now: datetime | None = None) -> int:
    """Flag every outbound group whose partner expects to acknowledge it and has not in time."""
    at = now or clock.now()
    flagged = 0
    async with db.write() as conn:
        for partner in await partners.all_profiles(conn):
            if not partner.expects_997:
                continue
            due = at - timedelta(minutes=partner.ack_within_minutes)
            for row in await _waiting(conn, partner):
                params = jsonio.loads(row.params) if row.params else {}
                if row.state != outbound.SENT or params.get("flagged") or row.created_at > due:
                    continue
                groups = ", ".join(params.get("groups") or [])
                why = f"Not acknowledged within {partner.ack_within_minutes} minutes (group {groups})"
                await _flag(conn, partner, row, why=why, code=408, at=at)
                flagged += 1
    return flagged
