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
from pohub.exchanges import outbound, retention
from pohub.jobs import repository as jobs_repo
from pohub.jobs import runner
from pohub.webhooks import sender as webhook_sender

log = logging.getLogger("pohub.worker")


class Worker:
    def __init__(self, db: Database, settings: Any) -> None:
        self.db = db
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.channels = [webhook_sender.channel(settings)]
        self.lease = timedelta(seconds=float(getattr(settings, "job_lease_seconds", 30.0)))
        self.batch_size = int(getattr(settings, "job_batch_size", 200))
        self.poll = float(getattr(settings, "worker_poll_seconds", 1.0))
        self.wakeup = asyncio.Event()
        self.stopping = asyncio.Event()
        self.job_id: int | None = None
        days = float(getattr(settings, "retention_days", 0.0))
        self.retention = timedelta(days=days) if days > 0 else None
        self.retention_every = timedelta(seconds=float(getattr(settings, "retention_check_seconds", 3600.0)))
        self.pruned_at: datetime | None = None

    def wake(self) -> None:
        self.wakeup.set()

    def stop(self) -> None:
        """Finish the turn in progress (its batch commits whole), give back the job, and return from run()."""
        self.stopping.set()
        self.wakeup.set()

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

    async def tick(self, client: httpx.AsyncClient) -> bool:
        """One turn: a batch of each channel's outbound exchanges and a batch of job items. True if
        anything was done."""
        await self.prune_if_due()
        sent = 0
        for channel in self.channels:
            for values in await outbound.send_due(self.db, client, channel):
                sent += 1
                if values["state"] in (outbound.FAILED, outbound.DEAD):
                    log.warning("%s exchange %s %s: %s", channel.name, values["id"], values["state"], values["error"])
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
        return bool(sent) or worked

    async def prune_if_due(self) -> None:
        """Retention runs here, now and then: each worker on its own clock (pruning twice is harmless)."""
        now = clock.now()
        if self.retention is None or (self.pruned_at is not None and now - self.pruned_at < self.retention_every):
            return
        self.pruned_at = now
        done = await retention.prune(self.db, older_than=self.retention, now=now)
        if done.exchanges:
            log.info("retention: pruned the bodies of %d exchanges (%d bytes)", done.exchanges, done.bytes)

    async def run(self) -> None:
        try:
            await self._loop()
        finally:
            await self.release_job()

    async def _loop(self) -> None:
        failures = 0
        async with httpx.AsyncClient(follow_redirects=False) as client:
            while not self.stopping.is_set():
                try:
                    busy = await self.tick(client)
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


async def start(app: FastAPI) -> None:
    """Start the embedded worker: always on SQLite, on PostgreSQL unless embedded_worker is false."""
    db: Database = app.state.db
    settings = app.state.settings
    if not db.sqlite and not getattr(settings, "embedded_worker", True):
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
