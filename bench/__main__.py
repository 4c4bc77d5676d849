"""`make bench`: every benchmark (or those named: `python -m bench hub_bench agent_bench`), figures
printed and kept in bench/results/<date>-<host>.json and bench/results/latest.json, with the machine
they ran on and its load before and after (figures from a loaded machine are indicative only)."""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.report import machine

BENCHMARKS = ("hub_bench", "agent_bench", "wms_bench", "inventory_bench")


def sizes() -> dict[str, list[str]]:
    """`make bench` runs the Python-load benchmarks smaller than their own defaults (their set-up alone,
    at full size, takes longer than the whole bench should); the ratios they print hold at either size.
    `python -m bench.wms_bench` (100,000 orders) and `python -m bench.agent_bench` (10,000 POs) run full."""
    return {
        "hub_bench": [],
        "agent_bench": ["--orders", os.environ.get("BENCH_AGENT_ORDERS", "1000")],
        "wms_bench": ["--orders", os.environ.get("BENCH_WMS_ORDERS", "10000")],
        "inventory_bench": ["--rows", os.environ.get("BENCH_INVENTORY_ROWS", "100000")],
    }


def main() -> None:
    only = set(sys.argv[1:])
    unknown = only - set(BENCHMARKS)
    if unknown:
        sys.exit(f"unknown benchmarks {sorted(unknown)}; choose from {', '.join(BENCHMARKS)}")
    before = machine()
    cores = before["cores"] or 1
    loaded = bool(before["load_average"]) and before["load_average"][0] >= 0.5 * cores
    print(
        f"machine: {before['host']}, {cores} cores, {before['cpu_model']}; load average {before['load_average']}"
        + (" (loaded: the figures are indicative, the ratios to the floor are what to read)" if loaded else ""),
        flush=True,
    )
    report: dict[str, Any] = {"machine": before, "loaded": loaded, "benchmarks": {}, "seconds": {}}
    started = time.monotonic()
    for name in BENCHMARKS:
        if only and name not in only:
            continue
        module = importlib.import_module(f"bench.{name}")
        entry = getattr(module, "main", None) or module.run
        t0 = time.monotonic()
        report["benchmarks"][name] = entry(sizes()[name])
        report["seconds"][name] = round(time.monotonic() - t0, 1)
    report["seconds"]["total"] = round(time.monotonic() - started, 1)
    report["load_average_after"] = machine()["load_average"]
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    text = json.dumps(report, indent=2, default=str)
    dated = out / f"{day}-{before['host']}.json"
    dated.write_text(text)
    (out / "latest.json").write_text(text)
    print(f"\n{report['seconds']['total']:.0f} s in all ({report['seconds']}); written to {dated} and latest.json")


if __name__ == "__main__":
    main()
