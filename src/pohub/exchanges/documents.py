"""The handler every channel that speaks the canonical documents uses (the hub API, the dashboard):
parse the body into the kind's wire model and apply it through the kind's rules."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.documents import kinds
from pohub.documents.inbound import parse
from pohub.exchanges.inbound import Applied, Message, handler
from pohub.orders.service import Created

Rules = Callable[..., Awaitable[Created]]
OPERATION = "document"


@cache
def rules_of(spec: kinds.KindSpec) -> Rules:
    """The function a kind's spec names ("module:function"), imported once."""
    module, _, name = spec.rules.partition(":")
    fn: Rules = getattr(importlib.import_module(module), name)
    return fn


def applied(created: Created, kind: str) -> Applied:
    return Applied(
        document_id=created.key,
        order_id=created.order_id,
        partner_id=created.partner_id,
        kind=kind,
        duplicate=created.duplicate,
        status_code=200 if created.duplicate else 201,
        result=created,
    )


async def apply_canonical(
    conn: AsyncConnection, *, spec: kinds.KindSpec, company_id: int, raw: bytes, path_key: str | None
) -> Created:
    """Parse a canonical document and apply it by its kind's rules."""
    inbound = parse(raw, spec.model)
    kwargs: dict[str, Any] = {"company_id": company_id, "inbound": inbound}
    if spec.belongs_to_order:
        kwargs["path_key"] = path_key
    return await rules_of(spec)(conn, **kwargs)


# It passes the message's kind, company, body and path key on, never the message: its exchange is held.
@handler(OPERATION, id_unread=True)
async def apply_document(conn: AsyncConnection, msg: Message) -> Applied:
    spec = kinds.kind(msg.kind or "")
    assert msg.company_id is not None  # the API and dashboard know their caller before receiving
    created = await apply_canonical(
        conn, spec=spec, company_id=msg.company_id, raw=msg.raw, path_key=msg.params.get("path_key")
    )
    return applied(created, spec.name)
