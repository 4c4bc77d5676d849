"""Which database pages one document writes on SQLite (issue 15, stop 23): the WAL frames of each
document, by the b-tree (table or index) the page belongs to.

A fresh SQLite database, the parties of ``bench.write_cost`` and one webhook subscription of the
buyer's to every topic; a warm-up of ``--warm`` POs through ``exchanges.inbound.receive`` (the
pipeline every document takes), of which three quarters are acknowledged, half shipped and a quarter
invoiced, so that every table and index holds a realistic amount of rows. Then ``--count`` documents
of each kind (PO create, acknowledgement, shipment, invoice), one at a time: before each, the WAL is
checkpointed with TRUNCATE (from a connection of this tool's own; the pipeline's are idle then),
so that the WAL afterwards holds that document's frames alone. The WAL's frame headers give the page
numbers (sqlite.org/fileformat2.html#walformat: a 32-byte header, then per frame a 24-byte header
and the page; a frame is the current transaction's while its salts match the header's), and SQLite's
``dbstat`` virtual table (read after the document, so pages it added are known) gives each page's
b-tree and type (internal, leaf, overflow); a page dbstat does not list is on the freelist.

Prints, per kind, frames (and KB of WAL) per document, then each b-tree's pages per document split
by page type, and the COMMIT's wall time (p50; right after a TRUNCATE the WAL file is extended
page by page: a direction only). ``--run N`` also writes N documents of each kind in a row after one
checkpoint and prints frames against distinct pages (what a checkpoint copies back: a hot page
written by many commits is copied once) and the COMMIT p50 of a WAL that grows as it does between
checkpoints. ``--page-size N`` makes the file with pages of N bytes; ``--keep FILE`` copies the
database there at the end; ``--json FILE`` writes the figures. Page counts do not move with the
machine's load; they depend on the data (sizes of rows, how full the last leaves are), so compare
trees with the same ``--warm``. pohub's own checkpoint thread is kept from running meanwhile.

    .venv/bin/python -m bench.wal_frames --warm 3000 --count 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import statistics
import struct
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import documents as docs
from bench.hub_bench import order_keys, setup_parties
from bench.write_cost import message, subscribe
from pohub.db import sqlite_units
from pohub.db.engine import Checkpointer, Database
from pohub.db.migrate import upgrade
from pohub.exchanges import inbound

WAL_HEADER = 32
FRAME_HEADER = 24
KINDS = ("order", "acknowledgement", "shipment", "invoice")


def wal_frames(path: str) -> list[tuple[int, int]]:
    """(page number, database size after commit or 0) of each valid frame of the WAL, in order."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    if len(data) < WAL_HEADER:
        return []
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    frames: list[tuple[int, int]] = []
    at = WAL_HEADER
    while at + FRAME_HEADER + page_size <= len(data):
        pgno, commit = struct.unpack(">II", data[at : at + 8])
        if data[at + 8 : at + 16] != salts:
            break  # a frame of an earlier generation of the WAL
        frames.append((pgno, commit))
        at += FRAME_HEADER + page_size
    return frames


def page_owners(conn: sqlite3.Connection) -> dict[int, tuple[str, str]]:
    """Page number -> (b-tree name, page type) for every page in use."""
    return {int(p): (str(n), str(t)) for n, p, t in conn.execute("SELECT name, pageno, pagetype FROM dbstat")}


class Tally:
    """Frames of the documents of one kind, by (b-tree, page type)."""

    def __init__(self) -> None:
        self.documents = 0
        self.frames = 0
        self.commits = 0
        self.repeats = 0  # frames of a page the same document had already written
        self.by: Counter[tuple[str, str]] = Counter()
        self.commit_us: list[float] = []

    def add(self, frames: list[tuple[int, int]], owners: dict[int, tuple[str, str]]) -> None:
        self.documents += 1
        self.frames += len(frames)
        self.commits += sum(1 for _, commit in frames if commit)
        self.repeats += len(frames) - len({p for p, _ in frames})
        for pgno, _ in frames:
            self.by[owners.get(pgno, ("(freelist)", "free"))] += 1

    def figures(self, page_size: int) -> dict[str, Any]:
        n = max(self.documents, 1)
        trees: dict[str, dict[str, float]] = defaultdict(dict)
        for (name, kind), count in self.by.items():
            trees[name][kind] = round(count / n, 2)
        return {
            "documents": self.documents,
            "frames": round(self.frames / n, 2),
            "wal_kb": round(self.frames * (page_size + FRAME_HEADER) / n / 1024, 1),
            "commits": round(self.commits / n, 2),
            "repeats": round(self.repeats / n, 2),
            "commit_us_p50": round(statistics.median(self.commit_us), 1) if self.commit_us else None,
            "trees": dict(sorted(trees.items(), key=lambda t: -sum(t[1].values()))),
        }


COMMITS: list[float] = []


def _timed(execute: Callable[[sqlite3.Connection, str], None]) -> Callable[[sqlite3.Connection, str], None]:
    """sqlite_units.execute, timing each COMMIT (wall time: a direction, it moves with the load)."""

    def run(raw: sqlite3.Connection, sql: str) -> None:
        if sql != "COMMIT":
            return execute(raw, sql)
        started = time.perf_counter()
        try:
            return execute(raw, sql)
        finally:
            COMMITS.append((time.perf_counter() - started) * 1e6)

    return run


def checkpoint(conn: sqlite3.Connection) -> None:
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise RuntimeError("the TRUNCATE checkpoint was blocked: a transaction is open")


def documents_of(url: str, p: dict[str, Any], kind: str, prefix: str, n: int) -> list[inbound.Message]:
    """The next ``n`` documents of a kind for this prefix's orders (each answers the order in full,
    so an order takes one document of each supplier kind, in order)."""
    if kind == "order":
        return [
            message("order", p["buyer"], docs.order(i, prefix=prefix, buyer=p["buyer"], supplier=p["supplier"]))
            for i in range(n)
        ]
    status = {"acknowledgement": 150, "shipment": 500, "invoice": 600}[kind]
    keys = order_keys(url, prefix=prefix, status=status)[:n]
    if kind == "acknowledgement":
        return [message(kind, p["supplier"], docs.acknowledgement(i, k)) for i, k in enumerate(keys)]
    make: Callable[[int], bytes] = docs.shipment if kind == "shipment" else docs.invoice
    return [message(kind, p["supplier"], make(i), k) for i, k in enumerate(keys)]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--warm", type=int, default=3000, help="POs through the pipeline first")
    parser.add_argument("--count", type=int, default=20, help="documents of each kind measured one by one")
    parser.add_argument("--run", type=int, default=0, help="then this many of each kind in a row")
    parser.add_argument("--page-size", type=int, default=0, help="make the database file with this page size")
    parser.add_argument("--keep", default=None, help="copy the database here at the end")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.db")
        url = f"sqlite+aiosqlite:///{path}"
        if args.page_size:
            make = sqlite3.connect(path)
            make.execute(f"PRAGMA page_size={int(args.page_size)}")
            make.executescript("CREATE TABLE sized (x); DROP TABLE sized;")  # the size is fixed by the first page
            make.close()
        upgrade(url)
        p = asyncio.run(setup_parties(url))
        loop = asyncio.new_event_loop()
        # No checkpoint of pohub's own while this tool counts: its WAL would start again midway.
        Checkpointer.PAGES = 1 << 30
        sqlite_units.execute = _timed(sqlite_units.execute)  # type: ignore[assignment]
        db = Database(url)
        lite = sqlite3.connect(path, isolation_level=None)
        lite.execute("PRAGMA busy_timeout=5000")
        page_size = int(lite.execute("PRAGMA page_size").fetchone()[0])

        async def send(msgs: list[inbound.Message]) -> None:
            for msg in msgs:
                assert not (await inbound.receive(db, msg)).duplicate

        loop.run_until_complete(subscribe(db, p["buyer"]))
        shares = {"order": 1.0, "acknowledgement": 0.75, "shipment": 0.5, "invoice": 0.25}
        for kind in KINDS:
            loop.run_until_complete(send(documents_of(url, p, kind, "W", int(args.warm * shares[kind]))))
        checkpoint(lite)
        result: dict[str, Any] = {"warm": args.warm, "page_size": page_size, "kinds": {}}
        for kind in KINDS:
            tally = Tally()
            for msg in documents_of(url, p, kind, "M", args.count):
                checkpoint(lite)
                COMMITS.clear()
                loop.run_until_complete(send([msg]))
                tally.commit_us.extend(COMMITS)
                tally.add(wal_frames(path + "-wal"), page_owners(lite))
            result["kinds"][kind] = tally.figures(page_size)
        if args.run:
            result["run"] = {}
            for kind in KINDS:
                msgs = documents_of(url, p, kind, "R", args.run)
                checkpoint(lite)
                COMMITS.clear()
                loop.run_until_complete(send(msgs))
                frames = wal_frames(path + "-wal")
                result["run"][kind] = {
                    "documents": len(msgs),
                    "frames": round(len(frames) / len(msgs), 2),
                    "distinct_pages": round(len({pg for pg, _ in frames}) / len(msgs), 2),
                    "commit_us_p50": round(statistics.median(COMMITS), 1),
                }
        result["file_pages"] = int(lite.execute("PRAGMA page_count").fetchone()[0])
        if args.keep:
            checkpoint(lite)
            shutil.copyfile(path, args.keep)
        lite.close()
        loop.run_until_complete(db.dispose())
        loop.close()
    report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return result


def report(result: dict[str, Any]) -> None:
    print(f"warm-up {result['warm']} POs; page size {result['page_size']}; file {result['file_pages']} pages")
    for kind, f in result["kinds"].items():
        print(
            f"\n{kind}: {f['frames']} frames ({f['wal_kb']} KB of WAL) a document, {f['commits']} commits, "
            f"{f['repeats']} pages written twice, COMMIT p50 {f['commit_us_p50']} us ({f['documents']} documents)"
        )
        for name, types in f["trees"].items():
            split = ", ".join(f"{t} {v:g}" for t, v in sorted(types.items()))
            print(f"  {sum(types.values()):5.2f}  {name}  ({split})")
    print()
    for kind, r in result.get("run", {}).items():
        print(
            f"in a row, {kind}: {r['frames']} frames, {r['distinct_pages']} distinct pages a document, "
            f"COMMIT p50 {r['commit_us_p50']} us"
        )


if __name__ == "__main__":
    main()
