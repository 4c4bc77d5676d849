"""Instructions per request in the whole server process (issue 15): `pohub serve` (or the floor's
uvicorn) under callgrind, driven over TCP by a client in this process.

The in-process batches of ``bench.lane_cpu --instructions`` count the app only (no socket, no
uvicorn, no event loop). Here the server runs as the bench runs it (``hub_bench.hub_cmd`` with
``hub_env``: httptools, uvloop, pohub's logging; the floor as ``hub_bench`` starts it) under
``valgrind --tool=callgrind --instr-atstart=no``; after the start-up and a warm-up, instrumentation
is switched on with ``callgrind_control -i on`` and each batch is ``callgrind_control -z`` (zero),
N requests over ``--connections`` keep-alive connections (each with one request outstanding), then
``callgrind_control -d`` (dump). A dump's total ÷ N is the figure (every thread of the process;
user space only: the kernel's share of a socket's work is not counted). What the process does
with no request at all (uvicorn's 0.1 s tick, pohub's periodic tasks) runs in a batch too, and a
batch takes seconds under valgrind: an idle dump (``--idle`` seconds, no request) gives its rate,
and each batch is also printed less that rate times the batch's seconds.

    python -m bench.server_cost [--target hub|floor] [--requests 500] [--batches 3] [--connections 1]
                                [--out /tmp/server_cost] [--src /path/to/other/src]

Prints each batch's instructions per request; the dumps stay in ``--out`` for callgrind_annotate.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench import documents as docs
from bench.hub_bench import API, free_port, hub_cmd, hub_env, order_keys, setup_parties
from bench.processes import stop
from pohub.db.migrate import upgrade

TOTALS = re.compile(rb"^(?:summary|totals): (\d+)", re.MULTILINE)


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def send_all(port: int, requests: list[bytes], connections: int) -> dict[int, int]:
    """Each request once, over ``connections`` keep-alive connections; the statuses counted."""
    statuses: dict[int, int] = {}
    queue = list(reversed(requests))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue:
                status = await _one(reader, writer, queue.pop())
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return statuses


def raw(method: str, target: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def server(cmd: list[str], env: dict[str, str], port: int, out: Path) -> Iterator[subprocess.Popen[bytes]]:
    args = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}/callgrind.%p",
        *cmd,
        "--port",
        str(port),
    ]
    log = open(out / "server.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(args, env={**os.environ, **env, "POHUB_PORT": str(port)}, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: see {out}/server.log") from None
                time.sleep(1)
        yield proc
    finally:
        stop(proc, 120)
        log.close()


def dumped(out: Path, pid: int, seen: set[str]) -> int:
    """The total of the newest dump not seen before."""
    for _ in range(100):
        files = sorted(set(glob.glob(f"{out}/callgrind.{pid}.*")) - seen, key=os.path.getmtime)
        if files:
            seen.add(files[-1])
            found = TOTALS.search(Path(files[-1]).read_bytes())
            if found:
                return int(found.group(1))
        time.sleep(0.2)
    raise RuntimeError("no dump appeared")


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.server_cost", description=__doc__)
    parser.add_argument("--target", choices=("hub", "floor"), default="hub")
    parser.add_argument("--requests", type=int, default=500, help="requests a batch")
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--orders", type=int, default=50, help="POs made (through the API) to GET in turn")
    parser.add_argument("--warm", type=int, default=300, help="requests before instrumentation starts")
    parser.add_argument(
        "--acknowledged", action="store_true", help="acknowledge the POs first (as make bench GETs them)"
    )
    parser.add_argument("--embedded-worker", action="store_true", help="as make bench on SQLite (default: off)")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of the idle measurement")
    parser.add_argument("--out", default="/tmp/server_cost")
    parser.add_argument("--src", default=None, help="serve from this src directory (PYTHONPATH)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for old in glob.glob(f"{out}/callgrind.*"):
        os.remove(old)
    port = free_port()
    extra = {"PYTHONPATH": args.src} if args.src else {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.target == "floor":
            cmd = [sys.executable, "-m", "uvicorn", "bench.floor:create_app", "--factory", "--log-level", "warning"]
            env = {"FLOOR_DATABASE": str(Path(tmp) / "floor.db"), **extra}
            make: list[bytes] = []
            gets = [raw("GET", "/floor/empty", b"", {})]
        else:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            upgrade(url)
            p = asyncio.run(setup_parties(url))
            cmd = hub_cmd(1)
            env = {**hub_env(url, workers_elsewhere=not args.embedded_worker), "PYTHONHASHSEED": "1", **extra}
            buyer = {"Authorization": f"Bearer {p['buyer_key']}"}
            make = [
                raw("POST", f"{API}/Orders", docs.order(i, prefix="S", buyer=p["buyer"], supplier=p["supplier"]), buyer)
                for i in range(args.orders)
            ]
        with server(cmd, env, port, out) as proc:
            if make:
                made = asyncio.run(send_all(port, make, 1))
                print(f"POs made: {made}", flush=True)
                supplier = {"Authorization": f"Bearer {p['supplier_key']}"}
                status = 150
                if args.acknowledged:
                    keys = order_keys(url, prefix="S", status=150)
                    acks = [
                        raw("POST", f"{API}/Acknowledgements", docs.acknowledgement(i, k), supplier)
                        for i, k in enumerate(keys)
                    ]
                    print(f"acknowledged: {asyncio.run(send_all(port, acks, 1))}", flush=True)
                    status = 500
                gets = [
                    raw("GET", f"{API}/Orders/{k}", b"", supplier) for k in order_keys(url, prefix="S", status=status)
                ]
            batch = [gets[i % len(gets)] for i in range(args.requests)]
            asyncio.run(send_all(port, [gets[i % len(gets)] for i in range(args.warm)], args.connections))
            control(proc.pid, "-i", "on")
            asyncio.run(send_all(port, batch[: args.connections * 4], args.connections))  # after the switch
            seen: set[str] = set()
            # What the process does with no request (uvicorn's tick, pohub's periodic tasks): a
            # batch under valgrind takes seconds, so its share is taken off by the batch's time.
            control(proc.pid, "-z")
            time.sleep(args.idle)
            control(proc.pid, "-d")
            idle = dumped(out, proc.pid, seen) / args.idle
            print(f"{args.target} idle: {idle / 1e6:.3f} M instructions a second", flush=True)
            for n in range(args.batches):
                control(proc.pid, "-z")
                started = time.monotonic()
                statuses = asyncio.run(send_all(port, batch, args.connections))
                control(proc.pid, "-d")
                seconds = time.monotonic() - started
                total = dumped(out, proc.pid, seen)
                print(
                    f"{args.target} batch {n + 1}: {args.requests} requests {statuses}, "
                    f"{args.connections} connections, {seconds:.1f} s: {total / args.requests / 1e6:.4f} M "
                    f"instructions a request, {(total - idle * seconds) / args.requests / 1e6:.4f} M "
                    "less the idle rate",
                    flush=True,
                )


if __name__ == "__main__":
    main()
