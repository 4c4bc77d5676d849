"""The request layer's cost (issue 15), in process, for callgrind: the same requests through the app
(raw ASGI calls, no socket) and their database or document part alone, on one fresh SQLite database
with a webhook subscription of the buyer's to every topic (as ``bench.write_cost``), so that
"app - part" is the request layer of a lane GET, a PO create and an acknowledgement.

After a warm-up of every batch, each batch of ``--count`` runs inside ``operator.call`` (a C
function nothing else on the path calls), in this order:

    1 GET one PO through the app          2 the same: ``db.read()`` + ``pages.order_json``
    3 PO create through the app           4 PO create: ``exchanges.inbound.receive``
    5 acknowledgement through the app     6 acknowledgement: ``exchanges.inbound.receive``

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=_operator_call \\
        --dump-after=_operator_call --callgrind-out-file=/tmp/layer.%p \\
        .venv/bin/python -m bench.layer_cost [--count 100]

writes one dump per batch in that order; divide each dump's total (``callgrind_annotate``
"PROG TOTALS", or ``totals:`` in the file) by ``--count``. ``--summary DIR`` instead reads the
newest six dumps there and prints the figures and the three differences. ``--only get`` (or
``create``, or ``ack``, which brings ``create``; several allowed) runs only those pairs, in the
same order, for a quicker look; give ``--summary`` the same ``--only``. Compare trees with the
same ``PYTHONHASHSEED`` (a few seeds each): the hash seed moves a batch by a few K a request.
"""

from __future__ import annotations

import argparse
import asyncio
import operator
import re
import tempfile
from pathlib import Path

from bench import documents as docs
from bench.hub_bench import API, order_keys, setup_parties
from bench.lane_cpu import Batch, app_in_process, asgi_call
from bench.write_cost import message, subscribe
from pohub.db.migrate import upgrade

BATCHES = (
    "GET one PO, app",
    "GET one PO, db.read() + order_json",
    "PO create, app",
    "PO create, inbound.receive",
    "acknowledgement, app",
    "acknowledgement, inbound.receive",
)
# Each pair of batches (through the app, the part alone) by the name ``--only`` takes.
PAIRS = ("get", "create", "ack")


def chosen(only: list[str] | None) -> list[int]:
    """The indexes in BATCHES of the pairs ``--only`` names (all without it); an acknowledgement
    batch acknowledges the POs its create batch made, so ``ack`` brings ``create``."""
    wanted = set(only or PAIRS) | ({"create"} if only and "ack" in only else set())
    return [i for pair, name in enumerate(PAIRS) if name in wanted for i in (2 * pair, 2 * pair + 1)]


def run(count: int, warm: int, only: list[str] | None = None) -> None:
    from pohub.documents import pages
    from pohub.exchanges import inbound

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'layer.db'}"
        upgrade(url)
        p = asyncio.run(setup_parties(url))
        here = app_in_process(url, p)
        app, db, loop, buyer, supplier = here.app, here.db, here.loop, here.buyer, here.supplier
        loop.run_until_complete(subscribe(db, p["buyer"]))

        def orders(prefix: str, n: int) -> list[bytes]:
            return [docs.order(i, prefix=prefix, buyer=p["buyer"], supplier=p["supplier"]) for i in range(n)]

        async def through_app(method: str, target: str, bodies: list[bytes], headers: dict[str, str]) -> None:
            for body in bodies:
                status = await asgi_call(app, method, target, body, headers)
                if status not in (200, 201):
                    raise RuntimeError(f"{method} {target}: {status}")

        async def gets(keys: list[str]) -> None:
            for key in keys:
                if await asgi_call(app, "GET", f"{API}/Orders/{key}", b"", supplier) != 200:
                    raise RuntimeError(f"GET {key}: not 200")

        async def bare_gets(keys: list[str]) -> None:
            for key in keys:
                async with db.read() as conn:
                    await pages.order_json(conn, key=key, company_id=p["supplier"])

        async def received(msgs: list[inbound.Message]) -> None:
            for msg in msgs:
                if (await inbound.receive(db, msg)).duplicate:
                    raise RuntimeError("a duplicate")

        def acks(prefix: str) -> list[bytes]:
            return [docs.acknowledgement(i, k) for i, k in enumerate(order_keys(url, prefix=prefix, status=150))]

        def batches(tag: str, n: int) -> list[Batch]:
            # Each write batch makes its own POs (app and bare alike), then acknowledges them.
            return [
                ("get", lambda: gets(order_keys(url, prefix="G", status=150)[:n])),
                ("bare get", lambda: bare_gets(order_keys(url, prefix="G", status=150)[:n])),
                ("create", lambda: through_app("POST", f"{API}/Orders", orders(f"A{tag}", n), buyer)),
                ("bare create", lambda: received([message("order", p["buyer"], b) for b in orders(f"B{tag}", n)])),
                ("ack", lambda: through_app("POST", f"{API}/Acknowledgements", acks(f"A{tag}"), supplier)),
                ("bare ack", lambda: received([message("acknowledgement", p["supplier"], b) for b in acks(f"B{tag}")])),
            ]

        picked = chosen(only)
        loop.run_until_complete(through_app("POST", f"{API}/Orders", orders("G", max(count, warm)), buyer))
        for _, batch in (batches("W", warm)[i] for i in picked):  # the first calls of each path cost more
            loop.run_until_complete(batch())
        measured = batches("M", count)
        for i in picked:
            (_, batch), name = measured[i], BATCHES[i]
            coroutine = batch()  # the batch's inputs (bodies, keys) are made before the toggle
            operator.call(loop.run_until_complete, coroutine)
            print(f"batch: {name} x {count}", flush=True)
        loop.run_until_complete(db.dispose())
        loop.close()


def summary(directory: str, count: int, only: list[str] | None = None) -> None:
    picked = chosen(only)
    # callgrind names the dumps layer.PID.1, .2, ... (and layer.PID for the empty one at exit).
    numbered = [f for f in Path(directory).glob("layer.*.*") if f.suffix[1:].isdigit()]
    dumps = sorted(numbered, key=lambda f: (f.stat().st_mtime, int(f.suffix[1:])))[-len(picked) :]
    totals = []
    for dump in dumps:
        found = re.search(rb"^(?:summary|totals): (\d+)", dump.read_bytes(), re.MULTILINE)
        totals.append(int(found.group(1)) / count if found else float("nan"))
    for i, total in zip(picked, totals, strict=False):
        print(f"{BATCHES[i]:<40} {total / 1e6:.4f} M")
    names = {0: "GET one", 2: "PO create", 4: "acknowledgement"}
    for at in range(0, len(totals) - 1, 2):
        print(f"request layer, {names[picked[at]]:<24} {(totals[at] - totals[at + 1]) / 1e3:.1f} K")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--summary", default=None, metavar="DIR")
    parser.add_argument("--only", action="append", choices=PAIRS, help="only these pairs (repeatable)")
    args = parser.parse_args()
    if args.summary:
        summary(args.summary, args.count, args.only)
    else:
        run(args.count, args.warm, args.only)


if __name__ == "__main__":
    main()
