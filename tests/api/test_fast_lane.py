"""The fast lane (api/lane.py) answers exactly as FastAPI's router does: the same requests, sent to a
server with the lane and to one without it, get the same status, headers and body.

Reads and refusals go to two servers on one database (the same state). Writes that create go to two
databases set up alike (the same ids), one served with the lane and one without, in the same order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi._body_limit import AppBodyLimitMiddleware
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY as BODY_LIMIT
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.responses import Response

from pohub.api import lane as fast_lane
from pohub.api.app import create_app
from pohub.api.auth import CompanyDep, current_company
from pohub.api.lane import FastLane
from pohub.config import Settings
from pohub.ops import context
from pohub.ops.limit_middleware import RateLimitMiddleware
from pohub.ops.requests import RequestMiddleware
from tests.api.helpers import SKU2, ack, line, order_body
from tests.support import PATIENCE, Party, Trade, _connect, _make_companies, database_url, serve, sql

VOLATILE = {"x-request-id", "date"}
LIMIT = 16384  # POHUB_MAX_BODY_BYTES of the write servers: a PO is well under it


@dataclass
class Served:
    app: FastAPI
    url: str

    @property
    def lane(self) -> FastLane | None:
        lane: FastLane | None = self.app.state.fast_lane
        return lane


@contextmanager
def serving(url: str, *, fast_lane: bool, **settings: Any) -> Iterator[Served]:
    app = create_app(Settings(database_url=url, key_cache_seconds=0.0, **settings), fast_lane=fast_lane)
    with serve(app, log_level="critical") as base:
        yield Served(app, base)


def parties(url: str) -> tuple[tuple[int, str], tuple[int, str]]:
    """A buyer and a supplier, connected; the same names (and so the same ids) in every database."""
    (buyer, supplier) = asyncio.run(_make_companies(url, ["Parity Buyer", "Parity Supplier"]))
    asyncio.run(_connect(url, buyer[0], supplier[0], True))
    return buyer, supplier


def trade_at(base: str, buyer: tuple[int, str], supplier: tuple[int, str]) -> Trade:
    def party(who: tuple[int, str], name: str) -> Party:
        client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {who[1]}"}, timeout=60)
        return Party(who[0], name, who[1], client)

    return Trade(party(buyer, "Parity Buyer"), party(supplier, "Parity Supplier"))


def answer(r: httpx.Response) -> tuple[int, list[tuple[str, str]], Any]:
    """What must match: status, every header in order (a volatile one by name only), and the body."""
    origin = f"{r.request.url.scheme}://{r.request.url.netloc.decode()}"  # in a redirect's Location
    headers = [(k, "" if k in VOLATILE else v.replace(origin, "<server>")) for k, v in r.headers.multi_items()]
    body: Any = r.content
    if r.headers.get("content-type") == "application/json" and r.content:
        body = orjson.loads(r.content)
    return r.status_code, headers, body


class AccessLines(logging.Handler):
    """The access log's fields (route template, status, company: the metrics' labels too) by request id."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: dict[str, tuple[Any, ...]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        fields = ("method", "path", "route", "status", "company_id", "levelno")
        self.lines[context.request_id.get()] = tuple(getattr(record, f, None) for f in fields)

    def of(self, r: httpx.Response) -> tuple[Any, ...]:
        deadline = time.monotonic() + PATIENCE  # written just after the answer is sent
        while r.headers["x-request-id"] not in self.lines and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.lines[r.headers["x-request-id"]]


ACCESS = AccessLines()


@pytest.fixture(autouse=True)
def access_lines() -> Iterator[None]:
    logger = logging.getLogger("pohub.access")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(ACCESS)
    try:
        yield
    finally:
        logger.removeHandler(ACCESS)
        logger.setLevel(level)


def same(a: httpx.Response, b: httpx.Response) -> tuple[int, list[tuple[str, str]], Any]:
    assert answer(a) == answer(b), f"{a.request.method} {a.request.url}:\n{a.text}\n{b.text}"
    assert a.headers["x-request-id"] != b.headers["x-request-id"]
    assert ACCESS.of(a) == ACCESS.of(b)
    return answer(a)


@pytest.fixture
def pair(backend: str, tmp_path: Path) -> Iterator[tuple[Served, Served, str]]:
    """Two servers on one database, with the lane and without it."""
    with (
        database_url(backend, tmp_path) as url,
        serving(url, fast_lane=True) as lane,
        serving(url, fast_lane=False) as plain,
    ):
        yield lane, plain, url


def test_writes_answer_as_fastapi_does(backend: str, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        database_url(backend, tmp_path / "a") as url_a,
        database_url(backend, tmp_path / "b") as url_b,
        serving(url_a, fast_lane=True, max_body_bytes=LIMIT) as lane,
        serving(url_b, fast_lane=False, max_body_bytes=LIMIT) as plain,
    ):
        b_a, s_a = parties(url_a)
        b_b, s_b = parties(url_b)
        assert (b_a[0], s_a[0]) == (b_b[0], s_b[0])
        assert lane.lane is not None
        for prefix in ("/api/v1", "/api/v3"):
            x = trade_at(lane.url + prefix, b_a, s_a)
            y = trade_at(plain.url + prefix, b_b, s_b)
            po = f"LANE-{prefix[-2:]}"

            def both(who: str, method: str, path: str, x: Trade = x, y: Trade = y, **kw: Any) -> Any:
                return same(getattr(x, who).request(method, path, **kw), getattr(y, who).request(method, path, **kw))

            served = lane.lane.served
            body = order_body(x, po)
            status, _, created = both("buyer", "POST", "/Orders", json=body)
            assert status == 201
            key = created["Body"]["LogicbrokerKey"]
            assert both("buyer", "POST", "/Orders", json=body)[0] == 409  # PartnerPO taken
            assert both("buyer", "POST", "/Orders", json=order_body(x, po, qty1=9))[0] == 409
            assert both("buyer", "POST", "/Orders", json={"PartnerPO": po})[0] == 422
            assert both("buyer", "POST", "/Orders", content=b"{not json")[0] == 400
            assert both("buyer", "POST", "/Orders", content=b"<x/>", headers={"Content-Type": "text/xml"})[0] == 415
            big = b'{"PartnerPO": "' + b"x" * LIMIT + b'"}'
            assert both("buyer", "POST", "/Orders", content=big)[0] == 413
            lines = [line("01", 5), line("02", 3, SKU2)]
            status, _, body = both("supplier", "POST", "/Acknowledgements", json=ack(po, f"A-{po}", lines))
            assert status == 201 and body["Body"]["OrderStatusCode"] == 500
            assert both("supplier", "POST", "/Acknowledgements", json=ack(po, f"A-{po}", lines))[0] == 200
            assert (
                both("supplier", "POST", f"/Acknowledgement/{key}", json=ack(po, f"A2-{po}", [line("09", 1)]))[0] == 409
            )
            ship = {"ShipmentNumber": f"S-{po}", "ShipmentLines": [line("01", 2)]}
            assert both("supplier", "POST", f"/Orders/{key}/Shipments", json=ship)[0] == 201
            assert both("supplier", "POST", "/Shipment/999999", json=ship)[0] == 404
            invoice = {"InvoiceNumber": f"I-{po}", "InvoiceLines": [line("01", 2, Price=31.02)]}
            assert both("supplier", "POST", f"/Invoice/{key}", json=invoice)[0] == 201
            # Every one of these went through the lane.
            assert lane.lane.served - served == 13


def hot_reads(key: str, doc_keys: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    reads: list[tuple[str, str, dict[str, Any]]] = [
        ("supplier", f"/Orders/{key}", {}),
        ("buyer", f"/Orders/{key}", {}),
        ("buyer", "/Orders/999999", {}),
        ("buyer", "/Orders/not-a-key", {}),
        ("supplier", "/Orders", {"params": {"Filters.status": "150", "pageSize": "10"}}),
        ("buyer", "/Orders", {"params": {"pageSize": "0"}}),
        ("buyer", "/Orders", {"params": {"Filters.from": "yesterday"}}),
    ]
    for plural, doc in doc_keys.items():
        reads += [
            ("buyer", f"/{plural}/{doc}", {}),
            ("supplier", f"/{plural}", {"params": {"pageSize": "5"}}),
            ("buyer", f"/{plural}/1234567", {}),
        ]
    return reads


def test_reads_and_refusals_answer_as_fastapi_does(pair: tuple[Served, Served, str]) -> None:
    lane, plain, url = pair
    assert lane.lane is not None
    buyer, supplier = parties(url)
    for prefix in ("/api/v1", "/api/v3"):
        x = trade_at(lane.url + prefix, buyer, supplier)
        y = trade_at(plain.url + prefix, buyer, supplier)
        po = f"READ-{prefix[-2:]}"
        r = x.buyer.post("/Orders", json=order_body(x, po))
        assert r.status_code == 201, r.text
        key = r.json()["Body"]["LogicbrokerKey"]
        r = x.supplier.post("/Acknowledgements", json=ack(po, f"A-{po}", [line("01", 5), line("02", 3, SKU2)]))
        assert r.status_code == 201, r.text
        shipped = x.supplier.post(
            f"/Shipment/{key}", json={"ShipmentNumber": f"S-{po}", "ShipmentLines": [line("01", 2)]}
        )
        assert shipped.status_code == 201, shipped.text
        invoiced = x.supplier.post(
            f"/Invoice/{key}", json={"InvoiceNumber": f"I-{po}", "InvoiceLines": [line("01", 2, Price=31.02)]}
        )
        assert invoiced.status_code == 201, invoiced.text
        doc_keys = {
            "Acknowledgements": r.json()["Body"]["LogicbrokerKey"],
            "Shipments": shipped.json()["Body"]["LogicbrokerKey"],
            "Invoices": invoiced.json()["Body"]["LogicbrokerKey"],
        }
        served = lane.lane.served
        reads = hot_reads(key, doc_keys)
        for who, path, kw in reads:
            same(getattr(x, who).get(path, **kw), getattr(y, who).get(path, **kw))
        assert lane.lane.served - served == len(reads)

        # Not the lane's: FastAPI answers both (Ready is tried before /Orders/{key}; HEAD, a trailing
        # slash, another method).
        served = lane.lane.served
        for method, path in (
            ("GET", "/Orders/Ready"),
            ("HEAD", f"/Orders/{key}"),
            ("GET", "/Orders/"),
            ("DELETE", f"/Orders/{key}"),
            ("PUT", "/Acknowledgements"),
        ):
            same(x.buyer.request(method, path), y.buyer.request(method, path))
        assert lane.lane.served == served

        # No key, a bad key, a key in the query string, a Bearer header without a key.
        anon_a = httpx.Client(base_url=lane.url + prefix, timeout=60)
        anon_b = httpx.Client(base_url=plain.url + prefix, timeout=60)
        for method, path, kw in (
            ("GET", f"/Orders/{key}", {}),
            ("POST", "/Acknowledgements", {"json": {}}),
            ("GET", "/Orders", {"headers": {"Authorization": "Bearer not-a-key"}}),
            ("GET", "/Orders", {"headers": {"Authorization": "Bearer"}}),
            ("GET", "/Orders", {"headers": {"Authorization": "Basic abc"}}),
            ("GET", f"/Orders/{key}", {"params": {"subscription-key": buyer[1]}}),
            ("GET", f"/Orders/{key}", {"params": {"Subscription-Key": "wrong"}}),
        ):
            a, b = anon_a.request(method, path, **kw), anon_b.request(method, path, **kw)
            status, _, _ = same(a, b)
            if status == 401:
                assert a.headers["www-authenticate"] == "Bearer"
        # The caller's request id is sent back (and logged) by both.
        a = x.buyer.get(f"/Orders/{key}", headers={"X-Request-ID": f"given-a{prefix[-1]}"})
        b = y.buyer.get(f"/Orders/{key}", headers={"X-Request-ID": f"given-b{prefix[-1]}"})
        same(a, b)
        assert (a.headers["x-request-id"], b.headers["x-request-id"]) == (
            f"given-a{prefix[-1]}",
            f"given-b{prefix[-1]}",
        )
        # NUL in the path or the query: refused before any route, lane or not.
        for path, kw in ((f"/Orders/{key}%00", {}), ("/Orders", {"params": {"partnerPO": "a\x00b"}})):
            same(x.buyer.get(path, **kw), y.buyer.get(path, **kw))


def test_a_crash_answers_the_same_500_and_records_the_exchange(pair: tuple[Served, Served, str]) -> None:
    lane, plain, url = pair
    buyer, supplier = parties(url)
    x = trade_at(lane.url + "/api/v1", buyer, supplier)
    y = trade_at(plain.url + "/api/v1", buyer, supplier)

    sql(url, "ALTER TABLE order_lines RENAME TO order_lines_away")
    try:
        a = x.buyer.post("/Orders", json=order_body(x, "CRASH-A"))
        b = y.buyer.post("/Orders", json=order_body(y, "CRASH-B"))
    finally:
        sql(url, "ALTER TABLE order_lines_away RENAME TO order_lines")
    assert a.status_code == 500
    traces = [a.json().pop("TraceId"), b.json().pop("TraceId")]
    masked = [(r.status_code, answer(r)[1], {**r.json(), "TraceId": ""}) for r in (a, b)]
    assert masked[0] == masked[1]
    failed = x.buyer.get("/Exchanges", params={"state": "failed"}).json()["Records"]
    assert {e["TraceId"] for e in failed} >= set(traces)


def test_rate_limited_answers_as_fastapi_does(backend: str, tmp_path: Path) -> None:
    with (
        database_url(backend, tmp_path) as url,
        serving(url, fast_lane=True, rate_limits="reads=2/60s:2") as lane,
        serving(url, fast_lane=False, rate_limits="reads=2/60s:2") as plain,
    ):
        buyer, supplier = parties(url)
        for served in (lane, plain):
            served.app.state.rate_limiter.clock = lambda: 1_000_000.0
        x = trade_at(lane.url + "/api/v1", buyer, supplier)
        y = trade_at(plain.url + "/api/v1", buyer, supplier)
        # The two servers share the database's counters: the third read of the key is over.
        answers = [x.buyer.get("/Orders/1"), y.buyer.get("/Orders/1"), x.buyer.get("/Orders/1")]
        assert [r.status_code for r in answers] == [404, 404, 429]
        same(answers[2], y.buyer.get("/Orders/1"))
        assert answers[2].headers["retry-after"]


def test_the_lane_holds_every_hot_route_and_defers_to_overrides(pair: tuple[Served, Served, str]) -> None:
    lane, plain, url = pair
    assert lane.lane is not None and plain.lane is None
    table = lane.lane.warm()
    held = {(e.method, e.template) for e in table.entries}
    assert held == set(lane.lane.hot) and len(held) == 36
    # A dependency override (as a test might set) is FastAPI's to apply: the lane stands aside.
    buyer, supplier = parties(url)
    x = trade_at(lane.url + "/api/v1", buyer, supplier)
    lane.app.dependency_overrides[current_company] = lambda: supplier[0]
    try:
        served = lane.lane.served
        assert x.buyer.get("/Orders/1").status_code == 404
        assert lane.lane.served == served
    finally:
        lane.app.dependency_overrides.clear()


def test_a_route_taking_more_than_the_lane_passes_is_left_to_fastapi() -> None:
    app = FastAPI()

    @app.get("/x/Orders/{LogicbrokerKey}")
    async def plain(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> None: ...

    @app.get("/x/Orders")
    async def with_query(request: Request, company_id: CompanyDep, reason: str | None = None) -> None: ...

    @app.get("/x/Orders/Ready/{LogicbrokerKey}")
    def sync(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> None: ...

    hot = [("GET", "/x/Orders/{LogicbrokerKey}"), ("GET", "/x/Orders"), ("GET", "/x/Orders/Ready/{LogicbrokerKey}")]
    entries = fast_lane.build(app, hot)
    assert [(e.method, e.template) for e in entries] == [hot[0]]
    table = fast_lane.Table(entries)
    hit = table.find("GET", "/x/Orders/42")
    assert hit is not None and hit[1] == {"LogicbrokerKey": "42"}
    assert table.find("GET", "/x/Orders/") is None and table.find("POST", "/x/Orders/42") is None


def _chain(app: Any) -> list[Any]:
    """A built stack's layers, top first, down to the router."""
    found: list[Any] = []
    while app is not None and not isinstance(app, APIRouter):
        found.append(app)
        app = getattr(app, "app", None)
    return found


def _layers(app: Any) -> list[type]:
    return [type(layer) for layer in _chain(app)]


@pytest.mark.parametrize("rate_limits", ["off", "reads=2/60s:2"])
def test_the_lane_runs_fastapis_layers_but_the_pass_throughs(rate_limits: str, tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", rate_limits=rate_limits))
    outer = app.build_middleware_stack()
    assert isinstance(outer, RequestMiddleware) and outer.pick is not None
    lane = app.state.fast_lane
    limited = [RateLimitMiddleware] if rate_limits != "off" else []
    # Should FastAPI add a layer, the lane keeps it (and this shows it): only the known ones are left out.
    assert _layers(outer.app) == [
        ServerErrorMiddleware,
        ExceptionTelemetryMiddleware,
        AppBodyLimitMiddleware,
        *limited,
        ExceptionMiddleware,
        AsyncExitStackMiddleware,
    ]
    assert lane.layers == [ServerErrorMiddleware, *limited, ExceptionMiddleware]
    # The lowest layers are folded into the lane's bottom: the stack's own objects, handed an error
    # (fast_lane.replay); any above them run as copies of the same layers (the same 500 handler).
    full = outer.app
    own = {type(layer): layer for layer in _chain(full)}
    folded = [ExceptionMiddleware] if limited else [ServerErrorMiddleware, ExceptionMiddleware]
    assert [type(layer) for layer in lane.folded] == folded
    assert all(layer is own[type(layer)] for layer in lane.folded)
    assert lane.handlers == (own[ExceptionMiddleware]._exception_handlers, own[ExceptionMiddleware]._status_handlers)
    short = lane.stack
    if limited:
        assert isinstance(short, ServerErrorMiddleware) and short is not own[ServerErrorMiddleware]
        assert short.handler is own[ServerErrorMiddleware].handler and short.debug == own[ServerErrorMiddleware].debug
        assert isinstance(short.app, RateLimitMiddleware) and short.app.limiter is own[RateLimitMiddleware].limiter
        assert short.app.app == lane._endpoint
    else:
        assert short == lane._endpoint

    def scope(path: str, **extra: Any) -> dict[str, Any]:
        return {"type": "http", "method": "GET", "path": path, "root_path": "", "query_string": b"", **extra}

    assert outer.pick(scope("/api/v1/Orders/7")) is lane.stack
    assert outer.pick(scope("/api/v1/Orders/7/Status")) is None  # not a hot route: the whole stack
    # Where a pass-through layer would not pass the request on, the whole stack serves it.
    assert outer.pick(scope("/api/v1/Orders/7", **{BODY_LIMIT: 10})) is None
    assert outer.pick(scope("/api/v1/Orders/7", **{"fastapi.telemetry": object()})) is None
    refusal = outer.pick(scope("/api/v1/Orders/7\x00"))
    assert isinstance(refusal, Response) and refusal.status_code == 422
