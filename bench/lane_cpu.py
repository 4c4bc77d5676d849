"""Server CPU per request for the fast lane's hot routes (issue 15): PO create, acknowledgement, GET
one PO and the Step 1 search, on SQLite, each a fixed list sent by `wrk` (32 connections).

The figure is the server process's utime + stime (/proc/<pid>/stat) over a run divided by the
answers it gave: steadier than a request rate on a shared machine. ``--src`` runs the server from
another checkout's ``src`` (the before figure: main), with this checkout's bench and venv.

    python -m bench.lane_cpu [--orders 800] [--seconds 5] [--src /path/to/main/src]
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from bench import documents as docs
from bench import wrk
from bench.hub_bench import API, SEARCH, database, fill, hub_cmd, hub_env, order_keys, process, setup_parties
from pohub.db.migrate import upgrade

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=3000, help="more than a run can send")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--search-orders", type=int, default=2000)
    parser.add_argument("--src", default=None, help="serve from this src directory (PYTHONPATH)")
    args = parser.parse_args()
    env_extra = {"PYTHONPATH": args.src} if args.src else {}
    with database("sqlite", "") as url:
        upgrade(url)
        p = asyncio.run(setup_parties(url))
        asyncio.run(fill(url, p, args.search_orders))
        buyer = {"Authorization": f"Bearer {p['buyer_key']}"}
        supplier = {"Authorization": f"Bearer {p['supplier_key']}"}
        with process("pohub", hub_cmd(1), {**hub_env(url, workers_elsewhere=False), **env_extra}, "/") as hub:
            pid = hub.proc.pid

            def run(name: str, requests: list[tuple[str, str, bytes]], headers: dict[str, str], wrap: bool) -> None:
                before = cpu_seconds(pid)
                result = wrk.run(hub.url, requests, seconds=args.seconds, headers=headers, wrap=wrap)
                used = cpu_seconds(pid) - before
                answers = sum(result.statuses.values())
                print(
                    f"{name:<22} {answers:>6} answers {dict(result.statuses)}  "
                    f"{1000 * used / max(answers, 1):.3f} ms CPU per request"
                    + (" (list ran out: idle time counted)" if result.exhausted else ""),
                    flush=True,
                )

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


if __name__ == "__main__":
    main()
