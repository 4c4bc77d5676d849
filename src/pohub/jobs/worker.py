"""The worker loop: send due outbound exchanges (webhook deliveries) and run job batches, taking
turns so neither starves.

Embedded in the server (always on SQLite, where it is the one worker; on PostgreSQL unless the
``embedded_worker`` setting is false), or run as ``pohub worker`` processes, any number of them on
any machines, when the database is PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from pohub.core import clock
from pohub.db.engine import Database
from pohub.documents import counts
from pohub.edi import reconcile as edi_reconcile
from pohub.edi import transports as edi_transports
from pohub.exchanges import outbound, retention
from pohub.exchanges.pump import Pump
from pohub.jobs import repository as jobs_repo
from pohub.jobs import runner
from pohub.ops import heartbeat
from pohub.webhooks import sender as webhook_sender

log = logging.getLogger("pohub.worker")


class Worker:
    def __init__(self, db: Database, settings: Any) -> None:
        self.db = db
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.channels = [webhook_sender.channel(settings), *edi_transports.channels(settings)]
        # Outbound exchanges go continuously, beside the jobs' turns: a slow receiver never holds up a job.
        self.pump = Pump(
            db,
            self.channels,
            slots=int(getattr(settings, "webhook_slots", 64)),
            per_receiver=int(getattr(settings, "webhook_per_receiver", 8)),
            poll=float(getattr(settings, "worker_poll_seconds", 1.0)),
        )
        self.lease = timedelta(seconds=float(getattr(settings, "job_lease_seconds", 30.0)))
        self.batch_size = int(getattr(settings, "job_batch_size", 200))
        self.poll = float(getattr(settings, "worker_poll_seconds", 1.0))
        self.heartbeat_seconds = float(getattr(settings, "heartbeat_seconds", 10.0))
        self.wakeup = asyncio.Event()
        self.stopping = asyncio.Event()
        self.job_id: int | None = None
        days = float(getattr(settings, "retention_days", 0.0))
        self.retention = timedelta(days=days) if days > 0 else None
        self.retention_every = timedelta(seconds=float(getattr(settings, "retention_check_seconds", 3600.0)))
        self.pruned_at: datetime | None = None
        self.edi_every = timedelta(seconds=float(getattr(settings, "edi_overdue_check_seconds", 60.0)))
        self.edi_checked_at: datetime | None = None
        self.counts_every = timedelta(seconds=float(getattr(settings, "counts_compaction_seconds", 600.0)))
        self.counts_compacted_at: datetime | None = None

    def wake(self) -> None:
        self.wakeup.set()
        self.pump.wake()

    def stop(self) -> None:
        """Finish the turn in progress (its batch commits whole) and the attempts in flight (recorded;
        what was claimed but not sent goes back), give back the job, and return from run()."""
        self.stopping.set()
        self.wakeup.set()
        self.pump.stop()

    async def release_job(self) -> None:
        """Give back the job this worker holds, so another worker (or this one restarted) takes it at once
        instead of waiting for the lease to run out."""
        if self.job_id is None:
            return
        job_id, self.job_id = self.job_id, None
        try:
            async with self.db.write() as conn:
                await jobs_repo.release(conn, job_id=job_id, worker_id=self.id)
        except Exception:  # the lease runs out on its own; never hide why the loop ended
            log.exception("could not give back job %s; its lease will run out", job_id)

    async def release_stale(self) -> None:
        """On SQLite this is the only worker: leases left by a killed process are void."""
        async with self.db.write() as conn:
            await jobs_repo.release_all(conn)
            await outbound.release_leases(conn)

    async def tick(self) -> bool:
        """One turn: pruning and EDI checks when due, folders picked up, a batch of job items. True if
        anything was done."""
        await self.prune_if_due()
        await self.compact_counts_if_due()
        await self.flag_overdue_edi()
        picked = await edi_transports.pick_up(self.db)
        worked = False
        if self.job_id is None:
            self.job_id = await runner.claim(self.db, worker_id=self.id, lease=self.lease)
        if self.job_id is not None:
            worked = True
            more = await runner.run_batch(
                self.db, job_id=self.job_id, worker_id=self.id, lease=self.lease, batch_size=self.batch_size
            )
            if not more:
                self.job_id = None
        return bool(picked) or worked

    async def prune_if_due(self) -> None:
        """Retention runs here, now and then: each worker on its own clock (pruning twice is harmless)."""
        now = clock.now()
        if self.retention is None or (self.pruned_at is not None and now - self.pruned_at < self.retention_every):
            return
        self.pruned_at = now
        done = await retention.prune(self.db, older_than=self.retention, now=now)
        if done.exchanges:
            log.info("retention: pruned the bodies of %d exchanges (%d bytes)", done.exchanges, done.bytes)

    async def compact_counts_if_due(self) -> None:
        """order_counts' rows of PostgreSQL backends that are gone, folded now and then (documents/
        counts.py): each worker on its own clock (compactions at once serialize; none is doubled)."""
        if self.db.sqlite:
            return
        now = clock.now()
        if self.counts_compacted_at is not None and now - self.counts_compacted_at < self.counts_every:
            return
        self.counts_compacted_at = now
        folded = await counts.compact(self.db)
        if folded:
            log.info("order_counts: folded %d row(s) of closed connections into one", folded)

    async def flag_overdue_edi(self) -> None:
        """Outbound EDI groups not acknowledged in the partner's time are flagged, now and then."""
        now = clock.now()
        if self.edi_checked_at is not None and now - self.edi_checked_at < self.edi_every:
            return
        self.edi_checked_at = now
        flagged = await edi_reconcile.flag_overdue(self.db, now=now)
        if flagged:
            log.warning("edi: %d outbound group(s) not acknowledged in time", flagged)

    async def run(self) -> None:
        try:
            async with heartbeat.running(self.db, role="worker", every=self.heartbeat_seconds, pid=self.id):
                await self._loop()
        finally:
            await self.release_job()

    async def _loop(self) -> None:
        async with httpx.AsyncClient(follow_redirects=False) as client:
            pump = asyncio.create_task(self.pump.run(client), name="pohub-outbound")
            try:
                await self._turns()
            finally:
                self.pump.stop()
                await pump

    async def _turns(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            try:
                busy = await self.tick()
                failures = 0
            except Exception:
                failures += 1
                self.job_id = None
                log.exception("worker turn failed (%d in a row)", failures)
                busy = False
            if busy:
                await asyncio.sleep(0)
                continue
            self.wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), self.poll * min(2**failures, 30))


def wake(app: FastAPI) -> None:
    """Tell this process's embedded worker there is new work (other workers find it by polling)."""
    worker: Worker | None = getattr(app.state, "worker", None)
    if worker is not None:
        worker.wake()


def embeds_worker(db: Database, settings: Any) -> bool:
    if db.sqlite:
        return int(getattr(settings, "serve_process", 0)) == 0
    return bool(getattr(settings, "embedded_worker", True))


async def start(app: FastAPI) -> None:
    """Start the embedded worker: on SQLite in the first server process only (it is the one worker
    there and voids every lease when it starts), on PostgreSQL unless embedded_worker is false."""
    db: Database = app.state.db
    settings = app.state.settings
    if not embeds_worker(db, settings):
        return
    worker = Worker(db, settings)
    if db.sqlite:
        await worker.release_stale()
    app.state.worker = worker
    app.state.worker_task = asyncio.create_task(worker.run(), name="pohub-worker")


async def stop(app: FastAPI) -> None:
    worker: Worker | None = getattr(app.state, "worker", None)
    task: asyncio.Task[None] | None = getattr(app.state, "worker_task", None)
    if worker is None or task is None:
        return
    worker.stop()
    try:
        await asyncio.wait_for(task, timeout=15)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    app.state.worker = None
