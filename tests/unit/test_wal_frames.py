"""bench/wal_frames reads a WAL's frame headers right: a transaction's pages, each once, named by
their b-tree; after a checkpoint restarts the WAL, frames of the earlier generation left in the
file are not counted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.wal_frames import Tally, page_owners, wal_frames


def _database(tmp_path: Path) -> tuple[sqlite3.Connection, str]:
    path = str(tmp_path / "w.db")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("CREATE INDEX ix_t ON t (v)")
    conn.execute("CREATE TABLE other (id INTEGER PRIMARY KEY)")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return conn, path


def test_one_transaction_is_its_pages_once_each(tmp_path: Path) -> None:
    conn, path = _database(tmp_path)
    conn.execute("BEGIN")
    for n in range(3):  # three rows on the same leaves: each page still written once
        conn.execute("INSERT INTO t (v) VALUES (?)", (f"v{n}",))
    conn.execute("COMMIT")
    frames = wal_frames(path + "-wal")
    owners = page_owners(conn)
    assert sorted(owners[p][0] for p, _ in frames) == ["ix_t", "t"]
    assert [commit > 0 for _, commit in frames] == [False, True]  # the last frame commits
    tally = Tally()
    tally.add(frames, owners)
    figures = tally.figures(4096)
    assert figures["frames"] == 2 and figures["commits"] == 1 and figures["repeats"] == 0
    assert figures["trees"] == {"ix_t": {"leaf": 1.0}, "t": {"leaf": 1.0}}


def test_frames_of_an_earlier_generation_are_left_out(tmp_path: Path) -> None:
    conn, path = _database(tmp_path)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t (v) VALUES ('a')")
    conn.execute("INSERT INTO other DEFAULT VALUES")
    conn.execute("COMMIT")
    assert len(wal_frames(path + "-wal")) == 3
    conn.execute("PRAGMA wal_checkpoint(RESTART)")  # the file keeps its frames; the next write restarts it
    conn.execute("INSERT INTO other DEFAULT VALUES")
    frames = wal_frames(path + "-wal")
    assert Path(path + "-wal").stat().st_size > 32 + 2 * (24 + 4096)  # the old frames are still there
    assert [page_owners(conn)[p][0] for p, _ in frames] == ["other"]


def test_no_wal_no_frames(tmp_path: Path) -> None:
    assert wal_frames(str(tmp_path / "none.db-wal")) == []
