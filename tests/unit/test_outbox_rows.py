"""webhooks/outbox.deliveries makes exactly the delivery rows the replaced loop made (kept here as
the reference): the same rows in the same order, key for key and byte for byte, for random events
(every event type, with and without a time, times in other zones, shared and distinct time objects,
long summaries, unicode, None fields) and random subscriptions (either party's, other companies',
every topic and the wildcard)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

from pohub.orders import events
from pohub.webhooks import outbox, topics


def _reference(rows: list[dict[str, Any]], subs: list[Any], now: datetime) -> list[dict[str, Any]]:
    """enqueue_for_events' loop before stop 24."""
    out = []
    for row in rows:
        topic = topics.BY_EVENT_TYPE.get(row["type_id"])
        if topic is None:
            continue
        payload = outbox.envelope(topic, outbox.event_data(row), row.get("created_at") or now)
        for sub in subs:
            if sub.company_id in (row.get("sender_id"), row.get("receiver_id")) and topics.matches(sub.topic, topic):
                out.append(
                    outbox._delivery(
                        sub, topic, payload, now, order_id=row.get("order_id"), document_id=row.get("document_id")
                    )
                )
    return out


def _time(rng: random.Random) -> datetime:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**8), microseconds=rng.randrange(10**6))
    if rng.random() < 0.2:
        at = at.replace(microsecond=0)
    if rng.random() < 0.2:
        at = at.astimezone(timezone(timedelta(hours=rng.randrange(-12, 13), minutes=rng.choice([0, 30]))))
    return at


def _rows(rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    shared = _time(rng)
    types = [*events.EVENT_TYPES, 999]  # 999: no topic
    rows = []
    for _ in range(rng.randrange(0, 5)):
        at: Any = rng.choice([shared, shared, _time(rng), shared.replace(), None])
        row: dict[str, Any] = {
            "order_id": rng.choice([None, rng.randrange(1, 10**6)]),
            "document_id": rng.choice([None, rng.randrange(1, 10**12)]),
            "document_type": rng.choice(["Order", "Acknowledgement", None]),
            "created_at": at,
            "type_id": rng.choice(types),
            "level": rng.choice(["Info", "Warning", "Error"]),
            "category": "Shipment",
            "summary": rng.choice(["Shipment 7: 3 unit(s) shipped", "é" * 600, 'quote " and \\ and \u2028']),
            "details": rng.choice([None, "", "details\nline two"]),
            "sender_id": rng.choice([None, 1, 2, 3]),
            "receiver_id": rng.choice([None, 1, 2, 3]),
            "actor": rng.choice([None, "jane"]),
        }
        if rng.random() < 0.1:
            del row["created_at"]
        rows.append(row)
    return rows


def _subs(rng: random.Random) -> list[Any]:
    choices = [*topics.BY_EVENT_TYPE.values(), topics.ALL, topics.JOB_FINISHED, topics.TEST]
    return [
        SimpleNamespace(
            id=rng.randrange(1, 10**6),
            company_id=rng.choice([1, 2, 3, 4]),
            topic=rng.choice([topics.ALL, rng.choice(choices)]),
        )
        for _ in range(rng.randrange(0, 5))
    ]


def test_the_delivery_rows_are_the_ones_the_replaced_loop_made() -> None:
    rng = random.Random(24)
    made = 0
    for _ in range(3_000):
        now = _time(rng).astimezone(UTC)
        rows, subs = _rows(rng, now), _subs(rng)
        mine, theirs = outbox.deliveries(rows, subs, now), _reference(rows, subs, now)
        assert mine == theirs
        assert [list(r) for r in mine] == [list(r) for r in theirs]  # key order: the same compiled INSERT
        assert all(type(r["raw"]) is bytes for r in mine)
        made += len(mine)
    assert made > 500  # the corpus does make deliveries
