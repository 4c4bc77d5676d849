"""`make bench`: every benchmark, figures printed and written to bench/results/latest.json."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any


def main() -> None:
    report: dict[str, Any] = {}
    only = set(sys.argv[1:])
    for name in ("hub_bench", "agent_bench", "wms_bench", "inventory_bench"):
        if only and name not in only:
            continue
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            continue
        entry = getattr(module, "main", None) or module.run
        report[name] = entry([])
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"\nwritten to {out / 'latest.json'}")


if __name__ == "__main__":
    main()
