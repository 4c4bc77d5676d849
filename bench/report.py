"""What the benchmarks print and keep: the side-by-side table (rate, p50, p99, ratio to the floor),
the machine they ran on, and each process's resident memory (read from /proc, Linux only)."""

from __future__ import annotations

import os
import platform
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.wrk import WrkResult, ratio


@dataclass(frozen=True)
class Row:
    """One line of the table: a path, its result, and the floor run it is compared with (or None)."""

    name: str
    result: WrkResult
    floor: WrkResult | None
    goal: str = ""  # issue 15's target for this path, and whether this run met it ("" when none)

    @property
    def ratio(self) -> float | None:
        return ratio(self.result.rate, self.floor.rate) if self.floor is not None else None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, **self.result.as_dict(), "ratio_to_floor": _round(self.ratio), "goal": self.goal}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _answers(result: WrkResult) -> str:
    parts = [f"{status}x{n}" for status, n in sorted(result.statuses.items())]
    if result.socket_errors:
        parts.append(f"socket errors x{result.socket_errors}")
    if result.exhausted:
        parts.append("list ran out")
    return ", ".join(parts)


def table(rows: list[Row]) -> str:
    """A fixed-width table: rate counts 2xx answers only; every other answer is listed beside it."""
    head = f"{'path':<44} {'rate/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7}  {'goal':<28} answers"
    lines = [head, "-" * len(head)]
    for row in rows:
        r = row.result
        shown = "-" if row.ratio is None else f"{row.ratio:.3f}"
        figures = f"{r.rate:>9.0f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {shown:>7}"
        lines.append(f"{row.name:<44} {figures}  {row.goal:<28} {_answers(r)}")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """Cores, CPU model and load: figures from a loaded two-core machine are indicative only."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "host": socket.gethostname(),
        "cores": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average": _load(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def status_kb(pid: int, field: str) -> int | None:
    """One KiB figure of /proc/PID/status ("VmRSS", "RssAnon"), or None if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def rss_kb(pid: int) -> int | None:
    """Resident set size of one process in KiB, or None if it is gone."""
    return status_kb(pid, "VmRSS")


def private_kb(pid: int) -> int | None:
    """The anonymous part of the RSS (RssAnon): the process's own memory, without the file pages it
    maps (SQLite readers map the database file: the OS's shared file cache, docs/operations.md)."""
    return status_kb(pid, "RssAnon")


def _change(before: int | None, after: int | None) -> float | None:
    return round((after - before) / before * 100, 1) if before and after else None


def descendants(pid: int) -> list[int]:
    """pid and every process below it (uvicorn's worker processes under `pohub serve --workers 2`)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def role(command: str, main: bool) -> str:
    """What a process of a tree is, in a word: uvicorn's --workers start children through multiprocessing."""
    if "resource_tracker" in command:
        return "resource tracker"
    if "multiprocessing" in command:
        return "server process"
    return "main" if main else "child"


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()[:120]
    except OSError:
        return ""


class Memory:
    """RSS of a process tree when it is ready, after its first measured run (warm) and at the end."""

    def __init__(self, label: str, pid: int) -> None:
        self.label = label
        self.pid = pid
        self.samples: dict[str, dict[int, int]] = {}
        self.private: dict[str, dict[int, int]] = {}
        self.commands: dict[int, str] = {}

    def sample(self, when: str) -> None:
        self.samples[when] = {p: kb for p in descendants(self.pid) if (kb := rss_kb(p)) is not None}
        self.private[when] = {p: kb for p in self.samples[when] if (kb := private_kb(p)) is not None}
        for p in self.samples[when]:
            self.commands.setdefault(p, command_of(p))  # kept now: the report is written after they stop

    def as_dict(self) -> dict[str, Any]:
        pids = sorted({p for s in self.samples.values() for p in s})
        processes = []
        for p in pids:
            kb = {when: s.get(p) for when, s in self.samples.items()}
            private = {when: s.get(p) for when, s in self.private.items()}
            processes.append(
                {
                    "pid": p,
                    "role": role(self.commands.get(p, ""), p == self.pid),
                    "command": self.commands.get(p, ""),
                    "rss_kb": kb,
                    "warm_to_end_percent": _change(kb.get("warm"), kb.get("end")),
                    "private_kb": private,
                    "private_warm_to_end_percent": _change(private.get("warm"), private.get("end")),
                }
            )
        return {"label": self.label, "processes": processes}

    def line(self) -> str:
        parts = []
        for proc in self.as_dict()["processes"]:
            kb = proc["rss_kb"]
            ready, warm, end = kb.get("ready"), kb.get("warm"), kb.get("end")
            change = proc["warm_to_end_percent"]

            def mb(v: int | None) -> str:
                return "?" if v is None else f"{v / 1024:.0f}"

            own = proc["private_kb"]
            parts.append(
                f"{proc['role']} {proc['pid']}: ready {mb(ready)} MB, warm {mb(warm)} MB, end {mb(end)} MB"
                + ("" if change is None else f" ({change:+.1f} % warm->end)")
                + f", private {mb(own.get('ready'))}/{mb(own.get('warm'))}/{mb(own.get('end'))} MB"
            )
        return f"RSS {self.label}: " + "; ".join(parts)
