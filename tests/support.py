"""Real parts for tests: databases (SQLite always, PostgreSQL when POHUB_TEST_DATABASE_URL is set),
a pohub server on a loopback port, and trading partners with keys."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import httpx
import uvicorn
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from pohub.api.app import create_app
from pohub.config import Settings
from pohub.db.engine import Database
from pohub.db.migrate import alembic_config, upgrade
from pohub.partners import service as partners

FIXTURES = Path(__file__).parent / "fixtures"
PG_ENV = "POHUB_TEST_DATABASE_URL"
# How long a test waits for something that must happen (a server up, a delivery, a job) before calling
# it hung. Only a bound for a hung test, not a speed figure: generous, so a loaded machine passes.
PATIENCE = float(os.environ.get("POHUB_TEST_PATIENCE", "300"))


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


@contextmanager
def database_url(backend: str, tmp_dir: Path, *, revision: str | None = "head") -> Iterator[str]:
    """A fresh database: a SQLite file, or a throwaway PostgreSQL database, migrated to ``revision``
    (the newest by default; an older one for a migration's own test; None: no tables at all)."""

    def migrate(url: str) -> None:
        if revision == "head":
            upgrade(url)
        elif revision is not None:
            command.upgrade(alembic_config(url), revision)

    if backend == "sqlite":
        url = f"sqlite:///{tmp_dir / f'pohub-{uuid.uuid4().hex[:8]}.db'}"
        migrate(url)
        yield url
        return
    base = make_url(os.environ[PG_ENV])
    admin = base.render_as_string(hide_password=False)
    name = f"pohub_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    url = base.set(database=name, drivername="postgresql").render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, database=u.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def sql(database_url: str, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run one statement in a unit of work of its own (tests poke at tables directly): its rows."""

    async def run() -> list[tuple[Any, ...]]:
        db = Database(database_url, pool_size=1)
        try:
            async with db.write() as conn:
                result = await conn.execute(text(statement), params)
                return [tuple(r) for r in result.all()] if result.returns_rows else []
        finally:
            await db.dispose()

    return asyncio.run(run())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    database_url: str
    backend: str

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"


@contextmanager
def serve(app: Any, *, log_level: str = "warning") -> Iterator[str]:
    """An ASGI app served by uvicorn on a loopback port, in a thread of this process: its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def live_server(database_url: str, backend: str, **settings: Any) -> Iterator[LiveServer]:
    """pohub served by uvicorn on a loopback port, in a thread of this process."""
    app = create_app(Settings(database_url=database_url, key_cache_seconds=0.0, **settings))
    with serve(app) as url:
        yield LiveServer(url, database_url, backend)


@dataclass
class Party:
    id: int
    name: str
    key: str
    client: httpx.Client

    def __getattr__(self, name: str) -> Any:
        # party.get(...), party.post(...): the party's own authenticated client.
        return getattr(self.client, name)


@dataclass
class Trade:
    buyer: Party
    supplier: Party


async def _make_companies(database_url: str, names: list[str]) -> list[tuple[int, str]]:
    db = Database(database_url, pool_size=1)
    try:
        out = []
        async with db.write() as conn:
            for name in names:
                company = await partners.add_company(conn, name=name)
                out.append((company.id, await partners.create_key(conn, company_id=company.id)))
        return out
    finally:
        await db.dispose()


async def _connect(database_url: str, buyer_id: int, supplier_id: int, invoice_required: bool) -> None:
    db = Database(database_url, pool_size=1)
    try:
        async with db.write() as conn:
            await partners.connect(conn, buyer_id=buyer_id, supplier_id=supplier_id, invoice_required=invoice_required)
    finally:
        await db.dispose()


def make_party(server: LiveServer, name: str | None = None) -> Party:
    name = name or f"company-{uuid.uuid4().hex[:8]}"
    [(company_id, key)] = asyncio.run(_make_companies(server.database_url, [name]))
    client = httpx.Client(base_url=server.api, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    return Party(company_id, name, key, client)


def connect(server: LiveServer, buyer: Party, supplier: Party, *, invoice_required: bool = True) -> None:
    asyncio.run(_connect(server.database_url, buyer.id, supplier.id, invoice_required))


def make_trade(server: LiveServer, *, invoice_required: bool = True) -> Trade:
    buyer = make_party(server, f"buyer-{uuid.uuid4().hex[:8]}")
    supplier = make_party(server, f"supplier-{uuid.uuid4().hex[:8]}")
    connect(server, buyer, supplier, invoice_required=invoice_required)
    return Trade(buyer, supplier)


# The indexes and query plans a migration's test checks, the same way on both databases.


def index_where(index: dict[str, Any]) -> str | None:
    """A partial index's condition as `inspect().get_indexes` reports it, in one spelling for both
    databases (lower case, no parentheses, without PostgreSQL's ``::text`` casts); None: not partial."""
    options = index.get("dialect_options", {})
    where = options.get("sqlite_where", options.get("postgresql_where"))
    if where is None:
        return None
    plain = str(where).replace("::text", "").replace("(", " ").replace(")", " ")
    return " ".join(plain.split()).lower()


def indexes_of(database_url: str, tables: list[str]) -> dict[str, dict[str, Any]]:
    """Every index of ``tables``, by name, as SQLAlchemy's inspector reports it."""

    def read(sync: Any) -> dict[str, dict[str, Any]]:
        return {str(i["name"]): dict(i) for table in tables for i in inspect(sync).get_indexes(table)}

    async def go() -> dict[str, dict[str, Any]]:
        db = Database(database_url, pool_size=1)
        try:
            async with db.read() as conn:
                return await conn.run_sync(read)
        finally:
            await db.dispose()

    return asyncio.run(go())


def query_plans(database_url: str, queries: list[str], params: dict[str, Any], *, analyze: bool = False) -> list[str]:
    """Each query's plan as one line (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN). On
    PostgreSQL sequential and bitmap scans are turned off, so that on a near-empty table the plan
    shows which index the query can use at all; ``analyze`` runs ANALYZE first."""

    async def go() -> list[str]:
        db = Database(database_url, pool_size=1)
        try:
            if analyze:
                async with db.write() as conn:
                    await conn.execute(text("ANALYZE"))
            async with db.read() as conn:
                if not db.sqlite:
                    await conn.execute(text("SET LOCAL enable_seqscan = off"))
                    await conn.execute(text("SET LOCAL enable_bitmapscan = off"))
                explain = "EXPLAIN QUERY PLAN " if db.sqlite else "EXPLAIN "
                plans = []
                for query in queries:
                    rows = await conn.execute(text(explain + query), params)
                    plans.append(" ".join(str(r[-1] if db.sqlite else r[0]) for r in rows))
                return plans
        finally:
            await db.dispose()

    return asyncio.run(go())


class LogLines(logging.Handler):
    """Every record a logger emits, kept in order."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def log_lines(name: str, level: int = logging.INFO) -> Iterator[LogLines]:
    """The records of logger ``name`` at ``level`` and above while the block runs."""
    logger = logging.getLogger(name)
    handler, before = LogLines(), logger.level
    logger.setLevel(level)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)


class WriterClock:
    """A clock that moves only when the writer sleeps: the deadline passes without waiting for it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.delays: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        self.now += delay
        await asyncio.sleep(0)


class FirstWait:
    """A writer's sleep that tells when the writer first waits (then sleeps for real)."""

    def __init__(self) -> None:
        self.waiting = asyncio.Event()
        self.delays: list[float] = []

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        self.waiting.set()
        await asyncio.sleep(delay)


def calls_of(call: Callable[[], Any], code: CodeType) -> int:
    """How many times ``call()`` enters the Python function whose code is ``code`` (profile events
    fire for Python functions pydantic-core calls, too)."""
    count = 0

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call" and frame.f_code is code:
            count += 1

    sys.setprofile(hook)
    try:
        call()
    finally:
        sys.setprofile(None)
    return count


def order_row(buyer: int, supplier: int, at: datetime, **values: Any) -> dict[str, Any]:
    """A PO's documents row as repository.insert_document takes it, written straight (no body
    parsed): a fresh PartnerPO unless ``values`` gives one; ``values`` replace any column."""
    partner_po = values.pop("partner_po", f"PO-{uuid.uuid4().hex[:8]}")
    return {
        "kind": "order",
        "sender_company_id": buyer,
        "receiver_company_id": supplier,
        "partner_po": partner_po,
        "number": None,
        "source_key": "SRC",
        "link_key": None,
        "status": 150,
        "document_date": at,
        "created_at": at,
        "updated_at": at,
        "total": Decimal("1.00"),
        "body_hash": "h" * 64,
        "raw": "{}",
        "float_safe": False,
    } | values
