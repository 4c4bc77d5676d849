"""The WAL restarts after each checkpoint although writes go on while the checkpoint thread copies:
the write after it lets the thread copy what it missed, and that write starts the WAL again."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from pohub.db.engine import Database

# A small threshold (yet past the 1 MB the WAL is cut to at a restart): a checkpoint is soon due.
PAGES = 300


async def _write(db: Database, n: int) -> None:
    async with db.write() as conn:
        await conn.execute(text("INSERT INTO t (body) VALUES (:b)"), {"b": "x" * 4000 * n})


def _until(done: Callable[[], bool], seconds: float = 30.0) -> None:
    """Wait for the checkpoint thread (it needs nothing of the event loop), however slow the machine."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the checkpoint thread did not run"
        time.sleep(0.01)


def _frames(path: Path) -> int:
    """Frames in the WAL now (a checkpoint that copies nothing reports them)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        conn.close()


async def test_the_write_after_a_checkpoint_restarts_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "ck.db"
    db = Database(f"sqlite:///{path}", pool_size=1)
    checkpointer = db._checkpointer
    assert checkpointer is not None
    checkpointer.PAGES = PAGES
    checkpointer._due_bytes = PAGES * 4096
    try:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
        checkpointer._using.acquire()  # hold the thread's checkpoint back until the scene is set
        try:
            for _ in range(PAGES // 4):  # about 5 pages a write: past the threshold
                await _write(db, 4)
            # A writer whose transaction began before the copy ended (as under load, a write that
            # landed while the thread copied): its commit is one the thread's checkpoint missed.
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN")
            other.execute("SELECT count(*) FROM t").fetchone()
        finally:
            checkpointer._using.release()
        _until(lambda: checkpointer.tail_due)  # the thread's checkpoint
        assert checkpointer.runs == 1
        other.execute("INSERT INTO t (body) VALUES ('missed')")
        other.execute("COMMIT")
        other.close()
        assert _frames(path) > PAGES  # it went on after the copied frames: the WAL did not restart
        await _write(db, 1)
        assert checkpointer.tail_due is False  # that write let the thread copy the rest first ...
        assert _frames(path) <= 4  # ... and started the WAL again: it holds that write alone
        await _write(db, 1)
        assert checkpointer.runs == 1  # no checkpoint is due again until PAGES more
    finally:
        await db.dispose()
