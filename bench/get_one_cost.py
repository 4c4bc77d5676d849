"""GET one PO's pieces in process, for callgrind (issue 15): acknowledged ten-line POs (as `make bench`
GETs them) and untouched ones, through the app, as bare ``db.read()`` + ``pages.order_json``, the
statement alone (``pages.ONE.all``) and the fill alone (the statement's rows fetched beforehand).

20 ten-line POs are made through the app, 10 of them acknowledged; after a warm-up each batch of N
runs inside ``operator.call`` (a C function nothing else on the path calls), in this order:

    1 GET one through the app, acknowledged     2 the same, untouched
    3 db.read() + order_json, acknowledged      4 the same, untouched
    5 ONE.all (in db.read()), acknowledged      6 the fill alone (lines decoded + wire.fill), acknowledged

Count them with

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=_operator_call \\
        --dump-after=_operator_call --callgrind-out-file=/tmp/cg.%p.out \\
        .venv/bin/python -m bench.get_one_cost --n 100 [--backend postgresql]

and divide each dump's total (``callgrind_annotate`` "PROG TOTALS") by N (PYTHONHASHSEED fixed).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from bench import documents as docs
from bench.hub_bench import API, PG_DEFAULT, database, order_keys, setup_parties
from bench.lane_cpu import Batch, app_in_process, asgi_call, run_batches
from pohub.db.migrate import upgrade


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.get_one_cost", description=__doc__)
    parser.add_argument("--n", type=int, default=100, help="requests a batch")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_DEFAULT)
    args = parser.parse_args()
    batches(args.n, args.backend, args.pg_url)


def batches(n: int, backend: str, pg_url: str) -> None:
    from pohub.documents import pages

    with database(backend, pg_url) as url:
        upgrade(url)
        p = asyncio.run(setup_parties(url))
        here = app_in_process(url, p)
        app, db, loop, buyer, supplier = here.app, here.db, here.loop, here.buyer, here.supplier

        async def make_orders() -> None:
            for i in range(20):
                body = docs.order(i, prefix="G", buyer=p["buyer"], supplier=p["supplier"])
                assert await asgi_call(app, "POST", f"{API}/Orders", body, buyer) == 201

        async def acknowledge(keys: list[str]) -> None:
            for i, key in enumerate(keys):
                ack = docs.acknowledgement(i, key)
                assert await asgi_call(app, "POST", f"{API}/Acknowledgements", ack, supplier) == 201

        loop.run_until_complete(make_orders())
        # order_keys runs its own event loop (asyncpg on PostgreSQL): outside this one.
        loop.run_until_complete(acknowledge(order_keys(url, prefix="G", status=150)[:10]))
        acked = order_keys(url, prefix="G", status=500)
        fresh = order_keys(url, prefix="G", status=150)
        assert len(acked) == 10 and len(fresh) == 10, (acked, fresh)
        me = p["supplier"]

        def app_batch(keys: list[str]) -> Callable[[], Coroutine[Any, Any, None]]:
            targets = [f"{API}/Orders/{keys[i % len(keys)]}" for i in range(n)]

            async def run() -> None:
                for target in targets:
                    if await asgi_call(app, "GET", target, b"", supplier) != 200:
                        raise RuntimeError(f"{target}: not 200")

            return run

        def bare_batch(keys: list[str]) -> Callable[[], Coroutine[Any, Any, None]]:
            chosen = [keys[i % len(keys)] for i in range(n)]

            async def run() -> None:
                for key in chosen:
                    async with db.read() as conn:
                        await pages.order_json(conn, key=key, company_id=me)

            return run

        ids = [int(k) for k in acked]

        async def statement() -> None:
            for i in range(n):
                async with db.read() as conn:
                    await pages.ONE.all(conn, {"doc_id": ids[i % len(ids)], "me": me})

        async def fetch_rows() -> list[Any]:
            async with db.read() as conn:
                return [(await pages.ONE.all(conn, {"doc_id": i, "me": me}))[0] for i in ids]

        rows = loop.run_until_complete(fetch_rows())
        chosen_rows = [rows[i % len(rows)] for i in range(n)]

        # pages.one_text where the checkout has it; main's order_json's own two lines before.
        one_text = getattr(pages, "one_text", None) or (lambda r: pages.wire.from_template(r, pages._lines_of(r[4])))

        async def fill_alone() -> None:
            for r in chosen_rows:
                if one_text(r) is None:
                    raise RuntimeError("the template did not serve")

        runs: list[Batch] = [
            ("GET one, app, acknowledged", app_batch(acked)),
            ("GET one, app, untouched", app_batch(fresh)),
            ("db.read() + order_json, acknowledged", bare_batch(acked)),
            ("db.read() + order_json, untouched", bare_batch(fresh)),
            ("ONE.all in db.read(), acknowledged", statement),
            ("the fill alone, acknowledged", fill_alone),
        ]
        run_batches(here, runs, n)


if __name__ == "__main__":
    main()
