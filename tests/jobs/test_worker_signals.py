"""`pohub worker` stops on SIGTERM and SIGINT in the middle of a bulk import: it finishes the batch in
hand, gives the job back and exits; the next worker finishes the job, every order imported once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from pohub.core import jsonio
from pohub.db.engine import Database
from pohub.dialects.wms import importer
from tests.support import LiveServer, connect, database_url, make_party

ORDERS = 3_000
BATCH = 20  # small batches: the job stays busy for many turns, and a turn ends soon after a signal
# Generous bounds for a loaded machine: nothing here measures speed, they only stop a hung test.
EXIT_TIMEOUT = 60.0
JOB_TIMEOUT = 300.0


def upload(orders: int) -> bytes:
    parts = [
        jsonio.dumps(
            {
                "customerOrderNumber": f"SIG-{i:06d}",
                "orderLines": [{"customerLineNumber": "1", "skuId": "SKU-A", "quantity": 1 + i % 5}],
            }
        )
        for i in range(orders)
    ]
    return b'{"data": [' + b",".join(parts) + b"]}"


async def _submit(url: str, company_id: int, business_unit: str, body: bytes) -> int:
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            job_id, _ = await importer.submit(conn, company_id=company_id, business_unit=business_unit, body=body)
        return job_id
    finally:
        await db.dispose()


async def _row(url: str, sql: str, params: dict[str, Any]) -> dict[str, Any]:
    db = Database(url, pool_size=1)
    try:
        async with db.read() as conn:
            return dict((await conn.execute(text(sql), params)).mappings().one())
    finally:
        await db.dispose()


def job_state(url: str, job_id: int) -> dict[str, Any]:
    return asyncio.run(_row(url, "SELECT status, processed, total, locked_by FROM jobs WHERE id = :j", {"j": job_id}))


def start_worker(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "POHUB_DATABASE_URL": url,
        "POHUB_JOB_BATCH_SIZE": str(BATCH),
        "POHUB_WORKER_POLL_SECONDS": "0.05",
        "POHUB_LOG_LEVEL": "warning",
    }
    with log.open("ab") as out:
        return subprocess.Popen([str(Path(sys.executable).parent / "pohub"), "worker"], env=env, stdout=out, stderr=out)


def wait_for(what: str, check: Callable[[], dict[str, Any] | None], log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_TIMEOUT
    while True:
        found = check()
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{log.read_text()[-2000:]}"
        time.sleep(0.05)


def stop(proc: subprocess.Popen[bytes], sig: signal.Signals, log: Path) -> int:
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"pohub worker ignored {sig.name}\n{log.read_text()[-2000:]}") from None


def test_worker_stops_on_signals_and_the_job_is_not_lost(backend: str, tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    with database_url(backend, tmp_path) as url:
        stub = LiveServer("http://127.0.0.1:9", url, backend)  # only its database is used
        buyer = make_party(stub, "sig-buyer")
        supplier = make_party(stub, "sig-supplier")
        connect(stub, buyer, supplier)
        job_id = asyncio.run(_submit(url, buyer.id, str(supplier.id), upload(ORDERS)))
        stopped_at = 0

        for sig in (signal.SIGTERM, signal.SIGINT):
            proc = start_worker(url, log)
            try:
                at = stopped_at

                def busy(at: int = at) -> dict[str, Any] | None:
                    state = job_state(url, job_id)
                    return state if state["processed"] > at else None

                wait_for("the worker to take up the job", busy, log)
                rc = stop(proc, sig, log)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            assert rc == 0, log.read_text()[-2000:]
            state = job_state(url, job_id)
            assert state["processed"] < ORDERS, "the job finished before the signal; nothing was tested"
            assert state["status"] == "processing" and state["locked_by"] is None, state  # given back
            stopped_at = state["processed"]

        proc = start_worker(url, log)
        try:
            wait_for(
                "the job to finish",
                lambda: state if (state := job_state(url, job_id))["status"] == "completed" else None,
                log,
            )
            assert stop(proc, signal.SIGTERM, log) == 0  # an idle worker stops too
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

        counts = asyncio.run(
            _row(
                url,
                "SELECT (SELECT count(*) FROM documents WHERE kind = 'order' AND sender_company_id = :b) AS orders,"
                " (SELECT count(DISTINCT partner_po) FROM documents WHERE sender_company_id = :b) AS distinct_po,"
                " (SELECT count(*) FROM job_items WHERE job_id = :j AND state = 'done') AS items_done,"
                " (SELECT processed FROM jobs WHERE id = :j) AS processed",
                {"b": buyer.id, "j": job_id},
            )
        )
        assert counts == {"orders": ORDERS, "distinct_po": ORDERS, "items_done": ORDERS, "processed": ORDERS}
