"""The SQLite writer's wait for the write lock, awaited instead of slept inside sqlite3.

sqlite3 runs on the event loop's thread (db/sqlite_inline.py). With a busy_timeout, a BEGIN IMMEDIATE
that finds the write lock taken (another process, or another Database on the same file in this
process) sleeps inside sqlite3 and the whole loop stalls with it, reads too, for up to the timeout;
and when the holder is a group commit waiting on this very loop (db/sqlite_units.py), it never lets
go, so the wait ends in "database is locked". So the writer connection has busy_timeout 0 (in WAL
mode: engine._sqlite_engine) and its BEGIN IMMEDIATE goes through ``LockWait.begin``: one try, and on
SQLITE_BUSY a retry after ``await sleep(...)``, the delay doubling from FIRST to CAP, until DEADLINE
(today's busy_timeout) has passed since the first try; then the last try's error is raised, wrapped
as every statement's is (sqlalchemy.exc.OperationalError, "database is locked").

pohub's own writers on the file (other server processes, other Databases) first wait for the write
turn (db/sqlite_turn.py: flock, on a thread, woken the moment the holder lets go), so between them
BEGIN IMMEDIATE finds the lock free and the retries above are for other writers (the sqlite3 shell);
the turn's wait and BEGIN's retries share one deadline and end in the same error.

Only BEGIN needs the wait. In WAL mode, once BEGIN IMMEDIATE holds the write lock (and the database
file's SHARED lock with it) no statement of the transaction can get SQLITE_BUSY: reads use the
snapshot taken at BEGIN, COMMIT appends to the WAL under the lock it holds, and the WAL's restart at
a transaction's first write skips the restart when a reader is in the way instead of waiting (nor
does the writer checkpoint: wal_autocheckpoint=0, the Checkpointer's thread does, on a connection of
its own that keeps its busy_timeout). Readers keep their busy_timeout too: in WAL mode they wait
only while another process's last connection checkpoints on closing.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, StatementError

from pohub.db.sqlite_turn import Turn

DEADLINE = 30.0  # seconds; the busy_timeout the writer had (readers still have it)
FIRST = 0.0005  # the first retry's delay: a unit holds the lock for about a millisecond
CAP = 0.004  # the longest delay between tries
TICK = 0.25  # how often a wait for the turn looks at the clock: only the deadline needs it


def wrapped(sql: str, exc: sqlite3.Error) -> StatementError:
    """sqlite3's error as SQLAlchemy raises it for a statement (OperationalError ...)."""
    return DBAPIError.instance(sql, (), exc, sqlite3.Error)


def is_busy(exc: sqlite3.Error) -> bool:
    """SQLITE_BUSY or one of its extended codes (BUSY_SNAPSHOT, BUSY_RECOVERY ...)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.OperationalError) and code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


class LockWait:
    """How the writer waits for BEGIN's lock; the clock and the sleep are the tests' to replace."""

    def __init__(
        self,
        *,
        deadline: float = DEADLINE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.deadline = deadline
        self.clock = clock
        self.sleep = sleep

    async def begin(self, raw: sqlite3.Connection, sql: str, turn: Turn | None = None) -> None:
        """Run ``sql`` (a BEGIN) on ``raw``, waiting on the loop while another connection holds the lock.
        With a ``turn`` (db/sqlite_turn.py) it first waits for pohub's other writers on the file, then
        for any other connection as before; one deadline for both."""
        end = None
        if turn is not None and not turn.held and not turn.try_take():
            end = self.clock() + self.deadline
            await self.wait_turn(turn, end)
        busy = self.try_begin(raw, sql)
        if busy is not None:
            await self.wait(raw, sql, busy, end)

    async def wait_turn(self, turn: Turn, end: float) -> None:
        """Wait (a thread blocks, the loop runs on) until the turn is ours or ``end`` has passed. Past
        it, or when flock fails, the writer goes on without the turn: BEGIN's own tries then end in
        the error they always did, or begin (the turn only orders pohub's writers)."""
        waiting = turn.wait()
        try:
            while not waiting.done() and (left := end - self.clock()) > 0:
                tick = asyncio.ensure_future(self.sleep(min(TICK, left)))
                try:
                    await asyncio.wait((waiting, tick), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    tick.cancel()
        except BaseException:
            self._give_up(turn, waiting)
            raise
        if waiting.done() and waiting.exception() is None:
            turn.taken()
        else:
            self._give_up(turn, waiting)

    @staticmethod
    def _give_up(turn: Turn, waiting: asyncio.Future[None]) -> None:
        turn.give_up()
        # Its thread's outcome no longer matters: retrieved, so asyncio logs nothing about it.
        waiting.add_done_callback(lambda f: f.cancelled() or f.exception())

    def try_begin(self, raw: sqlite3.Connection, sql: str) -> sqlite3.Error | None:
        """One try: None once begun, sqlite3's error when the lock is busy (any other error raised)."""
        try:
            raw.execute(sql).close()
        except sqlite3.Error as exc:
            if not is_busy(exc):
                raise wrapped(sql, exc) from exc
            return exc
        return None

    async def wait(self, raw: sqlite3.Connection, sql: str, busy: sqlite3.Error, end: float | None = None) -> None:
        """Try ``sql`` again after each delay until it begins or the deadline has passed (then the last
        try's error, as SQLAlchemy raises it); ``end``: a deadline already running."""
        end = self.clock() + self.deadline if end is None else end
        delay = FIRST
        while (left := end - self.clock()) > 0:
            await self.sleep(min(delay, left))
            delay = min(2 * delay, CAP)
            again = self.try_begin(raw, sql)
            if again is None:
                return
            busy = again
        raise wrapped(sql, busy) from busy
