"""The outbound pump: claims due exchanges in batches, sends them concurrently and records what
happened in batches, continuously, so that one slow receiver holds up nothing but its own queue.

- Each endpoint's (a webhook subscription's) claimed exchanges form a run, sent one after the other
  in order; different endpoints' runs go at once, at most ``slots`` attempts in flight in all and
  at most ``per_receiver`` to one receiver (host), so a slow or dead one cannot take every slot.
- A run stops at an attempt that will be retried (the later ones wait behind it, moved to its
  time), when its lease would not cover another attempt, or when the pump stops: what it did not
  send goes back to the queue, unchanged.
- Results are recorded in batches (a few statements each); an endpoint's next exchanges become
  claimable when its run's results are on record, so order holds across runs and workers too.
- A run whose receiver is slow stops counting towards how much the pump may hold claimed, so slow
  receivers do not starve the claim of the others'.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from pohub.core import clock
from pohub.core import outcomes as reported
from pohub.db.engine import Database
from pohub.exchanges import outbound
from pohub.exchanges.outbound import Channel, Result

log = logging.getLogger("pohub.worker")

SLOW_SECONDS = 1.0  # an attempt that takes longer marks its receiver's run slow
LEASE_MARGIN_SECONDS = 5.0


@dataclass
class _Run:
    channel: Channel
    client: Any
    rows: list[Any]
    context: Any
    lease_end: float  # time.monotonic()
    counted: int = 0  # rows still counted towards what the pump holds


@dataclass
class Pump:
    db: Database
    channels: list[Channel]
    slots: int = 64
    per_receiver: int = 8
    most_claimed: int = 5000
    poll: float = 1.0
    flush_delay: float = 0.005
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.held = 0  # claimed rows of runs not marked slow, not yet recorded
        self._slots = asyncio.Semaphore(self.slots)
        self._receivers: dict[str, asyncio.Semaphore] = {}
        self._results: list[Result] = []
        self._released: list[int] = []
        self._counted_done = 0
        self._ready = asyncio.Event()  # something to record
        self._runs: set[asyncio.Task[None]] = set()
        self._wanted = {c.name for c in self.channels}
        self._finished: list[tuple[str, int]] = []  # runs ended, their results not yet recorded
        self._freed: dict[str, set[int]] = {}  # endpoints whose runs' results are on record

    def wake(self) -> None:
        self._wanted = {c.name for c in self.channels}
        self.wakeup.set()

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()

    async def run(self, http: Any) -> None:
        """Until stopped: claim while there is room, send, record. ``http`` is the client of the
        channels that do not open their own."""
        async with contextlib.AsyncExitStack() as stack:
            clients = {
                c.name: (await stack.enter_async_context(c.open_client()) if c.open_client else http)
                for c in self.channels
            }
            recorder = asyncio.create_task(self._record_loop(), name="pohub-outbound-record")
            try:
                await self._claim_loop(clients)
            finally:
                self.stopping.set()
                await asyncio.gather(*self._runs, return_exceptions=True)
                self._ready.set()
                await recorder

    async def _claim_loop(self, clients: dict[str, Any]) -> None:
        failures = 0
        while not self.stopping.is_set():
            claimed = 0
            try:
                for channel in self.channels:
                    freed = self._freed.pop(channel.name, None)
                    if freed and self.held < self.most_claimed:
                        claimed += await self.claim(channel, clients[channel.name], channel.batch, sorted(freed))
                for channel in self.channels:
                    room = min(self.most_claimed - self.held, channel.batch)
                    if room > 0 and channel.name in self._wanted:
                        got = await self.claim(channel, clients[channel.name], room)
                        if got < room:
                            self._wanted.discard(channel.name)
                        claimed += got
                failures = 0
            except Exception:
                failures += 1
                log.exception("claiming outbound exchanges failed (%d in a row)", failures)
            if (claimed and self.held < self.most_claimed) or self._freed:
                await asyncio.sleep(0)
                continue
            self.wakeup.clear()
            try:
                await asyncio.wait_for(self.wakeup.wait(), self.poll * min(2**failures, 30))
            except TimeoutError:
                self._wanted = {c.name for c in self.channels}

    async def claim(self, channel: Channel, client: Any, limit: int, endpoints: list[int] | None = None) -> int:
        """Claim a batch of the channel's due exchanges (with ``endpoints``, the next of each of those)
        and start their runs; returns how many."""
        now = clock.now()
        async with self.db.write() as conn:
            rows = await outbound.claim_due(
                conn, channel=channel.name, now=now, limit=limit, lease=channel.lease, endpoints=endpoints
            )
            context = await channel.load(conn, rows) if rows else None
        lease_end = time.monotonic() + channel.lease.total_seconds()
        for rows_of_one in outbound.by_endpoint(rows):
            run = _Run(channel, client, rows_of_one, context, lease_end, counted=len(rows_of_one))
            self.held += run.counted
            task = asyncio.create_task(self._send(run))
            self._runs.add(task)
            task.add_done_callback(self._runs.discard)
        return len(rows)

    def _receiver(self, run: _Run, row: Any) -> asyncio.Semaphore:
        key = (
            run.channel.receiver(row, run.context) if run.channel.receiver else f"{run.channel.name}:{row.endpoint_id}"
        )
        sem = self._receivers.get(key)
        if sem is None:
            sem = self._receivers[key] = asyncio.Semaphore(self.per_receiver)
        return sem

    def _uncount(self, run: _Run) -> None:
        """A slow run's rows stop counting towards what the pump holds."""
        self.held -= run.counted
        run.counted = 0

    def _done(self, run: _Run, result: Result | None = None, released: list[Any] | None = None) -> None:
        if result is not None:
            self._results.append(result)
        released = released or []
        self._released.extend(r.id for r in released)
        n = (1 if result is not None else 0) + len(released)
        counted = min(n, run.counted)
        run.counted -= counted
        self._counted_done += counted
        self._ready.set()

    async def _send(self, run: _Run) -> None:
        try:
            await self._send_in_order(run)
        finally:
            # Cancelled mid-run, what is not on record goes back when its lease lapses.
            if run.rows[0].endpoint_id is not None:
                self._finished.append((run.channel.name, run.rows[0].endpoint_id))
                self._ready.set()

    async def _send_in_order(self, run: _Run) -> None:
        channel = run.channel
        for i, row in enumerate(run.rows):
            rest = run.rows[i + 1 :]
            too_late = time.monotonic() + channel.timeout + LEASE_MARGIN_SECONDS > run.lease_end
            if self.stopping.is_set() or too_late:
                self._done(run, released=run.rows[i:])
                return
            receiver = self._receiver(run, row)
            if receiver.locked():
                self._uncount(run)  # its receiver is busy: waiting must not starve the others
            async with receiver, self._slots:
                outcome = await outbound.timed(channel, run.client, row, run.context)
            self._done(run, Result(channel, row, outcome, clock.now()))
            if outbound.state_after(channel, row, outcome) == outbound.QUEUED:
                self._done(run, released=rest)  # they wait behind it
                return
            if outcome.duration_ms > SLOW_SECONDS * 1000:
                self._uncount(run)

    async def _record_loop(self) -> None:
        while True:
            await self._ready.wait()
            if self.flush_delay and not self.stopping.is_set():
                await asyncio.sleep(self.flush_delay)  # let a few more results come in
            self._ready.clear()
            results, released, counted = self._results, self._released, self._counted_done
            finished, self._finished = self._finished, []
            self._results, self._released, self._counted_done = [], [], 0
            if results or released:
                try:
                    await self._record(results, released)
                except Exception:
                    log.exception("recording %d outbound attempts failed; trying again", len(results))
                    self._results[:0], self._released[:0] = results, released
                    self._finished[:0] = finished
                    self._counted_done += counted
                    self._ready.set()
                    await asyncio.sleep(1.0)
                    continue
                self.held -= counted
            # Their endpoints' next exchanges may go now.
            for name, endpoint_id in finished:
                self._freed.setdefault(name, set()).add(endpoint_id)
            if results or released or finished:
                self.wakeup.set()
            if self.stopping.is_set() and not self._runs and not self._results and not self._released:
                return

    async def _record(self, results: list[Result], released: list[int]) -> None:
        async with self.db.write() as conn:
            updates = await outbound.record(conn, results, released, clock.now())
        by_channel: dict[str, list[str]] = {}
        for result, values in zip(results, updates, strict=True):
            by_channel.setdefault(result.channel.name, []).append(values["state"])
            if values["state"] in (outbound.FAILED, outbound.DEAD):
                log.warning(
                    "%s exchange %s %s: %s", result.channel.name, values["id"], values["state"], values["error"]
                )
        for name, states in by_channel.items():
            reported.sent(channel=name, states=states)
