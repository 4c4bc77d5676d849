"""Killed with SIGKILL in the middle of each step and started again, the agent finishes the work: every
PO acknowledged, shipped and invoiced exactly once, nothing missing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from pohub.core import jsonio
from tests.agent.helpers import SHIP_HEADER, agent_env, create_order, documents, order, write_csv
from tests.gate import Gate
from tests.support import PATIENCE, LiveServer, Trade

ORDERS = 40


def sent(state: Path, kind: str) -> int:
    """Documents of a kind the agent has recorded as taken by the server (read while it runs: WAL)."""
    if not state.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5) as db:
            row = db.execute("SELECT count(*) FROM documents WHERE kind = ? AND state = 'sent'", (kind,)).fetchone()
            return int(row[0])
    except sqlite3.OperationalError:
        return 0  # the agent is still creating its tables


def start(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pohub.cli.main", "agent", *args, "--json", "--concurrency", "2"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def kill_midway(env: dict[str, str], state: Path, kind: str, *args: str) -> int:
    """Start the agent behind a gate that lets three documents through and holds the next ones, SIGKILL
    it while it waits on them, and answer how many it had recorded as sent."""
    with Gate(env["POHUB_AGENT_BASE_URL"], allow=3) as gate:
        proc = start({**env, "POHUB_AGENT_BASE_URL": gate.url}, *args)
        deadline = time.monotonic() + PATIENCE  # only a bound for a hung test: the gate decides where it stops
        while (sent(state, kind) < 3 or gate.held < 1) and proc.poll() is None:
            assert time.monotonic() < deadline, (sent(state, kind), gate.held)
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    return sent(state, kind)


def finish(env: dict[str, str], *args: str) -> dict[str, object]:
    proc = start(env, *args)
    out, errors = proc.communicate(timeout=120)
    assert out, errors
    report: dict[str, object] = jsonio.loads(out.splitlines()[-1])
    assert proc.returncode == 0, [f["reason"] for f in report["failures"]]  # type: ignore[attr-defined]
    return report


def test_killed_at_any_step_finishes_without_duplicates(server: LiveServer, trade: Trade, tmp_path: Path) -> None:
    state = tmp_path / "agent-state.db"
    env = agent_env(server, trade, tmp_path)
    keys = [create_order(trade, f"K-{i:03d}", [("A", 2, "3.50"), ("B", 1, "0.99")]) for i in range(ORDERS)]

    at_kill = kill_midway(env, state, "acknowledgement", "acknowledge")
    assert at_kill == 3, "the gate let three acknowledgements through"
    report = finish(env, "acknowledge")
    assert report["failed"] == 0 and report["held"] == []
    # Whatever was in flight at the kill was sent again byte for byte; the hub answered "already have it".
    assert int(str(report["acknowledged"])) + at_kill + int(str(report["duplicates"])) >= ORDERS

    rows = []
    for i in range(ORDERS):
        rows.append([f"K-{i:03d}", "", "01", "A", 2, "UPSN", "GND", f"1Z{i}", "2026-12-01", f"S-{i}"])
        rows.append([f"K-{i:03d}", "", "02", "B", 1, "UPSN", "GND", f"1Z{i}", "2026-12-01", f"S-{i}"])
    ship = write_csv(tmp_path / "ship.csv", SHIP_HEADER, rows)
    assert kill_midway(env, state, "shipment", "ship", str(ship)) == 3
    assert finish(env, "ship", str(ship))["failed"] == 0

    assert kill_midway(env, state, "invoice", "invoice") == 3
    assert finish(env, "invoice")["failed"] == 0

    for key in keys:
        po = order(trade, key)
        assert po["StatusCode"] == 1000, po
        assert [ln["QuantityInvoiced"] for ln in po["OrderLines"]] == [2, 1]
        assert len(documents(trade, key, "Acknowledgements")) == 1
        assert len(documents(trade, key, "Shipments")) == 1
        assert len(documents(trade, key, "Invoices")) == 1
    assert sent(state, "acknowledgement") == sent(state, "shipment") == sent(state, "invoice") == ORDERS


def test_sigterm_stops_the_loop_cleanly(server: LiveServer, trade: Trade, tmp_path: Path) -> None:
    env = agent_env(server, trade, tmp_path)
    key = create_order(trade, "TERM-1", [("A", 1, "1.00")])
    proc = start(env, "run", "--every", "1h")
    deadline = time.monotonic() + PATIENCE
    while sent(tmp_path / "agent-state.db", "acknowledgement") < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert jsonio.loads(out.splitlines()[-1])["acknowledged"] == 1
    assert order(trade, key)["StatusCode"] == 500
