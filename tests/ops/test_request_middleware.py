"""ops/requests.RequestMiddleware is where an error ends (the server sees none) and the access line
says how the answer went: an error after a complete answer (Starlette re-raising what its 500
handler answered) is logged at the answer's level, an answer cut short at ERROR."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from pohub.ops.requests import RequestMiddleware
from tests.support import LogLines, log_lines


@pytest.fixture
def lines() -> Iterator[LogLines]:
    with log_lines("pohub.access") as handler:
        yield handler


def call(app: Any, pick: Any = None) -> list[MutableMapping[str, Any]]:
    sent: list[MutableMapping[str, Any]] = []
    scope = {"type": "http", "method": "GET", "path": "/x", "query_string": b"", "headers": [], "client": ("h", 1)}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(RequestMiddleware(app, pick=pick)(scope, receive, send))  # raises nothing
    return sent


def answering(status: int, *, body: bool, then_fail: bool) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": [(b"a", b"1")]})
        if body:
            await send({"type": "http.response.body", "body": b"{}"})
        if then_fail:
            raise RuntimeError("re-raised after the answer")

    return app


@pytest.mark.parametrize(
    ("status", "body", "then_fail", "level"),
    [
        (200, True, False, logging.INFO),
        (404, True, True, logging.INFO),  # answered in full: the error ends here, the answer's level
        (500, True, True, logging.ERROR),  # the 500 handler's answer, then Starlette's raise
        (200, False, True, logging.ERROR),  # cut short
    ],
)
def test_the_access_line_says_how_the_answer_went(
    lines: LogLines, status: int, body: bool, then_fail: bool, level: int
) -> None:
    sent = call(answering(status, body=body, then_fail=then_fail))
    assert sent[0]["status"] == status
    assert [name for name, _ in sent[0]["headers"]] == [b"a", b"x-request-id"]
    (record,) = lines.records
    assert (record.levelno, getattr(record, "status", None)) == (level, status)


def test_an_error_before_any_answer_is_a_500_line(lines: LogLines) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("no answer")

    assert call(app) == []
    (record,) = lines.records
    assert (record.levelno, getattr(record, "status", None)) == (logging.ERROR, 500)


def test_pick_answers_instead_of_the_app(lines: LogLines) -> None:
    def pick(scope: Scope) -> Any:
        return answering(422, body=True, then_fail=False) if scope["path"] == "/x" else None

    sent = call(answering(200, body=True, then_fail=False), pick)
    assert sent[0]["status"] == 422 and sent[0]["headers"][-1][0] == b"x-request-id"
    assert getattr(lines.records[0], "status", None) == 422
