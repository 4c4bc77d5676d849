"""`pohub serve --workers 2` (ops/serving.py): the supervisor alone listens and hands each connection
to the child holding the fewest, so N connections held at once split as evenly as N allows; a child
that dies takes only its own connections, and the port stays open; SIGTERM stops everything cleanly.

Real processes and real sockets on loopback. No test waits a fixed time: each waits (up to PATIENCE)
for what the supervisor logs (a child "is serving") or for what /proc shows."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pohub.ops.serving import STARTUP_FAILURE
from tests.support import PATIENCE, database_url, free_port

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the supervisor hands sockets on Linux")
SERVING = re.compile(r"server process (\d+) \(POHUB_SERVE_PROCESS=(\d)\) is serving")


@dataclass
class Served:
    proc: subprocess.Popen[str]
    port: int
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    log: list[str] = field(default_factory=list)  # every line, for a failure's message

    def serving(self) -> int:
        """The pid of the next child the supervisor logs as serving."""
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.proc.poll() is None, "pohub serve ended"
                assert time.monotonic() < deadline, "no server process started serving"
                continue
            if found := SERVING.search(line):
                return int(found.group(1))

    def children(self) -> list[int]:
        """The server processes (not multiprocessing's resource tracker)."""
        pid = self.proc.pid
        kids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return [k for k in kids if b"spawn_main" in _read(f"/proc/{k}/cmdline")]

    def held(self) -> Counter[int]:
        """Established connections to the port, by the process whose fd holds them."""
        established = _inodes(self.port, "01")
        return Counter({p: len(_fd_inodes(p) & established) for p in [self.proc.pid, *self.children()]})


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""


def _inodes(port: int, state: str) -> set[str]:
    """Socket inodes on local ``port`` in a TCP state ("01" established, "0A" listening)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            cols = row.split()
            if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == state:
                found.add(cols[9])
    return found


def _fd_inodes(pid: int) -> set[str]:
    found: set[str] = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return found
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


def _until(what: str, check: Callable[[], bool], detail: Callable[[], object] = lambda: "") -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        assert time.monotonic() < deadline, f"{what} {detail()}"
        time.sleep(0.05)


def _gone(pid: int) -> bool:
    """Ended: no process, or a zombie (its sockets are closed) its parent has yet to reap."""
    stat = _read(f"/proc/{pid}/stat")
    return not stat or stat[stat.rindex(b")") + 2 :].startswith(b"Z")


@contextmanager
def serve(tmp_path: Path, workers: int = 2, port: int | None = None) -> Iterator[Served]:
    with database_url("sqlite", tmp_path) as url:
        port = port or free_port()
        env = {**os.environ, "POHUB_DATABASE_URL": url, "POHUB_PORT": str(port), "POHUB_LOG_LEVEL": "info"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "pohub.cli.main", "serve", "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        served = Served(proc, port)
        assert proc.stderr is not None
        stderr = proc.stderr

        def read() -> None:
            for line in stderr:
                served.lines.put(line)
                served.log.append(line)

        threading.Thread(target=read, daemon=True).start()
        try:
            yield served
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)


HEAD = b"GET /healthz HTTP/1.1\r\nHost: hub\r\n"  # a request, all but its last line


def open_held(hub: Served, n: int) -> list[socket.socket]:
    """``n`` connections, each with a request started, once the children hold every one: uvicorn's
    keep-alive timeout starts after an answer, so none is closed while a test looks."""
    before = hub.held()
    opened = [socket.create_connection(("127.0.0.1", hub.port), timeout=PATIENCE) for _ in range(n)]
    for s in opened:
        s.sendall(HEAD)
    want = sum(before.values()) + n
    _until(
        "the connections were not all handed over",
        lambda: sum(hub.held().values()) == want,
        lambda: f"(want {want}, held {hub.held()}); the server's log ends:\n{''.join(hub.log[-20:])}",
    )
    return opened


def answered(held: list[socket.socket]) -> None:
    """Each connection's request finished: each answers 200 (its child serves it)."""
    for s in held:
        s.sendall(b"\r\n")
    for s in held:
        assert s.recv(65536).startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("n", [32, 7])
def test_connections_held_at_once_split_evenly_between_two_processes(tmp_path: Path, n: int) -> None:
    with serve(tmp_path) as hub:
        pids = {hub.serving(), hub.serving()}
        held = open_held(hub, n)
        try:
            share = hub.held()
            assert share[hub.proc.pid] == 0, "the supervisor keeps no connection"
            assert sorted(share[p] for p in pids) == [n // 2, n - n // 2], share
            assert set(hub.children()) == pids
            answered(held)
        finally:
            for s in held:
                s.close()


def test_a_child_that_dies_loses_its_own_connections_only_and_is_replaced(tmp_path: Path) -> None:
    with serve(tmp_path) as hub:
        first, second = hub.serving(), hub.serving()
        listener = _inodes(hub.port, "0A")
        assert listener and listener <= _fd_inodes(hub.proc.pid), "the supervisor holds the listening socket"
        held = open_held(hub, 4)
        try:
            assert hub.held()[first] == hub.held()[second] == 2
            os.kill(first, signal.SIGKILL)
            _until("the killed process still runs", lambda: _gone(first))
            # The port still takes connections (to the survivor) while the replacement starts.
            held += open_held(hub, 1)
            share = hub.held()
            assert share[second] == 3 and share[first] == 0, share
            replacement = hub.serving()
            assert replacement not in (first, second)
            assert _inodes(hub.port, "0A") == listener, "the same listening socket throughout"
            # The replacement starts at none: the next three go to it.
            held += open_held(hub, 3)
            share = hub.held()
            assert share[second] == share[replacement] == 3, share
            answered(held[4:])  # the four opened since the death, on the survivor and the replacement
        finally:
            for s in held:
                s.close()


def test_sigterm_stops_listening_and_every_process(tmp_path: Path) -> None:
    with serve(tmp_path) as hub:
        for _ in range(2):
            hub.serving()
        (idle,) = open_held(hub, 1)
        children = hub.children()
        hub.proc.send_signal(signal.SIGTERM)  # the supervisor only: it stops its children
        assert hub.proc.wait(timeout=PATIENCE) == 0
        assert idle.recv(1) == b"", "a connection with no request in flight is closed"
        idle.close()
        assert all(_gone(p) for p in children)
        assert not _inodes(hub.port, "0A")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", hub.port)).close()


def test_the_children_stop_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    with serve(tmp_path) as hub:
        for _ in range(2):
            hub.serving()
        children = hub.children()
        hub.proc.kill()
        hub.proc.wait(timeout=PATIENCE)
        _until("a server process outlived its supervisor", lambda: all(_gone(p) for p in children))


def test_a_port_in_use_is_a_startup_failure(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with serve(tmp_path, port=taken.getsockname()[1]) as hub:
            assert hub.proc.wait(timeout=PATIENCE) == STARTUP_FAILURE
