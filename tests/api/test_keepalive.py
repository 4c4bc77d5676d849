"""A 500 answer leaves the keep-alive connection usable: the client's next request goes out on the
same connection (Starlette re-raises a handled error and uvicorn then closed the connection)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from fastapi import FastAPI, Request

from pohub.api.app import create_app
from pohub.config import Settings
from tests.support import LiveServer, serve


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    with serve(app, log_level="critical") as base:
        yield base


def test_a_500_keeps_the_connection(server: LiveServer) -> None:
    app = create_app(Settings(database_url=server.database_url, key_cache_seconds=0.0))

    # Test-only routes: one that fails as a bug would, and one that tells which connection asked.
    @app.get("/test-only/fails")
    async def fails() -> None:
        raise RuntimeError("a bug")

    @app.get("/test-only/port")
    async def port(request: Request) -> dict[str, int]:
        assert request.client is not None
        return {"port": request.client.port}

    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        before = client.get("/test-only/port").json()["port"]
        r = client.get("/test-only/fails")
        assert r.status_code == 500 and r.json()["TraceId"], r.text
        assert r.headers.get("connection", "").lower() != "close"
        for _ in range(3):
            assert client.get("/test-only/port").json()["port"] == before
        r = client.get("/api/v1/Statuses")  # an ordinary route on the same connection
        assert r.status_code in (200, 401)
        assert client.get("/test-only/port").json()["port"] == before
