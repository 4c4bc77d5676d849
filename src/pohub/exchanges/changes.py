"""The handler of the supplier's answer to a buyer's change (the change itself is a canonical
document: the ``document`` handler applies it by its kind's rules)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.changes import service
from pohub.exchanges.inbound import Applied, Message, handler

ANSWER = "change.answer"


@handler(ANSWER)
async def answer(conn: AsyncConnection, msg: Message) -> Applied:
    assert msg.company_id is not None
    created = await service.answer(
        conn,
        company_id=msg.company_id,
        order_key=str(msg.params["order_key"]),
        change_key=str(msg.params["change_key"]),
        raw=msg.raw,
    )
    return Applied(
        document_id=created.key,
        order_id=created.order_id,
        partner_id=created.partner_id,
        kind="change",
        status_code=200,
        result=created,
    )
