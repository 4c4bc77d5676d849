"""What every dialect shares: who is calling, errors in the dialect's own shape, and handing each
message received to the exchanges pipeline (which keeps it as received, with its state and error)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from pohub.api.http import read_body
from pohub.core import jsonio
from pohub.core.errors import BadRequest, Conflict, FieldError, NotFound, PohubError
from pohub.db.engine import Database
from pohub.documents.models import documents, kind_literal
from pohub.exchanges import inbound
from pohub.exchanges.inbound import Applied, Message
from pohub.partners.service import company_for_key, hash_key

log = logging.getLogger("pohub.dialects")
D = documents.c

ErrorRenderer = Callable[[Request, PohubError], Response]
UnexpectedRenderer = Callable[[Request, str], Response]


# Documented for every dialect route (each dialect answers errors in its own shape).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": text}
    for code, text in [
        (400, "Malformed or incomplete body"),
        (401, "No or unknown API key"),
        (403, "Not a party allowed to do this"),
        (404, "No such order or job for this caller"),
        (409, "Duplicate, or a state the order or job is not in"),
        (413, "Body too large"),
        (422, "A field breaks a rule"),
    ]
}


def ident(value: Any) -> int | None:
    """An id from the wire (a path or a field): digits that fit a database integer, else None."""
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def route_class(render: ErrorRenderer, unexpected: UnexpectedRenderer | None = None) -> type[APIRoute]:
    """An APIRoute whose refusals answer in the dialect's own error shape."""

    class DialectRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def guarded(request: Request) -> Response:
                try:
                    return await handler(request)
                except PohubError as exc:
                    return render(request, exc)
                except Exception as exc:
                    if unexpected is None:
                        raise
                    # A crashed message handler was recorded, and logged, by the pipeline with its trace id.
                    trace_id = getattr(exc, "trace_id", None)
                    if trace_id is None:
                        trace_id = uuid.uuid4().hex
                        log.exception(
                            "unexpected error, trace id %s, %s %s", trace_id, request.method, request.url.path
                        )
                    return unexpected(request, trace_id)

            return guarded

    return DialectRoute


async def company(request: Request, key: str | None) -> int:
    """The company an API key belongs to (cached as the hub's own auth caches it), or 401."""
    cache = request.app.state.key_cache
    if key:
        hit = cache.get(hash_key(key))
        if hit is not None:
            return int(hit)
    async with request.app.state.db.read() as conn:
        company_id = await company_for_key(conn, key=key)
    if key:
        cache.put(hash_key(key), company_id)
    return company_id


def bearer_or_query_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    for name, value in request.query_params.items():
        if name.lower() in ("subscription-key", "api_key", "apikey"):
            return value
    return None


async def receive(
    request: Request,
    *,
    channel: str,
    operation: str,
    company_id: int,
    kind: str | None,
    params: dict[str, Any] | None = None,
    limit: int | None = None,
    raw: bytes | None = None,
) -> Applied:
    """Read the body (unless given) and hand the message to the exchanges pipeline."""
    db: Database = request.app.state.db
    msg = Message(
        channel=channel,
        operation=operation,
        company_id=company_id,
        raw=raw or b"",
        kind=kind,
        params=params or {},
        content_type=request.headers.get("content-type"),
    )
    request.state.message = msg  # for a route that answers a refusal with something from the body
    if raw is None:
        try:
            msg.raw = await read_body(request, limit=limit)
        except PohubError as exc:
            await inbound.refuse(db, msg, exc)
            raise
    return await inbound.receive(db, msg)


def field_of_body(request: Request, name: str) -> Any:
    """A top-level field of the message the route received, for its error answer (None if unreadable)."""
    msg: Message | None = getattr(request.state, "message", None)
    try:
        body = jsonio.loads(msg.raw) if msg is not None else None
    except PohubError:
        return None
    return body.get(name) if isinstance(body, dict) else None


def parsed(msg: Message) -> Any:
    """A dialect message's JSON, parsed as any client's is (exact decimals; malformed JSON and duplicate
    keys 400 naming where; NUL, NaN and Infinity 422 naming the field)."""
    return jsonio.parse_received(msg.raw)


async def order_by_po(conn: AsyncConnection, *, company_id: int, partner_po: str, as_role: str = "any") -> Any:
    """The order with this PartnerPO that the company sent or received (or only one side), or 404."""
    side = {
        "buyer": D.sender_company_id == company_id,
        "supplier": D.receiver_company_id == company_id,
        "any": or_(D.sender_company_id == company_id, D.receiver_company_id == company_id),
    }[as_role]
    stmt = (
        select(documents)
        .where(D.kind == kind_literal("order"), D.partner_po == partner_po, side)
        .order_by(D.id)
        .limit(2)
    )
    rows = list((await conn.execute(stmt)).all())
    if not rows:
        raise NotFound(f"No order with purchase order number {partner_po!r}")
    if len(rows) > 1:
        raise Conflict(f"Purchase order number {partner_po!r} names orders from several partners")
    return rows[0]


async def orders_by_po(conn: AsyncConnection, *, company_id: int, partner_po: str, limit: int = 100) -> list[Any]:
    """Every order with this PartnerPO that the company sent or received (the caller picks the one)."""
    side = or_(D.sender_company_id == company_id, D.receiver_company_id == company_id)
    stmt = (
        select(documents)
        .where(D.kind == kind_literal("order"), D.partner_po == partner_po, side)
        .order_by(D.id)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).all())


def attribute(attrs: list[dict[str, Any]], name: str, value: Any) -> None:
    """Append an ExtendedAttribute when the value is given (kept as text, as the platform does)."""
    if value is None or value == "":
        return
    text = value if isinstance(value, str) else jsonio.dumps(value).decode()
    attrs.append({"Name": name, "Value": text})


def attributes_of(body: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for attr in body.get("ExtendedAttributes") or []:
        if isinstance(attr, dict) and attr.get("Name") is not None:
            out[str(attr["Name"])] = str(attr.get("Value") or "")
    return out


def number(value: Any) -> Any:
    """A stored amount back on the wire: whole numbers stay integers."""
    if isinstance(value, Decimal):
        normalised = value.normalize()
        return int(normalised) if normalised == normalised.to_integral_value() else normalised
    return value


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def bad(field: str, error: str) -> BadRequest:
    return BadRequest(f"{field}: {error}", [FieldError(field, error)])


async def orders_page(
    conn: AsyncConnection, *, company_id: int, role: str, limit: int, offset: int, receiver_id: int | None = None
) -> tuple[list[Any], int]:
    """Orders the company received (role "supplier") or sent ("buyer"), oldest first, and their count."""
    side = D.receiver_company_id == company_id if role == "supplier" else D.sender_company_id == company_id
    cond = [D.kind == kind_literal("order"), side]
    if receiver_id is not None:
        cond.append(D.receiver_company_id == receiver_id)
    rows = list((await conn.execute(select(documents).where(*cond).order_by(D.id).limit(limit).offset(offset))).all())
    total = int((await conn.execute(select(func.count()).select_from(documents).where(*cond))).scalar_one())
    return rows, total
