"""Deliveries per second: fill the outbox with due webhook deliveries to a real receiver on loopback
(a bare asyncio HTTP/1.1 server in its own process that answers 200), run one pohub worker until
every delivery is settled, and print the rate.

    .venv/bin/python scripts/measure_deliveries.py [--database-url URL] [--deliveries 20000]
        [--subscriptions 20] [--history 0] [--slow 0] [--profile out.html] [--json out.json]

--database-url  sqlite (default: a throwaway file) or a PostgreSQL server URL: a throwaway database
                is created on it and dropped at the end
--history N     first write N deliveries that were already sent, each through the states a real one
                passes (queued -> sending -> sent): on PostgreSQL, without vacuum, 2 N dead row versions
--slow N        N more subscriptions whose receiver never answers (the worker's timeout is 2 s):
                they must not hold up the others; their deliveries are not counted
The last line is JSON: {"deliveries_per_s": ..., ...}. Independent of bench/ (call it from there).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pohub.config import Settings  # noqa: E402
from pohub.core import clock  # noqa: E402
from pohub.db.engine import Database  # noqa: E402
from pohub.db.migrate import upgrade  # noqa: E402
from pohub.exchanges import outbound  # noqa: E402
from pohub.exchanges.models import exchanges  # noqa: E402
from pohub.jobs.worker import Worker  # noqa: E402
from pohub.partners.models import companies  # noqa: E402
from pohub.webhooks import outbox  # noqa: E402
from pohub.webhooks import service as webhooks  # noqa: E402

X = exchanges.c
BODY = b'{"type":"order.created","timestamp":"2026-01-01T00:00:00+00:00","data":{"LogicbrokerKey":"1"}}'


async def _receive(port: int, hang: bool) -> None:
    """HTTP/1.1 keep-alive, answers every POST with 200 (or, hanging, never)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:].strip())
                if length:
                    await reader.readexactly(length)
                if hang:
                    await asyncio.sleep(3600)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok")
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _receiver(hang: bool = False) -> Any:
    port = _free_port()
    mode = "--hang" if hang else "--serve"
    proc = subprocess.Popen([sys.executable, __file__, mode, str(port)])
    try:
        import socket

        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert time.monotonic() < deadline, "the receiver did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        proc.kill()
        proc.wait()


@contextlib.asynccontextmanager
async def _database(url: str | None) -> AsyncIterator[str]:
    if url is None or make_url(url).get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield url or f"sqlite:///{tmp}/measure.db"
        return
    u = make_url(url)
    name = f"pohub_measure_{uuid.uuid4().hex[:8]}"
    admin = u.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield u.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def _subscriptions(db: Database, settings: Settings, address: str, count: int, tag: str) -> list[Any]:
    async with db.write() as conn:
        company_id = (
            await conn.execute(
                insert(companies)
                .values(name=f"measure-{tag}-{uuid.uuid4().hex[:6]}", created_at=clock.now())
                .returning(companies.c.id)
            )
        ).scalar_one()
        return [
            await webhooks.create(
                conn,
                company_id=company_id,
                body={"Address": address, "Topic": "order.created"},
                server_key=settings.secret_key,
            )
            for _ in range(count)
        ]


def _rows(subs: list[Any], count: int) -> list[dict[str, Any]]:
    now = clock.now()
    return [
        outbound.outbound_row(
            channel=outbox.CHANNEL,
            operation=outbox.CHANNEL,
            company_id=subs[i % len(subs)].company_id,
            kind="order.created",
            payload=BODY,
            content_type="application/json",
            at=now,
            endpoint_id=subs[i % len(subs)].id,
        )
        for i in range(count)
    ]


async def _fill(db: Database, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 2000):
        async with db.write() as conn:
            await outbound.queue(conn, rows[start : start + 2000])


async def _history(db: Database, subs: list[Any], count: int) -> None:
    """Deliveries already sent, through the same states as real ones (dead row versions on PostgreSQL)."""
    rows = _rows(subs, count)
    for start in range(0, count, 2000):
        async with db.write() as conn:
            await outbound.queue(conn, rows[start : start + 2000])
    for state in (outbound.SENDING, outbound.SENT):
        async with db.write() as conn:
            await conn.execute(
                update(exchanges).where(X.channel == outbox.CHANNEL, X.state.in_(outbound.PENDING)).values(state=state)
            )


async def _pending(db: Database, endpoint_ids: list[int]) -> int:
    async with db.read() as conn:
        stmt = select(func.count()).where(
            X.channel == outbox.CHANNEL, X.state.in_(outbound.PENDING), X.endpoint_id.in_(endpoint_ids)
        )
        return int((await conn.execute(stmt)).scalar_one())


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    async with _database(args.database_url) as url:
        await asyncio.to_thread(upgrade, url)
        tmp = tempfile.mkdtemp()
        settings = Settings(
            database_url=url,
            secret_key_file=Path(tmp) / "secret.key",
            webhook_timeout_seconds=2.0,
            worker_poll_seconds=0.05,
            retention_days=0,
        )
        db = Database(url, pool_size=4)
        with _receiver() as address, _receiver(hang=True) as hanging:
            subs = await _subscriptions(db, settings, address, args.subscriptions, "fast")
            if args.history:
                await _history(db, subs, args.history)
            slow = await _subscriptions(db, settings, hanging, args.slow, "slow") if args.slow else []
            rows = _rows(subs, args.deliveries)
            if slow:
                # The stuck receiver's deliveries come first: the fast ones queue behind them.
                await _fill(db, _rows(slow, args.slow * 20))
            await _fill(db, rows)
            ids = [s.id for s in subs]
            worker = Worker(db, settings)
            profiler = None
            if args.profile:
                from pyinstrument import Profiler

                profiler = Profiler(async_mode="enabled")
                profiler.start()
            started = time.perf_counter()
            task = asyncio.create_task(worker.run())
            while await _pending(db, ids):  # noqa: ASYNC110 (another process's rows: polled)
                await asyncio.sleep(0.2)
            elapsed = time.perf_counter() - started
            if profiler is not None:
                profiler.stop()
                Path(args.profile).write_text(profiler.output_html())  # noqa: ASYNC240
                print(profiler.output_text(unicode=False, show_all=False)[:6000])
            worker.stop()
            try:
                await asyncio.wait_for(task, 30)
            except TimeoutError:
                task.cancel()
        async with db.read() as conn:
            states = dict(
                (
                    await conn.execute(select(X.state, func.count()).where(X.endpoint_id.in_(ids)).group_by(X.state))
                ).all()
            )
        await db.dispose()
    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    return {
        "backend": backend,
        "deliveries": args.deliveries,
        "subscriptions": args.subscriptions,
        "history": args.history,
        "slow_subscriptions": args.slow,
        "seconds": round(elapsed, 3),
        "deliveries_per_s": round(args.deliveries / elapsed, 1),
        "states": states,
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] in ("--serve", "--hang"):
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_receive(int(sys.argv[2]), hang=sys.argv[1] == "--hang"))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--deliveries", type=int, default=20000)
    parser.add_argument("--subscriptions", type=int, default=20)
    parser.add_argument("--history", type=int, default=0)
    parser.add_argument("--slow", type=int, default=0)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    result = asyncio.run(measure(args))
    line = json.dumps(result)
    print(line)
    if args.json:
        Path(args.json).write_text(line + "\n")


if __name__ == "__main__":
    main()
