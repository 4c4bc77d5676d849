"""Webhook subscriptions per company, their deliveries, replays and test messages."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.core.errors import Conflict, NotFound, invalid
from pohub.db.engine import Database
from pohub.exchanges import outbound
from pohub.webhooks import outbox, secrets, topics
from pohub.webhooks import repository as repo

FORMATS = ("json",)
log = logging.getLogger("pohub.webhooks")


def _field(body: dict[str, Any], name: str) -> Any:
    """Fields as the platform spells them (PascalCase), any other casing accepted."""
    for key, value in body.items():
        if key.casefold() == name.casefold():
            return value
    return None


def _address(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid("Address", "is required: the URL deliveries are POSTed to")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid("Address", f"must be an http(s) URL, got {value!r}")
    return value.strip()


def _topic(value: Any) -> str:
    topic = topics.normalise(value) if isinstance(value, str) else None
    if topic is None:
        raise invalid("Topic", f"must be one of: {', '.join(topics.TOPICS)} (got {value!r})")
    return topic


def _format(value: Any) -> str:
    fmt = "json" if value in (None, "") else str(value).strip().casefold()
    if fmt not in FORMATS:
        raise invalid("Format", "must be json")
    return fmt


def _enabled(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().casefold() in ("true", "false"):
        return value.strip().casefold() == "true"
    raise invalid("Enabled", "must be true or false")


def _secret(value: Any) -> str:
    if value in (None, ""):
        return secrets.generate()
    why = secrets.format_problem(value) if isinstance(value, str) else "it is not a string"
    if why:
        raise invalid("SharedSecret", f"{secrets.RULE}, or left out to get one generated ({why})")
    return str(value)


def wire(row: Any, *, server_key: str, reveal: bool) -> dict[str, Any]:
    secret = secrets.unseal(row.secret_sealed, server_key=server_key)
    return {
        "Id": row.id,
        "Format": row.format,
        "Address": row.address,
        "Topic": row.topic,
        "Enabled": bool(row.enabled),
        "SharedSecret": secret if reveal else secrets.masked(secret),
    }


async def create(conn: AsyncConnection, *, company_id: int, body: dict[str, Any], server_key: str) -> Any:
    """Subscribe a company's URL to a topic; a secret is generated when none is given."""
    now = clock.now()
    sub_id = await repo.insert_subscription(
        conn,
        {
            "company_id": company_id,
            "address": _address(_field(body, "Address")),
            "topic": _topic(_field(body, "Topic")),
            "format": _format(_field(body, "Format")),
            "enabled": _enabled(_field(body, "Enabled")),
            "secret_sealed": secrets.seal(_secret(_field(body, "SharedSecret")), server_key=server_key),
            "created_at": now,
            "updated_at": now,
        },
    )
    return await get(conn, company_id=company_id, subscription_id=sub_id)


async def reseal(conn: AsyncConnection, *, server_key: str) -> int:
    """Seal again, in the current form, every secret sealed in an older one; returns how many."""
    done = 0
    for row in await repo.subscriptions_sealed_otherwise(conn, prefix=secrets.SEALED):
        try:
            plain = secrets.unseal(row.secret_sealed, server_key=server_key)
        except secrets.SealError:
            log.warning("webhook %s: its secret was sealed with another secret_key; set a new one", row.id)
            continue
        sealed = secrets.seal(plain, server_key=server_key)
        await repo.update_subscription(conn, subscription_id=row.id, values={"secret_sealed": sealed})
        done += 1
    return done


async def reseal_all(db: Database, *, server_key: str) -> int:
    """On start: bring every stored secret to the current sealing, in one unit of work."""
    async with db.write() as conn:
        done = await reseal(conn, server_key=server_key)
    if done:
        log.info("resealed %d webhook secret(s) with AES-GCM", done)
    return done


async def get(conn: AsyncConnection, *, company_id: int, subscription_id: int) -> Any:
    """One of the company's subscriptions, or 404."""
    row = await repo.get_subscription(conn, subscription_id=subscription_id, company_id=company_id)
    if row is None:
        raise NotFound(f"No webhook {subscription_id}")
    return row


async def update(
    conn: AsyncConnection, *, company_id: int, subscription_id: int, body: dict[str, Any], server_key: str
) -> Any:
    """Change the fields given; the others stay."""
    await get(conn, company_id=company_id, subscription_id=subscription_id)
    values: dict[str, Any] = {"updated_at": clock.now()}
    if _field(body, "Address") is not None:
        values["address"] = _address(_field(body, "Address"))
    if _field(body, "Topic") is not None:
        values["topic"] = _topic(_field(body, "Topic"))
    if _field(body, "Format") is not None:
        values["format"] = _format(_field(body, "Format"))
    if _field(body, "Enabled") is not None:
        values["enabled"] = _enabled(_field(body, "Enabled"))
    if _field(body, "SharedSecret") is not None:
        values["secret_sealed"] = secrets.seal(_secret(_field(body, "SharedSecret")), server_key=server_key)
    await repo.update_subscription(conn, subscription_id=subscription_id, values=values)
    return await get(conn, company_id=company_id, subscription_id=subscription_id)


async def delete(conn: AsyncConnection, *, company_id: int, subscription_id: int) -> None:
    """Remove a subscription and its deliveries."""
    await get(conn, company_id=company_id, subscription_id=subscription_id)
    await repo.delete_subscription(conn, subscription_id=subscription_id)


async def send_test(conn: AsyncConnection, *, company_id: int, subscription_id: int) -> int:
    """Queue a signed test message to the subscription's address; returns the delivery id."""
    row = await get(conn, company_id=company_id, subscription_id=subscription_id)
    return await outbox.enqueue_test(
        conn,
        subscription=row,
        data={"WebhookId": row.id, "Topic": row.topic, "Message": "Test delivery from pohub"},
    )


# The webhook API keeps its own words for an outbound exchange's state.
WIRE_STATES = {
    outbound.QUEUED: "pending",
    outbound.SENDING: "pending",
    outbound.SENT: "delivered",
    outbound.ACKNOWLEDGED: "delivered",
    outbound.FAILED: "failed",
    outbound.DEAD: "dead",
}
STATES_OF = {"pending": [outbound.QUEUED, outbound.SENDING], "delivered": [outbound.SENT, outbound.ACKNOWLEDGED]}


def _last_error(row: Any) -> str | None:
    if not row.error:
        return None
    value = jsonio.loads(row.error)
    return str(value.get("Message")) if isinstance(value, dict) else str(value)


def wire_delivery(row: Any, attempts: list[Any]) -> dict[str, Any]:
    state = WIRE_STATES.get(row.state, row.state)
    return {
        "Id": row.id,
        "WebhookMessageId": f"msg_{row.id}",
        "Topic": row.kind,
        "State": state,
        "Attempts": row.attempts,
        "CreatedAt": row.created_at.isoformat(),
        "NextAttemptAt": row.next_attempt_at.isoformat() if state == "pending" else None,
        "DeliveredAt": row.updated_at.isoformat() if state == "delivered" else None,
        "LastStatusCode": row.status_code,
        "LastError": _last_error(row),
        "AttemptLog": [
            {
                "AttemptedAt": a.attempted_at.isoformat(),
                "StatusCode": a.status_code,
                "DurationMs": a.duration_ms,
                "Error": a.error,
            }
            for a in attempts
        ],
    }


async def deliveries(
    conn: AsyncConnection,
    *,
    company_id: int,
    subscription_id: int,
    page: int,
    page_size: int,
    state: str | None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of a subscription's deliveries, newest first, each with every attempt."""
    await get(conn, company_id=company_id, subscription_id=subscription_id)
    states = STATES_OF.get(state, [state]) if state else None
    rows, total = await repo.deliveries_page(
        conn, subscription_id=subscription_id, page=page, page_size=page_size, states=states
    )
    attempts = await outbound.attempts_of(conn, exchange_ids=[r.id for r in rows])
    return [wire_delivery(r, attempts[r.id]) for r in rows], total


async def replay(conn: AsyncConnection, *, company_id: int, subscription_id: int, delivery_id: int) -> dict[str, Any]:
    """Send a delivery again (delivered, failed or dead-lettered), with a fresh attempt budget."""
    await get(conn, company_id=company_id, subscription_id=subscription_id)
    row = await repo.get_delivery(conn, delivery_id=delivery_id, subscription_id=subscription_id)
    if row is None:
        raise NotFound(f"No delivery {delivery_id} for webhook {subscription_id}")
    if row.state in outbound.PENDING:
        raise Conflict(f"Delivery {delivery_id} is still pending; it will be sent at {row.next_attempt_at.isoformat()}")
    await outbound.requeue(conn, exchange_id=delivery_id, at=clock.now())
    updated = await repo.get_delivery(conn, delivery_id=delivery_id, subscription_id=subscription_id)
    attempts = await outbound.attempts_of(conn, exchange_ids=[delivery_id])
    return wire_delivery(updated, attempts[delivery_id])
