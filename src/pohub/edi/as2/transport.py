"""AS2 over HTTP with httpx: POST a message (and read the sync MDN), POST an async MDN."""

from __future__ import annotations

import httpx

from pohub.edi.as2.errors import As2TransportError
from pohub.edi.as2.mdn import Mdn, ReceivedMdn, parse_mdn
from pohub.edi.as2.mime import Headers
from pohub.edi.as2.outbound import OutboundMessage
from pohub.edi.as2.partner import MdnMode, PartnerProfile


async def post_message(
    client: httpx.AsyncClient, profile: PartnerProfile, message: OutboundMessage
) -> ReceivedMdn | None:
    """Send `message` to the partner's URL; the sync MDN when one was asked for, else None."""
    if not profile.partner_url:
        raise As2TransportError(f"partner_url: no AS2 URL configured for {profile.partner_as2_id!r}")
    response = await _post(client, profile.partner_url, message.headers, message.body)
    if message.mdn is not MdnMode.SYNC:
        return None
    return parse_mdn(Headers(response.headers.multi_items()), response.content, profile)


async def post_mdn(client: httpx.AsyncClient, url: str, mdn: Mdn) -> None:
    """Deliver an asynchronous MDN to the sender's Receipt-Delivery-Option URL."""
    await _post(client, url, mdn.headers, mdn.body)


async def _post(client: httpx.AsyncClient, url: str, headers: Headers, body: bytes) -> httpx.Response:
    try:
        response = await client.post(url, headers=headers.items(), content=body)
    except httpx.HTTPError as exc:
        raise As2TransportError(f"POST {url}: {exc!r}") from exc
    if not 200 <= response.status_code < 300:
        raise As2TransportError(f"POST {url}: HTTP {response.status_code} {response.text[:200]!r}")
    return response
