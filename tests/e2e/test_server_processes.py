"""`pohub serve --workers 2`: both processes take a share of a burst of keep-alive connections.

With one socket shared by the processes (uvicorn's own --workers) the first to wake accepted the
whole burst and the other sat idle; each process now listens on a socket of its own (ops/serving.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.support import PATIENCE, database_url, free_port, sql

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT spreads on Linux only")


def _children(parent: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent:
                out.append(int(entry))
    return out


def _inodes(port: int, state: str) -> set[str]:
    """Socket inodes on local ``port`` in a TCP state ("01" established, "0A" listening)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in f.read().splitlines()[1:]:
                cols = row.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == state:
                    inodes.add(cols[9])
    return inodes


def _connections_of(pid: int, inodes: set[str]) -> int:
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            count += 1
    return count


def _each_serves(port: int, servers: list[int]) -> bool:
    """Two connections held at once land one on each process only when both serve (the supervisor
    hands a connection to the process holding the fewest; one still starting gets none)."""
    probes = [socket.create_connection(("127.0.0.1", port)) for _ in servers]
    try:
        for s in probes:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n")
        for s in probes:
            if not s.recv(4096).startswith(b"HTTP/1.1 200"):
                return False
        inodes = _inodes(port, "01")
        return all(_connections_of(p, inodes) == 1 for p in servers)
    finally:
        for s in probes:
            s.close()


def test_a_burst_of_keep_alive_connections_reaches_both_processes(tmp_path: Path) -> None:
    with database_url("sqlite", tmp_path) as url:
        port = free_port()
        env = {**os.environ, "POHUB_DATABASE_URL": url, "POHUB_PORT": str(port), "POHUB_LOG_LEVEL": "warning"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "pohub.cli.main", "serve", "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        held: list[socket.socket] = []
        try:
            deadline = time.monotonic() + PATIENCE
            servers: list[int] = []
            while True:  # both processes listening (each answers on a fresh connection of its own)
                try:
                    ok = httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"Connection": "close"}).is_success
                except httpx.HTTPError:
                    ok = False
                servers = [p for p in _children(proc.pid) if Path(f"/proc/{p}/cmdline").read_bytes().count(b"spawn")]
                if ok and len(servers) == 2 and _each_serves(port, servers):
                    break
                assert proc.poll() is None and time.monotonic() < deadline, "pohub serve --workers 2 did not start"
                time.sleep(0.2)
            # 32 connections opened at once, as a proxy's pool or a load generator opens them.
            for _ in range(32):
                held.append(socket.create_connection(("127.0.0.1", port)))
            for s in held:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n")
            for s in held:
                assert s.recv(4096).startswith(b"HTTP/1.1 200")
            inodes = _inodes(port, "01")
            share = Counter({p: _connections_of(p, inodes) for p in servers})
            assert sum(share.values()) == 32, share
            # Handed to the process holding the fewest: an even split (within 2: the probes' closing
            # may not have reached the supervisor's count yet).
            assert max(share.values()) - min(share.values()) <= 2, share
            # SQLite's worker voids every lease when it starts: one process only embeds it.
            while not sql(url, "SELECT pid FROM ops_processes WHERE role = 'worker'"):
                assert time.monotonic() < deadline, "no worker heartbeat"
                time.sleep(0.2)
            assert len(sql(url, "SELECT pid FROM ops_processes WHERE role = 'worker'")) == 1
        finally:
            for s in held:
                s.close()
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
        assert proc.returncode == 0
