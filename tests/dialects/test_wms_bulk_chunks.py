"""A large bulk upload is stored in pieces (exchange_chunks) and comes back byte for byte: when it is
imported, when it is refused, when it is run again; a bad order in the middle of it is named and
costs nothing else; pruning takes its pieces with it."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from pohub.core import clock
from pohub.db.engine import Database
from pohub.exchanges import inbound, retention
from pohub.exchanges import repository as repo
from pohub.exchanges.inbound import Message
from pohub.exchanges.models import exchange_chunks, exchanges
from pohub.exchanges.repository import CHUNK_BYTES
from tests.api.test_field_limits import rows
from tests.dialects.helpers import wait_job, wms
from tests.support import LiveServer, Trade, database_url


def order(con: str, quantity: int = 1) -> str:
    # Non-ASCII text, so that pieces cut through multi-byte characters too.
    return json.dumps(
        {
            "customerOrderNumber": con,
            "shipTo": {"name": "Zoë Ørsted"},
            "orderLines": [{"skuId": "Å", "quantity": quantity}],
        },
        ensure_ascii=False,
    )


def big_upload(orders: list[str], size: int) -> bytes:
    """The orders with enough whitespace (and a note in the envelope) between them to make ``size`` bytes."""
    gap = " \r\n\t" * (size // (4 * (len(orders) + 1)))
    note = json.dumps("é" * 1000 + "\\")
    return ('{"note": ' + note + ', "data": [' + gap + ("," + gap).join(orders) + gap + "]}\n").encode()


def _upload_exchange(server: LiveServer, trade: Trade) -> Any:
    [row] = rows(server, exchanges, company_id=trade.buyer.id, operation="wms.bulk")
    return row


def _as_received(trade: Trade, exchange_id: int) -> bytes:
    r = trade.buyer.get(f"/Exchanges/{exchange_id}")
    assert r.status_code == 200, r.text
    body = r.json()["Body"]
    raw = body["Raw"].encode() if body["RawEncoding"] == "utf-8" else base64.b64decode(body["Raw"])
    assert body["Size"] == len(raw)
    return raw


def test_a_large_upload_is_kept_in_pieces_and_comes_back_exactly(server: LiveServer, trade: Trade) -> None:
    body = big_upload([order(f"CH-{i}") for i in range(3)], 3 * CHUNK_BYTES + 12345)
    client = wms(server, trade.buyer)
    r = client.post(f"/business_units/{trade.supplier.id}/sales_orders/bulk", content=body)
    assert r.status_code == 202, r.text
    data = wait_job(client, r.json()["data"]["jobId"])
    assert data["progress"] == {"processed": 3, "total": 3} and data["failedOrders"] == []
    upload = _upload_exchange(server, trade)
    assert upload.state == "applied" and bytes(upload.raw) == b""  # the body is in its pieces
    pieces = sorted(rows(server, exchange_chunks, exchange_id=upload.id), key=lambda p: p.seq)
    assert [p.seq for p in pieces] == [0, 1, 2, 3]
    assert all(len(p.data) == CHUNK_BYTES for p in pieces[:-1])
    assert b"".join(bytes(p.data) for p in pieces) == body
    assert _as_received(trade, upload.id) == body
    # A small body is kept whole, as before.
    r = client.post(f"/business_units/{trade.supplier.id}/sales_orders/bulk", content=b'{"data": []}')
    assert r.status_code == 202, r.text
    small = [x for x in rows(server, exchanges, company_id=trade.buyer.id, operation="wms.bulk") if x.id != upload.id]
    assert bytes(small[0].raw) == b'{"data": []}' and rows(server, exchange_chunks, exchange_id=small[0].id) == []


def test_a_malformed_order_in_the_middle_refuses_the_upload_naming_it_and_keeps_every_byte(
    server: LiveServer, trade: Trade
) -> None:
    orders = [order(f"MF-{i}") for i in range(40)]
    orders[20] = orders[20].replace('"quantity": 1', '"quantity": ')
    body = big_upload(orders, 2 * CHUNK_BYTES + 999)
    r = wms(server, trade.buyer).post(f"/business_units/{trade.supplier.id}/sales_orders/bulk", content=body)
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["field"] == "data[20]", r.text
    assert "line " in r.json()["message"]
    upload = _upload_exchange(server, trade)
    assert upload.state == "refused" and "data[20]" in upload.error
    assert _as_received(trade, upload.id) == body
    listed = wms(server, trade.buyer).get(f"/business_units/{trade.supplier.id}/sales_orders").json()
    assert listed["meta"]["total"] == 0


def test_an_order_refused_by_a_rule_in_the_middle_is_named_and_the_others_import(
    server: LiveServer, trade: Trade
) -> None:
    orders = [order(f"RL-{i}") for i in range(250)]  # more than one batch
    orders[137] = order("RL-137", quantity=-3)
    body = big_upload(orders, CHUNK_BYTES + 5000)
    client = wms(server, trade.buyer)
    r = client.post(f"/business_units/{trade.supplier.id}/sales_orders/bulk", content=body)
    assert r.status_code == 202, r.text
    data = wait_job(client, r.json()["data"]["jobId"])
    assert data["progress"] == {"processed": 250, "total": 250}
    [failed] = data["failedOrders"]
    assert failed["customerOrderNumber"] == "RL-137" and "quantity" in json.dumps(failed).lower()
    listed = client.get(f"/business_units/{trade.supplier.id}/sales_orders", params={"pageSize": 1}).json()
    assert listed["meta"]["total"] == 249
    upload = _upload_exchange(server, trade)
    assert _as_received(trade, upload.id) == body
    # The refused order's own exchange keeps its bytes, a child of the upload's.
    [child] = [x for x in rows(server, exchanges, parent_id=upload.id) if x.state == "refused"]
    assert json.loads(bytes(child.raw))["customerOrderNumber"] == "RL-137"


def test_pruning_takes_the_pieces_of_a_body_kept_in_pieces(backend: str, tmp_path: Path) -> None:
    body = big_upload([order("PR-1")], CHUNK_BYTES + 1)
    msg = Message(channel="test", operation="test.echo", company_id=None, raw=body)
    now = clock.now()

    async def go(url: str) -> None:
        db = Database(url, pool_size=1)
        try:
            async with db.write() as conn:
                exchange_id = await repo.insert_exchange(conn, inbound._row(msg, state="applied", now=now))
                kept = await repo.insert_exchange(conn, inbound._row(msg, state="received", now=now))
            async with db.read() as conn:
                assert (await repo.get_exchange(conn, exchange_id=exchange_id, company_id=None)).raw == body
                assert await repo.chunks_of(conn, exchange_id=exchange_id) == body
                measured = await retention.measure(conn, cutoff=now + timedelta(days=1))
            assert measured == retention.Pruned(1, len(body))
            await retention.prune(db, older_than=timedelta(days=1), now=now + timedelta(days=2))
            async with db.read() as conn:
                pruned = await repo.get_exchange(conn, exchange_id=exchange_id, company_id=None)
                assert pruned.raw is None and pruned.pruned_at is not None
                assert await repo.chunks_of(conn, exchange_id=exchange_id) is None
                # One still on its way keeps its body, in its pieces.
                assert (await repo.get_exchange(conn, exchange_id=kept, company_id=None)).raw == body
        finally:
            await db.dispose()

    with database_url(backend, tmp_path) as url:
        asyncio.run(go(url))
