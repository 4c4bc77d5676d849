"""Logs: one JSON object per line with the request id, company, route, status and duration; the
500's trace id in the error line; and no key or secret anywhere, whichever way it was sent."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import orjson

from pohub.ops.logs import JsonFormatter
from pohub.ops.redact import redact
from tests.ops.helpers import VENV_BIN, make_app, serve
from tests.support import PATIENCE, _connect, _make_companies, database_url, free_port


def _start(url: str, log_file: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "POHUB_DATABASE_URL": url, "POHUB_PORT": str(port), "POHUB_LOG_FORMAT": "json"}
    env["POHUB_KEY_CACHE_SECONDS"] = "0"
    with log_file.open("wb") as out:
        proc = subprocess.Popen(
            [str(VENV_BIN / "pohub"), "serve"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + PATIENCE
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, log_file.read_text()
        time.sleep(0.2)


def test_full_flow_logs_json_without_secrets(tmp_path: Path) -> None:
    with database_url("sqlite", tmp_path) as url:
        names = [f"log-buyer-{uuid.uuid4().hex[:6]}", f"log-supplier-{uuid.uuid4().hex[:6]}"]
        (buyer_id, buyer_key), (supplier_id, supplier_key) = asyncio.run(_make_companies(url, names))
        asyncio.run(_connect(url, buyer_id, supplier_id, True))
        log_file = tmp_path / "pohub.log"
        proc, base = _start(url, log_file)
        api = f"{base}/api/v1"
        secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        wrong_key = "pohub_" + uuid.uuid4().hex  # a caller's typo is a secret too
        try:
            buyer = {"Authorization": f"Bearer {buyer_key}"}
            q = {"subscription-key": supplier_key}
            order = {
                "PartnerPO": "PO-LOG-1",
                "SenderCompanyId": buyer_id,
                "ReceiverCompanyId": supplier_id,
                "OrderLines": [
                    {"LineNumber": "01", "Quantity": 4, "Price": 2.5, "ItemIdentifier": {"SupplierSKU": "S1"}}
                ],
            }
            r = httpx.post(f"{api}/Orders", json=order, headers={**buyer, "X-Request-ID": "req-from-client-1"})
            assert r.status_code == 201, r.text
            assert r.headers["x-request-id"] == "req-from-client-1"
            key = r.json()["Body"]["LogicbrokerKey"]
            made = httpx.get(f"{api}/Orders/{key}", params=q)
            assert made.status_code == 200 and len(made.headers["x-request-id"]) == 32  # made by the server
            assert httpx.get(f"{api}/Orders", params={**q, "Filters.status": "150"}).status_code == 200
            assert httpx.put(f"{api}/Orders/{key}/Status/200", params=q).status_code == 200
            ack = {
                "AcknowledgementNumber": "A1",
                "Identifier": {"LinkKey": key},
                "ScheduledShipDate": "2026-12-01",
                "AckLines": [{"LineNumber": "01", "Quantity": 4, "ItemIdentifier": {"SupplierSKU": "S1"}}],
            }
            assert httpx.post(f"{api}/Acknowledgements", json=ack, params=q).status_code == 201
            ship = {
                "ShipmentNumber": "S1",
                "ShipmentDate": "2026-12-01T10:00:00Z",
                "ShipmentLines": [{"LineNumber": "01", "Quantity": 4, "ItemIdentifier": {"SupplierSKU": "S1"}}],
            }
            assert httpx.post(f"{api}/Shipment/{key}", json=ship, params=q).status_code == 201
            inv = {
                "InvoiceNumber": "I1",
                "InvoiceLines": [
                    {"LineNumber": "01", "Quantity": 4, "Price": 2.5, "ItemIdentifier": {"SupplierSKU": "S1"}}
                ],
            }
            assert httpx.post(f"{api}/Invoice/{key}", json=inv, params=q).status_code == 201
            hook = {"Address": "http://127.0.0.1:9/hook", "Topic": "*", "Enabled": True, "SharedSecret": secret}
            assert httpx.post(f"{api}/Webhooks", json=hook, headers=buyer).status_code in (200, 201)
            assert httpx.get(f"{api}/Orders", params={"subscription-key": wrong_key}).status_code == 401
            sp = httpx.get(
                f"{base}/spectrum/api/order/order-number/PO-LOG-1", headers={"SPECTRUM_API_TOKEN": buyer_key}
            )
            assert sp.status_code < 500
            assert httpx.get(
                f"{base}/kojo/seller/orders", headers={"Authorization": f"Bearer {supplier_key}"}
            ).is_success
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)

        text = log_file.read_text()
        for secret_value in (buyer_key, supplier_key, wrong_key, secret):
            assert secret_value not in text
            assert secret_value[:20] not in text
        lines = [orjson.loads(row) for row in text.splitlines() if row.strip()]  # every line is one JSON object
        access = [e for e in lines if e["logger"] == "pohub.access"]
        assert len(access) >= 12
        first = next(e for e in access if e.get("request_id") == "req-from-client-1")
        assert first["route"] == "/api/v1/Orders" and first["status"] == 201 and first["company_id"] == buyer_id
        assert first["duration_ms"] >= 0 and first["method"] == "POST"
        one = next(e for e in access if e["route"] == "/api/v1/Orders/{LogicbrokerKey}")
        assert one["company_id"] == supplier_id and one["path"] == f"/api/v1/Orders/{key}"
        assert one["request_id"] == made.headers["x-request-id"]
        assert all("?" not in e["path"] for e in access)


def test_500_logs_the_trace_id_it_answers(tmp_path: Path) -> None:
    log_file = tmp_path / "errors.log"
    handler = logging.FileHandler(log_file)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with database_url("sqlite", tmp_path) as url:
            app = make_app(url)

            async def boom() -> None:
                raise RuntimeError("kaput with subscription-key=pohub_leakedleakedleaked")

            app.add_api_route("/boom", boom)
            with serve(app, "sqlite") as live:
                r = httpx.get(f"{live.url}/boom?subscription-key=pohub_queryquery1234")
        assert r.status_code == 500
        trace_id = r.json()["TraceId"]
        request_id = r.headers["x-request-id"]
    finally:
        root.removeHandler(handler)
        handler.close()
    text = log_file.read_text()
    assert "pohub_leakedleakedleaked" not in text and "pohub_queryquery1234" not in text
    entries = [orjson.loads(row) for row in text.splitlines()]
    error = next(e for e in entries if e.get("trace_id") == trace_id and e["logger"] == "pohub")
    assert error["level"] == "error" and error["request_id"] == request_id and "RuntimeError" in error["exception"]
    line = next(e for e in entries if e["logger"] == "pohub.access" and e.get("request_id") == request_id)
    assert line["status"] == 500 and line["trace_id"] == trace_id and line["route"] == "/boom"


def test_redact_masks_keys_however_they_travel() -> None:
    key = "pohub_AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    cases = [
        f'127.0.0.1:5555 - "GET /api/v1/Orders?Filters.status=150&subscription-key={key} HTTP/1.1" 200',
        f"Authorization: Bearer {key}",
        f"{{'spectrum_api_token': '{key}'}}",
        f'{{"SharedSecret": "{key}"}}',
        f"key {key} failed",
        "GET /x?SUBSCRIPTION-KEY=plainsecretvalue&page=2",
        "Bearer abc.def-ghi",
    ]
    for case in cases:
        out = redact(case)
        assert key not in out and "plainsecretvalue" not in out and "abc.def-ghi" not in out, out
        assert "***" in out
    assert redact("GET /api/v1/Orders?page=2 200") == "GET /api/v1/Orders?page=2 200"
