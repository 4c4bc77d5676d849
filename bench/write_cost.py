"""The document's own work (issue 15): `exchanges.inbound.receive` in a loop, in process, without
the framework, on a fresh SQLite database with one webhook subscription of the buyer's to every
topic (so each document also writes its outbox rows). After a warm-up of each kind, ``--count``
documents of each kind (PO create, acknowledgement, shipment, invoice) run in one batch per kind.

Count instructions per document under callgrind: each batch runs inside ``operator.call`` (a C
function nothing else on the path calls), so

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=_operator_call \\
        --dump-after=_operator_call --callgrind-out-file=/tmp/cg.%p .venv/bin/python -m bench.write_cost

writes one dump per batch, in the order printed (order, acknowledgement, shipment, invoice); divide
each dump's total (``callgrind_annotate`` "PROG TOTALS") by ``--count``. Python's hash seed moves
a kind by 10-30 k instructions from run to run: compare trees with the same ``PYTHONHASHSEED``, a
few seeds each. ``--profile FILE`` writes a cProfile of the batches instead (where the instructions
go, by Python function). ``--trace`` prints every statement sqlite3 runs for the first measured
document of each kind, through ``set_trace_callback`` on the writer: an executemany's rows one line
each; a statement that fires a trigger once more for the trigger's program and once for each of
its statements (Python 3.11's sqlite3 prints the outer statement's text for them).

``--concurrency N`` keeps N documents of a batch in flight (N tasks, each taking the next document),
so write units queue for the writer as under load and group commit (db/sqlite_units.py) has units
to group; ``--group K`` sets its bound (POHUB_SQLITE_GROUP_COMMIT; 1: off). ``--commits`` prints
how many COMMITs each batch took (a trace callback on every statement: not for counting instructions).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import operator
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench import documents as docs
from bench.hub_bench import order_keys, setup_parties
from pohub.db.engine import Database
from pohub.db.migrate import upgrade
from pohub.exchanges import documents as exchange_documents
from pohub.exchanges import inbound


def message(kind: str, company_id: int, raw: bytes, path_key: str | None = None) -> inbound.Message:
    params: dict[str, Any] = {"path_key": path_key} if path_key is not None else {}
    return inbound.Message(
        channel="api",
        operation=exchange_documents.OPERATION,
        company_id=company_id,
        raw=raw,
        kind=kind,
        params=params | {"method": "POST", "path": "/bench"},
        content_type="application/json",
    )


async def subscribe(db: Database, company_id: int) -> None:
    from pohub.webhooks import service as webhooks

    async with db.write() as conn:
        await webhooks.create(
            conn,
            company_id=company_id,
            body={"Address": "http://127.0.0.1:9/hook", "Topic": "*"},
            server_key="bench-" + "k" * 40,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--warm", type=int, default=10)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--group", type=int, default=1)
    parser.add_argument("--commits", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        p = asyncio.run(setup_parties(url))
        loop = asyncio.new_event_loop()
        db = Database(url, group_commit=args.group)
        traced: list[str] = []
        tracing = [False]
        commits = [0]

        @event.listens_for(db.writer.sync_engine, "connect")
        def _trace(dbapi_connection: Any, _record: Any) -> None:
            raw = dbapi_connection.driver_connection._conn
            if args.trace:
                raw.set_trace_callback(lambda sql: traced.append(sql) if tracing[0] else None)
            elif args.commits:
                raw.set_trace_callback(lambda sql: sql == "COMMIT" and commits.__setitem__(0, commits[0] + 1))

        loop.run_until_complete(subscribe(db, p["buyer"]))
        profile = cProfile.Profile() if args.profile else None

        async def serial(msgs: Iterator[inbound.Message]) -> None:
            for msg in msgs:
                applied = await inbound.receive(db, msg)
                assert not applied.duplicate

        async def batch(msgs: list[inbound.Message]) -> None:
            if args.concurrency <= 1:
                await serial(iter(msgs))
                return
            shared = iter(msgs)  # each task takes the next document when its last one is done
            await asyncio.gather(*(serial(shared) for _ in range(args.concurrency)))

        def run(prefix: str, n: int, measured: bool) -> None:
            orders = [
                message("order", p["buyer"], docs.order(i, prefix=prefix, buyer=p["buyer"], supplier=p["supplier"]))
                for i in range(n)
            ]
            stages: list[Any] = [
                lambda: orders,
                lambda: [
                    message("acknowledgement", p["supplier"], docs.acknowledgement(i, k))
                    for i, k in enumerate(order_keys(url, prefix=prefix, status=150))
                ],
                lambda: [
                    message("shipment", p["supplier"], docs.shipment(i), k)
                    for i, k in enumerate(order_keys(url, prefix=prefix, status=500))
                ],
                lambda: [
                    message("invoice", p["supplier"], docs.invoice(i), k)
                    for i, k in enumerate(order_keys(url, prefix=prefix, status=600))
                ],
            ]
            for stage in stages:
                msgs = stage()
                assert len(msgs) == n, (prefix, len(msgs))
                if not measured:
                    loop.run_until_complete(batch(msgs))
                    continue
                if args.trace:
                    tracing[0] = True
                    loop.run_until_complete(batch(msgs[:1]))
                    tracing[0] = False
                    print(f"-- {msgs[0].kind}: {len(traced)} statements")
                    print("\n".join(traced), flush=True)
                    traced.clear()
                    msgs = msgs[1:]
                if profile is not None:
                    profile.enable()
                commits[0] = 0
                operator.call(loop.run_until_complete, batch(msgs))
                if profile is not None:
                    profile.disable()
                shown = f" ({commits[0]} COMMITs)" if args.commits else ""
                print(f"{msgs[0].kind}: {len(msgs)}{shown}", flush=True)

        run("W", args.warm, measured=False)
        run("M", args.count, measured=True)
        loop.run_until_complete(db.dispose())
        loop.close()
        if profile is not None:
            profile.dump_stats(args.profile)


if __name__ == "__main__":
    main()
