"""Parallel returns of one order never over-return: the order's row is locked while a return is
checked against what was shipped and what other returns hold."""

from __future__ import annotations

import asyncio

import httpx

from tests.returns.helpers import return_body, shipped_order
from tests.support import LiveServer, Trade


async def _request_returns(url: str, key: str, token: str, count: int) -> list[int]:
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:

        async def one(i: int) -> int:
            r = await client.post(f"{url}/Orders/{key}/Returns", json=return_body(f"R-P{i}", [("01", 1)]))
            return r.status_code

        return list(await asyncio.gather(*(one(i) for i in range(count))))


def test_five_parallel_returns_of_four_shipped_units(trade: Trade, server: LiveServer) -> None:
    order_key = shipped_order(trade, "PO-RMA-PAR", ship1=4, ship2=0)
    codes = asyncio.run(_request_returns(server.api, order_key, trade.buyer.key, 5))
    assert sorted(codes) == [201, 201, 201, 201, 422], codes
    returns = trade.buyer.get(f"/Orders/{order_key}/Returns").json()["Body"]["Returns"]
    assert sum(r["ReturnLines"][0]["Quantity"] for r in returns) == 4
