"""Settings for a company's admins: its users (invite, change a role, remove), its API keys (create,
revoke) and its trading partners. Everything here needs the admin role (Permission.MANAGE)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from pohub.core import clock
from pohub.core.errors import NotFound, PohubError
from pohub.partners import repository as partners_repo
from pohub.partners import service as partners
from pohub.users import service as users
from pohub.users.roles import ROLE_LABELS, Permission, Role
from pohub.web import common
from pohub.web.common import WebRoute
from pohub.web.forms import FormErrors
from pohub.web.render import page
from pohub.web.session import Session, check_csrf, signed_in

router = APIRouter(include_in_schema=False, route_class=WebRoute)

NOTICES = {
    "role": "Role changed. The person signs in again to use it.",
    "removed": "User removed. Their sessions have ended.",
    "revoked": "API key revoked. Machines using it are refused from now on.",
    "invoice": "Trading partner setting saved.",
}


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def invitation_url(request: Request, token: str) -> str:
    base = request.app.state.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base.rstrip('/')}/invite/{token}"


async def _context(request: Request, session: Session) -> dict[str, Any]:
    assert session.company_id is not None
    async with request.app.state.db.read() as conn:
        people = await users.list_users(conn, company_id=session.company_id)
        keys = await partners_repo.keys_of(conn, session.company_id)
        links = await partners_repo.partners_of(conn, session.company_id)
    return {
        "company": await common.company(request, session),
        "people": people,
        "keys": keys,
        "links": links,
        "roles": [(r.value, ROLE_LABELS[r]) for r in Role],
        "values": {"email": "", "name": "", "role": Role.CLERK.value},
        "errors": FormErrors(),
        "shown_once": None,
        "nav": "settings",
    }


@router.get("/settings")
async def settings_page(request: Request, notice: str = "") -> Response:
    session = await signed_in(request, Permission.MANAGE)
    ctx = await _context(request, session)
    return page(request, "settings.html", ctx | {"notice": NOTICES.get(notice)}, session=session)


@router.post("/settings/users")
async def invite_user(request: Request) -> Response:
    session = await signed_in(request, Permission.MANAGE)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    assert session.company_id is not None
    values = {"email": _text(form, "email"), "name": _text(form, "name"), "role": _text(form, "role")}
    try:
        async with request.app.state.db.write() as conn:
            added = await users.add_user(
                conn, company_id=session.company_id, email=values["email"], role=values["role"], name=values["name"]
            )
    except PohubError as exc:
        ctx = await _context(request, session)
        errors = FormErrors(message=exc.message)
        for err in exc.errors:
            errors.add(err.field, err.error)
        ctx |= {"values": values, "errors": errors}
        return page(request, "settings.html", ctx, status_code=exc.status_code, session=session)
    ctx = await _context(request, session)
    assert added.invitation is not None
    ctx["shown_once"] = {
        "title": f"Invitation for {added.user.email}",
        "text": "Send this link to them; it is shown only now and works once, for 7 days.",
        "value": invitation_url(request, added.invitation),
    }
    return page(request, "settings.html", ctx, status_code=201, session=session)


def _user_id(value: str) -> int:
    found = common.ident(value)
    if found is None:
        raise NotFound(f"No user {value!r}")
    return found


@router.post("/settings/users/{user_id}/role")
async def change_role(request: Request, user_id: str) -> Response:
    session = await signed_in(request, Permission.MANAGE)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    assert session.company_id is not None
    return await _apply(
        request,
        session,
        lambda conn: users.set_role(
            conn, company_id=session.company_id or 0, user_id=_user_id(user_id), role=_text(form, "role")
        ),
        "role",
    )


@router.post("/settings/users/{user_id}/remove")
async def remove_user(request: Request, user_id: str) -> Response:
    session = await signed_in(request, Permission.MANAGE)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    return await _apply(
        request,
        session,
        lambda conn: users.remove_user(conn, company_id=session.company_id or 0, user_id=_user_id(user_id)),
        "removed",
    )


async def _apply(request: Request, session: Session, work: Any, notice: str) -> Response:
    try:
        async with request.app.state.db.write() as conn:
            await work(conn)
    except PohubError as exc:
        if exc.status_code == 404:
            raise
        ctx = await _context(request, session)
        ctx["errors"] = FormErrors(message=exc.message)
        return page(request, "settings.html", ctx, status_code=exc.status_code, session=session)
    return RedirectResponse(f"/settings?notice={notice}", status_code=303)


@router.post("/settings/keys")
async def create_key(request: Request) -> Response:
    session = await signed_in(request, Permission.MANAGE)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    assert session.company_id is not None
    label = _text(form, "label")[:200] or f"made by {session.actor} on {clock.now().date().isoformat()}"
    async with request.app.state.db.write() as conn:
        key = await partners.create_key(conn, company_id=session.company_id, label=label)
    ctx = await _context(request, session)
    ctx["shown_once"] = {
        "title": "New API key",
        "text": "Copy it now: it is shown only once, and only its hash is stored. It signs in to the API, not here.",
        "value": key,
    }
    return page(request, "settings.html", ctx, status_code=201, session=session)


@router.post("/settings/keys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: str) -> Response:
    session = await signed_in(request, Permission.MANAGE)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    assert session.company_id is not None
    found = common.ident(key_id)
    async with request.app.state.db.write() as conn:
        done = found is not None and await partners_repo.revoke_key_of(
            conn, company_id=session.company_id, key_id=found, at=clock.now()
        )
    if not done:
        raise NotFound(f"No API key {key_id!r}")
    return RedirectResponse("/settings?notice=revoked", status_code=303)


@router.post("/settings/partners/{partner_id}/invoice")
async def partner_invoice(request: Request, partner_id: str) -> Response:
    """A buyer's admin sets whether its supplier must invoice (the relationship's setting)."""
    session = await signed_in(request, Permission.MANAGE)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    assert session.company_id is not None
    found = common.ident(partner_id)
    async with request.app.state.db.write() as conn:
        link = (
            None
            if found is None
            else await partners_repo.partnership(conn, buyer_id=session.company_id, supplier_id=found)
        )
        if link is None or found is None:
            raise NotFound(f"{partner_id!r} is not a supplier of yours")
        await partners.connect(
            conn, buyer_id=session.company_id, supplier_id=found, invoice_required=_text(form, "required") == "true"
        )
    return RedirectResponse("/settings?notice=invoice", status_code=303)
