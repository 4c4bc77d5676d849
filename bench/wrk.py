"""Load from `wrk` (a C program, so the two cores go to the server, not to the client): one thread,
N keep-alive connections, a fixed duration. A generated Lua script walks a file of requests (one
method, path and body per line) so that each request can name its own order or carry its own
document, and prints its figures as one JSON line that `parse` reads.

When the list runs out before the duration (a write that needs a fresh order each time), the script
stops wrk there: the rate is over the time actually run, and the result says the list was exhausted.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKER = "WRK_JSON "

# Lua for wrk 4: {requests} is the file of "METHOD\tPATH\tBODY" lines, {headers} a Lua table,
# {wrap} whether to start again at the top when the list is done (reads, and the floor's inserts).
LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } pohub_timespec;
int clock_gettime(int clk_id, pohub_timespec *tp);
]]
local ts = ffi.new("pohub_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local requests = {}
local headers = %(headers)s
local wrap = %(wrap)s
-- Globals, not locals: done() reads them through thread:get.
index = 0
exhausted = false
statuses = {}
-- wrk's own duration is always the full -d (its main thread sleeps that long): when the list runs
-- out first, the time from the first request to the last answer is the one that counts.
first_us = 0
last_us = 0

function init(args)
  for line in io.lines(%(path)s) do
    local method, path, body = line:match("^([^\t]*)\t([^\t]*)\t?(.*)$")
    if body == "" then body = nil end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
end

function request()
  if first_us == 0 then first_us = now_us() end
  index = index + 1
  if index > #requests then
    if not wrap then
      exhausted = true
      wrk.thread:stop()
      index = #requests
    else
      index = 1
    end
  end
  return requests[index]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  last_us = now_us()
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency, requests)
  local counts = {}
  local sent = 0
  local ran_out = false
  local active_us = 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + n
    end
    sent = sent + thread:get("index")
    ran_out = ran_out or thread:get("exhausted")
    active_us = math.max(active_us, thread:get("last_us") - thread:get("first_us"))
  end
  local parts = {}
  for status, n in pairs(counts) do parts[#parts + 1] = string.format('"%%s":%%d', status, n) end
  local e = summary.errors
  io.write(string.format(
    '%(marker)s{"requests":%%d,"duration_us":%%d,"active_us":%%d,"bytes":%%d,"sent":%%d,"exhausted":%%s,' ..
    '"errors":{"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d},' ..
    '"latency_us":{"min":%%d,"mean":%%.1f,"max":%%d,"p50":%%d,"p90":%%d,"p99":%%d,"p999":%%d},' ..
    '"statuses":{%%s}}\n',
    summary.requests, summary.duration, active_us, summary.bytes, sent, tostring(ran_out),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), table.concat(parts, ",")))
end
"""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: what came back, how fast, and the latency percentiles (milliseconds)."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[int, int]
    socket_errors: int
    exhausted: bool
    connections: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    client_cpu_s: float = 0.0  # wrk's own user + system CPU over the run: is the load generator the limit?

    @property
    def ok(self) -> int:
        """Answers in 2xx: the only ones that count towards the rate."""
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return self.requests - self.ok + self.socket_errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "per_second": round(self.rate, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p90_ms": round(self.p90_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "max_ms": round(self.max_ms, 2),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "socket_errors": self.socket_errors,
            "list_exhausted": self.exhausted,
            "connections": self.connections,
            "client_cpu_s": round(self.client_cpu_s, 3),
            **self.extra,
        }


class WrkError(RuntimeError):
    pass


def parse(stdout: str) -> WrkResult:
    """The figures from the JSON line our Lua `done()` prints; a missing or malformed line is an error,
    never a zero."""
    lines = [line for line in stdout.splitlines() if line.startswith(MARKER)]
    if len(lines) != 1:
        raise WrkError(f"expected one {MARKER.strip()} line in wrk's output, found {len(lines)}:\n{stdout[-2000:]}")
    data = json.loads(lines[0][len(MARKER) :])
    latency = data["latency_us"]
    errors = data["errors"]
    statuses = {int(k): int(v) for k, v in data["statuses"].items()}
    exhausted = bool(data["exhausted"])
    duration_us = int(data["active_us"]) if exhausted and int(data["active_us"]) > 0 else int(data["duration_us"])
    return WrkResult(
        requests=int(data["requests"]),
        seconds=duration_us / 1e6,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        statuses=statuses,
        # wrk counts a non-2xx/3xx answer under errors.status too; those are in statuses already.
        socket_errors=sum(int(errors[k]) for k in ("connect", "read", "write", "timeout")),
        exhausted=exhausted,
    )


def ratio(value: float, floor: float) -> float | None:
    """value / floor, or None where there is no floor to compare with."""
    return value / floor if floor > 0 else None


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string with only ASCII escapes is a valid Lua string literal


def _lua_table(headers: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()) + "}"


def write_requests(path: Path, requests: Iterable[tuple[str, str, bytes]]) -> int:
    """One "METHOD\\tPATH\\tBODY" line per request (bodies are one-line JSON); returns how many."""
    n = 0
    with path.open("wb") as out:
        for method, target, body in requests:
            if b"\n" in body or b"\t" in body:
                raise ValueError("request bodies must be one-line JSON without tabs")
            out.write(method.encode() + b"\t" + target.encode() + b"\t" + body + b"\n")
            n += 1
    if not n:
        raise ValueError("no requests to send")
    return n


def executable() -> str:
    found = shutil.which(os.environ.get("WRK", "wrk"))
    if not found:
        raise WrkError("wrk is not on PATH: run scripts/install-wrk.sh (make bench does) or set WRK=/path/to/wrk")
    return found


def run(
    url: str,
    requests: Iterable[tuple[str, str, bytes]],
    *,
    seconds: float,
    connections: int = 32,
    headers: Mapping[str, str] | None = None,
    wrap: bool = True,
    timeout_s: float = 30.0,  # a slow answer under load is a latency, not a lost request
    threads: int = 1,
) -> WrkResult:
    """`wrk -tT -cN -dS` against url with the given requests; wrap=False stops at the list's end. The
    result carries wrk's own CPU (its rusage, reaped by subprocess.run)."""
    with tempfile.TemporaryDirectory(prefix="pohub-wrk-") as tmp:
        listing = Path(tmp) / "requests.tsv"
        write_requests(listing, requests)
        script = Path(tmp) / "walk.lua"
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        script.write_text(
            LUA
            % {
                "headers": _lua_table(all_headers),
                "wrap": "true" if wrap else "false",
                "path": _lua_string(str(listing)),
                "marker": MARKER,
            }
        )
        cmd = [
            executable(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={max(1, round(timeout_s))}s",
            "-s",
            str(script),
            url,
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + timeout_s + 60)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise WrkError(f"wrk exited {done.returncode}: {done.stderr.strip() or done.stdout[-2000:]}")
        result = parse(done.stdout)
    client = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return WrkResult(**{**result.__dict__, "connections": connections, "client_cpu_s": client})
