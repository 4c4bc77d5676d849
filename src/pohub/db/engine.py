"""Engines and units of work.

``db.write()`` is one short transaction that may change rows: on SQLite it starts with BEGIN
IMMEDIATE (the database-wide write lock, so read-check-write sequences cannot interleave, across
processes too); on PostgreSQL the services lock the rows they change with SELECT ... FOR UPDATE.
``db.read()`` is for queries: a plain transaction on SQLite, each statement on its own on PostgreSQL
(the same snapshots under READ COMMITTED, without BEGIN and COMMIT; writes refused). On SQLite both
run straight on sqlite3, on connections kept checked out between units (db/sqlite_units.py); on
PostgreSQL both run on asyncpg connections kept the same way (db/pg_units.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import await_

from pohub.db import sqlite_inline, sqlite_lock, sqlite_turn
from pohub.db.pg_units import PgUnits
from pohub.db.sqlite_units import Units

POOL_TIMEOUT = 60.0  # seconds a unit of work waits for a connection before it fails
# SQLite: at most this many write units share one COMMIT (db/sqlite_units.py; 1: each commits alone);
# the server and the worker pass config.Settings.sqlite_group_commit (the same default). A group keeps
# its transaction open across turns of the event loop: another writer on the file waits for it on its
# loop's timers (db/sqlite_lock.py), so it may be on by default (docs/operations.md).
GROUP_COMMIT = 8
# SQLite readers map the file (PRAGMA mmap_size, capped by the build: 2 GiB for Debian's 3.40) instead
# of pread()ing each page into their 512 KiB caches: a search page reads a few hundred b-tree and
# overflow pages, and the copies were most of its kernel time (docs/operations.md, "Memory"). The
# mapped pages are the OS's file cache, shared by every reader and process: they show in RSS as
# file-backed pages, not as private memory.
READER_MMAP_BYTES = 1 << 40
STATEMENT_CACHE = 1024  # prepared statements each SQLite connection keeps (sqlite3's default: 128)


def async_url(url: str) -> str:
    """Accept plain URLs (sqlite:///, postgresql://) and pick the async driver."""
    u = make_url(url)
    if u.drivername in ("sqlite", "sqlite+pysqlite"):
        u = u.set(drivername="sqlite+aiosqlite")
    elif u.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        u = u.set(drivername="postgresql+asyncpg")
    return u.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


class Checkpointer:
    """Copies the WAL back into the database file on a thread of its own.

    SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL pages: that commit
    copies the pages and fsyncs twice, and since pohub runs SQLite on the event loop's thread
    (db/sqlite_inline.py) every request in the process waits for those fsyncs. The writer connection
    turns the automatic checkpoint off and nudges this thread after each commit instead; sqlite3
    releases the GIL while it copies and syncs. The checkpoint is PASSIVE, as the automatic one is:
    it never blocks readers or the writer, and nothing about durability changes (synchronous=NORMAL
    in WAL mode was already durable up to the last checkpoint, and consistent after a crash).

    The WAL starts again from its beginning only when a write transaction begins after every frame
    was copied back. Writes go on while the thread copies, so its checkpoint always missed the last
    few commits and the WAL never restarted: it grew past the threshold for good and every commit
    after that woke a checkpoint of its own (about 200 a round of 600 documents instead of 14). So
    once the thread has copied the bulk, the next write first lets it copy the few frames left
    (``finish``, awaited off the event loop, before that write's BEGIN): that write restarts the WAL."""

    # The WAL size in pages past which a checkpoint is due. SQLite's default is 1,000; at 4,000 a
    # checkpoint copies a hot page (page 1, an index's last leaf, order_counts) once for four times
    # as many commits, and the WAL still fits the wal-index's first hash table (4,062 frames), so a
    # reader's look-up of a page in the WAL costs what it did (docs/performance.md: measured).
    PAGES = 4000

    def __init__(self, database: str) -> None:
        self.database = database
        self._due = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._using = threading.Lock()  # the thread's connection, used by one caller at a time
        self._conn: sqlite3.Connection | None = None
        self._wal = database + "-wal"
        self._due_bytes = self.PAGES * 4096  # until the thread has read the page size
        self.runs = 0
        self.tail_due = False  # the thread copied the bulk; the next write lets it finish first

    def nudge(self) -> None:
        """A write committed; start the thread on the first one, and wake it once the WAL is due
        (a stat, not a wake-up per commit: that would hand the GIL back and forth for nothing)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stop:
                    self._thread = threading.Thread(target=self._run, name="pohub-wal-checkpoint", daemon=True)
                    self._thread.start()
        if self.tail_due:
            return  # the next write's finish() runs first
        try:
            due = os.stat(self._wal).st_size >= self._due_bytes
        except OSError:
            return
        if due:
            self._due.set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def checkpoint(self, conn: sqlite3.Connection) -> bool:
        """Copy the WAL back if it has grown past PAGES; True when a checkpoint ran."""
        self._due_bytes = self.PAGES * int(conn.execute("PRAGMA page_size").fetchone()[0])
        try:
            size = os.stat(self._wal).st_size
        except OSError:
            return False
        if size < self._due_bytes:
            return False
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        self.runs += 1
        return True

    def finish(self) -> None:
        """Copy back what the thread's checkpoint left (called with no write in progress, so that
        every frame is copied and the next write restarts the WAL)."""
        self.tail_due = False
        with self._using:
            conn = self._conn
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def before_write(self) -> None:
        if self.tail_due:
            await asyncio.to_thread(self.finish)

    def _run(self) -> None:
        conn = sqlite3.connect(self.database, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=1000")
            self._conn = conn
            while not self._stop:
                self._due.wait()
                self._due.clear()
                if self._stop:
                    break
                # On an error the next nudge tries again; a stuck checkpoint only lets the WAL grow.
                with self._using, contextlib.suppress(sqlite3.Error):
                    if self.checkpoint(conn):
                        self.tail_due = True
                        self._due.clear()  # the commits meanwhile are the tail's
        finally:
            with self._using:
                self._conn = None
                conn.close()

    def stop(self) -> None:
        self._stop = True
        self._due.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=10)


def _sqlite_engine(url: str, *, immediate: bool, pool_size: int, lock: sqlite_lock.LockWait) -> AsyncEngine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=POOL_TIMEOUT,
        module=sqlite_inline.dbapi(),
        # sqlite3 keeps 128 prepared statements a connection by default; db/fast writes a statement's
        # NULLs into its text (up to 1 + NULL_VARIANTS texts each), so keep room for all of them.
        connect_args={"cached_statements": STATEMENT_CACHE},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        wal = str(cursor.fetchone()[0]).lower() == "wal"
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # The writer waits for the write lock on the event loop, not inside sqlite3 (db/sqlite_lock.py):
        # in WAL mode only its BEGIN can meet a busy lock. Elsewhere (no WAL) COMMIT waits for readers.
        timeout = 0 if immediate and wal else int(sqlite_lock.DEADLINE * 1000)
        cursor.execute(f"PRAGMA busy_timeout={timeout}")
        if not immediate:  # each reader's page cache would fill to 2 MB and stay (RSS: docs/operations.md)
            cursor.execute("PRAGMA cache_size=-512")
            cursor.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}")
        if immediate:  # the writer: checkpoints run on the Checkpointer's thread
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            # Once checkpointed, the WAL restarts from its beginning and is cut to 1 MB: so a WAL file
            # past Checkpointer.PAGES pages holds that many new frames, as SQLite's own count would say.
            cursor.execute("PRAGMA journal_size_limit=1048576")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight on sqlite3 when it runs inline (db/sqlite_inline.py): the statement that opens
        # every unit of work need not go through SQLAlchemy's execute machinery.
        inner = getattr(conn.connection.driver_connection, "_conn", None)
        if isinstance(inner, sqlite3.Connection):
            if inner.in_transaction:
                # Database.write()/read() began it on sqlite3 already; SQLAlchemy joins it when a
                # statement falls back to conn.execute (or a savepoint opens), and ends it on COMMIT.
                return
            busy = lock.try_begin(inner, begin)
            if busy is not None:  # in a greenlet (every call of the async adapter is): wait on the loop
                await_(lock.wait(inner, begin, busy))
        else:
            conn.exec_driver_sql(begin)

    return engine


class Database:
    """The process's connection pools; stateless apart from them."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        group_commit: int = GROUP_COMMIT,
        lock_wait: sqlite_lock.LockWait | None = None,
    ) -> None:
        self.url = async_url(url)
        self.sqlite = is_sqlite(self.url)
        self._pg: PgUnits | None = None
        if self.sqlite:
            # One writer connection: writes queue on its unit's lock instead of spinning on the file
            # lock, first come first served (a pool's queue lets a newcomer take a freed connection
            # ahead of requests already waiting, which starves a few of them: seconds at p99).
            # How the writer's BEGIN waits for the write lock (db/sqlite_lock.py; the tests' clock).
            lock = lock_wait if lock_wait is not None else sqlite_lock.LockWait()
            self.writer = _sqlite_engine(self.url, immediate=True, pool_size=1, lock=lock)
            self.reader = _sqlite_engine(self.url, immediate=False, pool_size=pool_size, lock=lock)
            database = make_url(self.url).database
            self._checkpointer: Checkpointer | None = (
                Checkpointer(database) if database and database != ":memory:" else None
            )
            prepare = self._checkpointer.before_write if self._checkpointer is not None else None
            # The write turn among pohub's writers on this file (other processes, other Databases).
            turn = sqlite_turn.for_database(database)
            self._writes: Units | None = Units(
                self.writer,
                begin="BEGIN IMMEDIATE",
                size=1,
                prepare=prepare,
                group=group_commit,
                lock=lock,
                turn=turn,
            )
            self._reads: Units | None = Units(self.reader, begin=None, size=pool_size, timeout=POOL_TIMEOUT)
        else:
            self._checkpointer = None
            self.writer = create_async_engine(
                self.url, pool_size=pool_size, max_overflow=pool_size, pool_timeout=POOL_TIMEOUT
            )
            self.reader = self.writer
            self._writes = self._reads = None
            # Reads and writes share one pool, as they did through the engine; kept connections up
            # to the pool's size, and as many units at once as the pool plus its overflow allow.
            if self.writer.dialect.driver == "asyncpg":
                self._pg = PgUnits(self.writer, size=2 * pool_size, keep=pool_size, timeout=POOL_TIMEOUT)

    def write(self) -> AbstractAsyncContextManager[AsyncConnection]:
        # The units' own context managers where there are units: one generator a unit, not two.
        if self._writes is not None:
            return self._writes.unit(after=self._checkpointer.nudge if self._checkpointer is not None else None)
        if self._pg is not None:
            return self._pg.unit()
        return self.writer.begin()

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        if self._reads is not None:
            return self._reads.unit()
        if self._pg is not None:
            return self._pg.unit(read=True)
        return self._read_through_engine()

    @asynccontextmanager
    async def _read_through_engine(self) -> AsyncIterator[AsyncConnection]:
        async with self.reader.connect() as conn, conn.begin():
            yield conn

    async def dispose(self) -> None:
        for units in (self._writes, self._reads, self._pg):
            if units is not None:
                await units.close()
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.stop)
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
