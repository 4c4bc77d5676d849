"""Outbound groups against the 997s / CONTRLs received for them, set by set: a 997 that answers the
sets an outbound exchange carries (AK2 / AK5; CONTRL UCM) decides by them, so that a partial
acceptance (AK9 P) acknowledges the accepted sets and flags the rejected ones; one that names the
group only decides by AK9 / UCI. An accepted exchange becomes ``acknowledged``; a rejected one, or
one not acknowledged within the partner's ``AckWithinMinutes``, is flagged on the exchange (its
error) and on the order's timeline."""

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


def params_of(groups: list[str], document_type: str, sets: list[str] | None = None) -> str:
    """What an outbound exchange keeps for reconciling: its GS06 / UNB 0020, set id and ST02 / UNH 0062."""
    return jsonio.dumps({"groups": groups, "set": document_type, "sets": sets or [], "flagged": None}).decode()


def _verdict(
    params: dict[str, Any], by_set: dict[str, tuple[bool, str]], group_accepted: bool, group_status: str
) -> tuple[bool, str, list[str]]:
    """Accepted, the status that says so, and the sets it rests on (none: the group's AK9 / UCI)."""
    ours = [s for s in params.get("sets") or [] if s in by_set]
    if not ours:
        return group_accepted, group_status, []
    rejected = [s for s in ours if not by_set[s][0]]
    decisive = rejected[0] if rejected else ours[0]
    return not rejected, by_set[decisive][1], ours


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
    by_set = standard.acknowledged_sets(found)
    now = clock.now()
    notes = []
    waiting = await _waiting(conn, partner)
    for group, group_accepted, group_status in answers:
        matched = [r for r in waiting if group in (jsonio.loads(r.params or "{}").get("groups") or [])]
        for row in matched:
            params = jsonio.loads(row.params or "{}")
            accepted, status, sets = _verdict(params, by_set, group_accepted, group_status)
            if accepted:
                await conn.execute(
                    update(exchanges).where(X.id == row.id).values(state=outbound.ACKNOWLEDGED, updated_at=now)
                )
            else:
                which = f"group {group}, set {', '.join(sets)}" if sets else f"group {group}"
                why = f"The partner rejected {which} ({found.set_id} status {status})"
                await _flag(conn, partner, row, why=why, code=422, at=now)
            notes.append({"Group": group, "Sets": sets, "ExchangeId": row.id, "Accepted": accepted, "Status": status})
        if not matched:
            notes.append(
                {"Group": group, "Sets": [], "ExchangeId": None, "Accepted": group_accepted, "Status": group_status}
            )
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
