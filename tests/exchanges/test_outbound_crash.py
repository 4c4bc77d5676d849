"""An outbound exchange survives kill -9 of the server between its commit and its send: the server
that comes back sends it (the same exchange, the same webhook-id), once."""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.api.helpers import create_order
from tests.jobs.test_crash_resume import pohub_serve
from tests.support import PATIENCE, LiveServer, Trade, connect, database_url, free_port, make_party, sql

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


class HangingReceiver:
    """Holds the first request it gets without answering (as a receiver that is slow to answer
    does); answers every later one with 200."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.first = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.lock:
                    receiver.ids.append(self.headers["webhook-id"])
                    hold = len(receiver.ids) == 1
                if hold:
                    receiver.first.set()
                    receiver.release.wait(120)
                    return
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[HangingReceiver]:
    r = HangingReceiver()
    yield r
    r.close()


def _wait(what: str, check: Any, timeout: float = PATIENCE) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


def test_kill_9_between_commit_and_send(backend: str, tmp_path: Path, receiver: HangingReceiver) -> None:
    os.environ["POHUB_WEBHOOK_TIMEOUT_SECONDS"] = "120"  # the held request must still be open when we kill
    try:
        with database_url(backend, tmp_path) as url:
            port = free_port()
            live = LiveServer(f"http://127.0.0.1:{port}", url, backend)
            log = tmp_path / "serve.log"
            with pohub_serve(url, port, log) as first:
                trade = Trade(make_party(live), make_party(live))
                connect(live, trade.buyer, trade.supplier)
                body = {"Address": receiver.url, "Topic": "order.created", "SharedSecret": SECRET}
                assert trade.buyer.post("/Webhooks", json=body).status_code == 201
                create_order(trade, "OUT-CRASH-1")
                assert receiver.first.wait(60), "the first delivery never arrived"
                first.kill()  # SIGKILL: committed, claimed, in flight, nothing recorded
                first.wait(30)
            [(exchange_id, state, attempts)] = sql(
                url, "SELECT id, state, attempts FROM exchanges WHERE direction = 'out' AND channel = 'webhook'"
            )
            assert (state, attempts) == ("sending", 0)
            if backend == "postgresql":
                # Any number of workers share PostgreSQL: a dead one's lease lapses with time. Let it pass.
                sql(url, "UPDATE exchanges SET locked_until = now() - interval '1 second' WHERE direction = 'out'")
            with pohub_serve(url, port, log):
                _wait(
                    "the delivery to be sent",
                    lambda: sql(url, f"SELECT 1 FROM exchanges WHERE id = {exchange_id} AND state = 'sent'"),
                )
                time.sleep(1.5)  # a further send, if there were one, has had its chance
            assert receiver.ids == [f"msg_{exchange_id}", f"msg_{exchange_id}"]
            [(sent_attempts,)] = sql(url, f"SELECT attempts FROM exchanges WHERE id = {exchange_id}")
            assert sent_attempts == 1
    finally:
        os.environ.pop("POHUB_WEBHOOK_TIMEOUT_SECONDS", None)
