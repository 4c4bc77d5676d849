"""GET /metrics: counters that move with what the hub does, private when configured so, and one
answer for every process of a multi-process server."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import ack, create_order, line
from tests.ops.helpers import VENV_BIN, make_app, serve
from tests.support import PATIENCE, LiveServer, Trade, database_url, free_port


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample (0 when absent: a counter not incremented yet)."""
    for row in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$", row)
        if m is None or m[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m[2] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m[3])
    return 0.0


def scrape(server: LiveServer, **headers: str) -> str:
    resp = httpx.get(f"{server.url}/metrics", headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    return resp.text


def test_document_counters_move_when_applied_and_refused(server: LiveServer, trade: Trade) -> None:
    labels = {"kind": "acknowledgement", "channel": "api"}
    before = scrape(server)
    po = "PO-MET-1"
    key = create_order(trade, po)
    r = trade.supplier.post("/Acknowledgements", json=ack(po, "ACK-M1", [line("01", 5)]))
    assert r.status_code == 201, r.text
    r = trade.supplier.post("/Acknowledgements", json=ack(po, "ACK-M1", [line("01", 5)]))
    assert r.status_code == 200  # the same again: a duplicate
    r = trade.supplier.post("/Acknowledgements", json=ack(po, "ACK-M2", [line("01", 99)], update=True))
    assert r.status_code == 422, r.text  # more than ordered: refused
    after = scrape(server)
    for outcome in ("applied", "duplicate", "refused"):
        delta = sample(after, "pohub_documents_total", outcome=outcome, **labels) - sample(
            before, "pohub_documents_total", outcome=outcome, **labels
        )
        assert delta == 1, (outcome, delta)
    assert sample(after, "pohub_documents_total", kind="order", channel="api", outcome="applied") >= 1
    # Requests by route template (not by key), method and status, with a latency histogram.
    route = "/api/v1/Acknowledgements"
    assert (
        sample(after, "pohub_http_requests_total", route=route, method="POST", status="422")
        - sample(before, "pohub_http_requests_total", route=route, method="POST", status="422")
        == 1
    )
    one = "/api/v1/Orders/{LogicbrokerKey}"
    trade.supplier.get(f"/Orders/{key}")
    assert sample(scrape(server), "pohub_http_request_duration_seconds_count", route=one, method="GET") >= 1
    assert f'route="/api/v1/Orders/{key}"' not in after
    # The database's own figures and the pool.
    assert "pohub_jobs_open{" in after
    assert "pohub_db_pool_connections_in_use{" in after
    assert "pohub_heartbeat_age_seconds{" in after


def test_token_protects_metrics(tmp_path: Path) -> None:
    with database_url("sqlite", tmp_path) as url, serve(make_app(url, metrics_token="s3cret-token"), "sqlite") as live:
        assert httpx.get(f"{live.url}/metrics").status_code == 401
        assert httpx.get(f"{live.url}/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        scrape(live, Authorization="Bearer s3cret-token")


def test_metrics_on_their_own_address(tmp_path: Path) -> None:
    port = free_port()
    with database_url("sqlite", tmp_path) as url:
        app = make_app(url, metrics_address=f"127.0.0.1:{port}")
        with serve(app, "sqlite") as live:
            assert httpx.get(f"{live.url}/metrics").status_code == 404
            resp = httpx.get(f"http://127.0.0.1:{port}/metrics")
            assert resp.status_code == 200 and "pohub_http_requests_total" in resp.text
            assert httpx.get(f"http://127.0.0.1:{port}/api/v1/Statuses").status_code == 404


def test_several_server_processes_answer_for_all(tmp_path: Path) -> None:
    """`pohub serve --workers 2`: whichever process answers /metrics counts every process's requests."""
    with database_url("sqlite", tmp_path) as url:
        port = free_port()
        env = {**os.environ, "POHUB_DATABASE_URL": url, "POHUB_PORT": str(port)}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        proc = subprocess.Popen(
            [str(VENV_BIN / "pohub"), "serve", "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + PATIENCE
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "pohub serve --workers 2 did not start"
                time.sleep(0.2)
            # New connections each time: the kernel spreads them over both processes.
            for _ in range(40):
                r = httpx.get(f"{base}/api/v1/Statuses", headers={"Connection": "close"})
                assert r.status_code == 200
            texts = [httpx.get(f"{base}/metrics", headers={"Connection": "close"}).text for _ in range(6)]
            counts = {
                sample(t, "pohub_http_requests_total", route="/api/v1/Statuses", method="GET", status="200")
                for t in texts
            }
            assert counts == {40.0}, counts
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


@pytest.mark.parametrize("outcome", ["applied", "bogus"])
def test_document_outcome_names(outcome: str) -> None:
    from pohub.ops.metrics import document_outcome

    if outcome == "bogus":
        with pytest.raises(ValueError, match="outcome must be one of"):
            document_outcome(kind="order", channel="api", outcome=outcome)
    else:
        document_outcome(kind="order", channel="test", outcome=outcome)
