"""The dashboard (issue 5), served at / by the same process as the API.

Pages parse the form or query, call the same services as the API, and render a template. Errors
from the services come back as PohubError and are shown next to the form fields they name.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.resources
import io
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from pohub.core import clock, jsonio
from pohub.core.actor import acting_as
from pohub.core.errors import NotFound, PohubError
from pohub.documents import kinds
from pohub.exchanges import documents as exchange_documents
from pohub.exchanges import inbound
from pohub.exchanges.inbound import Message
from pohub.orders import service as orders
from pohub.scorecard.definitions import DEFINITIONS
from pohub.scorecard.service import WINDOWS, scorecard
from pohub.users import service as users
from pohub.users.roles import Permission
from pohub.web import (
    change_pages,
    common,
    document_pages,
    forms,
    job_pages,
    message_pages,
    order_view,
    queries,
    return_pages,
    user_pages,
    views,
    webhook_pages,
)
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

REASON_MAX = orders.REASON_MAX_CHARS
NOTICES = {
    "acknowledged": "Acknowledgement sent.",
    "shipped": "Ship notice sent.",
    "invoiced": "Invoice sent.",
    "status": "Status changed.",
    "return-requested": "Return requested.",
    "change-sent": "Change sent.",
    "signed-out": "You are signed out.",
}


router = APIRouter(include_in_schema=False, route_class=WebRoute)
# The Jobs and Webhooks pages live in modules of their own (job_pages.py, webhook_pages.py).
router.include_router(job_pages.router)
router.include_router(webhook_pages.router)
router.include_router(message_pages.router)
router.include_router(user_pages.router)
router.include_router(return_pages.router)
router.include_router(change_pages.router)


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
        {
            "csrf": session.csrf,
            "next": _safe_next(next),
            "notice": NOTICES.get(notice),
            "email": "",
            "errors": forms.FormErrors(),
        },
        session=session,
    )
    if fresh:
        write_session(request, response, session)
    return response


def _signin_page(
    request: Request, session: Session, *, target: str, email: str, errors: forms.FormErrors, status_code: int
) -> Response:
    return page(
        request,
        "signin.html",
        {"csrf": session.csrf, "next": target, "notice": None, "email": email, "errors": errors},
        status_code=status_code,
        session=session,
    )


@router.post("/signin")
async def signin(request: Request) -> Response:
    form = await request.form()
    session = read_session(request)
    check_csrf(session, form.get("csrf"))
    assert session is not None
    email = str(form.get("email") or "").strip()
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or ""))
    # A write: a wrong password counts towards the account's lock (so the refusal is a value, and
    # the count commits).
    async with request.app.state.db.write() as conn:
        outcome = await users.sign_in(conn, email=email, password=password, now=clock.now())
    if isinstance(outcome, PohubError):
        errors = forms.FormErrors(message=outcome.message)
        for err in outcome.errors:
            errors.add(err.field, err.error)
        return _signin_page(
            request, session, target=target, email=email[:254], errors=errors, status_code=outcome.status_code
        )
    user = outcome
    response = RedirectResponse(target, status_code=303)
    # A new token on sign-in: a token seen before signing in is worth nothing after.
    write_session(request, response, new_session(user))
    return response


@router.get("/invite/{token}")
async def invitation_form(request: Request, token: str) -> Response:
    session = read_session(request) or new_session()
    async with request.app.state.db.read() as conn:
        user = await users.invitation(conn, token=token)
    response = page(
        request,
        "invite.html",
        {"csrf": session.csrf, "invited": user, "token": token, "errors": forms.FormErrors(), "name": user.name},
        session=session,
    )
    write_session(request, response, session)
    return response


@router.post("/invite/{token}")
async def accept_invitation(request: Request, token: str) -> Response:
    form = await request.form()
    session = read_session(request)
    check_csrf(session, form.get("csrf"))
    assert session is not None
    password, again = str(form.get("password") or ""), str(form.get("password_again") or "")
    name = str(form.get("name") or "")
    errors = forms.FormErrors()
    if password != again:
        errors.add("password_again", "does not match the password")
    try:
        async with request.app.state.db.write() as conn:
            invited = await users.invitation(conn, token=token)
            if not errors:
                user = await users.accept_invitation(conn, token=token, password=password, name=name)
    except PohubError as exc:
        if exc.status_code == 404:
            raise
        for err in exc.errors:
            errors.add(err.field, err.error)
    if errors:
        errors.message = "The password was not set"
        return page(
            request,
            "invite.html",
            {"csrf": session.csrf, "invited": invited, "token": token, "errors": errors, "name": name},
            status_code=422,
            session=session,
        )
    response = RedirectResponse("/orders", status_code=303)
    write_session(request, response, new_session(user))
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
        flag=flag if (flag := q.get("flag") or "") in queries.FLAGS else "",
        sort=sort if (sort := q.get("sort") or "") in queries.SORTS else "date",
        desc=q.get("dir") != "asc",
        size=size if (size := small_int(q.get("size"))) in queries.PAGE_SIZES else queries.PAGE_SIZE,
    )


@router.get("/orders")
async def orders_page(request: Request) -> Response:
    session = await signed_in(request)
    company = await common.company(request, session)
    f = _filter(request)
    assert session.company_id is not None
    filter_errors = forms.FormErrors()
    q = request.query_params
    for name, value in (("from", f.date_from), ("to", f.date_to)):
        if (q.get(name) or "").strip() and value is None:
            filter_errors.add(name, f"is not a date (YYYY-MM-DD): {(q.get(name) or '').strip()[:20]!r}")
    if f.date_from and f.date_to and f.date_from > f.date_to:
        filter_errors.add(
            "from", f"Received from ({f.date_from.isoformat()}) is after Received to ({f.date_to.isoformat()})"
        )
    rows: list[queries.OrderRow] = []
    total, counts = 0, {}
    async with request.app.state.db.read() as conn:
        if filter_errors:
            pass
        else:
            today = clock.now().date()
            rows, total = await queries.list_orders(conn, company_id=session.company_id, f=f, today=today)
            counts = await queries.status_counts(conn, company_id=session.company_id, f=f, today=today)
    names = dict(company["partners"])
    pages = max((total + f.size - 1) // f.size, 1)
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
            "filter_errors": filter_errors,
            "flags": queries.FLAGS,
            "sorts": queries.SORTS,
            "sizes": queries.PAGE_SIZES,
            "bulk_statuses": BULK_ACK_STATUSES,
            "notice": NOTICES.get(q.get("notice") or ""),
            "bulk": _bulk_report(q),
            "raw_dates": {"from": (q.get("from") or "")[:20], "to": (q.get("to") or "")[:20]},
            "nav": "orders",
        },
        status_code=422 if filter_errors else 200,
        session=session,
    )


CSV_COLUMNS = (
    "PartnerPO",
    "LogicbrokerKey",
    "StatusCode",
    "Status",
    "TradingPartner",
    "Direction",
    "Lines",
    "UnitsOrdered",
    "UnitsShipped",
    "UnitsCancelled",
    "Total",
    "ShipBy",
    "BackorderDue",
    "Received",
)


def _csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (=, +, -, @ first), as OWASP advises."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/orders.csv")
async def orders_csv(request: Request) -> Response:
    """The filtered list, every page (up to queries.CSV_LIMIT rows), in the list's order."""
    session = await signed_in(request)
    company = await common.company(request, session)
    f = _filter(request)
    assert session.company_id is not None
    async with request.app.state.db.read() as conn:
        rows, total = await queries.list_orders(
            conn, company_id=session.company_id, f=f, today=clock.now().date(), limit=queries.CSV_LIMIT
        )
    names = dict(company["partners"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        incoming = r.receiver_company_id == session.company_id
        other = r.sender_company_id if incoming else r.receiver_company_id
        writer.writerow(
            [
                _csv_cell(v)
                for v in (
                    r.partner_po,
                    r.id,
                    r.status,
                    views.status_label(r.status),
                    names.get(other, f"Company {other}"),
                    "received" if incoming else "sent",
                    r.lines,
                    r.ordered,
                    r.shipped,
                    r.cancelled,
                    "" if r.total is None else format(r.total, "f"),
                    r.ship_by or "",
                    r.backorder_date or "",
                    clock.aware(r.created_at).isoformat(),
                )
            ]
        )
    headers = {"Content-Disposition": 'attachment; filename="orders.csv"', "X-Total-Count": str(total)}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


# Orders a supplier may accept in full from the list: not acknowledged in the lifecycle yet.
BULK_ACK_STATUSES = (100, 150, 200)
BULK_LIMIT = 100


def _bulk_report(q: Any) -> dict[str, Any] | None:
    if "bulk_ok" not in q:
        return None
    return {"ok": small_int(q.get("bulk_ok")) or 0, "refused": [r for r in q.getlist("bulk_refused") if r][:BULK_LIMIT]}


@router.post("/orders/acknowledge")
async def bulk_acknowledge(request: Request) -> Response:
    """Accept every line of each chosen PO in full: one acknowledgement per PO, through the same
    service as the API, each in its own unit of work (one refusal does not stop the others)."""
    session = await signed_in(request, Permission.ACT)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    assert session.company_id is not None
    keys = [str(k) for k in form.getlist("key")][:BULK_LIMIT]
    ok, refused = 0, []
    for key in keys:
        try:
            async with request.app.state.db.read() as conn:
                row, lines = await orders.get_order(conn, company_id=session.company_id, key=key)
            if row.receiver_company_id != session.company_id:
                raise NotFound(f"Only the order's supplier acknowledges {row.partner_po}")
            body = forms.accept_all(order=row, lines=lines)
            msg = Message(
                channel="dashboard",
                operation=exchange_documents.OPERATION,
                company_id=session.company_id,
                raw=jsonio.dumps(body),
                kind=kinds.ACKNOWLEDGEMENT.name,
                params={"path_key": key},
                content_type="application/json",
                order_id=row.id,
                note_refusal=False,
            )
            with acting_as(session.actor):
                await inbound.receive(request.app.state.db, msg)
            ok += 1
        except PohubError as exc:
            refused.append(f"{key}: {exc.message}"[:300])
    query = urlencode([("bulk_ok", str(ok)), *[("bulk_refused", r) for r in refused]])
    back = _safe_next(str(form.get("back") or "/orders"))
    joiner = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{joiner}{query}", status_code=303)


_order_context = order_view.order_context


@router.get("/orders/{key}")
async def order_page(request: Request, key: str, notice: str = "") -> Response:
    session = await signed_in(request)
    company = await common.company(request, session)
    ctx = await _order_context(request, session, key)
    ctx |= {"company": company, "notice": NOTICES.get(notice)}
    return page(request, "order.html", ctx, session=session)


@router.post("/orders/{key}/status")
async def order_status(request: Request, key: str) -> Response:
    session = await signed_in(request, Permission.ACT)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    assert session.company_id is not None
    wanted = str(form.get("status") or "").strip()
    reason = str(form.get("reason") or "").strip()
    company = await common.company(request, session)
    ctx = await _order_context(request, session, key)
    ctx |= {"company": company, "status_values": {"status": wanted, "reason": reason}}
    problems = forms.FormErrors()
    if not wanted:
        problems.add("status", "Choose the status to set.")
    if not reason:
        # A status set by hand overrides what the documents say: the timeline keeps why, and who.
        problems.add("reason", "Say why you set the status by hand (it goes on the timeline with your name).")
    elif len(reason) > REASON_MAX:
        problems.add("reason", f"is {len(reason)} characters; at most {REASON_MAX}")
    if problems:
        ctx |= {"status_errors": problems}
        return page(request, "order.html", ctx, status_code=422, session=session)
    code = small_int(wanted)
    if code is not None and views.is_final_move(code) and form.get("confirm") != "yes":
        # A final move (1000 Complete, 1100 Cancelled) cannot be undone: ask once more, on a page of
        # its own, so it works without a script and a stray click never closes an order.
        return page(request, "confirm_status.html", ctx | {"target": code, "reason": reason}, session=session)
    try:
        with acting_as(session.actor):
            async with request.app.state.db.write() as conn:
                await orders.set_status(conn, company_id=session.company_id, key=key, status=wanted, reason=reason)
    except PohubError as exc:
        if exc.status_code == 404:
            raise
        ctx = await _order_context(request, session, key)
        problems.add("status", exc.message)
        for err in exc.errors:
            if err.field == "reason":
                problems.add("reason", err.error)
        ctx |= {"company": company, "status_errors": problems, "status_values": {"status": wanted, "reason": reason}}
        return page(request, "order.html", ctx, status_code=exc.status_code, session=session)
    return RedirectResponse(f"/orders/{key}?notice=status", status_code=303)


# Last of the order routes: its /orders/{key}/{action} would take the paths above.
router.include_router(document_pages.router)


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
        {
            "company": company,
            "card": card,
            "charts": charts,
            "windows": WINDOWS,
            "definitions": DEFINITIONS,
            "nav": "scorecard",
        },
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
