"""The client against real HTTP servers: a small scripted one (429, 503, wrappers, refusals) and a live
pohub (paging through Records until TotalPages)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pohub.client import (
    ApiError,
    AsyncClient,
    Client,
    ClientOptions,
    Limits,
    RateLimit,
    RetryPolicy,
    UnavailableError,
)
from pohub.client.retry import parse_retry_after
from tests.agent.helpers import create_order
from tests.support import LiveServer, Trade, free_port

ORDER = {"PartnerPO": "PO-9", "OrderLines": [{"LineNumber": "1", "Quantity": 2, "Price": 1.10, "ItemIdentifier": {}}]}


class Scripted:
    """A server that answers each request with the next scripted (status, headers, body), and keeps
    what it was asked."""

    def __init__(self, answers: list[tuple[int, dict[str, str], Any]]) -> None:
        self.answers = answers
        self.seen: list[tuple[str, str]] = []
        self.on_request: Callable[[], None] = lambda: None
        script = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                script.seen.append((self.command, self.path))
                script.on_request()
                status, headers, body = script.answers.pop(0) if script.answers else (500, {}, None)
                raw = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted() -> Iterator[Any]:
    servers: list[Scripted] = []

    def make(answers: list[tuple[int, dict[str, str], Any]]) -> Scripted:
        servers.append(Scripted(answers))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def options(url: str, **kw: Any) -> ClientOptions:
    kw.setdefault("retry", RetryPolicy(attempts=4, base=0.05, cap=0.2))
    kw.setdefault("limits", Limits.off())
    return ClientOptions(base_url=url, api_key="secret-key", **kw)


def test_retries_503_and_429_honouring_retry_after(scripted: Any) -> None:
    server = scripted(
        [
            (503, {}, {"Code": 503, "Message": "busy"}),
            (429, {"Retry-After": "1"}, {"Code": 429, "Message": "slow down"}),
            (200, {}, {"Code": "200", "Message": "OK", "Body": {"SalesOrder": ORDER}}),
        ]
    )
    clock = ManualClock()
    with Client(options(server.url), clock=clock) as client:
        order = client.get_order("7")
    assert order.partner_po == "PO-9" and str(order.order_lines[0].price) == "1.1"
    assert [p.split("?")[0] for _, p in server.seen] == ["/api/v1/Orders/7"] * 3
    assert "subscription-key=secret-key" in server.seen[0][1]
    # A jittered backoff after the 503 (at most the policy's base), then exactly the second the 429 asked for.
    assert len(clock.slept) == 2 and 0 <= clock.slept[0] <= 0.05 and clock.slept[1] == 1.0
    assert client.stats.retries == 2 and client.stats.requests == 3


async def test_async_client_retries_and_accepts_bare_documents(scripted: Any) -> None:
    server = scripted(
        [
            (429, {"Retry-After": "0"}, None),
            (502, {}, None),
            (201, {}, {"LogicbrokerKey": "55", "OrderStatusCode": 500}),
            (200, {}, ORDER),
        ]
    )
    async with AsyncClient(options(server.url, auth="bearer")) as client:
        created = await client.post_acknowledgement({"AckLines": []})
        order = await client.get_order("55")
    assert (created.key, created.order_status, created.duplicate) == ("55", 500, False)
    assert order.partner_po == "PO-9"
    assert "subscription-key" not in server.seen[0][1]


def test_other_4xx_is_never_retried_and_carries_the_reasons(scripted: Any) -> None:
    refusal = {
        "Code": 422,
        "Message": "The Acknowledgement is not valid",
        "Errors": [{"Field": "AckLines[0].LineNumber", "Error": "the order has no line '9'"}],
    }
    server = scripted([(422, {}, refusal), (200, {}, {})])
    with Client(options(server.url)) as client, pytest.raises(ApiError) as caught:
        client.post_acknowledgement({"AckLines": []})
    err = caught.value
    assert len(server.seen) == 1
    assert err.status_code == 422 and not err.retryable
    assert err.message == "The Acknowledgement is not valid"
    assert err.errors[0].field == "AckLines[0].LineNumber"
    assert "the order has no line '9'" in str(err) and "secret-key" not in str(err)


def test_gives_up_after_the_last_attempt(scripted: Any) -> None:
    server = scripted([(503, {}, {"Message": "down"})] * 3)
    with (
        Client(options(server.url, retry=RetryPolicy(attempts=3, base=0.01))) as client,
        pytest.raises(ApiError) as caught,
    ):
        client.order_status("1")
    assert caught.value.status_code == 503 and caught.value.retryable and len(server.seen) == 3

    nobody = options(f"http://127.0.0.1:{free_port()}", retry=RetryPolicy(attempts=2, base=0.01))
    with Client(nobody) as client, pytest.raises(UnavailableError) as gone:
        client.order_status("1")
    assert "secret-key" not in str(gone.value)


class ManualClock:
    """The client's clock, moved only by the client's own waits (and by the server when a test says a
    request took time): nothing here depends on how fast the machine runs."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


SEARCH_PAGE = {"Records": [], "TotalPages": 0, "CurrentPage": 1, "TotalRecords": 0}


def test_searches_are_throttled_to_the_rate(scripted: Any) -> None:
    server = scripted([(200, {}, SEARCH_PAGE)] * 6)
    clock = ManualClock()
    limits = Limits(search=RateLimit(10, 2), bulk=None, other=None)
    with Client(options(server.url, limits=limits), clock=clock) as client:
        sent_at = []
        for _ in range(6):
            list(client.search_orders(status=150))
            sent_at.append(clock.now())
    # A burst of 2, then one every 0.1 s: 4 waits of 0.1 s, and each search went out on its slot.
    assert len(server.seen) == 6
    assert clock.slept == pytest.approx([0.1] * 4)
    assert [round(t - 1000.0, 6) for t in sent_at] == [0.0, 0.0, 0.1, 0.2, 0.3, 0.4]
    assert client.stats.throttled_seconds == pytest.approx(0.4)


def test_time_spent_in_slow_requests_counts_towards_the_rate(scripted: Any) -> None:
    clock = ManualClock()
    server = scripted([(200, {}, SEARCH_PAGE)] * 6)
    server.on_request = lambda: setattr(clock, "t", clock.t + 0.1)  # each answer takes 0.1 s
    limits = Limits(search=RateLimit(10, 2), bulk=None, other=None)
    with Client(options(server.url, limits=limits), clock=clock) as client:
        for _ in range(6):
            list(client.search_orders(status=150))
    # One request per 0.1 s is the rate itself: no wait is needed (the old wall-clock test failed here).
    assert len(server.seen) == 6 and clock.slept == [] and client.stats.throttled_seconds == 0


async def test_the_async_client_shares_the_throttle(scripted: Any) -> None:
    server = scripted([(200, {}, SEARCH_PAGE)] * 4)
    clock = ManualClock()
    limits = Limits(search=RateLimit(0.5, 1), bulk=None, other=None)
    async with AsyncClient(options(server.url, limits=limits), clock=clock) as client:
        for _ in range(4):
            [o async for o in client.search_orders()]
    assert len(server.seen) == 4 and clock.slept == pytest.approx([2.0] * 3)


def test_older_search_shape_and_rate_parsing(scripted: Any) -> None:
    old = {"Code": "200", "Body": {"SalesOrders": [ORDER, ORDER]}, "TotalPages": 1}
    server = scripted([(200, {}, old)])
    with Client(options(server.url)) as client:
        assert [o.partner_po for o in client.search_orders()] == ["PO-9", "PO-9"]
    assert RateLimit.parse("0.5/25") == RateLimit(0.5, 25)
    assert RateLimit.parse("off") is None and RateLimit.parse("0") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    with pytest.raises(ValueError):
        RateLimit.parse("fast")


def test_pages_through_a_live_hub(server: LiveServer, trade: Trade) -> None:
    keys = [create_order(trade, f"PG-{i}", [("A", 1, "1.00")]) for i in range(5)]
    opts = ClientOptions(base_url=server.url, api_key=trade.supplier.key, page_size=2, limits=Limits.off())
    with Client(opts) as client:
        found = [o.identifier.logicbroker_key for o in client.search_orders(status=150) if o.identifier]
        assert found == keys
        assert client.stats.requests == 3
        assert client.ready_order_keys() == keys
        status = client.set_order_status(keys[0], 200)
        assert status["StatusCode"] == 200 and client.order_status(keys[0]) == 200
        with pytest.raises(ApiError) as caught:
            client.get_order("999999")
        assert caught.value.status_code == 404
