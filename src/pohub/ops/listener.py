"""A separate listener for /metrics (POHUB_METRICS_ADDRESS=host:port), so the API's own address
never serves it. Each server process binds it with SO_REUSEPORT: in multiprocess mode any of them
answers for all, and the kernel spreads scrapes over those alive."""

from __future__ import annotations

import logging
import socket
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from pohub.ops import metrics

log = logging.getLogger("pohub.ops")


class MetricsOnly:
    """Passes GET /metrics to the app, marked as coming through this listener; 404 for the rest."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/metrics":
            if scope["type"] == "http":
                await send(
                    {"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]}
                )
                await send({"type": "http.response.body", "body": b"only /metrics here\n"})
            return
        scope["state"] = {**scope.get("state", {}), "metrics_listener": True}
        await self.app(scope, receive, send)


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"POHUB_METRICS_ADDRESS must be host:port, not {address!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


async def start(app: ASGIApp, address: str) -> Any:
    """Serve /metrics on ``address``; returns the server to stop, or None if it cannot bind."""
    host, port = parse_address(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if metrics.multiprocess_dir() and hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        log.error("metrics listener cannot bind %s: %s", address, exc.strerror or exc)
        return None
    sock.set_inheritable(True)
    config = uvicorn.Config(MetricsOnly(app), lifespan="off", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    await server.startup(sockets=[sock])
    log.info("metrics on http://%s/metrics", address)
    return server


async def stop(server: Any) -> None:
    if server is not None:
        await server.shutdown()
