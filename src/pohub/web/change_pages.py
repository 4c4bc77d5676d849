"""Buyer changes in the dashboard (issue 12): the list, one change's page, the buyer's change from
the order page, and the supplier's answer line by line, each a message through the exchanges
pipeline to pohub.changes.service (which applies at once before the order is acknowledged)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from pohub.changes import repository as changes_repo
from pohub.changes.status import PENDING, ChangeStatus
from pohub.core.errors import NotFound, PohubError
from pohub.core.ids import is_ascii_int
from pohub.documents import kinds
from pohub.documents import repository as docs_repo
from pohub.exchanges import changes as handlers
from pohub.exchanges import documents as exchange_documents
from pohub.orders import service as orders
from pohub.users.roles import Permission
from pohub.web import common, forms, queries, views
from pohub.web.common import WebRoute, small_int
from pohub.web.order_view import order_context
from pohub.web.render import page
from pohub.web.send import refusal, send
from pohub.web.session import Session, check_csrf, signed_in

router = APIRouter(include_in_schema=False, route_class=WebRoute)
KIND = kinds.CHANGE.name
STATUS_STYLE = {
    ChangeStatus.AWAITING_ANSWER: "todo",
    ChangeStatus.APPLIED: "done",
    ChangeStatus.PARTLY_APPLIED: "ship",
    ChangeStatus.REJECTED: "failed",
}
ACTION_LABELS = {"change": "Change", "add": "Add", "cancel": "Cancel line", "cancel_order": "Cancel the PO"}
NOTICES = {"sent": "Change sent.", "answered": "Answer sent."}


def _text(form: Mapping[str, Any], name: str, limit: int) -> str:
    return str(form.get(name) or "").strip()[:limit]


# ---------------------------------------------------------------- list and one change


@router.get("/changes")
async def changes_page(request: Request) -> Response:
    session = await signed_in(request)
    assert session.company_id is not None
    order_id = small_int(request.query_params.get("order"))
    page_no = max(small_int(request.query_params.get("page")) or 1, 1)
    async with request.app.state.db.read() as conn:
        rows, total = await queries.documents_of_kind(
            conn, company_id=session.company_id, kind=KIND, order_id=order_id, page=page_no
        )
        lines = await changes_repo.lines_of_changes(conn, change_ids=[r.id for r in rows])
        parties = {r.sender_company_id for r in rows} | {r.receiver_company_id for r in rows}
        names = await queries.company_names(conn, parties)
    items = [
        {
            "row": r,
            "status": ChangeStatus(r.status),
            "what": ", ".join(
                f"{ACTION_LABELS.get(ln.action, ln.action)} {ln.line_number}" for ln in lines.get(r.id, [])
            ),
            "partner": names.get(queries.other_party(r, session.company_id), ""),
        }
        for r in rows
    ]
    return page(
        request,
        "changes.html",
        {
            "company": await common.company(request, session),
            "items": items,
            "total": total,
            "page_no": page_no,
            "pages": queries.page_count(total),
            "order_id": order_id,
            "styles": STATUS_STYLE,
            "nav": "changes",
        },
        session=session,
    )


async def _change_context(request: Request, session: Session, key: str) -> dict[str, Any]:
    assert session.company_id is not None
    async with request.app.state.db.read() as conn:
        row = await docs_repo.document_by_key(conn, key=key, company_id=session.company_id, kind=KIND)
        order, _ = await orders.get_order(conn, company_id=session.company_id, key=str(row.order_id))
        lines = await changes_repo.lines_of(conn, change_id=row.id)
        names = await queries.company_names(conn, {row.sender_company_id, row.receiver_company_id})
    status = ChangeStatus(row.status)
    is_supplier = row.receiver_company_id == session.company_id
    body = views.body_of(row)
    return {
        "company": await common.company(request, session),
        "change": row,
        "order": order,
        "status": status,
        "style": STATUS_STYLE[status],
        "lines": lines,
        "labels": ACTION_LABELS,
        "reason": body.get("Reason") if isinstance(body.get("Reason"), str) else None,
        "names": names,
        "is_supplier": is_supplier,
        "may_answer": is_supplier and status is ChangeStatus.AWAITING_ANSWER and session.may(Permission.ACT),
        "pending": PENDING,
        "values": {},
        "errors": forms.FormErrors(),
        "nav": "changes",
    }


@router.get("/changes/{key}")
async def change_page(request: Request, key: str, notice: str = "") -> Response:
    session = await signed_in(request)
    ctx = await _change_context(request, session, key)
    return page(request, "change.html", ctx | {"notice": NOTICES.get(notice)}, session=session)


@router.post("/changes/{key}/answer")
async def change_answer(request: Request, key: str) -> Response:
    """The supplier accepts or rejects each line of a waiting change (a reason for a rejection)."""
    session = await signed_in(request, Permission.ACT)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    ctx = await _change_context(request, session, key)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    errors = forms.FormErrors()
    answers = []
    for line in ctx["lines"]:
        choice = _text(form, f"answer-{line.id}", 10)
        if choice not in ("accept", "reject"):
            errors.add(f"answer-{line.id}-accept", f"line {line.line_number}: choose accept or reject")
            continue
        answer: dict[str, Any] = {"LineNumber": line.line_number, "Accept": choice == "accept"}
        if reason := _text(form, f"reason-{line.id}", 200):
            answer["Reason"] = reason
        answers.append(answer)
    if errors:
        errors.message = "Not sent: answer every line"
        ctx |= {"values": values, "errors": errors}
        return page(request, "change.html", ctx, status_code=422, session=session)
    try:
        await send(
            request,
            session,
            operation=handlers.ANSWER,
            kind=KIND,
            body={"Lines": answers},
            params={"order_key": str(ctx["order"].id), "change_key": str(ctx["change"].id)},
            order_id=ctx["order"].id,
        )
    except PohubError as exc:
        if exc.status_code == 404:
            raise
        ctx = await _change_context(request, session, key)
        ctx |= {"values": values, "errors": refusal(exc)}
        return page(request, "change.html", ctx, status_code=exc.status_code, session=session)
    return RedirectResponse(f"/changes/{ctx['change'].id}?notice=answered", status_code=303)


# ---------------------------------------------------------------- the buyer's change


async def _request_context(request: Request, session: Session, key: str) -> dict[str, Any]:
    ctx = await order_context(request, session, key)
    if ctx["is_supplier"]:
        raise NotFound("Only the order's buyer changes it")
    order = ctx["order"]
    values: dict[str, str] = {"change_number": f"CHG-{order.partner_po or order.id}-{ctx['counts'].get(KIND, 0) + 1}"}
    for line in ctx["lines"]:
        values[f"quantity-{line.position}"] = str(line.quantity)
        values[f"price-{line.position}"] = "" if line.price is None else format(Decimal(line.price).normalize(), "f")
    return ctx | {
        "company": await common.company(request, session),
        "values": values,
        "errors": forms.FormErrors(),
        "waits": order.status not in (100, 150),
    }


def _change_body(form: Mapping[str, Any], ctx: dict[str, Any], errors: forms.FormErrors) -> dict[str, Any]:
    """The OrderChange the form describes: only what differs from the order as it stands."""
    order = ctx["order"]
    body: dict[str, Any] = {"PartnerPO": order.partner_po, "ChangeNumber": _text(form, "change_number", 100)}
    if not body["ChangeNumber"]:
        errors.add("change_number", "is required: type the change's number")
    if reason := _text(form, "reason", 200):
        body["Reason"] = reason
    if form.get("cancel_order"):
        body["CancelOrder"] = True
        return body
    changes: list[dict[str, Any]] = []
    for line in ctx["lines"]:
        i = line.position
        if form.get(f"cancel-{i}"):
            changes.append({"LineNumber": line.line_number, "Action": "Cancel"})
            continue
        item: dict[str, Any] = {"LineNumber": line.line_number, "Action": "Change"}
        qty_text = _text(form, f"quantity-{i}", 12)
        if qty_text and not is_ascii_int(qty_text):
            errors.add(f"quantity-{i}", f"must be a whole number, got {qty_text!r}")
        elif qty_text and int(qty_text) != int(line.quantity):
            item["Quantity"] = int(qty_text)
        price_text = _text(form, f"price-{i}", 30)
        if price_text:
            try:
                price = Decimal(price_text)
                if line.price is None or price != Decimal(line.price):
                    item["Price"] = price
            except InvalidOperation:
                errors.add(f"price-{i}", f"must be an amount, got {price_text!r}")
        date_text = _text(form, f"date-{i}", 20)
        if date_text:
            try:
                item["RequestedShipDate"] = date.fromisoformat(date_text).isoformat()
            except ValueError:
                errors.add(f"date-{i}", f"must be a date (YYYY-MM-DD), got {date_text!r}")
        if len(item) > 2:
            changes.append(item)
    add_sku = _text(form, "add_sku", 100)
    if add_sku:
        qty_text = _text(form, "add_quantity", 12)
        if not is_ascii_int(qty_text) or int(qty_text) < 1:
            errors.add("add_quantity", "the added line needs its units (a whole number, at least 1)")
        number = _text(form, "add_line_number", 50) or f"{len(ctx['lines']) + 1:02d}"
        added: dict[str, Any] = {
            "LineNumber": number,
            "Action": "Add",
            "ItemIdentifier": {"SupplierSKU": add_sku},
            "Quantity": int(qty_text) if is_ascii_int(qty_text) else 0,
        }
        if price_text := _text(form, "add_price", 30):
            try:
                added["Price"] = Decimal(price_text)
            except InvalidOperation:
                errors.add("add_price", f"must be an amount, got {price_text!r}")
        changes.append(added)
    if not changes and not errors:
        errors.add("change_number", "changes nothing: type a new quantity, price or date, cancel a line, or add one")
    body["ChangeLines"] = changes
    return body


@router.get("/orders/{key}/change")
async def change_request_form(request: Request, key: str) -> Response:
    session = await signed_in(request, Permission.ACT)
    ctx = await _request_context(request, session, key)
    return page(request, "change_request.html", ctx, session=session)


@router.post("/orders/{key}/change")
async def change_request(request: Request, key: str) -> Response:
    session = await signed_in(request, Permission.ACT)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    ctx = await _request_context(request, session, key)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    errors = forms.FormErrors()
    body = _change_body(form, ctx, errors)
    if errors:
        errors.message = errors.message or "Not sent: see the marked fields"
        ctx |= {"values": values, "errors": errors}
        return page(request, "change_request.html", ctx, status_code=422, session=session)
    order = ctx["order"]
    try:
        applied = await send(
            request,
            session,
            operation=exchange_documents.OPERATION,
            kind=KIND,
            body=body,
            params={"path_key": str(order.id)},
            order_id=order.id,
        )
    except PohubError as exc:
        if exc.status_code == 404:
            raise
        ctx = await _request_context(request, session, key)
        ctx |= {"values": values, "errors": refusal(exc)}
        return page(request, "change_request.html", ctx, status_code=exc.status_code, session=session)
    return RedirectResponse(f"/changes/{applied.document_id}?notice=sent", status_code=303)
