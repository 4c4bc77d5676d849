"""A separate listener for /metrics (POHUB_METRICS_ADDRESS=host:port), so the API's own address
never serves it. Each server process binds it with SO_REUSEPORT: in multiprocess mode any of them
answers for all, and the kernel spreads scrapes over those alive.

It speaks just enough HTTP/1.1 for a scraper (GET /metrics, one request per connection), so it
needs nothing from the API's server and cannot serve anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable

from pohub.ops import metrics

log = logging.getLogger("pohub.ops")
Render = Callable[[], Awaitable[bytes]]
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"POHUB_METRICS_ADDRESS must be host:port, not {address!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _answer(status: bytes, body: bytes, content_type: bytes = b"text/plain") -> bytes:
    head = b"HTTP/1.1 " + status + b"\r\nContent-Type: " + content_type
    head += b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
    return head + body


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, render: Render) -> None:
    try:
        request_line = await asyncio.wait_for(reader.readline(), 10)
        while (await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
            pass  # headers: nothing here needs them
        parts = request_line.split()
        if len(parts) >= 2 and parts[0] in (b"GET", b"HEAD") and parts[1].split(b"?")[0] == b"/metrics":
            writer.write(_answer(b"200 OK", await render(), CONTENT_TYPE))
        else:
            writer.write(_answer(b"404 Not Found", b"only GET /metrics here\n"))
        await writer.drain()
    except Exception as exc:
        log.warning("metrics listener: %s", type(exc).__name__)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def start(address: str, render: Render) -> asyncio.Server | None:
    """Serve /metrics on ``address``; None (and an error logged) if it cannot bind."""
    host, port = parse_address(address)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if metrics.multiprocess_dir() and hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        log.error("metrics listener cannot bind %s: %s", address, exc.strerror or exc)
        return None
    server = await asyncio.start_server(lambda r, w: _handle(r, w, render), sock=sock)
    log.info("metrics on http://%s/metrics", address)
    return server


async def stop(server: asyncio.Server | None) -> None:
    if server is not None:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 5)
