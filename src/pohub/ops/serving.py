"""`pohub serve --workers N`: N server processes on one port, each with a listening socket of its own.

uvicorn's own --workers binds one socket in the parent and hands it to every child. Each child's
event loop then accepts every connection waiting when it wakes (asyncio accepts up to the backlog
in one go), so a burst of keep-alive connections (a proxy's pool, a load generator) lands in
whichever child woke first and stays there: measured on 2 cores, 32 connections went 32/0 or 22/10,
and the second process sat idle. With SO_REUSEPORT each child listens on its own socket and the
kernel spreads new connections across them by their address hash, whatever each child is doing.

Where SO_REUSEPORT does not spread connections (anything but Linux), uvicorn's own supervisor runs.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.context import SpawnProcess
from types import FrameType
from typing import Any

log = logging.getLogger("pohub.ops")
STARTUP_FAILURE = 3  # uvicorn's exit code for a worker that could not start (the same on every retry)
_SPAWN = multiprocessing.get_context("spawn")
# Which of the K processes this is (Settings.serve_process): on SQLite only process 0 embeds the worker.
SERVE_PROCESS_ENV = "POHUB_SERVE_PROCESS"


def spreads_connections() -> bool:
    """SO_REUSEPORT balances a port's connections between its sockets on Linux only (on macOS and
    the BSDs the last socket bound takes them all)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A socket of this process's own in the port's SO_REUSEPORT group."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def _child(app: str, options: dict[str, Any], index: int) -> None:
    """One server process: bind its own socket, then serve until SIGTERM (uvicorn's graceful stop).
    ``index`` (0 … K-1, kept when a process is replaced) reaches the settings as POHUB_SERVE_PROCESS."""
    import uvicorn

    os.environ[SERVE_PROCESS_ENV] = str(index)

    config = uvicorn.Config(app, **options)
    try:
        sock = listening_socket(config.host, config.port, config.backlog)
    except OSError as exc:
        logging.getLogger("uvicorn.error").error("cannot listen on %s:%s: %s", config.host, config.port, exc)
        sys.exit(STARTUP_FAILURE)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class Supervisor:
    """Starts the processes, replaces one that dies, and on SIGTERM or SIGINT stops them all (each
    finishes the requests it has in flight)."""

    def __init__(self, app: str, options: dict[str, Any], workers: int) -> None:
        self.app = app
        self.options = {**options, "workers": 1}
        self.workers = workers
        self.processes: list[SpawnProcess] = []
        self.stopping = False

    def _start(self, index: int) -> SpawnProcess:
        process = _SPAWN.Process(target=_child, args=(self.app, self.options, index), name="pohub-serve")
        process.start()
        return process

    def _stop(self, _sig: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        """Serve until told to stop; the exit code (STARTUP_FAILURE when a process could not start)."""
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._stop)
        self.processes = [self._start(i) for i in range(self.workers)]
        code = 0
        while not self.stopping:
            time.sleep(0.5)
            for i, process in enumerate(self.processes):
                if process.is_alive() or self.stopping:
                    continue
                process.join()
                if process.exitcode == STARTUP_FAILURE:
                    log.error("a server process could not start; stopping the others")
                    self.stopping, code = True, STARTUP_FAILURE
                    break
                log.warning("server process %s ended (exit code %s); starting another", process.pid, process.exitcode)
                self.processes[i] = self._start(i)
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
        for process in self.processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
                process.join()
        return code
