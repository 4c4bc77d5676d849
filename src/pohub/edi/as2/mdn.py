"""Message Disposition Notifications (RFC 3798/8098 as profiled by RFC 4130 §7): build, read, check.

An MDN is a multipart/report with a human-readable part and a message/disposition-notification
part, signed (multipart/signed around the report) when the sender asked for a signed receipt.
"""

from __future__ import annotations

import email.utils
import hmac
from dataclasses import dataclass
from datetime import datetime

from pohub.core import clock
from pohub.edi.as2.envelope import AS2_VERSION, Envelope, format_as2_id, new_message_id
from pohub.edi.as2.errors import (
    As2Error,
    MdnMalformed,
    MdnMismatch,
    MdnReportsFailure,
    MdnSignatureError,
)
from pohub.edi.as2.inbound import SIGNATURE_TYPES, InboundMessage
from pohub.edi.as2.mic import Mic, parse_mic
from pohub.edi.as2.mime import (
    CRLF,
    Entity,
    Headers,
    MimeError,
    cms_bytes,
    decode_transfer,
    join_multipart,
    make_entity,
    new_boundary,
    parse_entity,
    parse_headers,
    split_multipart,
)
from pohub.edi.as2.outbound import OutboundMessage, sign_entity
from pohub.edi.as2.partner import PartnerProfile
from pohub.edi.as2.smime import verify_detached

REPORTING_UA = "pohub AS2"
DISPOSITION_MODE = "automatic-action/MDN-sent-automatically"


@dataclass(frozen=True)
class Mdn:
    """An MDN to send: the HTTP headers and body, sync (the answer to the POST) or async (POSTed to a URL)."""

    message_id: str
    original_message_id: str
    disposition: str
    headers: Headers
    body: bytes
    signed: bool


def disposition_for(result: InboundMessage | As2Error) -> str:
    if isinstance(result, As2Error):
        return f"{DISPOSITION_MODE}; processed/error: {result.modifier}"
    return f"{DISPOSITION_MODE}; processed"


def build_mdn(
    envelope: Envelope,
    profile: PartnerProfile,
    result: InboundMessage | As2Error,
    *,
    message_id: str | None = None,
    now: datetime | None = None,
) -> Mdn:
    """The MDN answering `envelope`'s message: processed with its MIC, or the error the message raised."""
    disposition = disposition_for(result)
    recipient = f"rfc822; {format_as2_id(envelope.as2_to)}"
    fields = [
        ("Reporting-UA", REPORTING_UA),
        ("Original-Recipient", recipient),
        ("Final-Recipient", recipient),
        ("Original-Message-ID", envelope.message_id),
        ("Disposition", disposition),
    ]
    if isinstance(result, InboundMessage):
        fields.append(("Received-Content-MIC", result.mic.header_value()))
        text = f"The AS2 message {envelope.message_id} was received and processed."
    else:
        text = f"The AS2 message {envelope.message_id} was received but could not be processed: {result.detail}"
    report_parts = [
        make_entity(
            [("Content-Type", "text/plain; charset=us-ascii"), ("Content-Transfer-Encoding", "7bit")],
            _ascii(text) + CRLF,
        ).raw,
        make_entity(
            [("Content-Type", "message/disposition-notification"), ("Content-Transfer-Encoding", "7bit")],
            Headers(fields).to_bytes(),
        ).raw,
    ]
    boundary = new_boundary(*report_parts)
    report = make_entity(
        [("Content-Type", f'multipart/report; report-type=disposition-notification; boundary="{boundary}"')],
        join_multipart(boundary, report_parts),
    )
    request = envelope.mdn
    signed = bool(request and request.signed and profile.our_certificate and profile.our_key)
    if signed:
        assert request is not None
        digest = request.micalgs[0] if request.micalgs else profile.digest
        report = sign_entity(report, profile, digest)
    mdn_id = message_id or new_message_id(profile.our_as2_id)
    headers = [
        ("AS2-Version", AS2_VERSION),
        ("AS2-From", format_as2_id(envelope.as2_to)),
        ("AS2-To", format_as2_id(envelope.as2_from)),
        ("Message-ID", mdn_id),
        ("Subject", "AS2 MDN"),
        ("Date", email.utils.format_datetime(now or clock.now())),
        ("MIME-Version", "1.0"),
        *report.headers.items(),
    ]
    return Mdn(mdn_id, envelope.message_id, disposition, Headers(headers), report.body, signed)


def _ascii(text: str) -> bytes:
    return text.encode("ascii", "replace")


@dataclass(frozen=True)
class ReceivedMdn:
    original_message_id: str
    disposition: str
    mic: Mic | None
    signed: bool
    final_recipient: str | None
    text: str

    @property
    def processed(self) -> bool:
        """`processed` or `processed/warning`: the partner took the message; error and failed are refusals."""
        _, _, outcome = self.disposition.partition(";")
        kind, _, modifier = outcome.strip().partition("/")
        return kind.strip().lower() == "processed" and not modifier.lower().startswith(("error", "failure"))


def is_mdn(headers: Headers, body: bytes) -> bool:
    """Whether an inbound POST is an (async) MDN rather than a message: a report, possibly signed."""
    entity = Entity(headers, body, headers.to_bytes() + CRLF + body)
    if entity.content_type == "multipart/report":
        return True
    if entity.content_type == "multipart/signed" and entity.param("boundary"):
        try:
            first = parse_entity(split_multipart(body, entity.param("boundary") or "")[0])
        except (MimeError, IndexError):
            return False
        return first.content_type == "multipart/report"
    return False


def parse_mdn(headers: Headers, body: bytes, profile: PartnerProfile) -> ReceivedMdn:
    """Read an MDN from the profile's partner, verifying its signature with the partner's certificate."""
    try:
        return _parse(headers, body, profile)
    except (MimeError, ValueError) as exc:
        raise MdnMalformed(f"not a readable MDN: {exc}") from exc


def _parse(headers: Headers, body: bytes, profile: PartnerProfile) -> ReceivedMdn:
    entity = Entity(headers, body, headers.to_bytes() + CRLF + body)
    signed = False
    if entity.content_type == "multipart/signed":
        entity = _verified_report(entity, profile)
        signed = True
    elif profile.require_signed_mdn:
        raise MdnSignatureError("the partner profile requires signed MDNs; this one is not signed")
    if entity.content_type != "multipart/report":
        raise MdnMalformed(f"an MDN is multipart/report, not {entity.content_type}")
    parts = [parse_entity(p) for p in split_multipart(entity.body, entity.param("boundary") or "")]
    notes = [p for p in parts if p.content_type == "message/disposition-notification"]
    if not notes:
        raise MdnMalformed("the report has no message/disposition-notification part")
    fields = parse_headers(decode_transfer(notes[0]))
    original, disposition = fields.get("Original-Message-ID"), fields.get("Disposition")
    if not original or not disposition:
        raise MdnMalformed("the disposition notification lacks Original-Message-ID or Disposition")
    mic_field = fields.get("Received-Content-MIC")
    text = b"".join(decode_transfer(p) for p in parts if p.content_type == "text/plain").decode("utf-8", "replace")
    return ReceivedMdn(
        original_message_id=original.strip(),
        disposition=disposition.strip(),
        mic=parse_mic(mic_field) if mic_field else None,
        signed=signed,
        final_recipient=fields.get("Final-Recipient"),
        text=text.strip(),
    )


def _verified_report(entity: Entity, profile: PartnerProfile) -> Entity:
    parts = split_multipart(entity.body, entity.param("boundary") or "")
    if len(parts) != 2:
        raise MdnMalformed(f"a signed MDN has 2 parts, this one {len(parts)}")
    signature = parse_entity(parts[1])
    if signature.content_type not in SIGNATURE_TYPES:
        raise MdnSignatureError(f"the second part of the signed MDN is {signature.content_type}")
    if profile.partner_certificate is None:
        raise MdnSignatureError("the MDN is signed but no partner certificate is configured to verify it")
    try:
        verify_detached(parts[0], cms_bytes(signature), profile.partner_certificate)
    except As2Error as exc:
        raise MdnSignatureError(f"the MDN's signature: {exc}") from exc
    return parse_entity(parts[0])


def check_mdn(mdn: ReceivedMdn, sent: OutboundMessage) -> None:
    """Raise unless the MDN confirms `sent`: the same Message-ID, processed, and the MIC we computed."""
    if mdn.original_message_id != sent.message_id:
        raise MdnMismatch(f"the MDN is for {mdn.original_message_id}, not {sent.message_id}")
    if not mdn.processed:
        raise MdnReportsFailure(mdn.disposition)
    if mdn.mic is None:
        raise MdnMismatch("the MDN carries no Received-Content-MIC")
    expected = sent.mics.get(mdn.mic.digest)
    if expected is None or not hmac.compare_digest(expected, mdn.mic.value):
        raise MdnMismatch(
            f"Received-Content-MIC {mdn.mic.header_value()} differs from the MIC sent ({expected}, {mdn.mic.digest})"
        )
