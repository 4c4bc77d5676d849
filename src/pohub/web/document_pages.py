"""The supplier's document forms (acknowledge, ship, invoice), each document's own page, and the
print views (PO, packing slip, invoice): all read the per-kind table of doc_kinds.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from pohub.core import clock, jsonio
from pohub.core.actor import acting_as
from pohub.core.errors import Conflict, NotFound, PohubError
from pohub.documents import repository as repo
from pohub.exchanges import documents as exchange_documents
from pohub.exchanges import inbound
from pohub.exchanges.inbound import Message
from pohub.users.roles import Permission
from pohub.web import carriers, common, doc_kinds, forms, invoice_total, views
from pohub.web.common import WebRoute
from pohub.web.doc_kinds import Column, DocViewSpec
from pohub.web.order_view import order_context
from pohub.web.render import page
from pohub.web.session import Session, check_csrf, signed_in

router = APIRouter(include_in_schema=False, route_class=WebRoute)

# A printed sheet holds this many lines: a document of more prints on as many sheets as it needs,
# each fitting one A4 or Letter page (tests/web/test_documents.py prints 20 and 21 lines to PDF).
LINES_PER_SHEET = 20


# ---------------------------------------------------------------- document pages


async def _document(request: Request, session: Session, key: str, doc_id: str) -> tuple[dict[str, Any], Any]:
    ctx = await order_context(request, session, key)
    wanted = common.ident(doc_id)
    async with request.app.state.db.read() as conn:
        docs = await repo.documents_of_order(conn, order_id=ctx["order"].id)
    row = next((d for d in docs if d.id == wanted and d.kind in doc_kinds.VIEWS), None)
    if row is None:
        raise NotFound(f"No document {doc_id!r} on order {key!r}")
    return ctx, row


def _totals(spec: DocViewSpec, body: dict[str, Any], row: Any) -> list[tuple[str, str]]:
    """An invoice's parts as it was sent: discount, charges, taxes and the hub's total."""
    if not spec.has_totals:
        return []
    out = []
    for d in body.get("Discounts") or []:
        if isinstance(d, dict) and d.get("DiscountAmount") is not None:
            out.append((str(d.get("DiscountName") or "Discount"), f"-{Decimal(d['DiscountAmount']):,.2f}"))
    for a in body.get("ExtendedAttributes") or []:
        if isinstance(a, dict) and str(a.get("Name") or "").casefold().startswith("charge - "):
            out.append((str(a["Name"])[len("Charge - ") :] or "Charges", f"{Decimal(str(a.get('Value') or 0)):,.2f}"))
    for t in body.get("Taxes") or []:
        if isinstance(t, dict) and t.get("TaxAmount") is not None:
            rate = f" ({Decimal(t['TaxRate']).normalize():f}%)" if t.get("TaxRate") is not None else ""
            out.append((f"{t.get('TaxTitle') or 'Tax'}{rate}", f"{Decimal(t['TaxAmount']):,.2f}"))
    if row.total is not None:
        out.append(("Total", f"{Decimal(row.total):,.2f}"))
    return out


def _doc_context(ctx: dict[str, Any], row: Any) -> dict[str, Any]:
    spec = doc_kinds.VIEWS[row.kind]
    body = views.body_of(row)
    return {
        "doc": doc_kinds.document(row),
        "spec": spec,
        "body": body,
        "columns": spec.columns,
        "rows": doc_kinds.detail_lines(spec, body, ctx["lines"]),
        "cartons": doc_kinds.cartons(body) if spec.has_cartons else [],
        "totals": _totals(spec, body, row),
        "exchanges": ctx["edi"].get(row.id, []),
    }


@router.get("/orders/{key}/documents/{doc_id}")
async def document_page(request: Request, key: str, doc_id: str) -> Response:
    session = await signed_in(request)
    ctx, row = await _document(request, session, key, doc_id)
    ctx |= {"company": await common.company(request, session)} | _doc_context(ctx, row)
    return page(request, "document.html", ctx, session=session)


def _sheets(rows: list[list[Any]]) -> list[list[list[Any]]]:
    return [rows[i : i + LINES_PER_SHEET] for i in range(0, len(rows), LINES_PER_SHEET)] or [[]]


_PO_COLUMNS = (
    Column("Line", "LineNumber"),
    Column("Item", "SupplierSKU"),
    Column("Description", "Description"),
    Column("Units", "Quantity", numeric=True),
    Column("UOM", "QuantityUOM"),
    Column("Price", "Price", numeric=True, money=True),
    Column("Amount", "Amount", numeric=True, money=True),
)


def _print_page(request: Request, session: Session, ctx: dict[str, Any], **sheet: Any) -> Response:
    rows: list[list[Any]] = sheet.pop("rows")
    sheets = _sheets(rows)
    return page(request, "print.html", ctx | sheet | {"sheets": sheets, "line_count": len(rows)}, session=session)


@router.get("/orders/{key}/print")
async def print_order(request: Request, key: str) -> Response:
    """The PO on paper: one A4/Letter sheet per 20 lines."""
    session = await signed_in(request)
    ctx = await order_context(request, session, key)
    rows = [
        [
            line.line_number,
            line.supplier_sku,
            line.description,
            line.quantity,
            line.uom,
            line.price,
            None if line.price is None else Decimal(line.price) * line.quantity,
        ]
        for line in ctx["lines"]
    ]
    order = ctx["order"]
    totals = [("Total", f"{Decimal(order.total):,.2f}")] if order.total is not None else []
    return _print_page(
        request,
        session,
        ctx,
        title="Purchase order",
        number=order.partner_po or str(order.id),
        columns=_PO_COLUMNS,
        rows=rows,
        totals=totals,
        tracking=[],
        when=order.document_date,
    )


@router.get("/orders/{key}/documents/{doc_id}/print")
async def print_document(request: Request, key: str, doc_id: str) -> Response:
    """A packing slip, an invoice or an acknowledgement on paper: one A4/Letter sheet per 20 lines."""
    session = await signed_in(request)
    ctx, row = await _document(request, session, key, doc_id)
    detail = _doc_context(ctx, row)
    return _print_page(
        request,
        session,
        ctx,
        title=detail["spec"].print_title,
        number=row.number or str(row.id),
        columns=detail["columns"],
        rows=detail["rows"],
        totals=detail["totals"],
        tracking=[c for c in detail["cartons"] if c.tracking],
        when=row.document_date,
    )


# ---------------------------------------------------------------- the supplier's forms


def _form_spec(action: str) -> DocViewSpec:
    spec = doc_kinds.BY_FORM.get(action)
    if spec is None or spec.form is None:
        raise NotFound(f"No page /orders/…/{action}")
    return spec


async def _form_context(request: Request, session: Session, key: str, spec: DocViewSpec) -> dict[str, Any]:
    assert spec.form is not None
    ctx = await order_context(request, session, key)
    if not ctx["is_supplier"]:
        raise NotFound(f"Only the order's supplier sends {spec.kind.plural.lower()} for it")
    order = ctx["order"]
    earlier = ctx["docs"][spec.kind.name]
    today = clock.now().date().isoformat()
    values = spec.form.prefill(ctx["lines"], earlier, ctx["backorder_dates"], order.partner_po or str(order.id))
    values[spec.form.date_field] = today
    return ctx | {
        "company": await common.company(request, session),
        "values": values,
        "errors": forms.FormErrors(),
        "update": spec.kind.acknowledges and bool(earlier),
        "actions": forms.ACK_ACTIONS,
        "today": today,
    }


def _extras(spec: DocViewSpec, ctx: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """What a form shows beyond its values: the ship form's cartons, the invoice's running total."""
    out: dict[str, Any] = {"cartons": forms.carton_count(values), "carriers": carriers.CARRIERS}
    if spec.has_totals:
        out["totals"] = forms.invoice_preview(values, ctx["lines"])
        out["line_prices"] = {
            line.position: "" if (p := invoice_total.line_price(line)) is None else format(p, "f")
            for line in ctx["lines"]
        }
    return out


def _nothing_to_bill(spec: DocViewSpec, ctx: dict[str, Any]) -> None:
    if spec.has_totals and ctx["billable"] <= 0:
        order = ctx["order"]
        raise Conflict(f"Nothing left to bill on {order.partner_po or order.id}: every shipped unit is invoiced")


@router.get("/orders/{key}/{action}")
async def document_form(request: Request, key: str, action: str) -> Response:
    spec = _form_spec(action)
    assert spec.form is not None
    session = await signed_in(request, Permission.ACT)
    ctx = await _form_context(request, session, key, spec)
    _nothing_to_bill(spec, ctx)
    ctx |= _extras(spec, ctx, ctx["values"])
    return page(request, spec.form.template, ctx, session=session)


def _values(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}


@router.post("/orders/{key}/{action}")
async def document_post(request: Request, key: str, action: str) -> Response:
    spec = _form_spec(action)
    assert spec.form is not None
    session = await signed_in(request, Permission.ACT)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    assert session.company_id is not None
    ctx = await _form_context(request, session, key, spec)
    values = _values(form)
    if "add_carton" in form:
        # One more carton, without a script: the page comes back with what was typed and a new box.
        values["cartons"] = str(min(forms.carton_count(values) + 1, forms.MAX_CARTONS))
        values.pop("add_carton", None)
        ctx |= {"values": values} | _extras(spec, ctx, values)
        return page(request, spec.form.template, ctx, session=session)
    if "preview" in form:
        # The running total as the hub will count it, worked out here (the same Decimal sum).
        values.pop("preview", None)
        ctx |= {"values": values, "previewed": True} | _extras(spec, ctx, values)
        return page(request, spec.form.template, ctx, session=session)
    built: forms.Built | None = None
    try:
        order, lines = ctx["order"], ctx["lines"]
        built = spec.form.build(form, order=order, lines=lines, update=ctx["update"], today=clock.now().date())
        # Received as the API receives a document: through the exchanges pipeline. A refusal is kept with
        # its reason (the author sees it on their timeline and in Messages) but not on the order's shared
        # timeline: a form the hub refused never reached the trading partner.
        msg = Message(
            channel="dashboard",
            operation=exchange_documents.OPERATION,
            company_id=session.company_id,
            raw=jsonio.dumps(built.body),
            kind=spec.kind.name,
            params={"path_key": str(order.id)},
            content_type="application/json",
            order_id=order.id,
            note_refusal=False,
        )
        with acting_as(session.actor):
            await inbound.receive(request.app.state.db, msg)
    except forms.FormInvalid as invalid:
        errors = invalid.errors
        status_code = 422
    except PohubError as exc:
        if exc.status_code == 404:
            raise
        errors = forms.from_error(exc, built, spec.form.fields)
        status_code = exc.status_code
        ctx = await _form_context(request, session, key, spec)  # the refusal is on the timeline now
    else:
        return RedirectResponse(f"/orders/{key}?notice={spec.form.notice}", status_code=303)
    ctx |= {"values": values, "errors": errors} | _extras(spec, ctx, values)
    return page(request, spec.form.template, ctx, status_code=status_code, session=session)
