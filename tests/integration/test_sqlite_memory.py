"""Memory on SQLite: each reader connection's page cache is bounded, so a server's RSS stops
growing once its pool is open (11 connections x SQLite's default 2 MB was +16 % over a bench); the
readers map the file instead (the OS's shared file cache, not private memory)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import text

from pohub.db.engine import READER_MMAP_BYTES, Database
from tests.support import database_url


async def _pragmas(url: str, pragma: str) -> tuple[int, list[int]]:
    db = Database(url, pool_size=3)
    try:
        async with db.write() as conn:
            writer = int((await conn.execute(text(f"PRAGMA {pragma}"))).scalar_one())
        readers = []
        async with db.read() as a, db.read() as b, db.read() as c:  # three pooled connections at once
            for conn in (a, b, c):
                readers.append(int((await conn.execute(text(f"PRAGMA {pragma}"))).scalar_one()))
        return writer, readers
    finally:
        await db.dispose()


def _build_mmap_cap(tmp_path: Path) -> int:
    """What this SQLite build grants a connection that asks for the most (SQLITE_MAX_MMAP_SIZE)."""
    conn = sqlite3.connect(tmp_path / "cap.db")  # a file: an in-memory database maps nothing
    try:
        return int(conn.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}").fetchone()[0])
    finally:
        conn.close()


def test_readers_have_a_bounded_page_cache_and_the_writer_the_default(tmp_path: Path) -> None:
    with database_url("sqlite", tmp_path) as url:
        writer, readers = asyncio.run(_pragmas(url, "cache_size"))
    assert readers == [-512, -512, -512]  # 512 KiB each
    assert writer == -2000  # SQLite's default 2 MB: the one connection that writes keeps its index pages


def test_readers_map_the_file_as_far_as_the_build_allows_and_the_writer_does_not(tmp_path: Path) -> None:
    cap = _build_mmap_cap(tmp_path)
    assert cap > 0  # Debian's 3.40: 2 GiB less 64 KiB
    with database_url("sqlite", tmp_path) as url:
        writer, readers = asyncio.run(_pragmas(url, "mmap_size"))
    assert readers == [cap, cap, cap]
    assert writer == 0


async def _grow_while_reading(url: str) -> list[int]:
    """One reader kept open (its map made while the file was small) while the writer makes the file
    grow past 8 MB, reading after each step: what it counts is what was committed."""
    db = Database(url, pool_size=1)
    seen = []
    try:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
        for step in range(1, 5):
            async with db.write() as conn:
                for i in range(250):
                    await conn.execute(text("INSERT INTO blobs (body) VALUES (:b)"), {"b": f"{step}:{i}:" + "x" * 8000})
            async with db.read() as conn:
                seen.append(
                    int((await conn.execute(text("SELECT count(*) FROM blobs WHERE length(body) > 8000"))).scalar_one())
                )
        return seen
    finally:
        await db.dispose()


def test_a_mapped_reader_sees_every_commit_as_the_file_grows(tmp_path: Path) -> None:
    with database_url("sqlite", tmp_path) as url:
        assert asyncio.run(_grow_while_reading(url)) == [250, 500, 750, 1000]


async def _kept_prepared(url: str, texts: int) -> int:
    """How many prepared statements the writer's sqlite3 connection holds after ``texts`` distinct
    ones (SQLite's sqlite_stmt table lists them)."""
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            inner = (await conn.get_raw_connection()).driver_connection._conn  # db/sqlite_inline's sqlite3
            for i in range(texts):
                inner.execute(f"SELECT {i}").fetchall()
            return int(inner.execute("SELECT count(*) FROM sqlite_stmt").fetchone()[0])
    finally:
        await db.dispose()


def test_each_connection_keeps_more_prepared_statements_than_sqlite3s_default(tmp_path: Path) -> None:
    # db/fast writes a statement's NULLs into its text: up to 1 + NULL_VARIANTS texts a statement.
    with database_url("sqlite", tmp_path) as url:
        assert asyncio.run(_kept_prepared(url, 300)) > 300  # the default, 128, keeps 128
