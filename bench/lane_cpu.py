"""Server CPU per request for the fast lane's hot routes (issue 15): PO create, acknowledgement, GET
one PO and the Step 1 search, on SQLite or PostgreSQL, each a fixed list sent by `wrk` (32
connections).

The figure is the server process's utime + stime (/proc/<pid>/stat) over a run divided by the
answers it gave: steadier than a request rate on a shared machine. On PostgreSQL the CPU of the
database's server backends serving the bench database (pids from pg_stat_activity, CPU from /proc)
is reported beside it, and with ``--statements LOG`` the statements per request, counted in the
server's log (log_statement = all on the bench database only; the log must be readable here).
``--src`` runs the server from another checkout's ``src`` (the before figure: main), with this
checkout's bench and venv.

    python -m bench.lane_cpu [--orders 800] [--seconds 5] [--src /path/to/main/src]
                             [--backend postgresql [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]]
                             [--profile out.txt --profile-run "Step 1 search"]
    python -m bench.lane_cpu --instructions 100 [--search-orders 10000] [--backend postgresql]

``--instructions N`` runs the read path in this process for callgrind (no server, no wrk): after a
warm-up, five batches of N, each inside ``operator.call`` (a C function nothing else on the path
calls), in this order: Step 1 search pages through the app (pages 1 and 2 in turn), the same pages
as bare ``db.read()`` + ``pages.page_parts``, GET one PO through the app, bare ``db.read()`` +
``pages.order_json``, and bare empty ``db.read()`` units. Count them with

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=_operator_call \\
        --dump-after=_operator_call --callgrind-out-file=/tmp/cg.%p.out \\
        .venv/bin/python -m bench.lane_cpu --instructions 100

and divide each dump's total (``callgrind_annotate`` "PROG TOTALS") by N.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import operator
import os
import signal
import subprocess
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, NamedTuple

from bench import documents as docs
from bench import wrk
from bench.hub_bench import (
    API,
    PG_DEFAULT,
    SEARCH,
    database,
    fill,
    hub_cmd,
    hub_env,
    order_keys,
    plain_pg,
    process,
    setup_parties,
)
from pohub.db.migrate import upgrade

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


class Backends:
    """CPU of the PostgreSQL backends serving one database (the server runs on this machine):
    pids from pg_stat_activity, utime + stime from /proc. A backend that exits during a run loses
    its share (pohub keeps its pool's connections open, so few do)."""

    def __init__(self, url: str) -> None:
        self.url = plain_pg(url)
        self.database = url.rsplit("/", 1)[1]

    def _pids(self) -> list[int]:
        import asyncpg

        async def fetch() -> list[int]:
            pg = await asyncpg.connect(self.url)
            try:
                rows = await pg.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", self.database
                )
                return [int(r[0]) for r in rows]
            finally:
                await pg.close()

        return asyncio.run(fetch())

    def cpu(self) -> dict[int, float]:
        out = {}
        for pid in self._pids():
            with contextlib.suppress(OSError):  # gone since the query
                out[pid] = cpu_seconds(pid)
        return out

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())

    def log_statements(self) -> None:
        """Have PostgreSQL log every statement run on this database (sessions opened from now on):
        one line per simple query or extended-protocol execute, i.e. per round trip but for the
        Parse of a statement not yet in the connection's cache."""
        import asyncpg

        async def alter() -> None:
            pg = await asyncpg.connect(self.url)
            try:
                await pg.execute(f"ALTER DATABASE \"{self.database}\" SET log_statement = 'all'")
            finally:
                await pg.close()

        asyncio.run(alter())

    def statements(self, log: Path, offset: int) -> tuple[dict[str, int], int]:
        """Statements this database logged past offset in the server's log (by text), and the new offset."""
        with log.open("rb") as f:
            f.seek(offset)
            text = f.read()
        marker = f"@{self.database} LOG:  "
        out: dict[str, int] = {}
        for line in text.decode(errors="replace").splitlines():
            _, found, rest = line.partition(marker)
            if not found or not rest.startswith(("statement: ", "execute ")):
                continue
            query = rest.split(": ", 1)[1] if rest.startswith("statement") else rest.split(": ", 1)[-1]
            out[query] = out.get(query, 0) + 1
        return out, offset + len(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=3000, help="more than a run can send")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--search-orders", type=int, default=2000)
    parser.add_argument("--profile", default=None, help="py-spy raw profile of one run (--profile-run) to this file")
    parser.add_argument("--profile-run", default="acknowledgement", help="the run --profile records")
    parser.add_argument("--src", default=None, help="serve from this src directory (PYTHONPATH)")
    parser.add_argument("--in-process", type=int, default=0, help="N: the app driven in this process instead")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("POHUB_BENCH_DATABASE_URL", PG_DEFAULT))
    parser.add_argument(
        "--statements",
        default=None,
        metavar="LOG",
        help="PostgreSQL: count statements per request from this server log (log_statement on the bench database)",
    )
    parser.add_argument("--only", default=None, help="comma-separated run names (e.g. 'PO create,GET one PO')")
    parser.add_argument("--units", type=int, default=0, help="N: CPU per bare unit of work, in this process")
    parser.add_argument("--instructions", type=int, default=0, help="N: batches of the read path for callgrind")
    args = parser.parse_args()
    if args.instructions:
        read_batches(args.instructions, args.search_orders, args.backend, args.pg_url)
        return
    if args.units:
        bare_units(args.units, args.backend, args.pg_url)
        return
    if args.in_process:
        in_process(args.in_process, args.search_orders)
        return
    env_extra = {"PYTHONPATH": args.src} if args.src else {}
    only = set(args.only.split(",")) if args.only else None
    with database(args.backend, args.pg_url) as url:
        backends = Backends(url) if args.backend == "postgresql" else None
        log = Path(args.statements) if args.statements and backends else None
        if log is not None and backends is not None:
            backends.log_statements()
        upgrade(url)
        p = asyncio.run(setup_parties(url))
        asyncio.run(fill(url, p, args.search_orders))
        buyer = {"Authorization": f"Bearer {p['buyer_key']}"}
        supplier = {"Authorization": f"Bearer {p['supplier_key']}"}
        with process("pohub", hub_cmd(1), {**hub_env(url, workers_elsewhere=False), **env_extra}, "/") as hub:
            pid = hub.proc.pid

            def run(name: str, requests: list[tuple[str, str, bytes]], headers: dict[str, str], wrap: bool) -> None:
                if only is not None and name not in only:
                    return
                spy = None
                if args.profile and name == args.profile_run:
                    spy = subprocess.Popen(
                        ["py-spy", "record", "-r", "500", "--format", "raw", "-o", args.profile, "-p", str(pid)],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                pg_before = backends.cpu() if backends else {}
                offset = log.stat().st_size if log is not None else 0
                before = cpu_seconds(pid)
                result = wrk.run(hub.url, requests, seconds=args.seconds, headers=headers, wrap=wrap)
                used = cpu_seconds(pid) - before
                pg_used = Backends.used(pg_before, backends.cpu()) if backends else None
                if spy is not None:
                    spy.send_signal(signal.SIGINT)  # py-spy writes its profile on interrupt
                    spy.wait(timeout=60)
                answers = sum(result.statuses.values())
                per = max(answers, 1)
                print(
                    f"{name:<22} {answers:>6} answers {dict(result.statuses)}  "
                    f"{1000 * used / per:.3f} ms CPU per request"
                    + (f", PostgreSQL backends {1000 * pg_used / per:.3f} ms" if pg_used is not None else "")
                    + (" (list ran out: idle time counted)" if result.exhausted else ""),
                    flush=True,
                )
                if log is not None and backends is not None:
                    delta, _ = backends.statements(log, offset)
                    print(f"{'':<22} {sum(delta.values()) / per:.1f} statements per request", flush=True)
                    for q, n in sorted(delta.items(), key=lambda kv: -kv[1])[:25]:
                        print(f"{'':<24}{n / per:6.2f}  {' '.join(q.split())[:110]}", flush=True)

            orders = [
                ("POST", f"{API}/Orders", docs.order(i, prefix="L", buyer=p["buyer"], supplier=p["supplier"]))
                for i in range(args.orders)
            ]
            # A first pass over other orders warms the process (first-request costs) before measuring.
            warm = [
                ("POST", f"{API}/Orders", docs.order(i, prefix="W", buyer=p["buyer"], supplier=p["supplier"]))
                for i in range(30)
            ]
            # ... and each other path once or more: a server's first request to each router costs more.
            wrk.run(hub.url, warm, seconds=2, headers=buyer, wrap=False)
            warmed = order_keys(url, prefix="W", status=150)[:10]
            warm_acks = [("POST", f"{API}/Acknowledgements", docs.acknowledgement(i, k)) for i, k in enumerate(warmed)]
            wrk.run(hub.url, warm_acks, seconds=1, headers=supplier, wrap=False)
            wrk.run(hub.url, [("GET", f"{API}/Orders/{k}", b"") for k in warmed], seconds=1, headers=supplier)
            wrk.run(hub.url, [("GET", SEARCH, b"")], seconds=1, headers=supplier)
            # The search first, while the database holds just the filled POs (and the warm-up's).
            run("Step 1 search", [("GET", SEARCH, b"")], supplier, wrap=True)
            run("PO create", orders, buyer, wrap=False)
            keys = order_keys(url, prefix="L", status=150)
            acks = [("POST", f"{API}/Acknowledgements", docs.acknowledgement(i, k)) for i, k in enumerate(keys)]
            run("acknowledgement", acks, supplier, wrap=False)
            gets = [("GET", f"{API}/Orders/{k}", b"") for k in keys]
            run("GET one PO", gets, supplier, wrap=True)


def bare_units(n: int, backend: str, pg_url: str) -> None:
    """CPU per unit of work with one prepared statement in it (``db.write()`` with an INSERT ...
    RETURNING, ``db.read()`` with a SELECT by key), in this process: the unit's own cost. Run it
    with PYTHONPATH=<other checkout>/src for the before figure."""
    import time

    import sqlalchemy as sa

    from pohub.db.engine import Database
    from pohub.db.fast import Prepared

    table = sa.Table(
        "bench_units",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
    )
    add = Prepared(sa.insert(table).returning(table.c.id))
    get = Prepared(sa.select(table.c.name).where(table.c.id == sa.bindparam("id")))

    async def main(url: str) -> None:
        db = Database(url, pool_size=2)
        try:
            async with db.write() as conn:
                await conn.run_sync(table.metadata.create_all)
            ids: list[int] = []
            best: dict[str, float] = {}
            for rnd in range(5):
                start = time.process_time()
                for i in range(n):
                    async with db.write() as conn:
                        ids.append((await add.all(conn, {"name": f"u{rnd}-{i}"}))[0][0])
                write = time.process_time() - start
                start = time.process_time()
                for i in ids[-n:]:
                    async with db.read() as conn:
                        await get.first(conn, {"id": i})
                read = time.process_time() - start
                for name, used in (("write", write), ("read", read)):
                    best[name] = min(best.get(name, used), used)
                print(f"round {rnd}: write {1e6 * write / n:.0f} µs, read {1e6 * read / n:.0f} µs", flush=True)
            print(f"best: write {1e6 * best['write'] / n:.0f} µs, read {1e6 * best['read'] / n:.0f} µs per unit")
        finally:
            await db.dispose()

    with database(backend, pg_url) as url:
        asyncio.run(main(url))


def read_batches(n: int, search_orders: int, backend: str, pg_url: str) -> None:
    """The read path's batches for callgrind (the module's docstring), in process."""
    from pohub.documents import pages
    from pohub.documents.repository import Search

    with database(backend, pg_url) as url:
        upgrade(url)
        p = asyncio.run(setup_parties(url))
        asyncio.run(fill(url, p, max(search_orders, 10_000)))  # two full pages for the supplier
        here = app_in_process(url, p)
        app, db, loop, buyer, supplier = here.app, here.db, here.loop, here.buyer, here.supplier

        async def make_orders() -> None:
            for i in range(20):
                body = docs.order(i, prefix="C", buyer=p["buyer"], supplier=p["supplier"])
                assert await asgi_call(app, "POST", f"{API}/Orders", body, buyer) == 201

        loop.run_until_complete(make_orders())
        keys = order_keys(url, prefix="C", status=150)
        searches = [f"{SEARCH}&page={1 + i % 2}" for i in range(n)]
        queries = [Search(kind="order", company_id=p["supplier"], statuses=(150,), page=1 + i % 2) for i in range(n)]
        gets = [f"{API}/Orders/{keys[i % len(keys)]}" for i in range(n)]

        async def app_batch(targets: list[str]) -> None:
            for target in targets:
                if await asgi_call(app, "GET", target, b"", supplier) != 200:
                    raise RuntimeError(f"{target}: not 200")

        async def bare_pages() -> None:
            for q in queries:
                async with db.read() as conn:
                    parts, _ = await pages.page_parts(conn, q)
                if not parts:
                    raise RuntimeError("an empty page")

        async def bare_gets() -> None:
            for target in gets:
                async with db.read() as conn:
                    await pages.order_json(conn, key=target.rsplit("/", 1)[1], company_id=p["supplier"])

        async def bare_units() -> None:
            for _ in range(n):
                async with db.read():
                    pass

        batches: list[Batch] = [
            ("Step 1 search, app", lambda: app_batch(searches)),
            ("Step 1 search, db.read() + page_parts", bare_pages),
            ("GET one PO, app", lambda: app_batch(gets)),
            ("GET one PO, db.read() + order_json", bare_gets),
            ("empty db.read()", bare_units),
        ]
        run_batches(here, batches, n)


Batch = tuple[str, Callable[[], Coroutine[Any, Any, None]]]


class InProcess(NamedTuple):
    """The app driven in this process (no socket, no server), on a migrated database with parties."""

    app: Any
    db: Any
    loop: asyncio.AbstractEventLoop
    parties: dict[str, Any]
    buyer: dict[str, str]  # the buyer's and the supplier's Authorization headers
    supplier: dict[str, str]


def app_in_process(url: str, parties: dict[str, Any]) -> InProcess:
    """The app on ``url`` with its lane warmed, and a loop of its own to drive it."""
    from pohub.api import lane
    from pohub.api.app import create_app
    from pohub.config import Settings

    app = create_app(Settings(database_url=url, log_level="warning"))
    lane.warm(app)
    return InProcess(
        app,
        app.state.db,
        asyncio.new_event_loop(),
        parties,
        {"Authorization": f"Bearer {parties['buyer_key']}"},
        {"Authorization": f"Bearer {parties['supplier_key']}"},
    )


def run_batches(here: InProcess, batches: list[Batch], n: int) -> None:
    """Each batch once to warm up (the first calls of each path cost more), then each inside
    ``operator.call`` (the callgrind toggle: the module's docstring); then the app is closed."""
    for _, batch in batches:
        here.loop.run_until_complete(batch())
    for name, batch in batches:
        operator.call(here.loop.run_until_complete, batch())
        print(f"batch: {name} x {n}", flush=True)
    here.loop.run_until_complete(here.db.dispose())
    here.loop.close()


async def asgi_call(app: Any, method: str, target: str, body: bytes, headers: dict[str, str]) -> int:
    """One request straight into the ASGI app (no socket, no server): the status it answered."""
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status


def in_process(n: int, search_orders: int) -> None:
    """CPU per request of the app itself, with and without the lane, one request at a time in this
    process (no server, no wrk): alternating runs so that the machine's load falls on both alike."""
    from pohub.api import lane
    from pohub.api.app import create_app
    from pohub.config import Settings

    with database("sqlite", "") as url:
        upgrade(url)
        p = asyncio.run(setup_parties(url))
        asyncio.run(fill(url, p, search_orders))
        buyer = {"Authorization": f"Bearer {p['buyer_key']}"}
        supplier = {"Authorization": f"Bearer {p['supplier_key']}"}

        async def main() -> None:
            apps = {
                on: create_app(Settings(database_url=url, log_level="warning"), fast_lane=on) for on in (False, True)
            }
            for app in apps.values():
                lane.warm(app)
            totals: dict[tuple[str, bool], list[float]] = {}
            serial = 0
            for rnd in range(3):
                for on in (False, True):
                    app = apps[on]
                    prefix = f"R{rnd}{int(on)}"
                    runs: list[tuple[str, list[tuple[str, str, bytes]], dict[str, str]]] = []
                    orders = [
                        (
                            "POST",
                            f"{API}/Orders",
                            docs.order(serial + i, prefix=prefix, buyer=p["buyer"], supplier=p["supplier"]),
                        )
                        for i in range(n)
                    ]
                    serial += n
                    runs.append(("PO create", orders, buyer))
                    for name, reqs, headers in runs:
                        totals.setdefault((name, on), []).append(await timed(app, reqs, headers))
                    keys = order_keys(url, prefix=prefix, status=150)
                    acks = [("POST", f"{API}/Acknowledgements", docs.acknowledgement(i, k)) for i, k in enumerate(keys)]
                    totals.setdefault(("acknowledgement", on), []).append(await timed(app, acks, supplier))
                    gets = [("GET", f"{API}/Orders/{k}", b"") for k in keys]
                    totals.setdefault(("GET one PO", on), []).append(await timed(app, gets, supplier))
                    searches = [("GET", SEARCH, b"")] * max(n // 4, 10)
                    totals.setdefault(("Step 1 search", on), []).append(await timed(app, searches, supplier))
            for name in ("PO create", "acknowledgement", "GET one PO", "Step 1 search"):
                off, on_ = min(totals[(name, False)]), min(totals[(name, True)])
                print(f"{name:<18} FastAPI {off:.3f} ms  lane {on_:.3f} ms  ({100 * (off - on_) / off:.0f} % less)")
            for app in apps.values():
                await app.state.db.dispose()

        asyncio.run(main())


async def timed(app: Any, requests: list[tuple[str, str, bytes]], headers: dict[str, str]) -> float:
    """CPU milliseconds per request (process time: every thread of this process)."""
    import time

    statuses: set[int] = set()
    start = time.process_time()
    for method, target, body in requests:
        statuses.add(await asgi_call(app, method, target, body, headers))
    used = time.process_time() - start
    if not statuses <= {200, 201}:
        raise RuntimeError(f"unexpected answers {statuses}")
    return 1000 * used / len(requests)


if __name__ == "__main__":
    main()
