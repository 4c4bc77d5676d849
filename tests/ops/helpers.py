"""Serving an app we built ourselves (to reach its state: the rate limiter's clock, settings)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from pohub.api.app import create_app
from pohub.config import Settings
from tests.support import PATIENCE, LiveServer, free_port

VENV_BIN = Path(sys.executable).parent


@contextmanager
def serve(app: FastAPI, backend: str) -> Iterator[LiveServer]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app.state.settings.database_url, backend)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def make_app(database_url: str, **settings: Any) -> FastAPI:
    return create_app(Settings(database_url=database_url, key_cache_seconds=0.0, **settings))


def pohub(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The pohub command itself, as an operator runs it."""
    full = {**os.environ, "COLUMNS": "200", **env}
    return subprocess.run(
        [str(VENV_BIN / "pohub"), *args], env=full, capture_output=True, text=True, timeout=timeout, check=False
    )


def wait_ready(url: str, *, status: int = 200, seconds: float = PATIENCE) -> httpx.Response:
    """Poll /readyz until it answers ``status`` (the server's state changes; its answer follows)."""
    deadline = time.monotonic() + seconds
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(f"{url}/readyz", timeout=10)
            if last.status_code == status:
                return last
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"/readyz did not answer {status}: {last.status_code if last else None} {last and last.text}")
