"""Rate limits per API key and route group: 429 with Retry-After, the platform's preset, counted in
the database (or Redis) so that every server process counts the same buckets. The limiter's clock
is stepped by the test: nothing here depends on how fast the machine is."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import httpx
import pytest

from pohub.ops import limits
from pohub.ops.limits import Limit, decide
from tests.ops.helpers import make_app, serve
from tests.support import LiveServer, Trade, database_url, make_trade


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_gcra_burst_then_steady_rate() -> None:
    limit = limits.PRESETS["logicbroker"]["search"]  # 1 every 2 s, bursts of 25
    tat = None
    for _ in range(25):
        decision, tat = decide(tat, now=0.0, limit=limit)
        assert decision.allowed
    refused, unchanged = decide(tat, now=0.0, limit=limit)
    assert not refused.allowed and unchanged is None
    assert refused.retry_after == pytest.approx(2.0) and refused.retry_after_header == "2"
    assert decide(tat, now=1.9, limit=limit)[0].allowed is False
    assert decide(tat, now=2.0, limit=limit)[0].allowed is True
    # After a long quiet spell the burst is back, not more.
    assert decide(tat, now=10_000.0, limit=limit)[1] == pytest.approx(10_002.0)


def test_parse_presets_and_rules() -> None:
    assert limits.parse("off") == {}
    assert limits.parse("logicbroker")["search"] == Limit(1, 2.0, 25)
    assert limits.parse("logicbroker-v1")["search"] == Limit(10, 1.0, 100)
    mixed = limits.parse("logicbroker, writes=50/1s:200 ,reads=5/500ms")
    assert mixed["writes"] == Limit(50, 1.0, 200) and mixed["reads"] == Limit(5, 0.5, 5)
    assert mixed["bulk"] == Limit(1, 1.0, 25)
    with pytest.raises(ValueError, match="unknown route group 'serch'"):
        limits.parse("serch=1/2s")
    with pytest.raises(ValueError, match="neither a preset"):
        limits.parse("fast")


def test_route_groups() -> None:
    assert limits.group_of("GET", "/api/v1/Orders") == "search"
    assert limits.group_of("GET", "/api/v1/Orders/Ready") == "search"
    assert limits.group_of("GET", "/api/v3/Shipments") == "search"
    assert limits.group_of("GET", "/api/v1/Orders/12") == "reads"
    assert limits.group_of("PUT", "/api/v1/Orders/Status") == "bulk"
    assert limits.group_of("POST", "/api/v1/Acknowledgements") == "writes"
    assert limits.group_of("POST", "/wms/business_units/1/sales_orders") == "writes"
    assert limits.group_of("GET", "/readyz") is None and limits.group_of("GET", "/orders") is None


def test_off_by_default(server: LiveServer, trade: Trade) -> None:
    for _ in range(40):
        assert trade.supplier.get("/Orders").status_code == 200


def _searches(party_client: httpx.Client, n: int) -> list[httpx.Response]:
    return [party_client.get("/Orders") for _ in range(n)]


@pytest.mark.parametrize("store", ["database", "redis"])
def test_two_servers_count_one_bucket(store: str, backend: str, tmp_path: Path) -> None:
    if store == "redis" and not redis_up():
        pytest.skip("no Redis at 127.0.0.1:6379")
    extra = {"redis_url": "redis://127.0.0.1:6379/0"} if store == "redis" else {}
    with database_url(backend, tmp_path) as url:
        app1 = make_app(url, rate_limits="logicbroker", **extra)
        app2 = make_app(url, rate_limits="logicbroker", **extra)
        clock = FakeClock()
        clock.now += uuid.uuid4().int % 1000  # Redis keys outlive a test: start each run elsewhere
        app1.state.rate_limiter.clock = clock
        app2.state.rate_limiter.clock = clock
        with serve(app1, backend) as one, serve(app2, backend) as two:
            trade = make_trade(one)
            other = make_trade(one)
            via_two = httpx.Client(base_url=two.api, headers={"Authorization": f"Bearer {trade.supplier.key}"})
            # The burst of 25 searches, shared between the two processes.
            answers = _searches(trade.supplier.client, 13) + _searches(via_two, 12)
            assert [a.status_code for a in answers] == [200] * 25
            refused = via_two.get("/Orders")
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "2"
            assert refused.json()["Code"] == "429" and "search requests are limited to 1 per 2 s" in refused.text
            assert trade.supplier.get("/Orders").status_code == 429  # the other process agrees
            # Other groups and other keys have buckets of their own.
            assert trade.supplier.get("/Statuses").status_code == 200
            assert other.supplier.get("/Orders").status_code == 200
            clock.now += 2.0
            assert trade.supplier.get("/Orders").status_code == 200
            assert via_two.get("/Orders").status_code == 429
            clock.now += 60.0  # 30 intervals: the burst refills to 25, not beyond
            assert [a.status_code for a in _searches(via_two, 26)] == [200] * 25 + [429]
            # The key in the query string counts the same bucket as the header.
            q = httpx.get(f"{one.api}/Orders", params={"subscription-key": trade.supplier.key})
            assert q.status_code == 429
            via_two.close()


def test_store_failure_lets_requests_through(tmp_path: Path) -> None:
    with database_url("sqlite", tmp_path) as url:
        app = make_app(url, rate_limits="search=1/10s:1", redis_url="redis://127.0.0.1:1/0")  # nothing listens
        with serve(app, "sqlite") as live:
            trade = make_trade(live)
            assert [r.status_code for r in _searches(trade.supplier.client, 3)] == [200, 200, 200]
