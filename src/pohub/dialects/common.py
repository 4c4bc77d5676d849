"""What every dialect shares: who is calling, errors in the dialect's own shape, and the exchange
record kept for every message received (as received, with its state and error)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from sqlalchemy import func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from pohub.api.documents import record_refusal
from pohub.api.http import read_body
from pohub.core import clock, jsonio
from pohub.core.errors import BadRequest, Conflict, FieldError, NotFound, PohubError
from pohub.db.engine import Database
from pohub.dialects.models import dialect_exchanges
from pohub.documents.models import documents
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
                except Exception:
                    if unexpected is None:
                        raise
                    trace_id = uuid.uuid4().hex
                    log.exception("unexpected error, trace id %s, %s %s", trace_id, request.method, request.url.path)
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


async def json_body(request: Request) -> tuple[bytes, Any]:
    """The body as received and parsed as a client's JSON (exact decimals); malformed JSON is a 400."""
    raw = await read_body(request)
    return raw, jsonio.parse_received(raw)


async def record_exchange(
    conn: AsyncConnection,
    *,
    dialect: str,
    operation: str,
    company_id: int | None,
    raw: bytes,
    status_code: int,
    order_id: int | None = None,
    document_id: int | None = None,
    job_id: int | None = None,
    error: str | None = None,
) -> None:
    await conn.execute(
        insert(dialect_exchanges).values(
            dialect=dialect,
            direction="in",
            operation=operation,
            company_id=company_id,
            order_id=order_id,
            document_id=document_id,
            job_id=job_id,
            state="error" if error else "done",
            status_code=status_code,
            error=error,
            raw=raw.decode("utf-8", errors="replace"),
            created_at=clock.now(),
        )
    )


async def refused(
    request: Request,
    *,
    dialect: str,
    operation: str,
    company_id: int | None,
    kind: str | None,
    raw: bytes,
    exc: PohubError,
) -> None:
    """Keep a refused message: the hub's refusal record (and the order's timeline), and our exchange record."""
    db: Database = request.app.state.db
    if kind is not None:
        await record_refusal(db, request=request, company_id=company_id, kind=kind, raw=raw, exc=exc)
    async with db.write() as conn:
        await record_exchange(
            conn,
            dialect=dialect,
            operation=operation,
            company_id=company_id,
            raw=raw,
            status_code=exc.status_code,
            order_id=exc.order_id,
            error=jsonio.dumps(exc.as_wire()).decode(),
        )


async def order_by_po(conn: AsyncConnection, *, company_id: int, partner_po: str, as_role: str = "any") -> Any:
    """The order with this PartnerPO that the company sent or received (or only one side), or 404."""
    side = {
        "buyer": D.sender_company_id == company_id,
        "supplier": D.receiver_company_id == company_id,
        "any": or_(D.sender_company_id == company_id, D.receiver_company_id == company_id),
    }[as_role]
    stmt = select(documents).where(D.kind == "order", D.partner_po == partner_po, side).order_by(D.id).limit(2)
    rows = list((await conn.execute(stmt)).all())
    if not rows:
        raise NotFound(f"No order with purchase order number {partner_po!r}")
    if len(rows) > 1:
        raise Conflict(f"Purchase order number {partner_po!r} names orders from several partners")
    return rows[0]


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
    cond = [D.kind == "order", side]
    if receiver_id is not None:
        cond.append(D.receiver_company_id == receiver_id)
    rows = list((await conn.execute(select(documents).where(*cond).order_by(D.id).limit(limit).offset(offset))).all())
    total = int((await conn.execute(select(func.count()).select_from(documents).where(*cond))).scalar_one())
    return rows, total
