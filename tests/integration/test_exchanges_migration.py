"""The exchanges migration moves what the old tables held (refusals, dialect exchanges, webhook
deliveries and their attempts) into exchanges, losing nothing, on both databases."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from pohub.db.engine import Database
from pohub.db.migrate import alembic_config
from tests.support import database_url

NOW = "2026-11-30 10:00:00+00:00"


@pytest.fixture
def at_0002(backend: str, tmp_path: Path) -> Iterator[str]:
    with database_url(backend, tmp_path, revision="0002") as url:
        yield url


def run(url: str, *statements: str) -> list[dict[str, object]]:
    async def go() -> list[dict[str, object]]:
        db = Database(url, pool_size=1)
        try:
            async with db.write() as conn:
                result = None
                for statement in statements:
                    result = await conn.execute(text(statement))
                return [dict(r._mapping) for r in result.all()] if result is not None and result.returns_rows else []
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_old_rows_move_into_exchanges(at_0002: str) -> None:
    blob = "X'7b7d'" if at_0002.startswith("sqlite") else "'\\x7b7d'::bytea"
    run(
        at_0002,
        f"INSERT INTO companies (id, name, created_at) VALUES (1, 'buyer', '{NOW}'), (2, 'supplier', '{NOW}')",
        "INSERT INTO webhook_subscriptions (id, company_id, address, topic, format, enabled, secret_sealed, "
        f"created_at, updated_at) VALUES (5, 2, 'http://127.0.0.1:9/h', '*', 'json', true, 's', '{NOW}', '{NOW}')",
        "INSERT INTO webhook_deliveries (id, subscription_id, topic, order_id, payload, state, attempts, "
        "next_attempt_at, last_status_code, last_error, created_at, delivered_at) VALUES "
        f"(41, 5, 'order.created', 7, '{{\"type\": \"order.created\"}}', 'delivered', 1, '{NOW}', 200, NULL, "
        f"'{NOW}', '{NOW}'), "
        f"(42, 5, 'shipment.received', 7, '{{}}', 'dead', 3, '{NOW}', 503, 'HTTP 503 \"busy\"', '{NOW}', NULL), "
        f"(43, 5, 'invoice.received', 7, '{{}}', 'pending', 0, '{NOW}', NULL, NULL, '{NOW}', NULL)",
        "INSERT INTO webhook_attempts (delivery_id, attempted_at, duration_ms, status_code) VALUES "
        f"(41, '{NOW}', 12, 200), (42, '{NOW}', 5, 503), (42, '{NOW}', 6, 503)",
        "INSERT INTO refusals (received_at, company_id, order_id, kind, method, path, status_code, errors, raw) "
        f"VALUES ('{NOW}', 2, 7, 'shipment', 'POST', '/api/v1/Shipment/7', 422, '{{\"Code\": 422}}', {blob}), "
        f"('{NOW}', 2, 7, 'acknowledgement', 'POST', '/kojo/seller/order/7/acknowledge', 400, '{{}}', {blob})",
        "INSERT INTO dialect_exchanges (dialect, direction, operation, company_id, order_id, state, status_code, "
        "error, raw, created_at) VALUES "
        f"('kojo', 'in', 'acknowledge', 2, 7, 'error', 400, '{{}}', 'not json', '{NOW}')",
    )
    command.upgrade(alembic_config(at_0002), "head")

    rows = run(at_0002, "SELECT * FROM exchanges ORDER BY id")
    out = {r["id"]: r for r in rows if r["direction"] == "out"}
    assert sorted(out) == [41, 42, 43]  # the ids receivers know them by
    assert [out[i]["state"] for i in (41, 42, 43)] == ["sent", "dead", "queued"]
    assert bytes(out[41]["raw"]) == b'{"type": "order.created"}' and out[41]["endpoint_id"] == 5
    assert json.loads(str(out[42]["error"])) == {"Code": 503, "Message": 'HTTP 503 "busy"'}
    assert out[42]["company_id"] == 2 and out[42]["kind"] == "shipment.received"
    attempts = run(at_0002, "SELECT exchange_id FROM exchange_attempts ORDER BY id")
    assert [a["exchange_id"] for a in attempts] == [41, 42, 42]

    inbound = [r for r in rows if r["direction"] == "in"]
    # The hub's refusal, and the Kojo message once (it was in both old tables).
    assert [(r["channel"], r["operation"], r["state"]) for r in inbound] == [
        ("api", "document", "refused"),
        ("kojo", "kojo.acknowledge", "refused"),
    ]
    assert bytes(inbound[0]["raw"]) == b"{}" and bytes(inbound[1]["raw"]) == b"not json"

    # New exchanges get new ids after the kept ones.
    run(
        at_0002,
        "INSERT INTO exchanges (direction, channel, operation, state, attempts, created_at, updated_at) "
        f"VALUES ('in', 'api', 'document', 'received', 1, '{NOW}', '{NOW}')",
    )
    assert max(r["id"] for r in run(at_0002, "SELECT id FROM exchanges")) > 43
    tables = run(
        at_0002,
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        if at_0002.startswith("sqlite")
        else "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
    )
    gone = {"refusals", "dialect_exchanges", "webhook_deliveries", "webhook_attempts"}
    assert not gone & {t["name"] for t in tables}
