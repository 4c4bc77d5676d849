"""Server CPU per request for the fast lane's hot routes (issue 15): PO create, acknowledgement, GET
one PO and the Step 1 search, on SQLite, each a fixed list sent by `wrk` (32 connections).

The figure is the server process's utime + stime (/proc/<pid>/stat) over a run divided by the
answers it gave: steadier than a request rate on a shared machine. ``--src`` runs the server from
another checkout's ``src`` (the before figure: main), with this checkout's bench and venv.

    python -m bench.lane_cpu [--orders 800] [--seconds 5] [--src /path/to/main/src]
        [--profile out.txt --profile-run "Step 1 search"]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

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
    parser.add_argument("--profile", default=None, help="py-spy raw profile of one run (--profile-run) to this file")
    parser.add_argument("--profile-run", default="acknowledgement", help="the run --profile records")
    parser.add_argument("--src", default=None, help="serve from this src directory (PYTHONPATH)")
    parser.add_argument("--in-process", type=int, default=0, help="N: the app driven in this process instead")
    args = parser.parse_args()
    if args.in_process:
        in_process(args.in_process, args.search_orders)
        return
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
                spy = None
                if args.profile and name == args.profile_run:
                    spy = subprocess.Popen(
                        ["py-spy", "record", "-r", "500", "--format", "raw", "-o", args.profile, "-p", str(pid)],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                before = cpu_seconds(pid)
                result = wrk.run(hub.url, requests, seconds=args.seconds, headers=headers, wrap=wrap)
                used = cpu_seconds(pid) - before
                if spy is not None:
                    spy.send_signal(signal.SIGINT)  # py-spy writes its profile on interrupt
                    spy.wait(timeout=60)
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
