"""The bare floor: what any server on this machine pays to take a JSON document over HTTP and keep it.

Starlette on uvicorn, `orjson.loads` of the body, one raw INSERT of it (sqlite3 in WAL with
synchronous=NORMAL, as pohub sets it; or asyncpg from a pool) and a small JSON answer; plus an empty
answer to a GET, the floor for "GET one PO". Nothing of pohub, FastAPI or SQLAlchemy is imported here,
so the floor is not slowed by what it is meant to be compared with.

    FLOOR_DATABASE=/tmp/floor.db uvicorn bench.floor:create_app --factory
    FLOOR_DATABASE=postgresql://postgres@127.0.0.1:5432/db uvicorn bench.floor:create_app --factory
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

CREATE = "CREATE TABLE IF NOT EXISTS floor_docs (id {id} PRIMARY KEY, raw TEXT NOT NULL)"
INSERT_SQLITE = "INSERT INTO floor_docs (raw) VALUES (?) RETURNING id"
INSERT_PG = "INSERT INTO floor_docs (raw) VALUES ($1) RETURNING id"


def _answer(key: int) -> Response:
    body = orjson.dumps({"Code": "201", "Message": "ok", "Body": {"LogicbrokerKey": str(key)}})
    return Response(body, status_code=201, media_type="application/json")


def _sqlite(path: str) -> tuple[Callable[[str], Awaitable[int]], Callable[[], Awaitable[None]]]:
    # One connection, used from the event loop: an INSERT in WAL mode takes tens of microseconds.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute(CREATE.format(id="INTEGER"))

    async def insert(raw: str) -> int:
        row = conn.execute(INSERT_SQLITE, (raw,)).fetchone()
        return int(row[0])

    async def close() -> None:
        conn.close()

    return insert, close


async def _postgres(url: str) -> tuple[Callable[[str], Awaitable[int]], Callable[[], Awaitable[None]]]:
    import asyncpg

    pool = await asyncpg.create_pool(url, min_size=1, max_size=int(os.environ.get("FLOOR_POOL_SIZE", "20")))
    async with pool.acquire() as conn:
        await conn.execute(CREATE.format(id="BIGINT GENERATED ALWAYS AS IDENTITY"))

    async def insert(raw: str) -> int:
        return int(await pool.fetchval(INSERT_PG, raw))

    async def close() -> None:
        await pool.close()

    return insert, close


def create_app(database: str | None = None) -> Starlette:
    target = database or os.environ["FLOOR_DATABASE"]
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if target.startswith(("postgresql://", "postgres://")):
            state["insert"], close = await _postgres(target)
        else:
            state["insert"], close = _sqlite(target)
        yield
        await close()

    async def insert(request: Request) -> Response:
        raw = await request.body()
        orjson.loads(raw)
        return _answer(await state["insert"](raw.decode()))

    async def empty(_: Request) -> Response:
        return Response(b"{}", media_type="application/json")

    return Starlette(
        routes=[Route("/floor", insert, methods=["POST"]), Route("/floor/empty", empty, methods=["GET"])],
        lifespan=lifespan,
    )
