"""`pohub serve --workers N`: N server processes behind one port, each connection handed to the
process holding the fewest.

uvicorn's own --workers binds one socket in the parent and hands it to every child. Each child's
event loop then accepts every connection waiting when it wakes (asyncio accepts up to the backlog
in one go), so a burst of keep-alive connections (a proxy's pool, a load generator) lands in
whichever child woke first and stays there: measured on 2 cores, 32 connections went 32/0 or 22/10.
A socket of each child's own in an SO_REUSEPORT group (stop 21) let the kernel choose by a hash of
the addresses, whatever each child held: 32 connections went 18.3/13.7 on average, and the busier
child's queue set the p99 (docs/read-path.md, stop 23).

So the supervisor alone listens. It accepts each connection and passes the socket (SCM_RIGHTS, over
a socket pair of each child's own) to the child that holds the fewest open connections, counting
one up per socket passed and one down per "closed" the child sends back: N connections held at once
split as evenly as N allows, and a child that dies takes only its own connections with it (the
listener stays with the supervisor; a replacement starts at zero). Only accepting passes through the
supervisor: requests and answers go between the client and the child directly.

Elsewhere than Linux (SOCK_SEQPACKET socket pairs, tested here) uvicorn's own supervisor runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import selectors
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.context import SpawnProcess
from types import FrameType
from typing import Any

log = logging.getLogger("pohub.ops")
STARTUP_FAILURE = 3  # uvicorn's exit code for a worker that could not start (the same on every retry)
_SPAWN = multiprocessing.get_context("spawn")
# Which of the K processes this is (Settings.serve_process): on SQLite only process 0 embeds the worker.
SERVE_PROCESS_ENV = "POHUB_SERVE_PROCESS"
# One message per datagram on a child's socket pair. To the child: CONNECTION (with its socket).
# From the child: READY once it serves, CLOSED once per connection it no longer holds.
CONNECTION, READY, CLOSED = b"c", b"r", b"x"
_MAX_FDS = 64  # sockets taken from the pair per read


def spreads_connections() -> bool:
    """Linux: the supervisor hands connections out over SOCK_SEQPACKET socket pairs."""
    return sys.platform.startswith("linux") and hasattr(socket, "send_fds") and hasattr(socket, "SOCK_SEQPACKET")


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """The port's one listening socket, the supervisor's (not inherited by its children)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


# --- a child: uvicorn serving the connections it is handed -----------------------------------------


def _child(app: str, options: dict[str, Any], index: int, channel: socket.socket) -> None:
    """One server process: serve the connections handed over ``channel`` until SIGTERM (uvicorn's
    graceful stop) or until the supervisor is gone. ``index`` (0 … K-1, kept when a process is
    replaced) reaches the settings as POHUB_SERVE_PROCESS."""
    import uvicorn

    os.environ[SERVE_PROCESS_ENV] = str(index)
    server = _handed_server(uvicorn.Config(app, **options), channel)
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _handed_server(config: Any, channel: socket.socket) -> Any:
    import uvicorn

    class HandedServer(uvicorn.Server):
        """uvicorn with no listening socket: the connections come over ``channel``; each one's
        protocol reports CLOSED when its connection ends, so the supervisor's count stays true."""

        def __init__(self) -> None:
            super().__init__(config)
            self.pending: set[asyncio.Task[Any]] = set()

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=[])  # the app's lifespan; no socket of its own
            loop = asyncio.get_running_loop()
            protocol = _counted(config.http_protocol_class, channel)

            def make() -> asyncio.Protocol:
                state, app_state = self.server_state, self.lifespan.state
                made: asyncio.Protocol = protocol(config=config, server_state=state, app_state=app_state, _loop=loop)
                return made

            channel.setblocking(False)
            loop.add_reader(channel.fileno(), self._receive, loop, make)
            _tell(channel, READY)

        def _receive(self, loop: asyncio.AbstractEventLoop, make: Callable[[], asyncio.Protocol]) -> None:
            try:
                message, fds, _flags, _addr = socket.recv_fds(channel, 1, _MAX_FDS)
            except BlockingIOError:
                return
            except OSError:
                message, fds = b"", []
            if not message:  # the supervisor is gone: stop as on SIGTERM
                loop.remove_reader(channel.fileno())
                self.should_exit = True
            for fd in fds:
                sock = socket.socket(fileno=fd)
                task = loop.create_task(self._connect(loop, make, sock))
                self.pending.add(task)
                task.add_done_callback(self.pending.discard)

        async def _connect(
            self, loop: asyncio.AbstractEventLoop, make: Callable[[], asyncio.Protocol], sock: socket.socket
        ) -> None:
            made: list[asyncio.Protocol] = []

            def one() -> asyncio.Protocol:
                made.append(make())
                return made[0]

            try:
                await loop.connect_accepted_socket(one, sock)
            except OSError:  # the client left before it was served
                sock.close()
                if not made:  # else its protocol's connection_lost says CLOSED
                    _tell(channel, CLOSED)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # The supervisor closed its listener before it signalled: close what is still in the pair.
            with contextlib.suppress(OSError, ValueError):
                asyncio.get_running_loop().remove_reader(channel.fileno())
                while True:
                    _message, fds, _flags, _addr = socket.recv_fds(channel, 1, _MAX_FDS)
                    if not fds:
                        break
                    for fd in fds:
                        os.close(fd)
            await super().shutdown(sockets=sockets)

    return HandedServer()


def _counted(base: type[asyncio.Protocol], channel: socket.socket) -> Any:
    """uvicorn's HTTP protocol class, telling the supervisor when a connection ends."""

    class Counted(base):  # type: ignore[valid-type,misc]
        def connection_lost(self, exc: Exception | None) -> None:
            super().connection_lost(exc)
            _tell(channel, CLOSED)

    return Counted


def _tell(channel: socket.socket, message: bytes) -> None:
    with contextlib.suppress(OSError):  # the supervisor is gone (the child is stopping too)
        channel.send(message)


# --- the supervisor ----------------------------------------------------------------------------------


@dataclass
class _Child:
    index: int
    process: SpawnProcess
    channel: socket.socket  # the supervisor's end of the pair
    ready: bool = False
    held: int = 0  # connections passed to it and not yet reported closed


class Supervisor:
    """Listens, hands each connection to the child holding the fewest, replaces a child that dies,
    and on SIGTERM, SIGINT or SIGHUP stops listening, then stops the children (each finishes the
    requests it has in flight)."""

    def __init__(self, app: str, options: dict[str, Any], workers: int) -> None:
        self.app = app
        self.options = {**options, "workers": 1}
        self.workers = workers
        self.children: list[_Child] = []
        self.stopping = False
        self.selector = selectors.DefaultSelector()
        self.listener: socket.socket | None = None
        self.handed = 0  # connections handed out, for the turn among ties

    @property
    def processes(self) -> list[SpawnProcess]:
        return [c.process for c in self.children]

    def _start(self, index: int) -> _Child:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        process = _SPAWN.Process(
            target=_child, args=(self.app, self.options, index, theirs), name=f"pohub-serve-{index}"
        )
        process.start()
        theirs.close()
        mine.setblocking(False)
        child = _Child(index, process, mine)
        self.selector.register(mine, selectors.EVENT_READ, ("channel", child))
        self.selector.register(process.sentinel, selectors.EVENT_READ, ("ended", child))
        return child

    def _stop(self, _sig: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _listen(self, on: bool) -> None:
        """Accept only while some child is ready: until then connections wait in the backlog."""
        assert self.listener is not None
        registered = self.listener in self.selector.get_map()
        if on and not registered:
            self.selector.register(self.listener, selectors.EVENT_READ, ("listener", None))
        elif not on and registered:
            self.selector.unregister(self.listener)

    def _accept(self) -> None:
        assert self.listener is not None
        while True:
            try:
                conn, _addr = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # ECONNABORTED, EMFILE: this one is lost, the listener is not
                log.warning("accept failed: %s", exc)
                return
            with conn:
                self._hand(conn)

    def _hand(self, conn: socket.socket) -> None:
        """To the ready child holding the fewest connections; ties in turn (short connections, each
        closed before the next comes, would otherwise all go to the first child)."""
        turn = self.handed % self.workers
        for child in sorted(
            (c for c in self.children if c.ready), key=lambda c: (c.held, (c.index - turn) % self.workers)
        ):
            try:
                socket.send_fds(child.channel, [CONNECTION], [conn.fileno()])
            except OSError:  # its pair is full (it has stopped reading) or it is ending: the next one
                continue
            child.held += 1
            self.handed += 1
            return
        log.warning("no server process could take a connection; closed it")

    def _read(self, child: _Child) -> None:
        if child.channel.fileno() < 0:  # it ended earlier in the same batch of events
            return
        while True:
            try:
                message = child.channel.recv(16)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                message = b""
            if not message:  # it is ending: its sentinel says when
                child.ready = False
                self.selector.unregister(child.channel)
                return
            if message == READY:
                child.ready = True
                log.info("server process %s (POHUB_SERVE_PROCESS=%d) is serving", child.process.pid, child.index)
            elif message == CLOSED:
                child.held = max(0, child.held - 1)

    def _ended(self, child: _Child) -> int | None:
        """A child ended: replace it, or STARTUP_FAILURE to stop them all."""
        child.process.join()
        self.selector.unregister(child.process.sentinel)
        if child.channel in self.selector.get_map():
            self.selector.unregister(child.channel)
        child.channel.close()
        if self.stopping:
            return None
        if child.process.exitcode == STARTUP_FAILURE:
            log.error("a server process could not start; stopping the others")
            return STARTUP_FAILURE
        log.warning(
            "server process %s ended (exit code %s); starting another", child.process.pid, child.process.exitcode
        )
        self.children[self.children.index(child)] = self._start(child.index)
        child.process.close()  # its sentinel fd (the replacement has its own)
        return None

    def run(self) -> int:
        """Serve until told to stop; the exit code (STARTUP_FAILURE when the port or a process could not start)."""
        import uvicorn

        config = uvicorn.Config(self.app, **self.options)  # also sets up uvicorn's logging
        try:
            self.listener = listening_socket(config.host, config.port, config.backlog)
        except OSError as exc:
            logging.getLogger("uvicorn.error").error("cannot listen on %s:%s: %s", config.host, config.port, exc)
            return STARTUP_FAILURE
        wake_read, wake_write = socket.socketpair()
        wake_read.setblocking(False)
        wake_write.setblocking(False)
        previous = signal.set_wakeup_fd(wake_write.fileno())
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._stop)
        self.selector.register(wake_read, selectors.EVENT_READ, ("wake", None))
        logging.getLogger("uvicorn.error").info(
            "Uvicorn running on http://%s:%d with %d processes", config.host, config.port, self.workers
        )
        code = 0
        try:
            self.children = [self._start(i) for i in range(self.workers)]
            while not self.stopping and not code:
                self._listen(any(c.ready for c in self.children))
                for key, _events in self.selector.select():
                    what, child = key.data
                    if what == "listener" and not self.stopping:
                        self._accept()
                    elif what == "channel":
                        self._read(child)
                    elif what == "ended":
                        code = self._ended(child) or code
                    elif what == "wake":
                        with contextlib.suppress(OSError):
                            wake_read.recv(512)
        finally:
            self.stopping = True
            self.listener.close()  # new connections are refused from here on
            self._stop_children()
            signal.set_wakeup_fd(previous)
            wake_read.close()
            wake_write.close()
            self.selector.close()
        return code

    def _stop_children(self) -> None:
        for child in self.children:
            if child.process.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    child.process.terminate()
        for child in self.children:
            child.process.join(timeout=60)
            if child.process.is_alive():
                child.process.kill()
                child.process.join()
            child.channel.close()
