"""Returns (RMAs) in the dashboard (issue 12): the list, one return's page, the buyer's request from
the order page, and the supplier's answers (authorise, reject, receive, credit) and the buyer's
withdrawal, each a message through the exchanges pipeline to pohub.returns.service."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from pohub.core.errors import NotFound, PohubError
from pohub.core.ids import is_ascii_int
from pohub.documents import kinds
from pohub.documents import repository as docs_repo
from pohub.exchanges import documents as exchange_documents
from pohub.exchanges import returns as handlers
from pohub.orders import service as orders
from pohub.returns import repository as returns_repo
from pohub.returns.status import (
    BY_BUYER,
    TRANSITIONS,
    ReturnLineQuantities,
    ReturnStatus,
    units_counted,
)
from pohub.users.roles import Permission
from pohub.web import common, forms, queries
from pohub.web.common import WebRoute, small_int
from pohub.web.order_view import order_context
from pohub.web.render import page
from pohub.web.send import refusal, send
from pohub.web.session import Session, check_csrf, signed_in

router = APIRouter(include_in_schema=False, route_class=WebRoute)
KIND = kinds.RETURN.name
CREDIT = "credit"  # pohub.returns.service.CREDIT: a credit memo is its own document

# Why units come back (ReturnReasonCode); any code the API sends is shown as it came.
REASON_CODES = (
    ("DAMAGED", "Damaged in transit"),
    ("DEFECTIVE", "Defective"),
    ("WRONG_ITEM", "Wrong item sent"),
    ("NOT_AS_DESCRIBED", "Not as described"),
    ("NO_LONGER_NEEDED", "No longer needed"),
)
CONDITIONS = ("New", "Opened", "Damaged", "Defective")
# Each answer, the status it moves the return to (pohub.returns.status.TRANSITIONS decides whether it
# is offered) and the party that makes it.
ACTIONS: dict[str, ReturnStatus] = {
    "authorise": ReturnStatus.AUTHORISED,
    "reject": ReturnStatus.REJECTED,
    "receive": ReturnStatus.RECEIVED,
    "credit": ReturnStatus.CREDITED,
    "cancel": ReturnStatus.CANCELLED,
}
NOTICES = {
    "requested": "Return requested: the supplier answers it here.",
    "authorise": "Return authorised.",
    "reject": "Return rejected.",
    "receive": "Receipt recorded.",
    "credit": "Credit memo sent.",
    "cancel": "Return withdrawn.",
}
STATUS_STYLE = {
    ReturnStatus.REQUESTED: "todo",
    ReturnStatus.AUTHORISED: "acked",
    ReturnStatus.RECEIVED: "ship",
    ReturnStatus.CREDITED: "done",
    ReturnStatus.CANCELLED: "cancelled",
    ReturnStatus.REJECTED: "failed",
}


def offered(status: int, *, is_supplier: bool) -> list[str]:
    """The answers this party may give a return in this status."""
    allowed = TRANSITIONS[ReturnStatus(status)]
    return [a for a, target in ACTIONS.items() if target in allowed and (target in BY_BUYER) != is_supplier]


def _whole(form: Mapping[str, Any], name: str, errors: forms.FormErrors) -> int:
    text = str(form.get(name) or "").strip()
    if not text:
        return 0
    if not is_ascii_int(text) or len(text) > 9:
        errors.add(name, f"must be a whole number, got {text[:20]!r}")
        return 0
    return int(text)


def _text(form: Mapping[str, Any], name: str, limit: int) -> str:
    return str(form.get(name) or "").strip()[:limit]


# ---------------------------------------------------------------- list


@router.get("/returns")
async def returns_page(request: Request) -> Response:
    session = await signed_in(request)
    assert session.company_id is not None
    order_id = small_int(request.query_params.get("order"))
    page_no = max(small_int(request.query_params.get("page")) or 1, 1)
    async with request.app.state.db.read() as conn:
        rows, total = await queries.documents_of_kind(
            conn, company_id=session.company_id, kind=KIND, order_id=order_id, page=page_no
        )
        ids = [r.id for r in rows]
        lines = await returns_repo.lines_of_returns(conn, return_ids=ids)
        details = await returns_repo.details_of(conn, return_ids=ids)
        names = await queries.company_names(
            conn, {r.sender_company_id for r in rows} | {r.receiver_company_id for r in rows}
        )
    items = [
        {
            "row": r,
            "status": ReturnStatus(r.status),
            "rma": getattr(details.get(r.id), "rma_number", None),
            "units": sum(ln.quantity for ln in lines.get(r.id, [])),
            "received": sum(ln.qty_received for ln in lines.get(r.id, [])),
            "credited": sum(ln.qty_credited for ln in lines.get(r.id, [])),
            "partner": names.get(queries.other_party(r, session.company_id), ""),
            "to_answer": bool(offered(r.status, is_supplier=r.receiver_company_id == session.company_id)),
        }
        for r in rows
    ]
    return page(
        request,
        "returns.html",
        {
            "company": await common.company(request, session),
            "items": items,
            "total": total,
            "page_no": page_no,
            "pages": queries.page_count(total),
            "order_id": order_id,
            "styles": STATUS_STYLE,
            "nav": "returns",
        },
        session=session,
    )


# ---------------------------------------------------------------- one return


async def _return_context(request: Request, session: Session, key: str) -> dict[str, Any]:
    assert session.company_id is not None
    async with request.app.state.db.read() as conn:
        row = await docs_repo.document_by_key(conn, key=key, company_id=session.company_id, kind=KIND)
        order, order_lines = await orders.get_order(conn, company_id=session.company_id, key=str(row.order_id))
        lines = await returns_repo.lines_of(conn, return_id=row.id)
        details = (await returns_repo.details_of(conn, return_ids=[row.id])).get(row.id)
        credits = [
            d
            for d in await docs_repo.documents_of_order(conn, order_id=row.order_id, kind=CREDIT)
            if d.link_key == str(row.id)
        ]
        names = await queries.company_names(conn, {row.sender_company_id, row.receiver_company_id})
    by_id = {ol.id: ol for ol in order_lines}
    is_supplier = row.receiver_company_id == session.company_id
    values: dict[str, str] = {"credit_number": f"CR-{row.number or row.id}-{len(credits) + 1}"}
    for rl in lines:
        ol = by_id[rl.order_line_id]
        values[f"received-{rl.id}"] = str(max(rl.quantity - rl.qty_received, 0))
        values[f"credit-{rl.id}"] = str(max(rl.qty_received - rl.qty_credited, 0))
        price = ol.ack_price if ol.ack_price is not None else ol.price
        values[f"credit_price-{rl.id}"] = "" if price is None else format(Decimal(price).normalize(), "f")
    return {
        "company": await common.company(request, session),
        "ret": row,
        "order": order,
        "status": ReturnStatus(row.status),
        "style": STATUS_STYLE[ReturnStatus(row.status)],
        "lines": [(rl, by_id[rl.order_line_id]) for rl in lines],
        "details": details,
        "credits": credits,
        "names": names,
        "is_supplier": is_supplier,
        "offered": offered(row.status, is_supplier=is_supplier) if session.may(Permission.ACT) else [],
        "reason_codes": dict(REASON_CODES),
        "conditions": CONDITIONS,
        "values": values,
        "errors": forms.FormErrors(),
        "failed": None,
        "nav": "returns",
    }


@router.get("/returns/{key}")
async def return_page(request: Request, key: str, notice: str = "") -> Response:
    session = await signed_in(request)
    ctx = await _return_context(request, session, key)
    return page(request, "return.html", ctx | {"notice": NOTICES.get(notice)}, session=session)


def _answer_body(action: str, form: Mapping[str, Any], ctx: dict[str, Any], errors: forms.FormErrors) -> dict[str, Any]:
    """The JSON the API takes for this answer (pohub.documents.returns), from the form."""
    if action == "authorise":
        rma = _text(form, "rma_number", 100)
        return {"RMANumber": rma} if rma else {}
    if action == "reject":
        reason = _text(form, "reject_reason", 500)
        if not reason:
            errors.add("reject_reason", "is required: say why the return is refused (the buyer sees it)")
        return {"Reason": reason}
    if action == "cancel":
        return {}
    out: list[dict[str, Any]] = []
    for rl, ol in ctx["lines"]:
        if action == "receive":
            qty = _whole(form, f"received-{rl.id}", errors)
            if qty > 0:
                line: dict[str, Any] = {"LineNumber": ol.line_number, "Quantity": qty}
                if condition := _text(form, f"condition-{rl.id}", 50):
                    line["Condition"] = condition
                out.append(line)
        else:
            qty = _whole(form, f"credit-{rl.id}", errors)
            price_text = _text(form, f"credit_price-{rl.id}", 30)
            if qty > 0:
                line = {"LineNumber": ol.line_number, "Quantity": qty}
                if price_text:
                    try:
                        line["Price"] = Decimal(price_text)
                    except InvalidOperation:
                        errors.add(f"credit_price-{rl.id}", f"must be an amount, got {price_text!r}")
                out.append(line)
    first = f"{'received' if action == 'receive' else 'credit'}-{ctx['lines'][0][0].id}" if ctx["lines"] else "lines"
    if not out and not errors:
        errors.add(first, "type the units on at least one line")
    if action == "receive":
        return {"ReceiptLines": out}
    number = _text(form, "credit_number", 100)
    if not number:
        errors.add("credit_number", "is required: type the credit memo's number")
    return {"CreditNumber": number, "CreditLines": out}


@router.post("/returns/{key}/{action}")
async def return_answer(request: Request, key: str, action: str) -> Response:
    if action not in ACTIONS:
        raise NotFound(f"No page {request.url.path!r}")
    session = await signed_in(request, Permission.ACT)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    ctx = await _return_context(request, session, key)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    errors = forms.FormErrors()
    body = _answer_body(action, form, ctx, errors)
    if not errors:
        try:
            await send(
                request,
                session,
                operation=handlers.ANSWER,
                kind=CREDIT if action == "credit" else KIND,
                body=body,
                params={"return_key": str(ctx["ret"].id), "action": action},
                order_id=ctx["order"].id,
            )
        except PohubError as exc:
            if exc.status_code == 404:
                raise
            errors = refusal(exc)
            ctx = await _return_context(request, session, key)
            ctx |= {"values": ctx["values"] | values, "errors": errors, "failed": action}
            return page(request, "return.html", ctx, status_code=exc.status_code, session=session)
        return RedirectResponse(f"/returns/{ctx['ret'].id}?notice={action}", status_code=303)
    errors.message = errors.message or "Not sent: see the marked fields"
    ctx |= {"values": ctx["values"] | values, "errors": errors, "failed": action}
    return page(request, "return.html", ctx, status_code=422, session=session)


# ---------------------------------------------------------------- the buyer's request


async def _request_context(request: Request, session: Session, key: str) -> dict[str, Any]:
    ctx = await order_context(request, session, key)
    if ctx["is_supplier"]:
        raise NotFound("Only the order's buyer requests a return")
    order = ctx["order"]
    async with request.app.state.db.read() as conn:
        held: dict[int, int] = defaultdict(int)
        for status, line in await returns_repo.order_returns(conn, order_id=order.id):
            quantities = ReturnLineQuantities(line.quantity, line.qty_received, line.qty_credited)
            held[line.order_line_id] += units_counted(ReturnStatus(status), quantities)
    room = {line.position: max(int(line.qty_shipped) - held[line.id], 0) for line in ctx["lines"]}
    n = ctx["counts"].get(KIND, 0) + 1
    return ctx | {
        "company": await common.company(request, session),
        "room": room,
        "reason_codes": REASON_CODES,
        "values": {"return_number": f"RET-{order.partner_po or order.id}-{n}"},
        "errors": forms.FormErrors(),
    }


@router.get("/orders/{key}/return")
async def return_request_form(request: Request, key: str) -> Response:
    session = await signed_in(request, Permission.ACT)
    ctx = await _request_context(request, session, key)
    return page(request, "return_request.html", ctx, session=session)


@router.post("/orders/{key}/return")
async def return_request(request: Request, key: str) -> Response:
    session = await signed_in(request, Permission.ACT)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    ctx = await _request_context(request, session, key)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    errors = forms.FormErrors()
    number = _text(form, "return_number", 100)
    if not number:
        errors.add("return_number", "is required: type the return's number")
    lines = []
    for line in ctx["lines"]:
        i = line.position
        qty = _whole(form, f"qty-{i}", errors)
        if qty <= 0:
            continue
        if qty > ctx["room"][i]:
            errors.add(f"qty-{i}", f"at most {ctx['room'][i]} shipped unit(s) of line {line.line_number} can come back")
        code = _text(form, f"reason_code-{i}", 50)
        if not code:
            errors.add(f"reason_code-{i}", "choose why the units come back")
        item: dict[str, Any] = {
            "LineNumber": line.line_number,
            "Quantity": qty,
            "ReturnReasonCode": code,
            "ItemIdentifier": {"SupplierSKU": line.supplier_sku} if line.supplier_sku else {},
        }
        if reason := _text(form, f"reason-{i}", 500):
            item["ReturnReason"] = reason
        lines.append(item)
    first = f"qty-{ctx['lines'][0].position}" if ctx["lines"] else "return_number"
    if not lines and not errors:
        errors.add(first, "type the units to return on at least one line")
    if not errors:
        order = ctx["order"]
        body = {"ReturnNumber": number, "PartnerPO": order.partner_po, "ReturnLines": lines}
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
            return page(request, "return_request.html", ctx, status_code=exc.status_code, session=session)
        return RedirectResponse(f"/returns/{applied.document_id}?notice=requested", status_code=303)
    errors.message = errors.message or "Not sent: see the marked fields"
    ctx |= {"values": values, "errors": errors}
    return page(request, "return_request.html", ctx, status_code=422, session=session)
