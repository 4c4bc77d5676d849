"""drive_search.py DB WORKERS CONNS SECONDS [ENV=VAL ...]: `pohub serve` on DB (from load_search_db.py),
plain `wrk --latency` on the Step 1 search (search.lua; WRK_T threads, default 1), and the server's
CPU per page from /proc (its children included, for --workers 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench import hub_bench as hb

LUA = str(Path(__file__).with_name("search.lua"))


def tree_cpu(pid: int) -> float:
    total = hb.cpu_seconds(pid)
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        total += tree_cpu(int(child))
    return total


def main() -> None:
    db, workers, conns, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    extra = dict(arg.split("=", 1) for arg in sys.argv[5:])
    parties = json.loads(Path(db + ".json").read_text())
    env = {**hb.hub_env(f"sqlite:///{db}", workers_elsewhere=False), **extra}
    with hb.process("serve", hb.hub_cmd(workers), env, "/") as hub:
        wenv = {**os.environ, "KEY": parties["supplier_key"]}
        threads = "-t" + os.environ.get("WRK_T", "1")
        warm = ["wrk", threads, f"-c{conns}", "-d2s", "-s", LUA, hub.url]
        subprocess.run(warm, env=wenv, capture_output=True, check=True)
        before = tree_cpu(hub.proc.pid)
        cmd = ["wrk", threads, f"-c{conns}", f"-d{secs}s", "--latency", "-s", LUA, hub.url]
        out = subprocess.run(cmd, env=wenv, capture_output=True, text=True, check=True).stdout
        cpu = tree_cpu(hub.proc.pid) - before
        answered = int(out.split(" requests in")[0].split()[-1])
        print(out)
        print(f"server CPU {1000 * cpu / answered:.2f} ms/page, load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
