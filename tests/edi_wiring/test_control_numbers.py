"""Control numbers are kept per partner and never handed out twice, also by two processes at once
on PostgreSQL; an interchange received again within the window is recognised."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from datetime import timedelta

from pohub.db.engine import Database
from pohub.edi.partners import service
from tests.edi_wiring.helpers import add_partner
from tests.support import LiveServer, Trade


async def _allocate(url: str, partner_id: int, kind: str, count: int) -> list[int]:
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            partner = await service.profile(conn, partner_id=partner_id)
            first = await service.next_control(conn, partner=partner, kind=kind, count=count)
        return list(range(first, first + count))
    finally:
        await db.dispose()


def test_numbers_are_per_partner_and_per_kind(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    one = add_partner(trade.buyer, trade.supplier, TheirId=f"A{tag}")["Id"]
    url = server.database_url
    assert asyncio.run(_allocate(url, one, "isa", 3)) == [1, 2, 3]
    assert asyncio.run(_allocate(url, one, "isa", 1)) == [4]
    assert asyncio.run(_allocate(url, one, "gs", 2)) == [1, 2]


def test_two_processes_never_share_a_number(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    partner_id = add_partner(trade.buyer, trade.supplier, TheirId=f"P{tag}")["Id"]
    count = 40
    cmd = [sys.executable, "-m", "tests.edi_wiring.allocate", server.database_url, str(partner_id), str(count)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    numbers = [int(n) for out, _err in outs for n in out.split()]
    assert len(numbers) == 2 * count
    assert sorted(numbers) == list(range(1, 2 * count + 1))  # no duplicate, no gap


async def _receipts(url: str, partner_id: int) -> list[int | None]:
    db = Database(url, pool_size=1)
    try:
        out = []
        async with db.write() as conn:
            partner = await service.profile(conn, partner_id=partner_id)
            out.append(await service.first_receipt(conn, partner=partner, control="000000007", exchange_id=11))
            out.append(await service.first_receipt(conn, partner=partner, control="000000007", exchange_id=12))
            out.append(await service.first_receipt(conn, partner=partner, control="000000008", exchange_id=13))
            # Past the window the same number is a new interchange (senders wrap their counters).
            out.append(
                await service.first_receipt(
                    conn, partner=partner, control="000000007", exchange_id=14, window=timedelta(0)
                )
            )
        return out
    finally:
        await db.dispose()


def test_a_second_copy_within_the_window_is_a_duplicate(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    partner_id = add_partner(trade.buyer, trade.supplier, TheirId=f"D{tag}")["Id"]
    assert asyncio.run(_receipts(server.database_url, partner_id)) == [None, 11, None, None]
