"""The bulk import's fast road (dialects/wms/bulk.py: a batch's good orders written together) leaves
exactly what the one-by-one road leaves: the same orders with the same bytes, lines and events, the
same refusals in the job's report, one exchange per order in the same state with the same error.
The same upload runs both ways, on a database of its own (no other worker claims its jobs)."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from pohub.core import jsonio
from pohub.db.engine import Database
from pohub.db.migrate import upgrade
from pohub.dialects.wms import bulk, importer
from pohub.documents import wire
from pohub.documents.models import documents, events, order_lines
from pohub.exchanges.models import exchanges
from pohub.jobs import repository as jobs_repo
from pohub.jobs import runner
from pohub.jobs.models import jobs
from pohub.partners import service as partners
from tests.support import PG_ENV, _pg_admin


@pytest.fixture
def fresh_db(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'bulk.db'}"
        upgrade(url)
        yield url
        return
    base = make_url(os.environ[PG_ENV])
    name = f"pohub_bulk_{uuid.uuid4().hex[:10]}"
    admin = base.render_as_string(hide_password=False)
    asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    url = base.set(database=name, drivername="postgresql").render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def so(con: str, lines: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "customerOrderNumber": con,
        "shipTo": {"name": "Ada", "address1": "1 Row", "city": "London", "country": "GB"},
        "orderLines": lines
        if lines is not None
        else [{"customerLineNumber": str(n), "skuId": f"SKU-{n}", "quantity": n, "amount": 9.5} for n in (1, 2, 3)],
        **extra,
    }


# Good orders and every kind of refusal, duplicates within a batch and across batches among them.
UPLOAD: list[dict[str, Any]] = [
    so("F-1"),
    so("F-1"),  # the same PartnerPO again, in the same batch
    so("F-2", [{"customerLineNumber": "1", "skuId": "A", "quantity": 0}]),
    so("F-3", [{"customerLineNumber": "1", "quantity": 2}]),  # no SKU
    so(
        "F-4",
        [
            {"customerLineNumber": "1", "skuId": "A", "quantity": 1},
            {"customerLineNumber": "01", "skuId": "B", "quantity": 1},
        ],
    ),
    so("EXISTING"),  # sent before the job
    so("F-5", [{"customerLineNumber": "7", "skuId": "A", "quantity": 4, "amount": 12.25}], buyerOrderNumber="B-5"),
    so("F-6", [{"customerLineNumber": "1", "skuId": "A", "quantity": 1, "amount": -1}]),
    so("F-7", orderLines="none"),
    so("F-8", []),
    so("F-5"),  # a duplicate in a later batch
    so("F-9"),
]


async def _run(url: str, tag: str) -> dict[str, Any]:
    db = Database(url, pool_size=2)
    lease = timedelta(seconds=600)
    try:
        async with db.write() as conn:
            buyer = await partners.add_company(conn, name=f"bulk-buyer-{tag}")
            supplier = await partners.add_company(conn, name=f"bulk-supplier-{tag}")
            await partners.connect(conn, buyer_id=buyer.id, supplier_id=supplier.id)

        async def job(orders: list[dict[str, Any]]) -> int:
            body = b'{"data": [' + b",".join(jsonio.dumps(o) for o in orders) + b"]}"
            async with db.write() as conn:
                job_id, _ = await importer.submit(conn, company_id=buyer.id, business_unit=str(supplier.id), body=body)
            assert await runner.claim(db, worker_id=tag, lease=lease) == job_id
            while await runner.run_batch(db, job_id=job_id, worker_id=tag, lease=lease, batch_size=5):
                pass
            return job_id

        await job([so("EXISTING")])
        job_id = await job(UPLOAD)
        async with db.read() as conn:
            job_row = (await conn.execute(select(jobs).where(jobs.c.id == job_id))).one()
            report = await importer.status(conn, job=job_row)
            items = await jobs_repo.failed_items(conn, job_id=job_id)
            docs = (
                await conn.execute(
                    select(documents).where(documents.c.sender_company_id == buyer.id).order_by(documents.c.id)
                )
            ).all()
            ids = [d.id for d in docs]
            lines = (
                await conn.execute(
                    select(order_lines).where(order_lines.c.order_id.in_(ids)).order_by(order_lines.c.id)
                )
            ).all()
            evs = (await conn.execute(select(events).where(events.c.order_id.in_(ids)).order_by(events.c.id))).all()
            xs = (await conn.execute(select(exchanges).where(exchanges.c.job_id == job_id))).all()
    finally:
        await db.dispose()
    po = {d.id: d.partner_po for d in docs}
    skip = {
        "id",
        "sender_company_id",
        "receiver_company_id",
        "created_at",
        "updated_at",
        "document_date",
        "raw",
        "body_hash",
        "wire",
    }
    for d in docs:  # the stored bytes are what was hashed (they name this run's supplier, so compared apart)
        assert d.body_hash == jsonio.content_hash(jsonio.loads(d.raw))
        # Each road stores the answer's template the write path renders from the row (documents/wire.py).
        assert d.wire is not None and d.wire == wire.template(d._mapping)

    def canonical(raw: str) -> Any:
        body = jsonio.loads(raw)
        assert body.pop("ReceiverCompanyId") == supplier.id
        for attribute in body["ExtendedAttributes"]:
            if attribute["Name"] == "businessUnitId":
                assert attribute.pop("Value") == str(supplier.id)
        return body

    def ids_out(text: str | None) -> str | None:
        return None if text is None else re.sub(r"LogicbrokerKey\W+\d+", "LogicbrokerKey", text)

    return {
        "report": {**report, "jobId": None},
        "failed": len(items),
        "documents": [{k: v for k, v in d._mapping.items() if k not in skip} | {"raw": canonical(d.raw)} for d in docs],
        "lines": [
            (po[ln.order_id], {k: v for k, v in ln._mapping.items() if k not in {"id", "order_id"}}) for ln in lines
        ],
        "events": sorted((po[e.order_id], e.type_id, e.summary) for e in evs),
        "exchanges": sorted(
            (bytes(x.raw), x.operation, x.state, x.status_code, x.kind, ids_out(x.error), x.document_id is not None)
            for x in xs
        ),
        "exchange_partner": {x.partner_id == supplier.id for x in xs if x.state == "applied"},
    }


def test_fast_and_one_by_one_roads_leave_the_same(fresh_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[str] = []
    write = bulk.write

    async def counted(conn: Any, fast: list[bulk.Ready]) -> list[int] | None:
        written.extend(r.partner_po for r in fast)
        return await write(conn, fast)

    monkeypatch.setattr(bulk, "write", counted)
    fast = asyncio.run(_run(fresh_db, "fast"))
    assert written == ["EXISTING", "F-1", "F-5", "F-9"]  # the good ones took the fast road
    monkeypatch.setattr(bulk, "enabled", lambda: False)
    slow = asyncio.run(_run(fresh_db, "slow"))
    assert [d["partner_po"] for d in fast["documents"]] == ["EXISTING", "F-1", "F-5", "F-9"]
    assert fast["failed"] == 9 and len(fast["exchanges"]) == len(UPLOAD)
    assert fast["exchange_partner"] == {True}
    for part in ("report", "failed", "documents", "lines", "events", "exchanges"):
        assert fast[part] == slow[part], part
