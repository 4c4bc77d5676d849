"""Run as a process: allocate control numbers for one partner, one transaction each, and print them.
python -m tests.edi_wiring.allocate DATABASE_URL PARTNER_ID COUNT"""

from __future__ import annotations

import asyncio
import sys

from pohub.db.engine import Database
from pohub.edi.partners import service


async def main(url: str, partner_id: int, count: int) -> None:
    db = Database(url, pool_size=2)
    try:
        numbers = []
        for _ in range(count):
            async with db.write() as conn:
                partner = await service.profile(conn, partner_id=partner_id)
                numbers.append(await service.next_control(conn, partner=partner, kind="isa"))
                await asyncio.sleep(0)  # hold the row a moment longer, as a real send would
        print(" ".join(map(str, numbers)))
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
