"""The handlers of the return messages that are not the return itself: the supplier's answers
(authorise, reject, receive, credit), the buyer's withdrawal, and status changes one by one or in
bulk. Each is an exchange with its bytes, like every other message."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import jsonio
from pohub.core.errors import FieldError, PohubError, Unprocessable
from pohub.exchanges.inbound import Applied, Message, handler
from pohub.orders.service import Created
from pohub.returns import service

ANSWER = "return.answer"
STATUS = "return.status"
BULK_STATUS = "return.bulk_status"


def _applied(created: Created, kind: str) -> Applied:
    return Applied(
        document_id=created.key,
        order_id=created.order_id,
        partner_id=created.partner_id,
        kind=kind,
        duplicate=created.duplicate,
        status_code=200 if created.duplicate else 201,
        result=created,
    )


@handler(ANSWER)
async def answer(conn: AsyncConnection, msg: Message) -> Applied:
    assert msg.company_id is not None
    action = str(msg.params["action"])
    created: Created = await service.ACTIONS[action](
        conn, company_id=msg.company_id, key=str(msg.params["return_key"]), raw=msg.raw or None
    )
    return _applied(created, service.CREDIT if action == "credit" else "return")


@handler(STATUS)
async def status(conn: AsyncConnection, msg: Message) -> Applied:
    assert msg.company_id is not None
    created = await service.set_status(
        conn, company_id=msg.company_id, key=str(msg.params["return_key"]), status=str(msg.params["status"])
    )
    return _applied(created, "return")


def _bulk_request(raw: bytes) -> tuple[list[str], str]:
    data = jsonio.loads(raw)
    if not isinstance(data, dict):
        raise Unprocessable("The body must be a JSON object", [FieldError("body", "must be a JSON object")])
    keys = data.get("LogicbrokerKeys")
    if not isinstance(keys, list) or not keys:
        raise Unprocessable(
            "LogicbrokerKeys is required", [FieldError("LogicbrokerKeys", "must list at least one key")]
        )
    if len(keys) > 1000:
        raise Unprocessable("Too many keys", [FieldError("LogicbrokerKeys", "must list at most 1000 keys")])
    if data.get("Status") is None:
        raise Unprocessable("Status is required", [FieldError("Status", "is required")])
    return [str(k) for k in keys], str(data["Status"])


@handler(BULK_STATUS)
async def bulk_status(conn: AsyncConnection, msg: Message) -> Applied:
    """Each key moves or is refused on its own (a savepoint each); the answer lists both."""
    assert msg.company_id is not None
    keys, target = _bulk_request(msg.raw)
    service.parse_target(target)
    updated: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    for key in keys:
        try:
            async with conn.begin_nested():
                created = await service.set_status(conn, company_id=msg.company_id, key=key, status=target)
            updated.append({"LogicbrokerKey": key, "StatusCode": created.status})
        except PohubError as exc:
            refused.append({"LogicbrokerKey": key, "Code": exc.status_code, "Message": exc.message})
    return Applied(kind="return", status_code=200, result={"Updated": updated, "Refused": refused})
