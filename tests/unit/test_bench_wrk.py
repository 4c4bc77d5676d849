"""`make bench` reads wrk's figures from the JSON line its Lua script prints: recorded outputs of real
wrk runs (tests/fixtures/bench) must parse to the figures in them, and a run without that line must be
an error, not a zero. No timing here: only the reading and the arithmetic (and, where wrk is installed,
one short run against a loopback server, for what wrk.run hands back beside the figures)."""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from bench import wrk
from bench.hub_bench import goal_of
from bench.report import Row, table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bench"


def test_a_wrapped_run_counts_only_2xx_towards_the_rate() -> None:
    result = wrk.parse((FIXTURES / "wrk-wrapped.txt").read_text())
    assert result.requests == 16274
    assert result.statuses == {201: 8137, 404: 8137}
    assert result.ok == 8137
    assert result.failed == 8137
    assert not result.exhausted
    assert result.seconds == pytest.approx(2.002973)  # wrk's own duration
    assert result.rate == pytest.approx(8137 / 2.002973)
    assert (result.p50_ms, result.p90_ms, result.p99_ms, result.max_ms) == (3.383, 7.348, 14.216, 28.453)


def test_an_exhausted_list_is_timed_to_its_last_answer_not_to_wrks_duration() -> None:
    result = wrk.parse((FIXTURES / "wrk-exhausted.txt").read_text())
    assert result.exhausted
    assert result.seconds == pytest.approx(0.268339)
    assert result.rate == pytest.approx(1984 / 0.268339)
    assert result.as_dict()["list_exhausted"] is True


def test_output_without_the_json_line_is_an_error() -> None:
    text = (FIXTURES / "wrk-wrapped.txt").read_text()
    without = "\n".join(line for line in text.splitlines() if not line.startswith(wrk.MARKER))
    with pytest.raises(wrk.WrkError, match="found 0"):
        wrk.parse(without)
    with pytest.raises(wrk.WrkError, match="found 2"):
        wrk.parse(text + text)


def test_ratio_to_the_floor_and_the_table() -> None:
    floor = wrk.parse((FIXTURES / "wrk-wrapped.txt").read_text())
    hub = wrk.parse((FIXTURES / "wrk-exhausted.txt").read_text())
    assert wrk.ratio(hub.rate, floor.rate) == pytest.approx((1984 / 0.268339) / (8137 / 2.002973))
    assert wrk.ratio(10.0, 0.0) is None
    rows = [Row("floor: one INSERT", floor, None), Row("acknowledgement", hub, floor)]
    text = table(rows)
    assert "floor: one INSERT" in text and "acknowledgement" in text
    assert f"{hub.rate / floor.rate:.3f}" in text
    assert "404x8137" in text  # non-2xx answers are shown, not hidden


def test_goals_are_judged_on_the_ratio_and_the_p99() -> None:
    floor = wrk.parse((FIXTURES / "wrk-wrapped.txt").read_text())  # 4,062/s
    hub = wrk.parse((FIXTURES / "wrk-exhausted.txt").read_text())  # 7,394/s, p99 15.2 ms
    assert goal_of(Row("acknowledgement", hub, floor)) == "ratio>=0.5 p99<=25: met"
    slow = replace(hub, p99_ms=25.5)
    assert goal_of(Row("acknowledgement", slow, floor)) == "ratio>=0.5 p99<=25: not met"
    assert goal_of(Row("PO create", hub, replace(floor, statuses={201: 10**6}))) == "ratio>=0.4: not met"
    one = replace(hub, connections=1)
    assert goal_of(Row("Step 1 search (100 POs), 1 connection", one, None)) == "p99<=10: not met"
    many = replace(hub, connections=32)
    assert goal_of(Row("Step 1 search (100 POs)", many, None)) == ">=500/s p99<=100: met"
    assert goal_of(Row("floor: empty GET", hub, None)) == ""


def test_request_lists_are_one_line_each() -> None:
    with pytest.raises(ValueError, match="one-line"):
        wrk.write_requests(Path("/dev/null"), [("POST", "/x", b'{\n"a": 1}')])


@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (scripts/install-wrk.sh)")
def test_a_run_carries_wrks_own_cpu_and_takes_its_threads() -> None:
    """Against a real server on loopback: wrk's rusage comes back with the run (the load generator's
    cost beside the server's), and -t2 splits the connections over two threads."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Ok(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        result = wrk.run(url, [("GET", "/", b"")], seconds=1, connections=4, threads=2)
    finally:
        server.shutdown()
    assert result.ok > 0
    assert result.client_cpu_s > 0
    assert result.as_dict()["client_cpu_s"] == round(result.client_cpu_s, 3)
