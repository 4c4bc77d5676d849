"""ops/metrics.request_recorder and in_flight keep the request metrics without prometheus_client's
public calls (straight on the children's values; in memory, in-flight requests as a deque the gauge
reads): /metrics must read exactly what its own inc()/observe()/dec() give, in one process and in
multiprocess mode (the files another process's /metrics reads)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Each run is a fresh interpreter: prometheus_client picks its value class (in memory, or the
# multiprocess files) when imported.
SCRIPT = """
import sys
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from pohub.ops import metrics

way, multiproc = sys.argv[1], sys.argv[2] == "1"
# Bounds exactly (the histogram's buckets are "at or under"), between them, over the top one, zero.
seconds = [0.0, 1e-9, 0.005, 0.0050001, 0.01, 0.3, 1.0, 2.5, 9.99, 10.0, 10.5, 1e6]
answers = [("/api/v1/Orders/{LogicbrokerKey}", "GET", 200), ("/api/v1/Orders", "POST", 201),
           ("<unmatched>", "GET", 404), ("/api/v1/Orders/{LogicbrokerKey}", "GET", 404)]
enter, leave = metrics.in_flight()
for i, s in enumerate(seconds * 3):
    route, method, status = answers[i % len(answers)]
    if way == "recorder":
        enter()
        metrics.request_recorder(route, method, status)(s)
        if i % 5:
            leave()
    else:
        metrics.HTTP_IN_FLIGHT.inc()
        metrics.HTTP_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
        metrics.HTTP_DURATION.labels(route=route, method=method).observe(s)
        if i % 5:
            metrics.HTTP_IN_FLIGHT.dec()
if multiproc:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    text = generate_latest(registry).decode()
else:
    text = generate_latest(REGISTRY).decode()
wanted = ("pohub_http_requests_total", "pohub_http_request_duration_seconds", "pohub_http_requests_in_flight")
# Sorted: the multiprocess collector reads its files in the order the directory lists them.
print("\\n".join(sorted(r for r in text.splitlines() if r.startswith(wanted) and "_created" not in r)))
"""


def exposition(way: str, multiproc_dir: Path | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    if multiproc_dir is not None:
        multiproc_dir.mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(multiproc_dir)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, way, "1" if multiproc_dir else "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize("multiproc", [False, True])
def test_the_recorder_writes_what_the_public_calls_write(multiproc: bool, tmp_path: Path) -> None:
    direct = exposition("recorder", tmp_path / "direct" if multiproc else None)
    public = exposition("public", tmp_path / "public" if multiproc else None)
    assert direct == public
    # Every bucket boundary case landed somewhere, and the in-flight gauge moved (36 entered, 28 left).
    assert 'pohub_http_request_duration_seconds_bucket{le="0.005",method="GET",route="<unmatched>"}' in direct
    assert "pohub_http_requests_in_flight 8.0" in direct


MIXED = """
from prometheus_client import REGISTRY, generate_latest
from pohub.ops import metrics

enter, leave = metrics.in_flight()
assert metrics.in_flight() == (enter, leave)  # one pair per process
enter(); enter(); enter(); leave()
metrics.HTTP_IN_FLIGHT.inc(5)  # the gauge's own calls still count beside the middleware's
metrics.HTTP_IN_FLIGHT.dec()
print([r for r in generate_latest(REGISTRY).decode().splitlines() if r.startswith("pohub_http_requests_in_flight")])
"""


def test_the_in_flight_gauge_adds_the_middlewares_requests_to_its_own_value() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run([sys.executable, "-c", MIXED], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['pohub_http_requests_in_flight 6.0']"
