"""ops/requests.route_template: a route's full template, worked out once per route object."""

from __future__ import annotations

import asyncio
import re
from collections.abc import MutableMapping
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request

from pohub.ops import requests


def _scope_of_a_request(key: str) -> dict[str, Any]:
    """The scope FastAPI hands an endpoint of a router included at a prefix (one ASGI call)."""
    router = APIRouter()
    seen: list[dict[str, Any]] = []

    @router.get("/Orders/{key}")
    def one(key: str, request: Request) -> dict[str, str]:
        seen.append(dict(request.scope))
        return {"key": key}

    app = FastAPI()
    app.include_router(router, prefix="/api/v1")
    path = f"/api/v1/Orders/{key}"
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
    }
    scope |= {"path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"", "headers": []}
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    asyncio.run(app(scope, receive, send))
    assert statuses == [200]
    return seen[0]


def test_the_prefix_comes_from_the_path_and_is_kept_on_the_route(monkeypatch: pytest.MonkeyPatch) -> None:
    first = _scope_of_a_request("A1")
    route = first["route"]
    with pytest.raises(TypeError):
        hash(route)  # why the template is kept on the route and not in a mapping
    calls: list[Any] = []
    real_sub = re.sub

    def counting_sub(*args: Any, **kwargs: Any) -> str:
        calls.append(args)
        return str(real_sub(*args, **kwargs))

    monkeypatch.setattr(re, "sub", counting_sub)
    for key in ("A1", "B-2", "C3"):
        scope = {**first, "path": f"/api/v1/Orders/{key}", "path_params": {"key": key}}
        assert requests.route_template(scope) == "/api/v1/Orders/{key}"
    # Worked out for the first request only.
    assert len(calls) == 1


def test_no_route_is_unmatched() -> None:
    assert requests.route_template({"path": "/nowhere"}) == requests.UNMATCHED
