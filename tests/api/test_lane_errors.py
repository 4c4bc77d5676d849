"""The lane's bottom stands in for ServerErrorMiddleware and ExceptionMiddleware (api/lane.FOLDED)
and hands an error to copies of them (``lane.replay``): every way an endpoint can fail (before its
answer or after the answer started; handled by an exception handler, a status handler, the 500
handler, or by none) must send the server the same messages, leave the same access line and end
the same way as FastAPI's own stack, with pohub's handlers (api/http.install_error_handlers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, MutableMapping
from typing import Any

import orjson
import pytest
from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from pohub.api import lane as fast_lane
from pohub.api.auth import CompanyDep
from pohub.api.http import JSON, install_error_handlers
from pohub.core.errors import Conflict, NotFound
from pohub.ops.requests import RequestMiddleware
from pohub.partners.service import KeyCache, hash_key
from tests.support import LogLines, log_lines

TEMPLATE = "/x/Orders/{LogicbrokerKey}"
KEY = "pohub_test_key"


class StartsThenFails(Response):
    """An answer that fails after its start message went out."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(b"{}", media_type="application/json")
        self.exc = exc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        raise self.exc


def failing(how: str) -> Response:
    if how == "ok":
        return JSON({"ok": True})
    if how == "pohub":
        raise NotFound("no such order")
    if how == "conflict-subclass":
        raise type("Sub", (Conflict,), {})("taken")
    if how == "http":
        raise HTTPException(418, "teapot", headers={"X-Tea": "1"})
    if how == "http-status-handler":
        raise HTTPException(402, "pay")
    if how == "crash":
        raise RuntimeError("boom")
    if how == "late-crash":
        return StartsThenFails(RuntimeError("late"))
    if how == "late-handled":
        return StartsThenFails(NotFound("late refusal"))
    raise AssertionError(how)


def build(lane: bool) -> tuple[Any, fast_lane.FastLane | None]:
    app = FastAPI()
    app.state.key_cache = KeyCache(3600)
    app.state.key_cache.put(hash_key(KEY), 7)
    install_error_handlers(app)

    async def status_402(request: Request, exc: Exception) -> Response:
        return JSON({"Code": "402", "Message": "status handler"}, status_code=402)

    app.add_exception_handler(402, status_402)

    @app.get(TEMPLATE)
    async def one(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> Response:
        if LogicbrokerKey == "sender":  # what the endpoint's answer goes down (test_one_send_wrapper)
            return JSON({"send": type(request._send).__name__})
        return failing(LogicbrokerKey)

    stack = app.build_middleware_stack()
    found = fast_lane.FastLane(app, [("GET", TEMPLATE)]) if lane else None
    outer = RequestMiddleware(stack, pick=found.front(stack, lambda scope: None) if found else None)

    async def served(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = app  # as FastAPI's __call__ does
        await outer(scope, receive, send)

    return served, found


@pytest.fixture
def lines() -> Iterator[LogLines]:
    with log_lines("pohub.access") as handler:
        yield handler


def call(app: Any, how: str) -> list[Any]:
    sent: list[MutableMapping[str, Any]] = []
    path = TEMPLATE.replace("{LogicbrokerKey}", how)
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {KEY}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))  # RequestMiddleware: where every error ends
    out: list[Any] = []
    for message in sent:
        if message["type"] == "http.response.start":
            out.append((message["status"], [h for h in message["headers"] if h[0] != b"x-request-id"]))
        else:
            body = message.get("body", b"")
            if body.startswith(b'{"Code":"500"'):
                body = orjson.dumps({**orjson.loads(body), "TraceId": "-"})
            out.append((message["type"], body, message.get("more_body", False)))
    return out


HOW = ["ok", "pohub", "conflict-subclass", "http", "http-status-handler", "crash", "late-crash", "late-handled"]


@pytest.mark.parametrize("how", HOW)
def test_every_way_of_failing_ends_as_in_fastapis_stack(lines: LogLines, how: str) -> None:
    plain, _ = build(lane=False)
    laned, found = build(lane=True)
    assert found is not None and found.stack == found._endpoint  # both layers folded (no rate limits)
    expected = call(plain, how)
    assert found.served == 0
    got = call(laned, how)
    assert found.served == 1
    assert got == expected
    before, after = lines.records
    fields = ("levelno", "status", "route", "company_id")
    assert [getattr(after, f) for f in fields] == [getattr(before, f) for f in fields]


def test_the_answers_are_what_the_handlers_give(lines: LogLines) -> None:
    laned, _ = build(lane=True)
    assert call(laned, "ok") == [
        (200, [(b"content-length", b"11"), (b"content-type", b"application/json")]),
        ("http.response.body", b'{"ok":true}', False),
    ]
    assert call(laned, "pohub")[0][0] == 404
    assert call(laned, "conflict-subclass")[0][0] == 409
    tea = [(b"x-tea", b"1"), (b"content-length", b"33"), (b"content-type", b"application/json")]
    assert call(laned, "http")[0] == (418, tea)
    assert call(laned, "http-status-handler")[0][0] == 402
    assert call(laned, "crash")[0][0] == 500
    # Started, then failed: nothing more is sent, and the access line is an ERROR.
    assert len(call(laned, "late-crash")) == 1 and len(call(laned, "late-handled")) == 1
    assert [r.levelno for r in lines.records[-2:]] == [logging.ERROR, logging.ERROR]


def test_one_send_wrapper() -> None:
    """The lane's bottom sends down the middleware's own ``Answer`` (no wrapper of its own)."""
    served, _ = build(lane=True)
    sent: list[Any] = []
    scope = {
        "type": "http",
        "method": "GET",
        "path": TEMPLATE.replace("{LogicbrokerKey}", "sender"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {KEY}".encode())],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(served(scope, receive, send))
    assert orjson.loads(sent[-1]["body"]) == {"send": "Answer"}
