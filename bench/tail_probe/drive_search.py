"""drive_search.py DB WORKERS CONNS SECONDS [ENV=VAL ...]: `pohub serve` on DB (from load_search_db.py),
plain `wrk --latency` on the Step 1 search (search.lua; WRK_T threads, default 1), and the server's
CPU per page from /proc (its children included, for --workers 2). With several processes it also
prints how the connections split between the children (hub_bench.connection_split, read mid-run)
and each child's CPU: SO_REUSEPORT picks a child by a hash of each connection's addresses, so 32
connections need not split 16/16."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench import hub_bench as hb

LUA = str(Path(__file__).with_name("search.lua"))


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def own_cpu(pid: int, fields: slice = slice(11, 13)) -> float:
    """utime + stime of the process alone (hub_bench.cpu_seconds adds its children's); stime alone
    with ``fields=slice(12, 13)``."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in stat[fields]) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int, fields: slice = slice(11, 13)) -> float:
    return own_cpu(pid, fields) + sum(tree_cpu(child, fields) for child in children(pid))


def main() -> None:
    db, workers, conns, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    extra = dict(arg.split("=", 1) for arg in sys.argv[5:])
    parties = json.loads(Path(db + ".json").read_text())
    env = {**hb.hub_env(f"sqlite:///{db}", workers_elsewhere=False), **extra}
    with hb.process("serve", hb.hub_cmd(workers), env, "/") as hub:
        port = int(hub.url.rsplit(":", 1)[1])
        wenv = {**os.environ, "KEY": parties["supplier_key"]}
        threads = "-t" + os.environ.get("WRK_T", "1")
        warm = ["wrk", threads, f"-c{conns}", "-d2s", "-s", LUA, hub.url]
        subprocess.run(warm, env=wenv, capture_output=True, check=True)
        servers = children(hub.proc.pid) if workers > 1 else [hub.proc.pid]
        before = tree_cpu(hub.proc.pid)
        system_before = tree_cpu(hub.proc.pid, slice(12, 13))
        each_before = [tree_cpu(p) for p in servers]
        cmd = ["wrk", threads, f"-c{conns}", f"-d{secs}s", "--latency", "-s", LUA, hub.url]
        with hb.split_midway(hub.proc.pid, port, float(secs)) as split:
            out = subprocess.run(cmd, env=wenv, capture_output=True, text=True, check=True).stdout
        cpu = tree_cpu(hub.proc.pid) - before
        system = tree_cpu(hub.proc.pid, slice(12, 13)) - system_before
        each = [tree_cpu(p) - b for p, b in zip(servers, each_before, strict=True)]
        answered = int(out.split(" requests in")[0].split()[-1])
        print(out)
        print(
            f"server CPU {1000 * cpu / answered:.2f} ms/page ({1000 * system / answered:.2f} of it system),"
            f" load {os.getloadavg()[0]:.2f}"
        )
        if workers > 1:
            print(f"connections per child {split}, CPU seconds per child {[round(c, 2) for c in each]}")


if __name__ == "__main__":
    main()
