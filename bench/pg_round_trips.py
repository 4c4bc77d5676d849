"""Round trips to PostgreSQL per document (issue 15), counted on the wire (bench/pg_wire.py).

Each kind (PO create, acknowledgement, shipment, invoice; ten lines) goes through
``exchanges.inbound.receive`` in process, as bench/write_cost.py runs them, on a throwaway database
with one webhook subscription of the buyer's to every topic (so each document writes its outbox
rows too), with every listener the server registers (pohub.api.app imports them: the EDI sender
looks up the pair's EDI partner for each event). After a warm-up (asyncpg's statement cache is
filled: no Parse round trips), prints the round trips and statements of one document of each kind,
and with ``--sql`` the statements; ``--cpu N`` prints the CPU per document instead (this process's
and its PostgreSQL backend's, over N of each kind), without the proxy. ``--uvloop`` runs on uvloop,
as ``pohub serve`` does (uvicorn's default loop where uvloop is installed): asyncio's own loop costs
about twice its client instructions per round trip.

    PYTHONPATH=$PWD/src .venv/bin/python -m bench.pg_round_trips [--pg-url URL] [--sql] [--cpu N] [--uvloop]

With ``--cpu N`` each kind's batch runs inside ``operator.call`` (a C function nothing else on the
path calls), so callgrind counts the client's instructions per document deterministically:

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=_operator_call \\
        --dump-after=_operator_call --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python -m bench.pg_round_trips --cpu 20 --uvloop

writes one dump per batch, warm-up batches first (order, acknowledgement, shipment, invoice, twice):
divide each of the last four dumps' totals (``callgrind_annotate`` "PROGRAM TOTALS") by N.
"""

from __future__ import annotations

import argparse
import asyncio
import operator
import os
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

import pohub.api.app  # noqa: F401  (the server's event listeners, as it runs them)
from bench import documents as docs
from bench.hub_bench import database, order_keys, setup_parties
from bench.pg_wire import Trips, WireCounter
from bench.write_cost import message, subscribe
from pohub.db.engine import Database
from pohub.db.migrate import upgrade
from pohub.exchanges import inbound

KINDS = ("order", "acknowledgement", "shipment", "invoice")


async def count(url: str, *, warm: int = 3) -> dict[str, Trips]:
    """One document of each kind after ``warm`` of each: what it sent PostgreSQL."""
    p = await asyncio.to_thread(setup_parties_sync, url)
    counter = WireCounter(make_url(url).host or "127.0.0.1", make_url(url).port or 5432)
    port = await counter.start()
    db = Database(make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False), pool_size=1)
    try:
        await subscribe(db, p["buyer"])
        out: dict[str, Trips] = {}
        for prefix, n in (("W", warm), ("M", 1)):
            for kind in KINDS:
                msgs = await asyncio.to_thread(_messages, url, p, kind, prefix, n)
                counter.reset()
                for msg in msgs:
                    applied = await inbound.receive(db, msg)
                    assert not applied.duplicate
                out[kind] = counter.reset()
        return out
    finally:
        await db.dispose()
        await counter.close()


def cpu(url: str, *, n: int, new_loop: Callable[[], asyncio.AbstractEventLoop]) -> dict[str, tuple[float, float]]:
    """CPU per document of each kind, in ms: this process's (``time.process_time``) and its
    PostgreSQL backend's (utime + stime from /proc, so the server must run on this machine), over
    ``n`` documents after as many of warm-up, with no proxy in between. Each batch runs inside
    ``operator.call`` (for callgrind: see above)."""
    p = setup_parties_sync(url)
    loop = new_loop()
    db = Database(url, pool_size=1)

    def run(work: Coroutine[Any, Any, Any]) -> Any:
        return operator.call(loop.run_until_complete, work)

    async def batch(msgs: list[inbound.Message]) -> None:
        for msg in msgs:
            await inbound.receive(db, msg)

    async def backend_pid() -> int:
        async with db.read() as conn:
            return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())

    try:
        loop.run_until_complete(subscribe(db, p["buyer"]))
        backend = loop.run_until_complete(backend_pid())
        out: dict[str, tuple[float, float]] = {}
        for prefix in ("W", "M"):
            for kind in KINDS:
                msgs = _messages(url, p, kind, prefix, n)
                mine, theirs = time.process_time(), _cpu_of(backend)
                run(batch(msgs))
                out[kind] = (
                    (time.process_time() - mine) * 1000 / n,
                    (_cpu_of(backend) - theirs) * 1000 / n,
                )
        return out
    finally:
        loop.run_until_complete(db.dispose())
        loop.close()


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def setup_parties_sync(url: str) -> dict[str, Any]:
    return asyncio.run(setup_parties(url))


def _messages(url: str, p: dict[str, Any], kind: str, prefix: str, n: int) -> list[inbound.Message]:
    if kind == "order":
        raw = [docs.order(i, prefix=prefix, buyer=p["buyer"], supplier=p["supplier"]) for i in range(n)]
        return [message("order", p["buyer"], r) for r in raw]
    status = {"acknowledgement": 150, "shipment": 500, "invoice": 600}[kind]
    keys = order_keys(url, prefix=prefix, status=status)
    assert len(keys) == n, (kind, keys)
    if kind == "acknowledgement":
        return [message(kind, p["supplier"], docs.acknowledgement(i, k)) for i, k in enumerate(keys)]
    make = docs.shipment if kind == "shipment" else docs.invoice
    return [message(kind, p["supplier"], make(i), k) for i, k in enumerate(keys)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sql", action="store_true", help="print each statement sent")
    parser.add_argument("--cpu", type=int, default=0, help="instead: CPU per document over this many of each kind")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop, as pohub serve does")
    args = parser.parse_args()
    new_loop: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    if args.uvloop:
        import uvloop

        new_loop = uvloop.new_event_loop
    with database("postgresql", args.pg_url) as url:
        upgrade(url)
        if args.cpu:
            for kind, (mine, theirs) in cpu(url, n=args.cpu, new_loop=new_loop).items():
                print(f"{kind}: client {mine:.3f} ms, backend {theirs:.3f} ms per document")
            return
        loop = new_loop()
        try:
            result = loop.run_until_complete(count(url))
        finally:
            loop.close()
    for kind, trips in result.items():
        print(f"{kind}: {trips.round_trips} round trips, {trips.statements} statements")
        if args.sql:
            for sql in trips.sql:
                print("    " + " ".join(sql.split())[:150])


if __name__ == "__main__":
    main()
