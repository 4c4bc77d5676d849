"""The dashboard (issue 5), served at / by the same process as the API.

Pages parse the form or query, call the same services as the API, and render a template. Errors
from the services come back as PohubError and are shown next to the form fields they name.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from datetime import date
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from pohub.core import clock, jsonio
from pohub.core.errors import NotFound, PohubError
from pohub.documents import repository as repo
from pohub.documents.logicbroker import Acknowledgement, Invoice, Shipment
from pohub.exchanges import documents as exchange_documents
from pohub.exchanges import inbound
from pohub.exchanges.inbound import Message
from pohub.inventory import service as inventory
from pohub.orders import service as orders
from pohub.partners.service import company_for_key, hash_key
from pohub.scorecard.service import WINDOWS, scorecard
from pohub.web import common, forms, job_pages, message_pages, queries, views, webhook_pages
from pohub.web.common import WebRoute, small_int
from pohub.web.render import page
from pohub.web.session import (
    Session,
    check_csrf,
    clear_session,
    new_session,
    read_session,
    signed_in,
    write_session,
)

NOTICES = {
    "acknowledged": "Acknowledgement sent.",
    "shipped": "Ship notice sent.",
    "invoiced": "Invoice sent.",
    "status": "Status changed.",
    "signed-out": "You are signed out.",
}


router = APIRouter(include_in_schema=False, route_class=WebRoute)
# The Jobs and Webhooks pages live in modules of their own (job_pages.py, webhook_pages.py).
router.include_router(job_pages.router)
router.include_router(webhook_pages.router)
router.include_router(message_pages.router)


# ---------------------------------------------------------------- sign in / out


def _safe_next(target: str | None) -> str:
    """Only paths on this site: never //host or a scheme."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/orders"


@router.get("/")
async def home(request: Request) -> Response:
    session = read_session(request)
    return RedirectResponse("/orders" if session and session.signed_in else "/signin", status_code=303)


@router.get("/signin")
async def signin_form(request: Request, next: str = "/orders", notice: str = "") -> Response:
    session = read_session(request)
    fresh = session is None
    session = session or new_session()
    response = page(
        request,
        "signin.html",
        {"csrf": session.csrf, "next": _safe_next(next), "notice": NOTICES.get(notice), "error": None},
        session=session,
    )
    if fresh:
        write_session(request, response, session)
    return response


@router.post("/signin")
async def signin(request: Request) -> Response:
    form = await request.form()
    session = read_session(request)
    check_csrf(session, form.get("csrf"))
    assert session is not None
    key = str(form.get("key") or "").strip()
    target = _safe_next(str(form.get("next") or ""))
    try:
        async with request.app.state.db.read() as conn:
            company_id = await company_for_key(conn, key=key)
    except PohubError as exc:
        return page(
            request,
            "signin.html",
            {"csrf": session.csrf, "next": target, "notice": None, "error": exc.message},
            status_code=exc.status_code,
            session=session,
        )
    response = RedirectResponse(target, status_code=303)
    # A new token on sign-in: a token seen before signing in is worth nothing after.
    write_session(request, response, new_session(company_id, hash_key(key)))
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    form = await request.form()
    check_csrf(read_session(request), form.get("csrf"))
    response = RedirectResponse("/signin?notice=signed-out", status_code=303)
    clear_session(response)
    return response


# ---------------------------------------------------------------- orders


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _filter(request: Request) -> queries.OrderFilter:
    q = request.query_params
    return queries.OrderFilter(
        status=small_int(q.get("status")),
        po=(q.get("po") or "").strip()[:100],
        partner=small_int(q.get("partner")),
        date_from=_date(q.get("from")),
        date_to=_date(q.get("to")),
        page=max(small_int(q.get("page")) or 1, 1),
    )


@router.get("/orders")
async def orders_page(request: Request) -> Response:
    session = await signed_in(request)
    company = await common.company(request, session)
    f = _filter(request)
    assert session.company_id is not None
    async with request.app.state.db.read() as conn:
        rows, total = await queries.list_orders(conn, company_id=session.company_id, f=f)
        counts = await queries.status_counts(conn, company_id=session.company_id, f=f)
    names = dict(company["partners"])
    pages = max((total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE, 1)
    chips = [
        (int(s), views.status_label(s), counts.get(int(s), 0), views.status_style(s))
        for s in views.chip_order(supplier=company["supplier"])
        if counts.get(int(s)) or s == f.status or (company["supplier"] and int(s) == 150)
    ]
    return page(
        request,
        "orders.html",
        {
            "company": company,
            "f": f,
            "rows": rows,
            "total": total,
            "pages": pages,
            "chips": chips,
            "all_count": sum(counts.values()),
            "names": names,
            "nav": "orders",
        },
        session=session,
    )


async def _order_context(request: Request, session: Session, key: str) -> dict[str, Any]:
    assert session.company_id is not None
    async with request.app.state.db.read() as conn:
        row, lines = await orders.get_order(conn, company_id=session.company_id, key=key)
        # Inventory feed (docs/inventory.md): the supplier's published stock of these SKUs, for the buyer.
        stock = await inventory.stock_for_order(conn, order=row, lines=lines, company_id=session.company_id)
        docs = await repo.documents_of_order(conn, order_id=row.id)
        timeline = await repo.events_of_order(conn, order_id=row.id)
        names = await queries.company_names(conn, {row.sender_company_id, row.receiver_company_id})
    return {
        "stock": stock,  # inventory feed: one query, shown by the "Supplier's stock" block of order.html
        "order": row,
        "lines": lines,
        "bars": {line.id: views.bar(line) for line in lines},
        "head": views.header(views.body_of(row)),
        "docs": {
            kind: [views.document(d) for d in docs if d.kind == kind]
            for kind in ("acknowledgement", "shipment", "invoice")
        },
        "timeline": list(reversed(timeline)),
        "names": names,
        "is_supplier": row.receiver_company_id == session.company_id,
        "is_open": views.is_open(row.status),
        "next_statuses": views.next_statuses(row.status),
        "nav": "orders",
    }


@router.get("/orders/{key}")
async def order_page(request: Request, key: str, notice: str = "") -> Response:
    session = await signed_in(request)
    company = await common.company(request, session)
    ctx = await _order_context(request, session, key)
    ctx |= {"company": company, "notice": NOTICES.get(notice)}
    return page(request, "order.html", ctx, session=session)


@router.post("/orders/{key}/status")
async def order_status(request: Request, key: str) -> Response:
    session = await signed_in(request)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    assert session.company_id is not None
    try:
        async with request.app.state.db.write() as conn:
            await orders.set_status(conn, company_id=session.company_id, key=key, status=str(form.get("status") or ""))
    except PohubError as exc:
        if exc.status_code == 404:
            raise
        company = await common.company(request, session)
        ctx = await _order_context(request, session, key)
        ctx |= {"company": company, "status_error": exc.message}
        return page(request, "order.html", ctx, status_code=exc.status_code, session=session)
    return RedirectResponse(f"/orders/{key}?notice=status", status_code=303)


# ---------------------------------------------------------------- supplier documents


_KINDS: dict[str, dict[str, Any]] = {
    "acknowledge": {
        "kind": "acknowledgement",
        "model": Acknowledgement,
        "template": "acknowledge.html",
        "fields": forms.ACK_FIELDS,
        "notice": "acknowledged",
    },
    "ship": {
        "kind": "shipment",
        "model": Shipment,
        "template": "ship.html",
        "fields": forms.SHIP_FIELDS,
        "notice": "shipped",
    },
    "invoice": {
        "kind": "invoice",
        "model": Invoice,
        "template": "invoice.html",
        "fields": forms.INVOICE_FIELDS,
        "notice": "invoiced",
    },
}


async def _document_form_context(request: Request, session: Session, key: str, action: str) -> dict[str, Any]:
    ctx = await _order_context(request, session, key)
    if not ctx["is_supplier"]:
        raise NotFound(f"Only the order's supplier sends {_KINDS[action]['kind']}s for it")
    order = ctx["order"]
    earlier = ctx["docs"][_KINDS[action]["kind"]]
    po = order.partner_po or str(order.id)
    n = len(earlier) + 1
    today = clock.now().date().isoformat()
    values: dict[str, str] = {}
    for line in ctx["lines"]:
        i = line.position
        if action == "acknowledge":
            values |= {
                f"action-{i}": "accept" if not earlier else "split",
                f"accept-{i}": str(line.quantity if not earlier else line.qty_accepted),
                f"backorder-{i}": str(0 if not earlier else line.qty_backordered),
                f"cancel-{i}": str(0 if not earlier else line.qty_cancelled),
            }
        elif action == "ship":
            values[f"qty-{i}"] = str(max(line.quantity - line.qty_cancelled - line.qty_shipped, 0))
        else:
            values[f"qty-{i}"] = str(max(line.qty_shipped - line.qty_invoiced, 0))
            price = line.ack_price if line.ack_price is not None else line.price
            values[f"price-{i}"] = "" if price is None else format(price.normalize(), "f")
    if action == "acknowledge":
        values |= {"ack_number": f"ACK-{po}-{n}", "scheduled_ship_date": today}
    elif action == "ship":
        values |= {"shipment_number": f"SHP-{po}-{n}", "ship_date": today}
    else:
        values |= {"invoice_number": f"INV-{po}-{n}", "invoice_date": today}
    company = await common.company(request, session)
    return ctx | {
        "company": company,
        "values": values,
        "errors": forms.FormErrors(),
        "update": action == "acknowledge" and bool(earlier),
        "actions": forms.ACK_ACTIONS,
    }


@router.get("/orders/{key}/{action}")
async def document_form(request: Request, key: str, action: str) -> Response:
    if action not in _KINDS:
        raise NotFound(f"No page {request.url.path!r}")
    session = await signed_in(request)
    ctx = await _document_form_context(request, session, key, action)
    return page(request, _KINDS[action]["template"], ctx, session=session)


@router.post("/orders/{key}/{action}")
async def document_post(request: Request, key: str, action: str) -> Response:
    if action not in _KINDS:
        raise NotFound(f"No page {request.url.path!r}")
    session = await signed_in(request)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    assert session.company_id is not None
    spec = _KINDS[action]
    ctx = await _document_form_context(request, session, key, action)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    built: forms.Built | None = None
    try:
        order, lines = ctx["order"], ctx["lines"]
        if action == "acknowledge":
            built = forms.acknowledgement(form, order=order, lines=lines, update=ctx["update"])
        elif action == "ship":
            built = forms.shipment(form, order=order, lines=lines)
        else:
            built = forms.invoice(form, order=order, lines=lines)
        # Received as the API receives a document: through the exchanges pipeline (kept with its reason
        # when refused, and on the order's timeline).
        msg = Message(
            channel="dashboard",
            operation=exchange_documents.OPERATION,
            company_id=session.company_id,
            raw=jsonio.dumps(built.body),
            kind=spec["kind"],
            params={"path_key": str(order.id)},
            content_type="application/json",
        )
        await inbound.receive(request.app.state.db, msg)
    except forms.FormInvalid as invalid:
        errors = invalid.errors
        status_code = 422
    except PohubError as exc:
        if exc.status_code == 404:
            raise
        errors = forms.from_error(exc, built, spec["fields"])
        status_code = exc.status_code
        ctx = await _document_form_context(request, session, key, action)  # the refusal is on the timeline now
    else:
        return RedirectResponse(f"/orders/{key}?notice={spec['notice']}", status_code=303)
    ctx |= {"values": values, "errors": errors}
    return page(request, spec["template"], ctx, status_code=status_code, session=session)


# ---------------------------------------------------------------- scorecard


@router.get("/scorecard")
async def scorecard_page(request: Request, days: int = 30) -> Response:
    session = await signed_in(request)
    assert session.company_id is not None
    days = days if days in WINDOWS else WINDOWS[0]
    company = await common.company(request, session)
    async with request.app.state.db.read() as conn:
        card = await scorecard(conn, company_id=session.company_id, days=days)
    charts = {p.partner_id: views.chart(p.daily) for p in card.partners}
    return page(
        request,
        "scorecard.html",
        {"company": company, "card": card, "charts": charts, "windows": WINDOWS, "nav": "scorecard"},
        session=session,
    )


# ---------------------------------------------------------------- static files

_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}


@lru_cache(maxsize=32)
def static_file(name: str) -> tuple[bytes, str] | None:
    """A file from the package's static/ folder and its ETag; None for anything else."""
    if "/" in name or "\\" in name or name.startswith(".") or not any(name.endswith(s) for s in _STATIC_TYPES):
        return None
    resource = importlib.resources.files("pohub.web").joinpath("static", name)
    if not resource.is_file():
        return None
    data = resource.read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:16]


@router.get("/static/{name}")
async def static(request: Request, name: str) -> Response:
    found = static_file(name)
    if found is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    data, etag = found
    headers = {"ETag": f'"{etag}"', "Cache-Control": "public, max-age=86400"}
    if request.headers.get("if-none-match") == f'"{etag}"':
        return Response(status_code=304, headers=headers)
    suffix = name[name.rindex(".") :]
    return Response(data, media_type=_STATIC_TYPES[suffix], headers=headers)
