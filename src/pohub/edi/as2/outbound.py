"""Build an outbound AS2 message: the payload entity, then compressed, signed and encrypted as the profile says.

The layers nest in the usual order (RFC 5402 §3: compress, then sign, then encrypt), so a receiver
peels them off outside in. The MIC the receiver must return is computed here over the same bytes
the receiver will digest (RFC 4130 §7.3.1): the signed entity with its headers when signed, the
entity that was encrypted when encrypted but not signed, the payload alone otherwise.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass, field
from datetime import datetime

from pohub.core import clock
from pohub.edi.as2.algorithms import DIGESTS
from pohub.edi.as2.compression import compress
from pohub.edi.as2.envelope import AS2_VERSION, MdnRequest, format_as2_id, new_message_id
from pohub.edi.as2.mic import Mic, all_mics, compute_mic, mic_digest
from pohub.edi.as2.mime import (
    Entity,
    Headers,
    base64_lines,
    disposition_attachment,
    join_multipart,
    make_entity,
    new_boundary,
)
from pohub.edi.as2.partner import MdnMode, PartnerProfile
from pohub.edi.as2.smime import encrypt, sign_detached


@dataclass(frozen=True)
class OutboundMessage:
    """What to POST (headers and body) and what to expect back (the MIC, in every digest)."""

    message_id: str
    headers: Headers
    body: bytes
    mic: Mic  # in the digest the partner will use (mic.mic_digest): what it must return
    mics: dict[str, str] = field(repr=False)  # the same MIC in every digest, for a partner that picks another
    mdn: MdnMode = MdnMode.SYNC
    signed: bool = False
    encrypted: bool = False
    compressed: bool = False


def build_message(
    profile: PartnerProfile,
    payload: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    subject: str | None = None,
    message_id: str | None = None,
    now: datetime | None = None,
) -> OutboundMessage:
    """The AS2 message carrying `payload` to the profile's partner."""
    message_id = message_id or new_message_id(profile.our_as2_id)
    entity = payload_entity(payload, content_type or profile.content_type, filename)
    mic_basis = payload
    if profile.compress:
        entity = _compressed(entity)
    if profile.sign:
        mic_basis = entity.raw
        entity = _signed(entity, profile)
    if profile.encrypt:
        if not profile.sign:
            mic_basis = entity.raw
        entity = _encrypted(entity, profile)
    headers = [
        ("AS2-Version", AS2_VERSION),
        ("AS2-From", format_as2_id(profile.our_as2_id)),
        ("AS2-To", format_as2_id(profile.partner_as2_id)),
        ("Message-ID", message_id),
        ("Subject", subject or f"AS2 message from {profile.our_as2_id}"),
        ("Date", email.utils.format_datetime(now or clock.now())),
        ("MIME-Version", "1.0"),
        *_mdn_headers(profile),
        *entity.headers.items(),
    ]
    return OutboundMessage(
        message_id=message_id,
        headers=Headers(headers),
        body=entity.body,
        mic=compute_mic(mic_basis, _expected_mic_digest(profile)),
        mics=all_mics(mic_basis),
        mdn=profile.mdn,
        signed=profile.sign,
        encrypted=profile.encrypt,
        compressed=profile.compress,
    )


def payload_entity(payload: bytes, content_type: str, filename: str | None) -> Entity:
    headers = [("Content-Type", content_type), ("Content-Transfer-Encoding", "binary")]
    if filename:
        headers.append(("Content-Disposition", disposition_attachment(filename)))
    return make_entity(headers, payload)


def _expected_mic_digest(profile: PartnerProfile) -> str:
    requested = (profile.digest,) if profile.mdn_signed else ()
    return mic_digest(requested, profile.digest if profile.sign else None)


def _mdn_headers(profile: PartnerProfile) -> list[tuple[str, str]]:
    if profile.mdn is MdnMode.NONE:
        return []
    micalgs = (profile.digest,) if profile.mdn_signed else ()
    async_url = profile.async_mdn_url if profile.mdn is MdnMode.ASYNC else None
    return MdnRequest(profile.mdn_to, profile.mdn_signed, False, micalgs, async_url).header_items()


def _compressed(entity: Entity) -> Entity:
    return make_entity(
        [
            ("Content-Type", 'application/pkcs7-mime; smime-type=compressed-data; name="smime.p7z"'),
            ("Content-Transfer-Encoding", "binary"),
            ("Content-Disposition", 'attachment; filename="smime.p7z"'),
        ],
        compress(entity.raw),
    )


def sign_entity(entity: Entity, profile: PartnerProfile, digest: str) -> Entity:
    """multipart/signed (RFC 5751 §3.5.3): the entity as is, then its detached signature."""
    assert profile.our_certificate is not None and profile.our_key is not None  # checked by PartnerProfile
    signature = sign_detached(entity.raw, profile.our_certificate, profile.our_key, digest)
    signature_part = make_entity(
        [
            ("Content-Type", 'application/pkcs7-signature; name="smime.p7s"'),
            ("Content-Transfer-Encoding", "base64"),
            ("Content-Disposition", 'attachment; filename="smime.p7s"'),
        ],
        base64_lines(signature),
    ).raw
    boundary = new_boundary(entity.raw, signature_part)
    content_type = (
        f'multipart/signed; protocol="application/pkcs7-signature"; micalg={DIGESTS[digest].micalg}; '
        f'boundary="{boundary}"'
    )
    return make_entity([("Content-Type", content_type)], join_multipart(boundary, [entity.raw, signature_part]))


def _signed(entity: Entity, profile: PartnerProfile) -> Entity:
    return sign_entity(entity, profile, profile.digest)


def _encrypted(entity: Entity, profile: PartnerProfile) -> Entity:
    assert profile.partner_certificate is not None  # checked by PartnerProfile
    return make_entity(
        [
            ("Content-Type", 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'),
            ("Content-Transfer-Encoding", "binary"),
            ("Content-Disposition", 'attachment; filename="smime.p7m"'),
        ],
        encrypt(entity.raw, profile.partner_certificate, profile.cipher),
    )
