"""The lane's lookup without the route's regex (``Entry.found``) and its plain Response sent without
Response's frame (``lane.send_response``), each against the code it replaced, kept here as the oracle:
``Table.find`` as it was (every entry's regex matched, ``Entry.match``) over many random paths, and
Starlette's ``Response.__call__`` over many responses."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.background import BackgroundTask
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import Message

from pohub.api import lane
from pohub.api.app import create_app
from pohub.api.http import JSON
from pohub.config import Settings

# Segments a path is made of: the templates' own words, and what may trip a regex or a split.
WORDS = ["api", "v1", "v3", "Orders", "Ready", "Acknowledgements", "Shipments", "Invoices", "Acknowledgement"]
ODD = ["", " ", "\n", "x\n", "%2F", "é", "a.b", "{LogicbrokerKey}", "12345", "docs-assets", "Status", "..", "\x00"]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('lookup')) / 'x.db'}"  # never opened
    app = create_app(Settings(database_url=url))
    lane.warm(app)
    return app


def old_find(table: lane.Table, method: str, path: str) -> tuple[lane.Entry, dict[str, Any]] | None:
    """``Table.find`` before stop 25: the entry's regex (``Entry.match``) for every hit."""
    segments = path.split("/")
    for mask in table._masks.get((method, len(segments)), ()):
        shape: list[str | None] = list(segments)
        for i in mask:
            shape[i] = None
        entry = table._by_key.get((method, tuple(shape)))
        if entry is not None:
            params = entry.match(method, path)
            return None if params is None else (entry, params)
    return None


def random_path(rng: random.Random, templates: list[str]) -> str:
    if rng.random() < 0.7:  # a hot template, each parameter (sometimes a literal too) replaced
        parts = rng.choice(templates).split("/")
        for i, part in enumerate(parts):
            if "{" in part or (i > 1 and rng.random() < 0.1):
                parts[i] = rng.choice([*ODD, *WORDS, f"PO-{rng.randrange(10**6)}"])
        return "/".join(parts)
    return "/" + "/".join(rng.choice([*WORDS, *ODD]) for _ in range(rng.randrange(1, 7)))


def test_every_hot_entry_is_found_without_its_regex(app: FastAPI) -> None:
    table = app.state.fast_lane.table
    assert table.entries and all(entry._plain is not None for entry in table.entries)


def test_lookup_agrees_with_the_regex_lookup(app: FastAPI) -> None:
    table: lane.Table = app.state.fast_lane.table
    templates = [entry.template for entry in table.entries]
    rng = random.Random(25)
    hits = 0
    for _ in range(20_000):
        method = rng.choice(["GET", "POST", "PUT", "DELETE"])
        path = random_path(rng, templates)
        expected = old_find(table, method, path)
        assert table.find(method, path) == expected, (method, path)
        hits += expected is not None
    assert hits > 3_000  # the paths reached the entries, not only misses


def test_a_blocker_still_takes_its_path(app: FastAPI) -> None:
    table: lane.Table = app.state.fast_lane.table
    assert table.find("GET", "/api/v1/Orders/Ready") is None  # FastAPI's /Orders/Ready, tried first
    assert table.find("GET", "/api/v1/Orders/") is None
    found = table.find("GET", "/api/v1/Orders/PO-1")
    assert found is not None and found[1] == {"LogicbrokerKey": "PO-1"}


def responses() -> list[Response]:
    made: list[Response] = [
        Response(b'{"a":1}', media_type="application/json"),
        Response("é text", status_code=201, media_type="application/json"),
        Response(None, status_code=204),
        Response(b"x", headers={"X-One": "1", "content-type": "text/csv"}),
        Response(memoryview(b"abc")),
        PlainTextResponse("plain"),
        HTMLResponse("<p>", status_code=404),
        JSON({"Code": "200", "Message": "OK"}),
    ]

    async def later() -> None:
        return None

    made.append(Response(b"bg", background=BackgroundTask(later)))
    return made


async def messages(call: Any, response: Response) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    await call(response, {"type": "http", "method": "GET", "path": "/"}, receive, send)
    return sent


@pytest.mark.parametrize("index", range(len(responses())))
def test_send_response_sends_what_the_response_sends(index: int) -> None:
    async def starlette(response: Response, scope: Any, receive: Any, send: Any) -> None:
        await response(scope, receive, send)

    ours = asyncio.run(messages(lane.send_response, responses()[index]))
    theirs = asyncio.run(messages(starlette, responses()[index]))
    assert ours == theirs
