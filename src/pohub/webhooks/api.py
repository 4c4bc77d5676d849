"""/api/v1/Webhooks: subscriptions as the commercial API spells them ({Id, Format, Address, Topic,
Enabled, SharedSecret}), plus Test, Deliveries (with every attempt) and Replay."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from pohub.api.auth import CompanyDep
from pohub.api.http import JSON, message, page, read_body
from pohub.api.schemas import ErrorBody
from pohub.core import jsonio
from pohub.core.errors import FieldError, NotFound, Unprocessable
from pohub.jobs.worker import wake
from pohub.webhooks import repository as webhooks_repo
from pohub.webhooks import service

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in [
        (400, "Malformed JSON"),
        (401, "No or unknown API key"),
        (404, "No such webhook or delivery for this caller"),
        (409, "The delivery is still pending"),
        (413, "Body too large"),
        (422, "A field breaks a rule; Errors names it"),
    ]
}
router = APIRouter(tags=["Webhooks"], responses=ERRORS)


async def _body(request: Request) -> dict[str, Any]:
    data = jsonio.parse_received(await read_body(request))
    if not isinstance(data, dict):
        raise Unprocessable("The body must be a JSON object", [FieldError("body", "must be a JSON object")])
    return data


def _id(value: str, what: str = "webhook") -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise NotFound(f"No {what} {value!r}")
    return int(value)


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 9 else None


def _key(request: Request) -> str:
    return str(request.app.state.settings.secret_key)


@router.get("/Webhooks")
async def list_webhooks(request: Request, company_id: CompanyDep) -> JSON:
    """The caller's subscriptions (secrets masked)."""
    async with request.app.state.db.read() as conn:
        rows = await webhooks_repo.list_subscriptions(conn, company_id=company_id)
    records = [service.wire(r, server_key=_key(request), reveal=False) for r in rows]
    return page(records, total=len(records), page_number=1, page_size=max(len(records), 1))


@router.post("/Webhooks", status_code=201)
async def create_webhook(request: Request, company_id: CompanyDep) -> JSON:
    """Subscribe: {Address, Topic, Enabled, SharedSecret, Format}. The secret is shown in full once, here."""
    body = await _body(request)
    async with request.app.state.db.write() as conn:
        row = await service.create(conn, company_id=company_id, body=body, server_key=_key(request))
    return message(201, "Webhook created", service.wire(row, server_key=_key(request), reveal=True))


@router.get("/Webhooks/{webhook_id}")
async def get_webhook(webhook_id: str, request: Request, company_id: CompanyDep) -> JSON:
    """One subscription (secret masked)."""
    async with request.app.state.db.read() as conn:
        row = await service.get(conn, company_id=company_id, subscription_id=_id(webhook_id))
    return message(200, "OK", service.wire(row, server_key=_key(request), reveal=False))


@router.put("/Webhooks/{webhook_id}")
async def update_webhook(webhook_id: str, request: Request, company_id: CompanyDep) -> JSON:
    """Change a subscription's fields."""
    body = await _body(request)
    async with request.app.state.db.write() as conn:
        row = await service.update(
            conn, company_id=company_id, subscription_id=_id(webhook_id), body=body, server_key=_key(request)
        )
    reveal = any(k.casefold() == "sharedsecret" for k in body)
    return message(200, "Webhook updated", service.wire(row, server_key=_key(request), reveal=reveal))


@router.delete("/Webhooks/{webhook_id}")
async def delete_webhook(webhook_id: str, request: Request, company_id: CompanyDep) -> JSON:
    """Remove a subscription and its deliveries."""
    async with request.app.state.db.write() as conn:
        await service.delete(conn, company_id=company_id, subscription_id=_id(webhook_id))
    return message(200, "Webhook deleted")


@router.get("/Webhooks/{webhook_id}/Test")
async def test_webhook(webhook_id: str, request: Request, company_id: CompanyDep) -> JSON:
    """Queue a signed test message to the subscription's address; follow it in Deliveries."""
    async with request.app.state.db.write() as conn:
        delivery_id = await service.send_test(conn, company_id=company_id, subscription_id=_id(webhook_id))
    wake(request.app)
    return message(200, "Test delivery queued", {"DeliveryId": delivery_id})


@router.get("/Webhooks/{webhook_id}/Deliveries")
async def list_deliveries(webhook_id: str, request: Request, company_id: CompanyDep) -> JSON:
    """Deliveries newest first, each with every attempt's status code, timing and error.
    Filters: state (pending, delivered, failed, dead), page, pageSize."""
    q = {k.casefold(): v for k, v in request.query_params.items()}
    page_number = max(_number(q.get("page")) or 1, 1)
    size = _number(q.get("pagesize")) or 50
    size = min(max(size, 1), 500)
    async with request.app.state.db.read() as conn:
        records, total = await service.deliveries(
            conn,
            company_id=company_id,
            subscription_id=_id(webhook_id),
            page=page_number,
            page_size=size,
            state=q.get("state"),
        )
    return page(records, total=total, page_number=page_number, page_size=size)


@router.post("/Webhooks/{webhook_id}/Deliveries/{delivery_id}/Replay")
async def replay_delivery(webhook_id: str, delivery_id: str, request: Request, company_id: CompanyDep) -> JSON:
    """Send a finished delivery again (the same webhook-id, so receivers can deduplicate)."""
    async with request.app.state.db.write() as conn:
        body = await service.replay(
            conn, company_id=company_id, subscription_id=_id(webhook_id), delivery_id=_id(delivery_id, "delivery")
        )
    wake(request.app)
    return message(200, "Delivery queued again", body)
