"""Memory on SQLite: each reader connection's page cache is bounded, so a server's RSS stops
growing once its pool is open (11 connections x SQLite's default 2 MB was +16 % over a bench)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from pohub.db.engine import Database
from tests.support import database_url


async def _cache_sizes(url: str) -> tuple[int, list[int]]:
    db = Database(url, pool_size=3)
    try:
        async with db.write() as conn:
            writer = int((await conn.execute(text("PRAGMA cache_size"))).scalar_one())
        readers = []
        async with db.read() as a, db.read() as b, db.read() as c:  # three pooled connections at once
            for conn in (a, b, c):
                readers.append(int((await conn.execute(text("PRAGMA cache_size"))).scalar_one()))
        return writer, readers
    finally:
        await db.dispose()


def test_readers_have_a_bounded_page_cache_and_the_writer_the_default(tmp_path: Path) -> None:
    with database_url("sqlite", tmp_path) as url:
        writer, readers = asyncio.run(_cache_sizes(url))
    assert readers == [-512, -512, -512]  # 512 KiB each
    assert writer == -2000  # SQLite's default 2 MB: the one connection that writes keeps its index pages
