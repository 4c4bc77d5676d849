"""The outbound pump against real receivers on loopback: each subscription's deliveries arrive in
order, retries included; a receiver that does not answer holds up only its own subscriptions; two
workers sharing the queue send each delivery once. Nothing here depends on how fast the machine is:
the tests wait (generously) for events and assert on what arrived, never on time."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from pohub.config import Settings
from pohub.core import clock
from pohub.core.retry import RetryPolicy
from pohub.db.engine import Database
from pohub.exchanges import outbound
from pohub.exchanges.models import exchanges
from pohub.exchanges.pump import Pump
from pohub.partners.models import companies
from pohub.webhooks import outbox, sender
from pohub.webhooks import service as webhooks
from tests.support import database_url

X = exchanges.c
WAIT = 120.0  # a hang, not a speed: the machine is loaded


@dataclass
class Receiver:
    """Records each POST's path and webhook-id in arrival order; answers by a script per id (a list of
    status codes, one per attempt; 200 when out), or holds the request while ``hold`` is clear."""

    url: str = ""
    arrived: list[tuple[str, str]] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)
    hold: threading.Event | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self, path: str) -> list[str]:
        with self.lock:
            return [i for p, i in self.arrived if p == path]

    def count(self) -> int:
        with self.lock:
            return len(self.arrived)


def _serve(state: Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            msg = self.headers["webhook-id"]
            with state.lock:
                state.arrived.append((self.path, msg))
                codes = state.script.get(msg) or [200]
                code = codes.pop(0)
            if state.hold is not None:
                state.hold.wait(WAIT)
            self.send_response(code)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[tuple[Receiver, ThreadingHTTPServer]] = []

    def make(hold: bool = False) -> Receiver:
        state = Receiver(hold=threading.Event() if hold else None)
        made.append((state, _serve(state)))
        return state

    box: list[Any] = [make]
    yield box  # type: ignore[misc]
    for state, httpd in made:
        if state.hold is not None:
            state.hold.set()
        httpd.shutdown()
        httpd.server_close()


class Fast(Settings):
    webhook_timeout_seconds: float = 60.0
    webhook_max_attempts: int = 5


def _channel(settings: Settings) -> outbound.Channel:
    """The real webhook channel, retrying at once (no backoff to wait for: the clock is not the test's)."""
    real = sender.channel(settings)
    return outbound.Channel(
        name=real.name,
        deliver=real.deliver,
        retry=RetryPolicy(attempts=5, base=0.0, cap=0.0),
        load=real.load,
        batch=7,  # small batches: many claims, runs cut across them
        lease=real.lease,
        open_client=real.open_client,
        timeout=real.timeout,
        receiver=real.receiver,
    )


async def _subscribe(db: Database, settings: Settings, addresses: list[str]) -> list[Any]:
    async with db.write() as conn:
        company = (
            await conn.execute(
                insert(companies)
                .values(name=f"pump-{time.monotonic_ns()}", created_at=clock.now())
                .returning(companies.c.id)
            )
        ).scalar_one()
        return [
            await webhooks.create(
                conn, company_id=company, body={"Address": a, "Topic": "order.created"}, server_key=settings.secret_key
            )
            for a in addresses
        ]


async def _queue(db: Database, subs: list[Any], per_sub: int) -> dict[int, list[str]]:
    """Interleaved deliveries, one transaction each (as events come); returns each one's msg ids in order."""
    order: dict[int, list[str]] = {s.id: [] for s in subs}
    for n in range(per_sub):
        for sub in subs:
            async with db.write() as conn:
                row = outbound.outbound_row(
                    channel=outbox.CHANNEL,
                    operation=outbox.CHANNEL,
                    company_id=sub.company_id,
                    kind="order.created",
                    payload=f'{{"n": {n}}}'.encode(),
                    content_type="application/json",
                    at=clock.now(),
                    endpoint_id=sub.id,
                )
                order[sub.id].append(f"msg_{await outbound.queue_one(conn, row)}")
    return order


async def _pending(db: Database, endpoint_ids: list[int]) -> int:
    async with db.read() as conn:
        stmt = select(func.count()).where(X.state.in_(outbound.PENDING), X.endpoint_id.in_(endpoint_ids))
        return int((await conn.execute(stmt)).scalar_one())


async def _none_pending(db: Database, endpoint_ids: list[int]) -> bool:
    return await _pending(db, endpoint_ids) == 0


async def _until(what: str, check: Any) -> None:
    deadline = time.monotonic() + WAIT
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def _settings(url: str, tmp_path: Path) -> Settings:
    return Fast(database_url=url, secret_key_file=tmp_path / "secret.key")


def test_each_subscription_in_order_with_retries(backend: str, tmp_path: Path, receivers: Any) -> None:
    [make] = receivers
    receiver = make()

    async def go(url: str) -> None:
        settings = _settings(url, tmp_path)
        db = Database(url, pool_size=4)
        try:
            subs = await _subscribe(db, settings, [f"{receiver.url}/s{i}" for i in range(4)])
            order = await _queue(db, subs, 12)
            # Some deliveries fail first (retried at once): nothing after them may overtake them.
            for sub in subs:
                receiver.script[order[sub.id][3]] = [503, 500]
                receiver.script[order[sub.id][7]] = [429]
            receiver.script[order[subs[0].id][9]] = [410]  # refused for good: the next ones go on
            pump = Pump(db, [_channel(settings)], slots=6, per_receiver=6, poll=0.05)
            task = asyncio.create_task(pump.run(None))
            await _until("every delivery settled", lambda: _none_pending(db, [s.id for s in subs]))
            pump.stop()
            await task
            for i, sub in enumerate(subs):
                expected = []
                for n, msg in enumerate(order[sub.id]):
                    expected += [msg] * ({3: 3, 7: 2}.get(n, 1))
                assert receiver.ids(f"/s{i}") == expected
            async with db.read() as conn:
                states = dict(
                    (await conn.execute(select(X.id, X.state).where(X.endpoint_id.in_([s.id for s in subs])))).all()
                )
            assert sorted(set(states.values())) == ["failed", "sent"]
            assert [i for i, s in states.items() if s == "failed"] == [int(order[subs[0].id][9][4:])]
        finally:
            await db.dispose()

    with database_url(backend, tmp_path) as url:
        asyncio.run(go(url))


def test_a_receiver_that_does_not_answer_holds_up_only_its_own(backend: str, tmp_path: Path, receivers: Any) -> None:
    [make] = receivers
    stuck, fast = make(hold=True), make()

    async def go(url: str) -> None:
        settings = _settings(url, tmp_path)
        db = Database(url, pool_size=4)
        try:
            # Five subscriptions at the receiver that hangs, their deliveries first; one at a good one.
            stuck_subs = await _subscribe(db, settings, [f"{stuck.url}/s{i}" for i in range(5)])
            stuck_order = await _queue(db, stuck_subs, 4)
            [good] = await _subscribe(db, settings, [f"{fast.url}/good"])
            order = await _queue(db, [good], 30)
            pump = Pump(db, [_channel(settings)], slots=4, per_receiver=2, poll=0.05)
            task = asyncio.create_task(pump.run(None))
            await _until("the good receiver's deliveries", lambda: _none_pending(db, [good.id]))

            async def two_held() -> bool:
                return stuck.count() >= 2

            await _until("two requests held", two_held)
            # The one that hangs got as many requests as it may hold at once, no more, and of each
            # of its subscriptions only the first.
            assert stuck.count() == 2
            assert {m for _, m in stuck.arrived} <= {stuck_order[s.id][0] for s in stuck_subs}
            assert fast.ids("/good") == order[good.id]
            assert stuck.hold is not None
            stuck.hold.set()
            await _until("the stuck receiver's deliveries", lambda: _none_pending(db, [s.id for s in stuck_subs]))
            pump.stop()
            await task
            for i in range(5):
                assert len(stuck.ids(f"/s{i}")) == 4
        finally:
            await db.dispose()

    with database_url(backend, tmp_path) as url:
        asyncio.run(go(url))


def test_two_workers_send_each_delivery_once_and_in_order(backend: str, tmp_path: Path, receivers: Any) -> None:
    [make] = receivers
    receiver = make()

    async def go(url: str) -> None:
        settings = _settings(url, tmp_path)
        first, second = Database(url, pool_size=4), Database(url, pool_size=4)
        try:
            subs = await _subscribe(first, settings, [f"{receiver.url}/s{i}" for i in range(5)])
            order = await _queue(first, subs, 30)
            pumps = [Pump(db, [_channel(settings)], slots=8, per_receiver=8, poll=0.02) for db in (first, second)]
            tasks = [asyncio.create_task(p.run(None)) for p in pumps]
            await _until("every delivery settled", lambda: _none_pending(first, [s.id for s in subs]))
            for p in pumps:
                p.stop()
            await asyncio.gather(*tasks)
            for i, sub in enumerate(subs):
                assert receiver.ids(f"/s{i}") == order[sub.id]  # each once, in order
        finally:
            await first.dispose()
            await second.dispose()

    with database_url(backend, tmp_path) as url:
        asyncio.run(go(url))
