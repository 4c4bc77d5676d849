"""Messages: every exchange the company sent or was sent (the exchanges pipeline), with state chips
and filters; one message with its raw payload, its error beside the part of the payload it names,
its attempts, the document it created, the messages it carried (a bulk upload's orders), and Retry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from pohub.core import jsonio
from pohub.core.errors import NotFound, PohubError
from pohub.edi import edifact_side, x12_side  # noqa: F401  (they register their standards)
from pohub.edi.reading import STANDARDS, sniff
from pohub.exchanges import inbound, outbound
from pohub.exchanges import repository as repo
from pohub.exchanges.render import error_of, raw_text
from pohub.web import common, queries
from pohub.web.common import WebRoute, small_int
from pohub.web.render import page
from pohub.web.session import check_csrf, signed_in

router = APIRouter(include_in_schema=False, route_class=WebRoute)
PAGE_SIZE = 50
STATE_TONES = {
    "applied": "chip-done",
    "sent": "chip-done",
    "acknowledged": "chip-done",
    "duplicate": "chip-acked",
    "received": "chip-submitted",
    "queued": "chip-submitted",
    "sending": "chip-ship",
    "refused": "chip-todo",
    "failed": "chip-failed",
    "dead": "chip-failed",
}
FILTERS = ("direction", "channel", "state", "kind")
RETRYABLE = {"in": inbound.RETRYABLE, "out": outbound.RESENDABLE}


@dataclass(frozen=True)
class PayloadLine:
    number: int
    text: str
    errors: tuple[str, ...] = ()


def _emit(value: Any, path: str, indent: int, prefix: str, out: list[tuple[str, str]], last: bool) -> None:
    """Pretty-print JSON one line at a time, each line with the path of the value it opens."""
    pad = "  " * indent
    comma = "" if last else ","
    if isinstance(value, dict) and value:
        out.append((pad + prefix + "{", path))
        items = list(value.items())
        for i, (k, v) in enumerate(items):
            child = f"{path}.{k}" if path else str(k)
            _emit(v, child, indent + 1, jsonio.dumps(k).decode() + ": ", out, i == len(items) - 1)
        out.append((pad + "}" + comma, path))
    elif isinstance(value, list) and value:
        out.append((pad + prefix + "[", path))
        for i, v in enumerate(value):
            _emit(v, f"{path}[{i}]", indent + 1, "", out, i == len(value) - 1)
        out.append((pad + "]" + comma, path))
    else:
        out.append((pad + prefix + jsonio.dumps(value).decode() + comma, path))


def _ancestors(field: str) -> list[str]:
    """ "AckLines[0].Quantity" -> itself, "AckLines[0]", "AckLines"."""
    out = [field]
    while True:
        cut = max(field.rfind("."), field.rfind("["))
        if cut <= 0:
            return out
        field = field[:cut]
        out.append(field)


def edi_lines(text: str) -> list[str] | None:
    """An X12 or EDIFACT interchange as its segments, one per line; None for anything else."""
    name = sniff(text.encode())
    return None if name is None else STANDARDS[name].lines(text.encode())


def payload_lines(raw: bytes | None, errors: list[dict[str, Any]]) -> list[PayloadLine]:
    """The payload as numbered lines (JSON pretty-printed), each error on the line of the field it
    names (or of its nearest enclosing field); errors naming nothing in it go on the first line."""
    text, encoding = raw_text(raw)
    if text is None:
        return []
    if encoding != "utf-8":
        return [PayloadLine(1, text)]
    try:
        data = jsonio.loads(text.encode())
    except PohubError:
        data = None
    edi = edi_lines(text)
    if isinstance(data, dict | list):
        pairs: list[tuple[str, str]] = []
        _emit(data, "", 0, "", pairs, True)
    elif edi is not None:  # X12 / EDIFACT: one segment per line, each error on its segment's line
        pairs = [(line, f"segment {n}") for n, line in enumerate(edi, start=1)]
    else:
        pairs = [(line, "") for line in text.splitlines() or [""]]
    first_of: dict[str, int] = {}
    for i, (_, path) in enumerate(pairs):
        first_of.setdefault(path, i)
    marks: dict[int, list[str]] = {}
    for err in errors:
        field = str(err.get("Field") or err.get("field") or "")
        message = str(err.get("Error") or err.get("message") or "")
        at = next((first_of[p] for p in _ancestors(field) if p in first_of), 0) if field else 0
        if edi is not None and (seg := re.search(r"at segment (\d+)", message)):
            at = min(int(seg.group(1)), len(pairs)) - 1
        marks.setdefault(at, []).append(f"{field}: {message}" if field else message)
    return [PayloadLine(i + 1, line, tuple(marks.get(i, ()))) for i, (line, _) in enumerate(pairs)]


def _filters(request: Request) -> dict[str, str]:
    return {k: v for k in FILTERS if (v := request.query_params.get(k, "").strip())}


@router.get("/messages")
async def messages_page(request: Request) -> Response:
    session = await signed_in(request)
    assert session.company_id is not None
    me = await common.company(request, session)
    chosen = _filters(request)
    number = max(small_int(request.query_params.get("page")) or 1, 1)
    q = repo.ExchangeSearch(company_id=session.company_id, page=number, page_size=PAGE_SIZE)
    for name, value in chosen.items():
        setattr(q, name, value[:50])
    order_key = small_int(request.query_params.get("order"))
    if order_key is not None:
        q.order_id = order_key
        chosen["order"] = str(order_key)
    async with request.app.state.db.read() as conn:
        rows, total = await repo.search(conn, q)
    return page(
        request,
        "messages.html",
        {
            "company": me,
            "rows": rows,
            "tones": STATE_TONES,
            "errors": {r.id: error_of(r) for r in rows},
            "filters": chosen,
            "query": lambda **changes: urlencode({k: v for k, v in (chosen | changes).items() if v}),
            "total": total,
            "page_number": number,
            "pages": queries.page_count(total, PAGE_SIZE),
            "names": dict(me["partners"]),
            "nav": "messages",
        },
        session=session,
    )


async def _context(request: Request, exchange_id: str) -> dict[str, Any]:
    session = await signed_in(request)
    assert session.company_id is not None
    ref = common.ident(exchange_id)
    async with request.app.state.db.read() as conn:
        row = None if ref is None else await repo.get_exchange(conn, exchange_id=ref, company_id=session.company_id)
        if row is None:
            raise NotFound(f"No message {exchange_id!r}")
        children = await repo.children(conn, parent_id=row.id)
        attempts = (await outbound.attempts_of(conn, exchange_ids=[row.id]))[row.id]
    error = error_of(row)
    field_errors = list(error.get("Errors") or error.get("errors") or []) if error else []
    return {
        "company": await common.company(request, session),
        "x": row,
        "error": error,
        "lines": payload_lines(row.raw, field_errors),
        "children": children,
        "attempts": attempts,
        "tones": STATE_TONES,
        "can_retry": row.state in RETRYABLE.get(row.direction, ()),
        "session_obj": session,
        "nav": "messages",
    }


@router.get("/messages/{exchange_id}")
async def message_page(request: Request, exchange_id: str, notice: str = "") -> Response:
    ctx = await _context(request, exchange_id)
    notices = {"retried": "Run again: see its state below.", "queued": "Queued to be sent again."}
    return page(request, "message.html", ctx | {"notice": notices.get(notice)}, session=ctx.pop("session_obj"))


@router.post("/messages/{exchange_id}/retry")
async def retry_message(request: Request, exchange_id: str) -> Response:
    session = await signed_in(request)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    assert session.company_id is not None
    ref = common.ident(exchange_id)
    try:
        row = (
            None
            if ref is None
            else await inbound.retry(request.app.state.db, exchange_id=ref, company_id=session.company_id)
        )
    except PohubError as exc:
        ctx = await _context(request, exchange_id)
        ctx["retry_error"] = exc.message
        return page(request, "message.html", ctx, status_code=exc.status_code, session=ctx.pop("session_obj"))
    if row is None:
        raise NotFound(f"No message {exchange_id!r}")
    notice = "queued" if row.direction == "out" else "retried"
    return RedirectResponse(f"/messages/{row.id}?notice={notice}", status_code=303)
