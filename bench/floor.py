"""The floor: the same server stack as pohub (uvicorn, FastAPI, SQLAlchemy async, orjson/jiter)
with one bare endpoint that parses the same JSON and does one raw INSERT of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from sqlalchemy import text
from starlette.responses import Response

from pohub.config import get_settings
from pohub.core import jsonio
from pohub.db.engine import Database


def create_app() -> FastAPI:
    settings = get_settings()
    db = Database(settings.database_url, pool_size=settings.db_pool_size)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with db.write() as conn:
            await conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS floor_docs (id INTEGER PRIMARY KEY "
                    + ("AUTOINCREMENT" if db.sqlite else "GENERATED ALWAYS AS IDENTITY")
                    + ", raw TEXT NOT NULL)"
                ).execution_options()
            )
        yield
        await db.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/floor")
    async def floor(request: Request) -> Response:
        raw = await request.body()
        jsonio.loads(raw)
        async with db.write() as conn:
            result = await conn.execute(
                text("INSERT INTO floor_docs (raw) VALUES (:raw) RETURNING id"), {"raw": raw.decode()}
            )
            key = result.scalar_one()
        return Response(
            jsonio.dumps({"Code": "201", "Message": "ok", "Body": {"LogicbrokerKey": str(key)}}),
            status_code=201,
            media_type="application/json",
        )

    return app
