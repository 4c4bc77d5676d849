"""POST /as2 on a live server: a plain AS2 message from a partner is taken as POST /edi takes an
interchange; the sync MDN is the answer (its MIC the one the sender computed); an asynchronous MDN
is an outbound exchange whose parent is the interchange; an unknown pair of AS2 ids is a 403."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx

from pohub.edi.as2 import MdnMode, PartnerProfile, build_message, check_mdn, post_message
from tests.edi_wiring.helpers import add_partner
from tests.edi_wiring.test_order_to_cash import eventually
from tests.edi_wiring.test_post_edi import FIXTURES, exchange, orders_of
from tests.support import LiveServer, Trade


def _sender(server: LiveServer, tag: str, **kw: Any) -> PartnerProfile:
    return PartnerProfile(
        our_as2_id=f"ACME-{tag}", partner_as2_id=f"POHUB-{tag}", partner_url=f"{server.url}/as2", **kw
    )


def _partner(server: LiveServer, trade: Trade, tag: str) -> None:
    add_partner(
        trade.buyer,
        trade.supplier,
        TheirQualifier="12",
        TheirId="4405197800",
        OurQualifier="01",
        OurId="999999999",
        Transport="as2",
        As2Url="http://127.0.0.1:9/unreachable",  # the 997 back is queued; this test does not need it to arrive
        As2TheirId=f"ACME-{tag}",
        As2OurId=f"POHUB-{tag}",
    )


async def _post(profile: PartnerProfile, payload: bytes) -> tuple[Any, Any]:
    message = build_message(profile, payload, filename="po.edi")
    async with httpx.AsyncClient(timeout=60) as client:
        return message, await post_message(client, profile, message)


def test_a_plain_as2_message_with_a_sync_mdn(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    _partner(server, trade, tag)
    message, mdn = asyncio.run(_post(_sender(server, tag), (FIXTURES / "node-x12-850.edi").read_bytes()))
    assert mdn is not None
    check_mdn(mdn, message)  # processed, and the MIC pohub computed is the one the sender expects
    (order,) = orders_of(trade.supplier)
    assert order["PartnerPO"] == "08292233294"
    r = trade.buyer.get("/Exchanges", params={"channel": "as2"})
    records = r.json()["Records"]
    inbound = next(e for e in records if e["Direction"] == "in" and e["Operation"] == "edi.interchange")
    ack = next(e for e in records if e["Direction"] == "out" and e["Kind"] == "997")
    assert exchange(trade.buyer, ack["Id"])["ParentId"] == inbound["Id"]


def test_an_async_mdn_is_an_outbound_exchange_and_unknown_ids_are_refused(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    _partner(server, trade, tag)
    sender = _sender(server, tag, mdn=MdnMode.ASYNC, async_mdn_url="http://127.0.0.1:9/mdn")
    _message, mdn = asyncio.run(_post(sender, (FIXTURES / "node-x12-850.edi").read_bytes()))
    assert mdn is None
    found = eventually(
        "the async MDN exchange",
        lambda: [e for e in trade.buyer.get("/Exchanges", params={"channel": "as2-mdn"}).json()["Records"]] or None,
    )
    (queued,) = found
    body = exchange(trade.buyer, queued["Id"])
    assert (
        body["Kind"] == "MDN"
        and body["ParentId"] is not None
        and json.loads(body["Raw"])["url"] == "http://127.0.0.1:9/mdn"
    )

    stranger = _sender(server, "NOBODY")
    r = httpx.post(
        f"{server.url}/as2",
        content=b"ISA*",
        headers={
            "AS2-From": stranger.our_as2_id,
            "AS2-To": stranger.partner_as2_id,
            "Message-ID": "<x@y>",
            "AS2-Version": "1.2",
            "Content-Type": "application/edi-x12",
        },
        timeout=30,
    )
    assert r.status_code == 403 and "AS2-To" in r.text
