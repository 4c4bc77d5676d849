"""AS2 over real HTTP on loopback: a Starlette app using pohub's receiver, an httpx sender, sync and async MDNs."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from pohub.edi.as2 import (
    As2TransportError,
    Headers,
    InboundMessage,
    MdnMode,
    MdnReportsFailure,
    PartnerProfile,
    ReceivedMdn,
    build_message,
    check_mdn,
    is_mdn,
    parse_mdn,
    post_mdn,
    post_message,
    receive,
)
from tests.edi.as2.conftest import X12_850, Identity, profile_pair, with_
from tests.support import PATIENCE, free_port


@dataclass
class Inbox:
    """What one end's server took in: messages opened, MDNs received, and a signal for each MDN."""

    profiles: list[PartnerProfile] = field(default_factory=list)
    messages: list[InboundMessage] = field(default_factory=list)
    mdns: list[ReceivedMdn] = field(default_factory=list)
    mdn_arrived: threading.Event = field(default_factory=threading.Event)

    def profile(self, as2_from: str, as2_to: str) -> PartnerProfile | None:
        return next((p for p in self.profiles if (p.partner_as2_id, p.our_as2_id) == (as2_from, as2_to)), None)


def as2_app(inbox: Inbox) -> Starlette:
    async def as2(request: Request) -> Response:
        headers, body = Headers(request.headers.items()), await request.body()
        if is_mdn(headers, body):
            profile = inbox.profile(headers.get("AS2-From") or "", headers.get("AS2-To") or "")
            assert profile is not None
            inbox.mdns.append(parse_mdn(headers, body, profile))
            inbox.mdn_arrived.set()
            return PlainTextResponse("")
        answer = receive(headers, body, inbox.profile)
        if answer.message is not None:
            inbox.messages.append(answer.message)
        task = None
        if answer.mdn is not None and answer.async_url:
            mdn, url = answer.mdn, answer.async_url

            async def deliver() -> None:
                async with httpx.AsyncClient() as client:
                    await post_mdn(client, url, mdn)

            task = BackgroundTask(deliver)  # test app only: pohub's route will queue it durably
        return Response(answer.body, status_code=answer.status_code, headers=dict(answer.headers), background=task)

    return Starlette(routes=[Route("/as2", as2, methods=["POST"])])


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("AS2 test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/as2"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def ends() -> Iterator[tuple[Inbox, str, Inbox, str]]:
    """The buyer's server (for async MDNs) and the supplier's server (for messages)."""
    buyer_inbox, supplier_inbox = Inbox(), Inbox()
    with serve(as2_app(buyer_inbox)) as buyer_url, serve(as2_app(supplier_inbox)) as supplier_url:
        yield buyer_inbox, buyer_url, supplier_inbox, supplier_url


def _set_up(
    ends: tuple[Inbox, str, Inbox, str], buyer: Identity, supplier: Identity, **outbound: object
) -> tuple[PartnerProfile, Inbox, Inbox]:
    buyer_inbox, buyer_url, supplier_inbox, supplier_url = ends
    sending, receiving = profile_pair(buyer, supplier, async_mdn_url=buyer_url, **outbound)
    sending = with_(sending, partner_url=supplier_url)
    buyer_inbox.profiles[:] = [sending]
    supplier_inbox.profiles[:] = [receiving]
    buyer_inbox.mdns.clear()
    buyer_inbox.mdn_arrived.clear()
    supplier_inbox.messages.clear()
    return sending, buyer_inbox, supplier_inbox


@pytest.mark.parametrize(
    "security",
    [{}, {"sign": True, "encrypt": True, "mdn_signed": True, "require_signed": True, "require_encrypted": True}],
    ids=["plain", "signed+encrypted"],
)
async def test_sync_mdn_over_http(
    ends: tuple[Inbox, str, Inbox, str], buyer: Identity, supplier: Identity, security: dict[str, bool]
) -> None:
    sending, _, supplier_inbox = _set_up(ends, buyer, supplier, **security)
    message = build_message(sending, X12_850, filename="po-1001.x12")
    async with httpx.AsyncClient() as client:
        mdn = await post_message(client, sending, message)
    assert mdn is not None
    assert mdn.signed is bool(security)
    check_mdn(mdn, message)
    [received] = supplier_inbox.messages
    assert received.payload == X12_850 and received.filename == "po-1001.x12"
    assert received.envelope.message_id == message.message_id


async def test_async_mdn_over_http(ends: tuple[Inbox, str, Inbox, str], buyer: Identity, supplier: Identity) -> None:
    sending, buyer_inbox, supplier_inbox = _set_up(
        ends, buyer, supplier, sign=True, encrypt=True, mdn=MdnMode.ASYNC, mdn_signed=True, digest="sha1"
    )
    message = build_message(sending, X12_850)
    async with httpx.AsyncClient() as client:
        assert await post_message(client, sending, message) is None  # the answer to the POST carries no MDN
    # The MDN arrives on the buyer's own server; the wait only bounds a hang, it measures nothing.
    assert await asyncio.to_thread(buyer_inbox.mdn_arrived.wait, 60)
    [mdn] = buyer_inbox.mdns
    assert mdn.signed and mdn.mic is not None and mdn.mic.digest == "sha1"
    check_mdn(mdn, message)
    assert [m.payload for m in supplier_inbox.messages] == [X12_850]


async def test_error_mdn_over_http(
    ends: tuple[Inbox, str, Inbox, str], buyer: Identity, supplier: Identity, mallory: Identity
) -> None:
    """Encrypted to the wrong certificate: the supplier answers decryption-failed, the buyer's check refuses it."""
    sending, _, supplier_inbox = _set_up(ends, buyer, supplier, encrypt=True)
    sending = with_(sending, partner_certificate=mallory.certificate)
    message = build_message(sending, X12_850)
    async with httpx.AsyncClient() as client:
        mdn = await post_message(client, sending, message)
    assert mdn is not None and not mdn.processed
    assert mdn.disposition.endswith("processed/error: decryption-failed")
    with pytest.raises(MdnReportsFailure):
        check_mdn(mdn, message)
    assert supplier_inbox.messages == []


async def test_unknown_partner_over_http_is_a_transport_error(
    ends: tuple[Inbox, str, Inbox, str], buyer: Identity, supplier: Identity
) -> None:
    sending, _, supplier_inbox = _set_up(ends, buyer, supplier)
    supplier_inbox.profiles.clear()
    message = build_message(sending, X12_850)
    async with httpx.AsyncClient() as client:
        with pytest.raises(As2TransportError, match="HTTP 403"):
            await post_message(client, sending, message)
