"""Step 3 for a chunk of POs is one `PUT /Orders/Status`; a key the hub refuses in it is that PO's
refusal (reported with the hub's reason, its acknowledgement kept back), and the others go on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.agent.helpers import agent, agent_env, create_order, documents, order
from tests.gate import HOP_BY_HOP
from tests.support import LiveServer, Trade


@contextmanager
def relay(upstream: str, before: Callable[[str, str], None]) -> Iterator[tuple[str, list[str]]]:
    """A loopback proxy to the real hub that calls ``before(method, path)`` ahead of each request it
    forwards; yields its URL and the requests it saw."""
    seen: list[str] = []
    client = httpx.Client(base_url=upstream, timeout=120)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(f"{self.command} {self.path.split('?')[0]}")
            before(self.command, self.path)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            answer = client.request(self.command, self.path, content=body, headers=headers)
            self.send_response(answer.status_code)
            for name, value in answer.headers.items():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-encoding":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PUT = _relay

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        client.close()


def test_a_key_refused_in_the_bulk_call_is_that_po_s_failure_only(
    server: LiveServer, trade: Trade, tmp_path: Path
) -> None:
    keys = [create_order(trade, f"BULK-{i}", [("SKU-1", 2, "3.50")]) for i in range(3)]
    cancelled = keys[1]

    def cancel_first(method: str, path: str) -> None:
        # The buyer cancels one PO after the agent read it and before its status call reaches the hub.
        if method == "PUT" and path.split("?")[0].endswith("/Orders/Status"):
            assert trade.buyer.put(f"/Orders/{cancelled}/Status/1100").status_code == 200

    with relay(server.url, cancel_first) as (url, seen):
        code, report, out = agent({**agent_env(server, trade, tmp_path), "POHUB_AGENT_BASE_URL": url}, "acknowledge")

    assert code == 1, out
    assert seen.count("PUT /api/v1/Orders/Status") == 1
    assert not [s for s in seen if s.startswith("PUT /api/v1/Orders/") and s.endswith("/Status/200")]
    assert report["acknowledged"] == 2
    [failure] = report["failures"]
    assert failure["LogicbrokerKey"] == cancelled and failure["reason"].startswith("cannot set status 200: ")
    assert failure["status_code"] and 400 <= failure["status_code"] < 500
    assert documents(trade, cancelled, "Acknowledgements") == []
    assert order(trade, cancelled)["StatusCode"] == 1100
    for key in (keys[0], keys[2]):
        assert order(trade, key)["StatusCode"] == 500
        assert len(documents(trade, key, "Acknowledgements")) == 1
