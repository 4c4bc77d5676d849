"""The warehouse bulk upload takes JSON and nothing else: what a JSON parser refuses is refused at
once, with its line and column, and imports nothing; a body over POHUB_BULK_MAX_BODY_BYTES is a 413
before it is read."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from pohub.jobs.models import jobs
from tests.api.test_field_limits import rows
from tests.dialects.helpers import wait_job, wms
from tests.support import LiveServer, Trade, live_server, make_trade

LIMIT = 64 * 1024


def order(con: str) -> str:
    return json.dumps({"customerOrderNumber": con, "orderLines": [{"skuId": "SKU-A", "quantity": 1}]})


A, B, C = order("U-A"), order("U-B"), order("U-C")
MALFORMED: list[tuple[str, str, str, str]] = [
    # (what, body, what the error names, where)
    ("no comma between elements", "{'data': [A B]}", "comma is missing", f"line 1 column {12 + len(A)}"),
    ("a trailing comma", "{'data': [A, B,]}", "trailing comma", "line 1"),
    ("a leading comma", "{'data': [, A]}", "comma before the first", "line 1 column 11"),
    ("two commas", "{'data': [A,, B]}", "objects only", "line 1"),
    ("a number among the orders", "{'data': [A, 7]}", "objects only", "line 1"),
    ("a word between elements", "{'data': [A x B]}", "objects only", "line 1"),
    ("an element that is not JSON", "{'data': [\nA,\n{'customerOrderNumber': }\n]}", "data[1]", "line 3 column 25"),
    (
        "a key twice in an element",
        "{'data': [{'customerOrderNumber': 'X', 'customerOrderNumber': 'Y'}]}",
        "twice",
        "line 1",
    ),
    ("the envelope without a comma", "{'data': [A] 'more': 1}", "invalid JSON", f"line 1 column {13 + len(A)}"),
    ("a trailing comma in the envelope", "{'data': [A],}", "trailing comma", "line 1"),
    ("data twice", "{'data': [A], 'data': []}", "twice", "line 1"),
    ("the body cut short", "{'data': [A", "ends before", "line 1"),
    ("text after the body", "{'data': [A]} {}", "after the end", "line 1"),
    ("a string never closed", "{'data': [A], 'note': 'abc}", "", "line 1"),
]


def body_of(template: str) -> str:
    """Single quotes stand for double ones, A and B for two sales orders."""
    return template.replace("'", '"').replace("A", A).replace("B", B)


@pytest.fixture(scope="module")
def small_server(db_url: str, backend: str) -> Iterator[LiveServer]:
    with live_server(db_url, backend, bulk_max_body_bytes=LIMIT) as live:
        yield live


def _jobs_of(server: LiveServer, company_id: int) -> list[Any]:
    return rows(server, jobs, company_id=company_id)


@pytest.mark.parametrize(("what", "body", "names", "where"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_json_is_refused_at_once_and_imports_nothing(
    server: LiveServer, trade: Trade, what: str, body: str, names: str, where: str
) -> None:
    body = body_of(body)
    if what != "a number among the orders":  # valid JSON, but not a list of sales orders
        with pytest.raises(ValueError):
            json.loads(body, object_pairs_hook=_no_duplicates)
    client = wms(server, trade.buyer)
    r = client.post(f"/business_units/{trade.supplier.id}/sales_orders/bulk", content=body.encode())
    assert r.status_code == 400, (what, r.text)
    text = json.dumps(r.json())
    assert names in text and where in text, (what, r.text)
    assert _jobs_of(server, trade.buyer.id) == []
    listed = client.get(f"/business_units/{trade.supplier.id}/sales_orders").json()
    assert listed["meta"]["total"] == 0


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def test_a_nul_in_one_order_refuses_the_upload_naming_it(server: LiveServer, trade: Trade) -> None:
    body = body_of("{'data': [A, @]}").replace("@", order("U-NUL").replace("NUL", "\\u0000"))
    r = wms(server, trade.buyer).post(f"/business_units/{trade.supplier.id}/sales_orders/bulk", content=body.encode())
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "data[1].customerOrderNumber"
    assert _jobs_of(server, trade.buyer.id) == []


def test_a_well_formed_upload_still_imports(server: LiveServer, trade: Trade) -> None:
    body = body_of("{\n  'data': [\n    A,\n    B,\n    @\n  ],\n  'meta': {'source': 'x'}\n}").replace("@", C)
    client = wms(server, trade.buyer)
    r = client.post(f"/business_units/{trade.supplier.id}/sales_orders/bulk", content=body.encode())
    assert r.status_code == 202, r.text
    data = wait_job(client, r.json()["data"]["jobId"])
    assert data["progress"] == {"processed": 3, "total": 3} and data["failedOrders"] == []


def _raw_request(url: str, head: str, body: bytes = b"") -> bytes:
    """Send a request by hand (so the body can be left unsent) and read the answer's head."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode() + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_a_body_over_the_limit_is_413_without_being_read(small_server: LiveServer) -> None:
    trade = make_trade(small_server)
    path = f"/wms/business_units/{trade.supplier.id}/sales_orders/bulk"
    # Content-Length says 1 GB and not one byte of it is sent: the answer comes at once, or never.
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {trade.buyer.key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {10**9}\r\n\r\n"
    )
    answer = _raw_request(small_server.url, head)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Chunked, no length given: read until the limit is passed, then refused.
    chunk = b"[" + b" " * 8190 + b"]"
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(LIMIT // len(chunk) + 2))
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {trade.buyer.key}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    answer = _raw_request(small_server.url, head, chunked + b"0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert _jobs_of(small_server, trade.buyer.id) == []
    # Just under the limit is taken.
    body = body_of("{'data': [A]}")
    r = wms(small_server, trade.buyer).post(path.removeprefix("/wms"), content=body.encode())
    assert r.status_code == 202, r.text
