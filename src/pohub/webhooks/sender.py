"""Sending due deliveries: sign, POST, record the attempt, and decide what happens next.

Retried with exponential backoff and jitter on network errors, 5xx, 408 and 429; any other answer
outside 2xx is final (a receiver that refuses will refuse again). Dead-lettered when the attempts
run out; a replay puts the delivery back.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from pohub.core import clock
from pohub.db.engine import Database
from pohub.ops.metrics import delivery_outcomes
from pohub.webhooks import repository as repo
from pohub.webhooks import secrets

log = logging.getLogger("pohub.webhooks")
RETRYABLE = frozenset({408, 429})


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 8
    backoff_seconds: float = 10.0
    backoff_max_seconds: float = 3600.0
    timeout_seconds: float = 10.0
    batch: int = 20
    server_key: str = ""

    @classmethod
    def from_settings(cls, settings: Any) -> Policy:
        return cls(
            max_attempts=int(getattr(settings, "webhook_max_attempts", 8)),
            backoff_seconds=float(getattr(settings, "webhook_backoff_seconds", 10.0)),
            backoff_max_seconds=float(getattr(settings, "webhook_backoff_max_seconds", 3600.0)),
            timeout_seconds=float(getattr(settings, "webhook_timeout_seconds", 10.0)),
            server_key=str(settings.secret_key),
        )


def retryable(status_code: int | None) -> bool:
    """None is a network error (no answer)."""
    return status_code is None or status_code >= 500 or status_code in RETRYABLE


def backoff(policy: Policy, attempts: int, retry_after: float | None = None) -> float:
    """Exponential with equal jitter: half the step fixed, half random; Retry-After when longer."""
    step = min(policy.backoff_max_seconds, policy.backoff_seconds * (2 ** max(attempts - 1, 0)))
    delay = step / 2 + random.uniform(0, step / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.backoff_max_seconds))
    return float(delay)


def headers(*, msg_id: str, secret: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "content-type": "application/json",
        "user-agent": "pohub-webhooks",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": secrets.sign(secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }


@dataclass
class Outcome:
    status_code: int | None
    error: str | None
    body: str | None
    duration_ms: int
    retry_after: float | None


async def _post(client: httpx.AsyncClient, policy: Policy, row: Any) -> Outcome:
    body = row.payload.encode()
    try:
        secret = secrets.unseal(row.secret_sealed, server_key=policy.server_key)
    except ValueError as exc:
        return Outcome(None, f"cannot sign: {exc}", None, 0, None)
    started = time.perf_counter()
    try:
        resp = await client.post(
            row.address,
            content=body,
            headers=headers(msg_id=f"msg_{row.id}", secret=secret, body=body, now=clock.now()),
            timeout=policy.timeout_seconds,
        )
    except httpx.HTTPError as exc:
        ms = int((time.perf_counter() - started) * 1000)
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:1000], None, ms, None)
    ms = int((time.perf_counter() - started) * 1000)
    retry_after = resp.headers.get("retry-after")
    after = (
        float(retry_after) if retry_after and retry_after.strip().isascii() and retry_after.strip().isdigit() else None
    )
    error = None if resp.is_success else f"HTTP {resp.status_code}"
    return Outcome(resp.status_code, error, resp.text[:2000], ms, after)


def _next(policy: Policy, row: Any, outcome: Outcome, at: datetime) -> dict[str, Any]:
    attempts = row.attempts + 1
    values: dict[str, Any] = {
        "id": row.id,
        "attempts": attempts,
        "locked_until": None,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
    }
    if outcome.error is None:
        values.update(state="delivered", delivered_at=at)
    elif not retryable(outcome.status_code) or outcome.error.startswith("cannot sign"):
        values.update(state="failed")
    elif attempts >= policy.max_attempts:
        values.update(state="dead")
    else:
        delay = backoff(policy, attempts, outcome.retry_after)
        values.update(next_attempt_at=at + timedelta(seconds=delay))
    return values


async def send_due(db: Database, client: httpx.AsyncClient, policy: Policy) -> int:
    """Claim, send and record one batch of due deliveries; returns how many were attempted."""
    now = clock.now()
    lease = timedelta(seconds=policy.timeout_seconds * 3 + 30)
    async with db.write() as conn:
        rows = await repo.claim_due(conn, now=now, limit=policy.batch, lease=lease)
    if not rows:
        return 0
    sendable = [r for r in rows if r.enabled]
    outcomes = await asyncio.gather(*(_post(client, policy, r) for r in sendable))
    at = clock.now()
    attempts = []
    updates = []
    for row, outcome in zip(sendable, outcomes, strict=True):
        attempts.append(
            {
                "delivery_id": row.id,
                "attempted_at": at,
                "duration_ms": outcome.duration_ms,
                "status_code": outcome.status_code,
                "error": outcome.error,
                "response_body": outcome.body,
            }
        )
        updates.append(_next(policy, row, outcome, at))
    for row in rows:
        if not row.enabled:
            updates.append({"id": row.id, "state": "failed", "locked_until": None, "last_error": "webhook disabled"})
    async with db.write() as conn:
        await repo.record_attempts(conn, attempts, updates)
    delivery_outcomes([values.get("state") for values in updates])
    for values in updates:
        if values.get("state") in ("failed", "dead"):
            log.warning("webhook delivery %s %s: %s", values["id"], values["state"], values.get("last_error"))
    return len(rows)
