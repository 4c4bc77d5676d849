"""Webhooks: the company's subscriptions (created, enabled, disabled, deleted through forms), a
test message, recent deliveries with every attempt, and a replay of a failed or dead-lettered one.

Every change goes through ``pohub.webhooks.service``, as the API's do; a refusal's field errors are
put next to the form fields they name. The shared secret is never sent to the browser.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from pohub.core.errors import NotFound, PohubError, invalid
from pohub.jobs.worker import wake
from pohub.users.roles import Permission
from pohub.web import common, views
from pohub.web.common import WebRoute, small_int
from pohub.web.forms import FormErrors
from pohub.web.render import page
from pohub.web.session import Session, check_csrf, signed_in
from pohub.webhooks import repository as webhooks_repo
from pohub.webhooks import secrets, service, topics

router = APIRouter(include_in_schema=False, route_class=WebRoute)

DELIVERIES_PAGE = 25
NOTICES = {
    "created": "Webhook created. Deliveries are signed with its shared secret (Standard Webhooks headers).",
    "enabled": "Webhook enabled.",
    "disabled": "Webhook disabled: events write no deliveries for it until it is enabled again.",
    "secret": "Shared secret replaced. Deliveries from now on are signed with the new one.",
    "test": "Test message queued; it appears under Deliveries once sent.",
    "replayed": "Delivery queued again with a fresh set of attempts.",
    "deleted": "Webhook deleted, with its deliveries.",
}
# The service's field names (as the API spells them) and the form's boxes.
FIELDS = {"Address": "address", "Topic": "topic", "Enabled": "enabled", "SharedSecret": "secret"}
TOPIC_LABELS = {topics.ALL: "* (every topic)", topics.JOB_FINISHED: "job.finished (salesOrderAck)"}


def _key(request: Request) -> str:
    return str(request.app.state.settings.secret_key)


def _id(value: str, what: str = "webhook") -> int:
    found = common.ident(value)
    if found is None:
        raise NotFound(f"No {what} {value!r}")
    return found


def _errors(exc: PohubError) -> FormErrors:
    """The service's refusal, each field error next to its box."""
    repeats = any(exc.message == f"{e.field}: {e.error}" for e in exc.errors)
    errors = FormErrors(message=None if repeats else exc.message)
    for err in exc.errors:
        if err.field in FIELDS:
            errors.add(FIELDS[err.field], err.error)
        else:
            errors.general.append(f"{err.field}: {err.error}")
    if not exc.errors:
        errors.message = exc.message
    return errors


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def _list_context(request: Request, session: Session) -> dict[str, Any]:
    assert session.company_id is not None
    async with request.app.state.db.read() as conn:
        rows = await webhooks_repo.list_subscriptions(conn, company_id=session.company_id)
    return {
        "company": await common.company(request, session),
        "webhooks": [views.webhook(r) for r in rows],
        "topics": [(t, TOPIC_LABELS.get(t, t)) for t in topics.TOPICS],
        "values": {"address": "", "topic": topics.ORDER_CREATED, "enabled": "on"},
        "errors": FormErrors(),
        "nav": "webhooks",
    }


@router.get("/webhooks")
async def webhooks_page(request: Request, notice: str = "") -> Response:
    session = await signed_in(request)
    ctx = await _list_context(request, session)
    return page(request, "webhooks.html", ctx | {"notice": NOTICES.get(notice)}, session=session)


@router.post("/webhooks")
async def create_webhook(request: Request) -> Response:
    session = await signed_in(request, Permission.MANAGE)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    assert session.company_id is not None
    body = {
        "Address": _text(form, "address"),
        "Topic": _text(form, "topic"),
        "Enabled": "true" if form.get("enabled") else "false",
        "SharedSecret": _text(form, "secret") or None,
    }
    try:
        async with request.app.state.db.write() as conn:
            row = await service.create(conn, company_id=session.company_id, body=body, server_key=_key(request))
    except PohubError as exc:
        ctx = await _list_context(request, session)
        # What was typed comes back, the secret box too: it holds what this person just typed (never a
        # stored secret), so fixing the address does not mean typing the secret again.
        values = {
            "address": body["Address"],
            "topic": body["Topic"],
            "enabled": "on" if form.get("enabled") else "",
            "secret": _text(form, "secret"),
        }
        ctx |= {"values": values, "errors": _errors(exc)}
        return page(request, "webhooks.html", ctx, status_code=exc.status_code, session=session)
    return RedirectResponse(f"/webhooks/{row.id}?notice=created", status_code=303)


async def _detail_context(request: Request, session: Session, webhook_id: str) -> dict[str, Any]:
    assert session.company_id is not None
    q = request.query_params
    number = max(small_int(q.get("page")) or 1, 1)
    state = q.get("state") if q.get("state") in views.DELIVERY_STATES else None
    async with request.app.state.db.read() as conn:
        row = await service.get(conn, company_id=session.company_id, subscription_id=_id(webhook_id))
        records, total = await service.deliveries(
            conn,
            company_id=session.company_id,
            subscription_id=row.id,
            page=number,
            page_size=DELIVERIES_PAGE,
            state=state,
        )
    return {
        "company": await common.company(request, session),
        "hook": views.webhook(row),
        "deliveries": [views.delivery(r) for r in records],
        "total": total,
        "state": state,
        "states": views.DELIVERY_STATES,
        "page_number": number,
        "pages": max((total + DELIVERIES_PAGE - 1) // DELIVERIES_PAGE, 1),
        "errors": FormErrors(),
        "nav": "webhooks",
    }


@router.get("/webhooks/{webhook_id}")
async def webhook_page(request: Request, webhook_id: str, notice: str = "") -> Response:
    session = await signed_in(request)
    ctx = await _detail_context(request, session, webhook_id)
    return page(request, "webhook.html", ctx | {"notice": NOTICES.get(notice)}, session=session)


async def _change(request: Request, webhook_id: str, action: str) -> Response:
    """A form on a webhook's page: the service call it asks for, then back to the page (or the list)."""
    session = await signed_in(request, Permission.MANAGE)
    form = await request.form()
    check_csrf(session, form.get("csrf"))
    assert session.company_id is not None
    hook_id = _id(webhook_id)
    notice = "replayed" if action == "replay" else action
    try:
        async with request.app.state.db.write() as conn:
            if action == "enabled":
                enable = _text(form, "enabled") == "true"
                await service.update(
                    conn,
                    company_id=session.company_id,
                    subscription_id=hook_id,
                    body={"Enabled": enable},
                    server_key=_key(request),
                )
                notice = "enabled" if enable else "disabled"
            elif action == "secret":
                if not _text(form, "secret"):
                    raise invalid("SharedSecret", f"is required: type the new secret; it {secrets.RULE}")
                await service.update(
                    conn,
                    company_id=session.company_id,
                    subscription_id=hook_id,
                    body={"SharedSecret": _text(form, "secret")},
                    server_key=_key(request),
                )
            elif action == "test":
                await service.send_test(conn, company_id=session.company_id, subscription_id=hook_id)
            elif action == "delete":
                await service.delete(conn, company_id=session.company_id, subscription_id=hook_id)
            else:  # replay
                await service.replay(
                    conn,
                    company_id=session.company_id,
                    subscription_id=hook_id,
                    delivery_id=_id(_text(form, "delivery"), "delivery"),
                )
    except PohubError as exc:
        if exc.status_code == 404:
            raise
        ctx = await _detail_context(request, session, webhook_id)
        ctx["errors"] = _errors(exc)
        ctx["typed_secret"] = _text(form, "secret") if action == "secret" else ""
        return page(request, "webhook.html", ctx, status_code=exc.status_code, session=session)
    if action in ("test", "replay"):
        wake(request.app)
    if action == "delete":
        return RedirectResponse("/webhooks?notice=deleted", status_code=303)
    return RedirectResponse(f"/webhooks/{hook_id}?notice={notice}", status_code=303)


@router.post("/webhooks/{webhook_id}/enabled")
async def set_enabled(request: Request, webhook_id: str) -> Response:
    return await _change(request, webhook_id, "enabled")


@router.post("/webhooks/{webhook_id}/secret")
async def replace_secret(request: Request, webhook_id: str) -> Response:
    return await _change(request, webhook_id, "secret")


@router.post("/webhooks/{webhook_id}/test")
async def send_test(request: Request, webhook_id: str) -> Response:
    return await _change(request, webhook_id, "test")


@router.post("/webhooks/{webhook_id}/delete")
async def delete_webhook(request: Request, webhook_id: str) -> Response:
    return await _change(request, webhook_id, "delete")


@router.post("/webhooks/{webhook_id}/replay")
async def replay_delivery(request: Request, webhook_id: str) -> Response:
    return await _change(request, webhook_id, "replay")
