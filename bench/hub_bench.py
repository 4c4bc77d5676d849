"""The hub benchmark: pohub and the bare floor (bench/floor.py) side by side in one run, on SQLite and
PostgreSQL, loaded by `wrk` (one thread, 32 keep-alive connections, BENCH_SECONDS each, loopback).

For each database: the floor's one INSERT and empty GET; the probe's PO create and
acknowledgement (bench/probe.py: the core rules in lean Python, raw sqlite3 or asyncpg); then pohub's PO
create, GET one PO, acknowledgement, shipment and invoice (ten-line documents, each write on its own order), and the
Step 1 search with BENCH_SEARCH_ORDERS POs in the database, served by one process and then by
`pohub serve --workers 2` (both databases). Then `pohub serve --workers 2` against `--workers 1`
for PO create and acknowledgements (on PostgreSQL with a separate `pohub worker`).
Each process's RSS is kept when it is ready, after its first run (warm) and at the end.

    python -m bench.hub_bench [--backends sqlite,postgresql] [--seconds 10] [--search-orders 100000]
                              [--search-only] [--no-workers2] [--sqlite-file PATH]

With --sqlite-file the SQLite database is that file, kept after the run (its parties' keys beside it,
in PATH.parties.json): a later run on the same file with as many search POs skips the fill.

Beside each path: the server's CPU per answer (utime + stime of its processes, from /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from bench import documents as docs
from bench import wrk
from bench.processes import stop
from bench.report import Memory, Row, table
from pohub.db.engine import Database
from pohub.db.migrate import upgrade
from pohub.documents import wire
from pohub.partners import service as partners

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
API = "/api/v1"
SEARCH = f"{API}/Orders?Filters.status=150&pageSize=100"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn's workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def connection_split(pid: int, port: int) -> list[int]:
    """How many established connections to ``port`` each server process under ``pid`` holds (its
    server children, or ``pid`` itself), from /proc: the supervisor hands each new connection to the
    child holding the fewest (ops/serving.py), so 32 should split 16/16."""
    established = set()  # socket inodes of the server ends of connections to the port
    for name in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            f = line.split()
            if int(f[1].rsplit(":", 1)[1], 16) == port and f[3] == "01":
                established.add(f[9])
    kids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    # The server processes (multiprocessing's spawn_main), not its resource tracker.
    servers = [k for k in kids if b"spawn_main" in Path(f"/proc/{k}/cmdline").read_bytes()]
    return [len(_socket_inodes(server) & established) for server in servers or [pid]]


def every_child_serving(pid: int, port: int, workers: int, seconds: float = 120) -> None:
    """Wait until each server child takes connections: ``workers`` probe connections held at once
    land one on each child only when all of them serve (the supervisor hands each to the child
    holding the fewest; a child still starting gets none, and wrk's 32 would all go to the others)."""
    deadline = time.monotonic() + seconds
    while True:
        probes = [socket.create_connection(("127.0.0.1", port)) for _ in range(workers)]
        try:
            split: list[int] = []
            for _ in range(100):  # each probe reaches its child
                split = connection_split(pid, port)
                if sum(split) >= workers:
                    break
                time.sleep(0.05)
            if len(split) == workers and all(n == 1 for n in split):
                return
        finally:
            for probe in probes:
                probe.close()
        if time.monotonic() > deadline:
            raise RuntimeError(f"not every server process took connections (split {split})")
        time.sleep(0.5)


@contextlib.contextmanager
def split_midway(pid: int, port: int, seconds: float) -> Iterator[list[int]]:
    """The connection split read once, ``seconds`` / 2 into the block (every connection open)."""
    split: list[int] = []

    def sample() -> None:
        time.sleep(seconds / 2)
        split.extend(connection_split(pid, port))

    probe = threading.Thread(target=sample)
    probe.start()
    try:
        yield split
    finally:
        probe.join()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    url: str
    proc: subprocess.Popen[bytes]
    memory: Memory


@contextlib.contextmanager
def process(label: str, cmd: list[str], env: dict[str, str], ready_path: str | None = "/") -> Iterator[Process]:
    """Start a server (or a worker: ready_path None) and stop it on the way out."""
    port = free_port()
    full_env = {**os.environ, **env, "POHUB_PORT": str(port)}
    args = [*cmd, "--port", str(port)] if ready_path is not None else cmd
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below, after the process)
    proc = subprocess.Popen(args, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while ready_path is not None:
            try:
                httpx.get(url + ready_path, timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"{label} did not start:\n{log.read().decode()[-3000:]}") from None
                time.sleep(0.2)
        if ready_path is None:
            time.sleep(2)
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{label} stopped:\n{log.read().decode()[-3000:]}")
        memory = Memory(label, proc.pid)
        memory.sample("ready")
        yield Process(url, proc, memory)
    finally:
        stop(proc, 20)
        log.close()


@contextlib.contextmanager
def database(backend: str, pg_url: str, sqlite_file: Path | None = None) -> Iterator[str]:
    """A throwaway database: a file in a temporary directory, or a PostgreSQL database created and
    dropped on the server at pg_url; on SQLite ``sqlite_file`` if given, kept."""
    if backend == "sqlite" and sqlite_file is not None:
        yield f"sqlite:///{sqlite_file.resolve()}"
        return
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    import asyncpg

    base = make_url(pg_url)
    name = f"pohub_bench_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(
            host=base.host, port=base.port or 5432, user=base.username, password=base.password, database=base.database
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def plain_pg(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as asyncpg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def setup_parties(database_url: str) -> dict[str, Any]:
    db = Database(database_url, pool_size=1)
    try:
        async with db.write() as conn:
            buyer = await partners.add_company(conn, name="Bench Buyer")
            supplier = await partners.add_company(conn, name="Bench Supplier")
            await partners.connect(conn, buyer_id=buyer.id, supplier_id=supplier.id)
            return {
                "buyer": buyer.id,
                "supplier": supplier.id,
                "buyer_key": await partners.create_key(conn, company_id=buyer.id),
                "supplier_key": await partners.create_key(conn, company_id=supplier.id),
            }
    finally:
        await db.dispose()


def order_keys(database_url: str, *, prefix: str, status: int) -> list[str]:
    """LogicbrokerKeys of this run's POs (PartnerPO prefix) now in the given status, oldest first: the
    orders a write can still be applied to."""
    sql = "SELECT id FROM documents WHERE kind = 'order' AND partner_po LIKE {p} AND status = {s} ORDER BY id"
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(database_url).database or "")
        try:
            return [str(r[0]) for r in conn.execute(sql.format(p="?", s="?"), (f"{prefix}-%", status))]
        finally:
            conn.close()

    async def fetch() -> list[str]:
        import asyncpg

        pg = await asyncpg.connect(plain_pg(database_url))
        try:
            return [str(r[0]) for r in await pg.fetch(sql.format(p="$1", s="$2"), f"{prefix}-%", status)]
        finally:
            await pg.close()

    return asyncio.run(fetch())


@dataclass
class Bench:
    seconds: float
    connections: int
    parties: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    cpu_ms: dict[str, float | None] = field(default_factory=dict)  # server CPU per answer, by path
    wrk_cpu_ms: dict[str, float | None] = field(default_factory=dict)  # the load generator's, by path

    def load(
        self,
        name: str,
        server: Process,
        requests: list[tuple[str, str, bytes]],
        *,
        headers: dict[str, str] | None = None,
        wrap: bool = True,
        floor: wrk.WrkResult | None = None,
        connections: int | None = None,
        threads: int = 1,
    ) -> wrk.WrkResult:
        if not requests:
            raise RuntimeError(f"{name}: nothing to send (no orders in the right status)")
        cpu = cpu_seconds(server.proc.pid)
        result = wrk.run(
            server.url,
            requests,
            seconds=self.seconds,
            connections=connections or self.connections,
            headers=headers,
            wrap=wrap,
            threads=threads,
        )
        if "warm" not in server.memory.samples:
            server.memory.sample("warm")
        cpu = cpu_seconds(server.proc.pid) - cpu
        row = Row(name, result, floor)
        row = Row(name, result, floor, goal_of(row))
        self.rows.append(row)
        answered = sum(result.statuses.values())
        self.cpu_ms[name] = round(1000 * cpu / answered, 3) if answered else None
        self.wrk_cpu_ms[name] = round(1000 * result.client_cpu_s / answered, 3) if answered else None
        print(
            table([row]).splitlines()[-1],
            f" server CPU {self.cpu_ms[name]} ms/request, wrk CPU {self.wrk_cpu_ms[name]} ms/request"
            + (f" ({threads} threads)" if threads > 1 else ""),
            flush=True,
        )
        return result

    def header(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.parties[who + '_key']}"}

    def writes(self) -> int:
        """How many distinct documents to offer a write run: more than it can send in the time."""
        return max(2000, int(self.seconds * 1500))


# Issue 15's goals: (name prefix, lowest ratio to the floor, highest p99 ms, lowest rate/s).
GOALS = [
    ("acknowledgement", 0.5, 25.0, None),
    ("shipment", 0.5, 25.0, None),
    ("invoice", 0.5, 25.0, None),
    ("PO create", 0.4, None, None),
    ("GET one PO", 0.3, None, None),
    ("Step 1 search", None, 10.0, None),  # one connection (matched first below)
    ("Step 1 search", None, 100.0, 500.0),
]


def goal_of(row: Row) -> str:
    """The goal for this row and whether it was met: "ratio>=0.5 p99<=25: no"."""
    one = row.result.connections == 1
    for prefix, least_ratio, most_p99, least_rate in GOALS:
        if not row.name.startswith(prefix) or (prefix == "Step 1 search" and one != (least_rate is None)):
            continue
        parts, met = [], True
        if least_ratio is not None:
            parts.append(f"ratio>={least_ratio:g}")
            met = met and (row.ratio or 0) >= least_ratio
        if least_rate is not None:
            parts.append(f">={least_rate:g}/s")
            met = met and row.result.rate >= least_rate
        if most_p99 is not None:
            parts.append(f"p99<={most_p99:g}")
            met = met and row.result.p99_ms <= most_p99
        return " ".join(parts) + (": met" if met else ": not met")
    return ""


def hub_env(url: str, *, workers_elsewhere: bool) -> dict[str, str]:
    env = {"POHUB_DATABASE_URL": url, "POHUB_LOG_LEVEL": "warning", "POHUB_RATE_LIMITS": "off"}
    if workers_elsewhere:
        env["POHUB_EMBEDDED_WORKER"] = "false"  # a separate `pohub worker` does the background work
    return env


def hub_cmd(workers: int) -> list[str]:
    return [sys.executable, "-m", "pohub.cli.main", "serve", "--workers", str(workers)]


def the_writes(bench: Bench, hub: Process, url: str, prefix: str, floor: wrk.WrkResult, suffix: str = "") -> None:
    """PO create, GET one PO, then acknowledgement, shipment and invoice of the POs just created."""
    p = bench.parties
    orders = [
        ("POST", f"{API}/Orders", docs.order(i, prefix=prefix, buyer=p["buyer"], supplier=p["supplier"]))
        for i in range(bench.writes())
    ]
    bench.load(f"PO create{suffix}", hub, orders, headers=bench.header("buyer"), wrap=False, floor=floor)
    keys = order_keys(url, prefix=prefix, status=150)
    acks = [("POST", f"{API}/Acknowledgements", docs.acknowledgement(i, k)) for i, k in enumerate(keys)]
    bench.load(f"acknowledgement{suffix}", hub, acks, headers=bench.header("supplier"), wrap=False, floor=floor)


def kept_parties(sqlite_file: Path | None, search_orders: int) -> dict[str, Any] | None:
    """The parties (and their keys, stored hashed in the database) of a kept file already filled with
    ``search_orders`` POs; None when it must be filled."""
    sidecar = Path(f"{sqlite_file}.parties.json") if sqlite_file else None
    if sidecar is None or not sidecar.exists():
        return None
    saved = json.loads(sidecar.read_text())
    return dict(saved["parties"]) if saved.get("search_orders") == search_orders else None


# The probe's keys (bench/probe.py): its buyer is company 1, its supplier company 2.
PROBE_KEYS = {"probe-buyer": 1, "probe-supplier": 2}


def the_probe(bench: Bench, database: str, floor: wrk.WrkResult) -> None:
    """PO create and acknowledgements on the probe (bench/probe.py: the core of pohub's rules in lean
    Python on raw sqlite3), against the same floor: how far the rules alone sit from the floor."""
    env = {"PROBE_DATABASE": database, "PROBE_KEYS": ",".join(f"{k}:{v}" for k, v in PROBE_KEYS.items())}
    cmd = [sys.executable, "-m", "uvicorn", "bench.probe:create_app", "--factory", "--log-level", "warning"]
    with process("probe", cmd, env, "/probe/empty") as probe:
        orders = [
            ("POST", "/probe/orders", docs.order(i, prefix="PR", buyer=1, supplier=2)) for i in range(bench.writes())
        ]
        made = bench.load(
            "probe: PO create", probe, orders, headers={"Authorization": "Bearer probe-buyer"}, wrap=False, floor=floor
        )
        # The orders' keys are their row ids, 1 up, in the order they were sent.
        acks = [("POST", "/probe/acks", docs.acknowledgement(i, str(i + 1))) for i in range(made.statuses.get(201, 0))]
        bench.load(
            "probe: acknowledgement",
            probe,
            acks,
            headers={"Authorization": "Bearer probe-supplier"},
            wrap=False,
            floor=floor,
        )


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kept = args.sqlite_file if backend == "sqlite" else None
    with database(backend, args.pg_url, kept) as url:
        upgrade(url)
        reused = kept_parties(kept, args.search_orders)
        if kept is not None and reused is None and kept.exists() and kept.stat().st_size > 2_000_000:
            raise RuntimeError(f"{kept} holds data but no {kept}.parties.json for {args.search_orders:,} POs")
        parties = reused or asyncio.run(setup_parties(url))
        bench = Bench(args.seconds, args.connections, parties)
        pg = backend == "postgresql"
        memories: list[Memory] = []
        fill_seconds = None
        with tempfile.TemporaryDirectory() as tmp:
            if not args.search_only:
                floor_db = plain_pg(url) if pg else str(Path(tmp) / "floor.db")
                floor_cmd = [sys.executable, "-m", "uvicorn", "bench.floor:create_app", "--factory", "--log-level"]
                with contextlib.ExitStack() as stack:
                    floor = stack.enter_context(
                        process("floor", [*floor_cmd, "warning"], {"FLOOR_DATABASE": floor_db}, "/floor/empty")
                    )
                    worker = None
                    if pg:
                        worker = stack.enter_context(
                            process(
                                "pohub worker",
                                [sys.executable, "-m", "pohub.cli.main", "worker"],
                                hub_env(url, workers_elsewhere=True),
                                None,
                            )
                        )
                    hub = stack.enter_context(
                        process("pohub serve --workers 1", hub_cmd(1), hub_env(url, workers_elsewhere=pg), "/")
                    )
                    # The floor gets the same acknowledgement bodies; its INSERT does not care that they repeat.
                    floor_body = [("POST", "/floor", docs.acknowledgement(i, str(i + 1))) for i in range(1000)]
                    insert = bench.load("floor: one INSERT of the ack JSON", floor, floor_body)
                    empty = bench.load("floor: empty GET", floor, [("GET", "/floor/empty", b"")])
                    the_probe(bench, floor_db if pg else str(Path(tmp) / "probe.db"), insert)
                    prefix = f"B{backend[0].upper()}"
                    the_writes(bench, hub, url, prefix, insert)
                    # GET one PO on the acknowledged ones, so the answer has its acknowledged quantities.
                    shipped = order_keys(url, prefix=prefix, status=500)
                    gets = [
                        ("GET", f"{API}/Orders/{k}", b"") for k in shipped or order_keys(url, prefix=prefix, status=150)
                    ]
                    bench.load("GET one PO", hub, gets, headers=bench.header("supplier"), floor=empty)
                    ships = [("POST", f"{API}/Shipment/{k}", docs.shipment(i)) for i, k in enumerate(shipped)]
                    bench.load("shipment", hub, ships, headers=bench.header("supplier"), wrap=False, floor=insert)
                    invoiceable = order_keys(url, prefix=prefix, status=600)
                    invoices = [("POST", f"{API}/Invoice/{k}", docs.invoice(i)) for i, k in enumerate(invoiceable)]
                    bench.load("invoice", hub, invoices, headers=bench.header("supplier"), wrap=False, floor=insert)
                    hub.memory.sample("end")
                    memories.append(hub.memory)
                    if worker is not None:
                        worker.memory.sample("warm")
                    # Several server processes: on SQLite they take the one write lock in turn (db/sqlite_turn.py).
                    if args.workers2:
                        hub.proc.terminate()  # one server at a time on the two cores
                        hub.proc.wait(timeout=20)
                        with process(
                            "pohub serve --workers 2", hub_cmd(2), hub_env(url, workers_elsewhere=pg), "/"
                        ) as hub2:
                            time.sleep(2)  # both worker processes listening before the load starts
                            hub2.memory.sample("ready")
                            the_writes(bench, hub2, url, "W2", insert, suffix=" (--workers 2)")
                            hub2.memory.sample("end")
                            memories.append(hub2.memory)
                    floor.memory.sample("end")
                    memories.append(floor.memory)
                    if worker is not None:
                        worker.memory.sample("end")
                        memories.append(worker.memory)
            if args.search_orders:
                if reused is not None:
                    print(f"{kept} already holds {args.search_orders:,} POs: no fill", flush=True)
                else:
                    print(f"filling {args.search_orders:,} ten-line POs for the search ...", flush=True)
                    fill_seconds = round(asyncio.run(fill(url, parties, args.search_orders)), 1)
                    print(f"filled in {fill_seconds:.0f} s", flush=True)
                if kept is not None and reused is None:
                    sidecar = Path(f"{kept}.parties.json")
                    sidecar.write_text(json.dumps({"search_orders": args.search_orders, "parties": parties}))
                pages = [("GET", f"{SEARCH}&page={n}", b"") for n in range(1, 21)]
                name = f"Step 1 search ({args.search_orders:,} POs)"
                # One process, then (same database, same wrk runs) two: each its own event loop, handed
                # its connections by the supervisor; the server CPU is summed over it and its children.
                for workers, suffix in ((1, ""), *([(2, " (--workers 2)")] if args.workers2 else [])):
                    label = f"pohub serve --workers {workers} (search)"
                    env = hub_env(url, workers_elsewhere=pg)
                    with process(label, hub_cmd(workers), env, "/") as hub:
                        port = int(hub.url.rsplit(":", 1)[1])
                        if workers > 1:
                            every_child_serving(hub.proc.pid, port, workers)
                            time.sleep(2)  # the probes' "closed" reach the supervisor before wrk connects
                            hub.memory.sample("ready")
                        with split_midway(hub.proc.pid, port, bench.seconds) as split:
                            bench.load(
                                f"{name}{suffix}",
                                hub,
                                pages,
                                headers=bench.header("supplier"),
                                threads=args.search_wrk_threads,
                            )
                        if workers > 1:
                            # The busier process sets the p99: an uneven split raises it (read-path.md, stop 22).
                            print(f"connections per process: {split}", flush=True)
                            out.setdefault("search_connection_split", {})[f"{name}{suffix}"] = split
                        bench.load(
                            f"{name}{suffix}, 1 connection",
                            hub,
                            pages,
                            headers=bench.header("supplier"),
                            connections=1,
                        )
                        hub.memory.sample("end")
                        memories.append(hub.memory)
        out["rows"] = [r.as_dict() for r in bench.rows]
        out["rows_table"] = table(bench.rows)
        out["memory"] = [m.as_dict() for m in memories]
        out["search_orders"] = args.search_orders
        out["fill_seconds"] = fill_seconds
        out["server_cpu_ms_per_request"] = bench.cpu_ms
        out["wrk_cpu_ms_per_request"] = bench.wrk_cpu_ms
        out["search_wrk_threads"] = args.search_wrk_threads
        print(
            f"\n== {backend}: rate counts 2xx only; ratio = rate / the floor's "
            "(writes: one INSERT, GET one PO: empty GET)"
        )
        print(out["rows_table"])
        for m in memories:
            print(m.line())
        ratios = {r.name: r.ratio for r in bench.rows}
        w1, w2 = ratios.get("acknowledgement"), ratios.get("acknowledgement (--workers 2)")
        if w1 and w2:
            one = next(r.result.rate for r in bench.rows if r.name == "acknowledgement")
            two = next(r.result.rate for r in bench.rows if r.name == "acknowledgement (--workers 2)")
            out["ack_workers_2_over_1"] = round(two / one, 3) if one else None
            print(f"acknowledgements, --workers 2 / --workers 1: {two:.0f}/s / {one:.0f}/s = {two / one:.2f}")
    return out


# --- many POs for the Step 1 search ---------------------------------------------------------------

_DOC_COLS = (
    "id",
    "kind",
    "sender_company_id",
    "receiver_company_id",
    "partner_po",
    "number",
    "status",
    "document_date",
    "created_at",
    "updated_at",
    "body_hash",
    "raw",
    "wire",
)
# The ten lines of every filler PO: order_lines rows less order_id, copied beside each batch of
# orders by one INSERT ... SELECT (ten million rows bound one by one from Python took minutes).
_LINE_COLS = (
    "position",
    "line_number",
    "line_key",
    "supplier_sku",
    "partner_sku",
    "description",
    "uom",
    "price",
    "quantity",
    "qty_accepted",
    "qty_backordered",
    "qty_cancelled",
    "qty_shipped",
    "qty_invoiced",
)
# As long as every filler PartnerPO (M- and an eight-digit id): a template records where its slots
# are, so text put in place of this one must not move them.
_PO_SLOT = "M-PO-SLOT!"


def _line_rows() -> list[tuple[Any, ...]]:
    return [
        (n - 1, f"{n:02d}", str(n), sku, psku, desc, "EA", f"{p:.2f}", q, 0, 0, 0, 0, 0)
        for n, (sku, psku, p, q, desc) in enumerate(docs.LINES, start=1)
    ]


def _templates(raw: str, now: datetime, buyer: int, receivers: list[int]) -> dict[int, tuple[str, str]]:
    """Each receiver's template with its PartnerPO as a slot: (text before it, text after it). The
    filler POs differ only in id, status, receiver and PartnerPO, so 51 renderings serve a million
    (wire.template takes about 2 ms an order); ``_check`` compares some with a rendering of their own."""
    out = {}
    for receiver in receivers:
        values = {
            "kind": "order",
            "raw": raw,
            "document_date": now,
            "sender_company_id": buyer,
            "receiver_company_id": receiver,
            "partner_po": _PO_SLOT,
            "details": None,
        }
        text = wire.template(values)
        if text is None or text.count(f'"{_PO_SLOT}"') != 1:
            raise RuntimeError("the filler PO's template has no single PartnerPO to fill")
        before, _, after = text.partition(f'"{_PO_SLOT}"')
        out[receiver] = (before, after)
    return out


def _check(row: tuple[Any, ...]) -> None:
    """A filler row's template is what wire.template renders for it."""
    values = dict(zip(_DOC_COLS, row, strict=True))
    if wire.template({**values, "details": None}) != values["wire"]:
        raise RuntimeError(f"filler PO {values['id']}: its template differs from a fresh rendering")


def _rows(
    start_id: int, count: int, parties: dict[str, Any], others: list[int], raw: str, now: datetime, templates: Any
) -> Iterator[tuple[Any, ...]]:
    """POs spread over many buyer->supplier pairs; a tenth go to the bench supplier, a fifth of those
    are in 150 (so 100,000 POs give 2,000 in the supplier's Step 1 search)."""
    for j in range(count):
        doc_id = start_id + j
        mine = j % 10 == 0
        receiver = parties["supplier"] if mine else others[j % len(others)]
        status = 150 if (mine and j % 50 == 0) or (not mine and j % 7 == 0) else (500 if j % 3 else 1000)
        po = f"M-{doc_id}"
        assert len(po) == len(_PO_SLOT)
        before, after = templates[receiver]
        yield (
            doc_id,
            "order",
            parties["buyer"],
            receiver,
            po,
            po,
            status,
            now,
            now,
            now,
            "h",
            raw,
            f'{before}"{po}"{after}',
        )


async def fill(database_url: str, parties: dict[str, Any], total: int) -> float:
    """Insert ``total`` ten-line POs straight into the tables, each with the answer template pohub
    would have rendered when storing it (an API fill would take the whole bench's time); returns
    seconds taken. The columns left out take their defaults."""
    db = Database(database_url, pool_size=1)
    others: list[int] = []
    async with db.write() as conn:
        for k in range(50):
            other = await partners.add_company(conn, name=f"Filler supplier {k}")
            await partners.connect(conn, buyer_id=parties["buyer"], supplier_id=other.id)
            others.append(other.id)
    await db.dispose()
    raw = docs.order(0, prefix="M", buyer=parties["buyer"], supplier=parties["supplier"]).decode()
    started = time.perf_counter()
    # As the database gives it back: whole microseconds, in UTC.
    now = datetime.now(UTC)
    templates = _templates(raw, now, parties["buyer"], [parties["supplier"], *others])
    start_id = 10_000_000
    batch = 20_000
    line_cols = ",".join(_LINE_COLS)
    copy_lines = (
        f"INSERT INTO order_lines (order_id,{line_cols}) SELECT d.id,{','.join('t.' + c for c in _LINE_COLS)} "
        "FROM documents d CROSS JOIN bench_lines t WHERE d.id BETWEEN {lo} AND {hi} ORDER BY d.id, t.position"
    )
    if database_url.startswith("sqlite"):
        lite = sqlite3.connect(make_url(database_url).database or "")
        # No journal while loading (each page written once, not to the WAL and then again); pohub
        # sets WAL on every connection it opens, and the file is left in WAL mode below.
        lite.execute("PRAGMA journal_mode=OFF")
        lite.execute("PRAGMA synchronous=OFF")
        lite.execute("PRAGMA cache_size=-200000")
        lite.execute(f"CREATE TEMP TABLE bench_lines ({line_cols})")
        lite.executemany(f"INSERT INTO bench_lines VALUES ({','.join('?' * len(_LINE_COLS))})", _line_rows())
        for offset in range(0, total, batch):
            rows = list(_rows(start_id + offset, min(batch, total - offset), parties, others, raw, now, templates))
            if offset == 0:
                for r in rows[:60]:
                    _check(r)
            lite.executemany(
                f"INSERT INTO documents ({','.join(_DOC_COLS)}) VALUES ({','.join('?' * len(_DOC_COLS))})",
                [(*r[:7], r[7].isoformat(), r[8].isoformat(), r[9].isoformat(), *r[10:]) for r in rows],
            )
            lite.execute(copy_lines.format(lo=rows[0][0], hi=rows[-1][0]))
            lite.commit()
        lite.execute("PRAGMA analysis_limit=2000")
        lite.execute("ANALYZE")
        lite.commit()
        lite.execute("PRAGMA journal_mode=WAL")
        lite.close()
    else:
        from decimal import Decimal

        import asyncpg

        pg = await asyncpg.connect(plain_pg(database_url))
        try:
            await pg.execute(
                "CREATE TEMP TABLE bench_lines (position int, line_number text, line_key text, supplier_sku text, "
                "partner_sku text, description text, uom text, price numeric, quantity int, qty_accepted int, "
                "qty_backordered int, qty_cancelled int, qty_shipped int, qty_invoiced int)"
            )
            await pg.copy_records_to_table(
                "bench_lines", records=[(*r[:7], Decimal(r[7]), *r[8:]) for r in _line_rows()]
            )
            for offset in range(0, total, batch):
                rows = list(_rows(start_id + offset, min(batch, total - offset), parties, others, raw, now, templates))
                if offset == 0:
                    for r in rows[:60]:
                        _check(r)
                await pg.copy_records_to_table("documents", records=rows, columns=list(_DOC_COLS))
                await pg.execute(copy_lines.format(lo=rows[0][0], hi=rows[-1][0]))
            await pg.execute(
                "SELECT setval(pg_get_serial_sequence('documents', 'id'), (SELECT max(id) FROM documents))"
            )
            # What autovacuum does to a table after a bulk load: without it index-only scans visit the heap.
            await pg.execute("VACUUM ANALYZE documents")
            await pg.execute("VACUUM ANALYZE order_lines")
        finally:
            await pg.close()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="bench hub", description=__doc__)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "10")))
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--search-orders",
        type=int,
        default=int(os.environ.get("BENCH_SEARCH_ORDERS", "100000")),
        help="POs in the database for the Step 1 search (the goal is stated for 1,000,000; 0 skips it)",
    )
    parser.add_argument("--backends", default=os.environ.get("BENCH_BACKENDS", "sqlite,postgresql"))
    parser.add_argument("--pg-url", default=os.environ.get("POHUB_BENCH_DATABASE_URL", PG_DEFAULT))
    parser.add_argument("--no-workers2", dest="workers2", action="store_false", help="skip serve --workers 2")
    parser.add_argument(
        "--search-wrk-threads",
        type=int,
        default=int(os.environ.get("BENCH_SEARCH_WRK_THREADS", "1")),
        help="wrk threads for the 32-connection search runs (one thread reading ~440 KB answers can be"
        " the limit: compare its CPU per page with the server's)",
    )
    parser.add_argument("--search-only", action="store_true", help="only the Step 1 search (no floor, no writes)")
    parser.add_argument(
        "--sqlite-file",
        type=Path,
        help="SQLite database file to use and keep (a second run with as many search POs skips the fill)",
    )
    args = parser.parse_args(argv)
    wrk.executable()  # fail now, not after the set-up, when wrk is missing
    report: dict[str, Any] = {
        "seconds": args.seconds,
        "connections": args.connections,
        "load": "wrk -t1, keep-alive, loopback",
        "body_bytes": docs.sizes(),
    }
    for backend in args.backends.split(","):
        print(
            f"\n== hub on {backend}: wrk, 1 thread, {args.connections} connections, {args.seconds:g} s a run",
            flush=True,
        )
        report[backend] = run_backend(backend, args)
    return report


if __name__ == "__main__":
    main()
