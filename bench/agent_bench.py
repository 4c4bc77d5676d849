"""The agent benchmark (issue 3): acknowledge, ship and invoice N POs (10,000 by default) with
`pohub agent`'s own code against a local hub in its own process, rate limit off. Prints POs per second
per step and overall, and where the time went: waiting on the server vs. in the agent (wall-clock
split and each process's CPU seconds).

CPU seconds move with the load of a shared machine; instructions do not. Count the agent's own (the
three steps, not the seeding, not the hub: valgrind does not follow the hub's process) with

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=_operator_call \\
        --callgrind-out-file=/tmp/agent.cg .venv/bin/python -m bench.agent_bench --orders 300

and divide callgrind_annotate's "PROG TOTALS" by the POs. ``--profile FILE`` writes a cProfile of the
three steps instead (where the time goes, by Python function). ``--hub-split`` runs the steps one request
at a time (concurrency 1) and charges the hub's CPU to each request's route: which requests the hub's
share goes to (the hub's event-loop thread, from /proc/PID/schedstat in nanoseconds; Linux only)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import operator
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bench.processes import stop
from pohub.agent.config import load
from pohub.agent.csvfiles import read_shipments
from pohub.agent.policies import AcceptAll
from pohub.agent.runner import Agent
from pohub.agent.state import State
from pohub.client import AsyncClient
from pohub.client.calls import Call
from pohub.core import jsonio
from pohub.db.engine import Database
from pohub.db.migrate import upgrade
from pohub.documents.examples import sales_order
from pohub.documents.inbound import parse
from pohub.documents.logicbroker import SalesOrder
from pohub.orders.service import create_order
from pohub.partners import service as partners

T = TypeVar("T")
SKUS = [("49-98760", "31.02"), ("PIP-200", "12.50"), ("FLK-500", "8.75"), ("CEN-15", "19.99")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """user + system CPU of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _thread_cpu_ns(pid: int) -> int:
    """CPU nanoseconds of a process's main thread (Linux /proc/PID/schedstat; 0 elsewhere)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return 0


_KEY = re.compile(r"/[0-9]+(?=/|$)")


class SplitClient(AsyncClient):
    """The agent's client, charging the hub's CPU during each request to the request's route. Meant for
    one request at a time: with several in flight, each would be charged the others' CPU too."""

    hub_pid = 0
    split: dict[str, list[int]]

    async def send(self, call: Call[T]) -> T:
        route = f"{call.method} {_KEY.sub('/{key}', call.path)}"
        before = _thread_cpu_ns(self.hub_pid)
        try:
            return await super().send(call)
        finally:
            figures = self.split.setdefault(route, [0, 0])
            figures[0] += 1
            figures[1] += _thread_cpu_ns(self.hub_pid) - before


@contextlib.contextmanager
def _hub(database_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {**os.environ, "POHUB_DATABASE_URL": database_url, "POHUB_PORT": str(port), "POHUB_LOG_LEVEL": "warning"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pohub.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/api/v1/Statuses", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "hub did not start") from None
                time.sleep(0.1)
        yield url, proc
    finally:
        stop(proc, 15)


async def _seed(database_url: str, orders: int, lines: int) -> str:
    """A buyer, a supplier and N POs in 150, written through the hub's own service (not timed)."""
    db = Database(database_url, pool_size=1)
    try:
        async with db.write() as conn:
            buyer = await partners.add_company(conn, name="bench buyer")
            supplier = await partners.add_company(conn, name="bench supplier")
            await partners.connect(conn, buyer_id=buyer.id, supplier_id=supplier.id)
            key = await partners.create_key(conn, company_id=supplier.id)
            for n in range(orders):
                body = sales_order(
                    PartnerPO=f"BENCH-{n:06d}",
                    SenderCompanyId=buyer.id,
                    ReceiverCompanyId=supplier.id,
                    SalesRequirement=1,
                    OrderLines=[
                        {
                            "LineNumber": f"{i + 1:02d}",
                            "Quantity": 1 + (n + i) % 5,
                            "Price": jsonio.loads(SKUS[i % len(SKUS)][1]),
                            "QuantityUOM": "EA",
                            "ItemIdentifier": {"SupplierSKU": SKUS[i % len(SKUS)][0]},
                        }
                        for i in range(lines)
                    ],
                )
                await create_order(conn, company_id=buyer.id, inbound=parse(jsonio.dumps(body), SalesOrder))
        return key
    finally:
        await db.dispose()


def _ship_file(path: Path, orders: int, lines: int) -> Path:
    rows = ["PartnerPO,LineNumber,Quantity,Carrier,ServiceLevel,TrackingNumber,ShipDate,ShipmentNumber"]
    for n in range(orders):
        for i in range(lines):
            qty = 1 + (n + i) % 5
            rows.append(f"BENCH-{n:06d},{i + 1:02d},{qty},UPSN,GND,1Z{n:08d},2026-12-01,S-{n:06d}")
    path.write_text("\n".join(rows) + "\n")
    return path


async def _agent_steps(
    url: str, key: str, tmp: Path, ship: Path, concurrency: int, hub_pid: int, *, split: bool = False
) -> dict[str, Any]:
    settings = load(
        None, base_url=url, api_key=key, state=tmp / "agent.db", rate="off", concurrency=concurrency, auth="bearer"
    )
    state = State(settings.state)
    figures: dict[str, Any] = {}
    try:
        client_class = SplitClient if split else AsyncClient
        async with client_class(settings.client_options()) as client:
            if isinstance(client, SplitClient):
                client.hub_pid, client.split = hub_pid, {}
                figures["hub_split"] = client.split
            agent = Agent(settings=settings, client=client, state=state, policy=AcceptAll())
            for step in ("acknowledge", "ship", "invoice"):
                before_server = client.stats.server_seconds
                before_cpu, before_hub_cpu = time.process_time(), _cpu_seconds(hub_pid)
                before_requests = client.stats.requests
                started = time.perf_counter()
                if step == "acknowledge":
                    await agent.acknowledge()
                elif step == "ship":
                    await agent.ship_requests(await asyncio.to_thread(read_shipments, ship))
                else:
                    await agent.invoice()
                wall = time.perf_counter() - started
                figures[step] = {
                    "seconds": round(wall, 2),
                    "requests": client.stats.requests - before_requests,
                    "waiting_on_server_seconds": round(client.stats.server_seconds - before_server, 2),
                    "agent_cpu_seconds": round(time.process_time() - before_cpu, 2),
                    "hub_cpu_seconds": round(_cpu_seconds(hub_pid) - before_hub_cpu, 2),
                }
            report = agent.finish()
    finally:
        state.close()
    figures["report"] = {
        k: v for k, v in report.as_dict().items() if k in ("acknowledged", "shipped", "invoiced", "failed")
    }
    return figures


def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; print the figures and return them."""
    parser = argparse.ArgumentParser(prog="agent_bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=2, help="lines per PO")
    parser.add_argument("--concurrency", type=int, default=8, help="agent requests in flight")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the agent's three steps here (pstats)")
    parser.add_argument(
        "--hub-split", action="store_true", help="the hub's CPU per route, one request at a time (concurrency 1)"
    )
    args = parser.parse_args(argv or [])
    if args.hub_split:
        args.concurrency = 1

    with tempfile.TemporaryDirectory(prefix="pohub-agent-bench-") as tmp_name:
        tmp = Path(tmp_name)
        database_url = f"sqlite:///{tmp / 'hub.db'}"
        upgrade(database_url)
        print(f"agent bench: seeding {args.orders} POs of {args.lines} lines ...", flush=True)
        key = asyncio.run(_seed(database_url, args.orders, args.lines))
        ship = _ship_file(tmp / "ship.csv", args.orders, args.lines)
        with _hub(database_url) as (url, proc):
            steps_run = _agent_steps(url, key, tmp, ship, args.concurrency, proc.pid, split=args.hub_split)
            if args.profile is None:
                # operator.call: a C function nothing else calls, for callgrind's --toggle-collect (docstring)
                figures = operator.call(asyncio.run, steps_run)
            else:
                profiler = cProfile.Profile()
                figures = profiler.runcall(asyncio.run, steps_run)
                profiler.dump_stats(args.profile)

    steps = [figures[s] for s in ("acknowledge", "ship", "invoice")]
    total = sum(s["seconds"] for s in steps)
    waiting = sum(s["waiting_on_server_seconds"] for s in steps)
    result: dict[str, Any] = {
        "orders": args.orders,
        "lines_per_order": args.lines,
        "concurrency": args.concurrency,
        "backend": "sqlite",
        "seconds": round(total, 2),
        "pos_per_second": round(args.orders / total, 1) if total else None,
        "requests": sum(s["requests"] for s in steps),
        "server_share": round(waiting / total, 3) if total else None,
        "agent_share": round(1 - waiting / total, 3) if total else None,
        "agent_cpu_seconds": round(sum(s["agent_cpu_seconds"] for s in steps), 2),
        "hub_cpu_seconds": round(sum(s["hub_cpu_seconds"] for s in steps), 2),
        **figures,
    }
    print(
        f"agent bench: {args.orders} POs acknowledged, shipped and invoiced in {total:.1f} s "
        f"= {result['pos_per_second']} POs/s "
        f"({result['requests']} requests, concurrency {args.concurrency}, SQLite hub)"
    )
    for name, step in zip(("acknowledge", "ship", "invoice"), steps, strict=True):
        rate = args.orders / step["seconds"] if step["seconds"] else 0
        print(
            f"  {name:<12} {step['seconds']:>7.2f} s  {rate:>7.1f} POs/s  {step['requests']:>6} requests  "
            f"waiting on hub {step['waiting_on_server_seconds']:>6.2f} s  "
            f"CPU agent {step['agent_cpu_seconds']:.2f} s / hub {step['hub_cpu_seconds']:.2f} s"
        )
    print(
        f"  time: {result['server_share']:.0%} with a request at the hub, "
        f"{result['agent_share']:.0%} in the agent only; "
        f"CPU: agent {result['agent_cpu_seconds']} s, hub {result['hub_cpu_seconds']} s"
    )
    if "hub_split" in figures:
        routes = sorted(figures["hub_split"].items(), key=lambda item: -item[1][1])
        total_ns = sum(ns for _, ns in figures["hub_split"].values()) or 1
        print("  hub CPU by route (its event-loop thread, one request at a time):")
        for route, (count, ns) in routes:
            print(
                f"    {route:<34} {count:>6} requests  {ns / 1e9:>6.2f} s  {ns / 1e3 / count:>7.0f} µs each  "
                f"{ns / total_ns:>4.0%}  ({ns / 1e6 / args.orders:.2f} ms per PO)"
            )
        result["hub_split"] = {route: {"requests": c, "cpu_seconds": round(ns / 1e9, 3)} for route, (c, ns) in routes}
    if figures["report"]["failed"]:
        print(f"  FAILED documents: {figures['report']['failed']}")
    return result


if __name__ == "__main__":
    run(sys.argv[1:])
