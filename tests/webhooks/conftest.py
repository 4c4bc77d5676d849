"""A pohub server whose webhook retries are fast (backoff in milliseconds, three attempts), and a
real HTTP receiver on loopback that answers with scripted status codes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pohub.api.app import create_app
from pohub.config import Settings
from tests.support import PATIENCE, LiveServer, database_url, serve


class FastRetrySettings(Settings):
    webhook_max_attempts: int = 3
    webhook_backoff_seconds: float = 0.05
    webhook_timeout_seconds: float = 2.0
    worker_poll_seconds: float = 0.05


@pytest.fixture(scope="module")
def fast_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp: Path = tmp_path_factory.mktemp("webhooks")
    with database_url(backend, tmp) as url:
        app = create_app(FastRetrySettings(database_url=url, key_cache_seconds=0.0))
        with serve(app) as base:
            yield LiveServer(base, url, backend)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    script: dict[str, list[int]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def wait(self, path: str, count: int, timeout: float = PATIENCE) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.on(path)) < count:
            assert time.monotonic() < deadline, f"{path}: {len(self.on(path))} of {count} requests arrived"
            time.sleep(0.02)
        return self.on(path)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            with state.lock:
                state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                codes = state.script.get(self.path) or [200]
                code = codes.pop(0) if len(codes) > 1 else codes[0]
            # A valid answer: 204 and 304 have no body (pohub's sender reads HTTP strictly: a body
            # after a 204 is a broken answer, retried like no answer).
            body = b"" if code in (204, 304) else b"ok"
            self.send_response(code)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
