"""The receiving end of AS2 over HTTP, independent of the web framework: request in, answer out.

The route (FastAPI, Starlette) hands over the request headers and body and a way to find the
partner profile; it gets back the HTTP answer (the sync MDN, an empty 200 when the MDN is async,
or a 4xx naming the header at fault), the opened message if it opened, and the async MDN to POST.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pohub.edi.as2.envelope import read_envelope
from pohub.edi.as2.errors import As2Error, As2RequestError
from pohub.edi.as2.inbound import InboundMessage, open_message
from pohub.edi.as2.mdn import Mdn, build_mdn
from pohub.edi.as2.mime import Headers
from pohub.edi.as2.partner import PartnerProfile

# (AS2-From, AS2-To) of the request → the profile of that relationship, or None when there is none.
ProfileLookup = Callable[[str, str], PartnerProfile | None]


@dataclass(frozen=True, kw_only=True)
class Answer:
    status_code: int
    headers: list[tuple[str, str]]
    body: bytes
    message: InboundMessage | None = None  # the payload, when the message opened
    error: As2Error | None = None  # why the message did not open (also reported in the MDN)
    refusal: As2RequestError | None = None  # why the request was not taken at all (no MDN possible)
    mdn: Mdn | None = None  # the MDN built, sync (already in body) or async
    async_url: str | None = None  # where to POST `mdn` when the sender asked for an async MDN


def receive(
    headers: Iterable[tuple[str, str]] | Mapping[str, str],
    body: bytes,
    find_profile: ProfileLookup,
    *,
    now: datetime | None = None,
) -> Answer:
    """Open an AS2 request and answer it as RFC 4130 says."""
    request_headers = Headers(headers)
    try:
        envelope = read_envelope(request_headers)
    except As2RequestError as exc:
        return _refusal(exc)
    profile = find_profile(envelope.as2_from, envelope.as2_to)
    if profile is None:
        return _refusal(
            As2RequestError("AS2-To", f"no trading partner {envelope.as2_from!r} → {envelope.as2_to!r} here", 403)
        )
    result: InboundMessage | As2Error
    try:
        result = open_message(envelope, request_headers, body, profile)
    except As2Error as exc:
        result = exc
    message = result if isinstance(result, InboundMessage) else None
    error = result if isinstance(result, As2Error) else None
    if envelope.mdn is None:
        return Answer(status_code=200, headers=[], body=b"", message=message, error=error)
    mdn = build_mdn(envelope, profile, result, now=now)
    if envelope.mdn.async_url:
        return Answer(
            status_code=200,
            headers=[],
            body=b"",
            message=message,
            error=error,
            mdn=mdn,
            async_url=envelope.mdn.async_url,
        )
    return Answer(status_code=200, headers=mdn.headers.items(), body=mdn.body, message=message, error=error, mdn=mdn)


def _refusal(exc: As2RequestError) -> Answer:
    return Answer(
        status_code=exc.status_code,
        headers=[("Content-Type", "text/plain; charset=utf-8")],
        body=f"{exc}\n".encode(),
        refusal=exc,
    )
