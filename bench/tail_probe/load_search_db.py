"""load_search_db.py PATH N: a SQLite database at PATH with hub_bench's parties and N ten-line POs
(hub_bench.fill), its keys in PATH.json, kept between runs of drive_search.py."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bench import hub_bench as hb

from pohub.db.migrate import upgrade


def main() -> None:
    path, total = Path(sys.argv[1]), int(sys.argv[2])
    url = f"sqlite:///{path}"
    upgrade(url)
    parties = asyncio.run(hb.setup_parties(url))
    print(f"filled in {asyncio.run(hb.fill(url, parties, total)):.0f} s")
    Path(str(path) + ".json").write_text(json.dumps(parties))


if __name__ == "__main__":
    main()
