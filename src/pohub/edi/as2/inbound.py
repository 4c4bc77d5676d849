"""Open a received AS2 message: decrypt, decompress and verify, outside in, then take the payload.

Each layer is one row of a small dispatch on the entity's media type; the loop stops at the first
entity that is none of them (the payload). The MIC is over the bytes RFC 4130 §7.3.1 names: the
signed entity when signed, the decrypted entity when only encrypted, the content otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from asn1crypto import cms as asn1_cms

from pohub.edi.as2.compression import decompress
from pohub.edi.as2.envelope import Envelope
from pohub.edi.as2.errors import (
    As2Error,
    AuthenticationFailed,
    DecryptionFailed,
    InsufficientMessageSecurity,
    IntegrityCheckFailed,
    UnexpectedProcessingError,
)
from pohub.edi.as2.mic import Mic, compute_mic, mic_digest
from pohub.edi.as2.mime import (
    CRLF,
    Entity,
    Headers,
    MimeError,
    cms_bytes,
    decode_transfer,
    filename_of,
    parse_entity,
    split_multipart,
)
from pohub.edi.as2.partner import PartnerProfile
from pohub.edi.as2.smime import decrypt, verify_detached

# More nested security layers than any sender produces (compress, sign, encrypt, and a compress
# after signing) means a malformed or hostile message.
MAX_LAYERS = 5

PKCS7_MIME = ("application/pkcs7-mime", "application/x-pkcs7-mime")
SIGNATURE_TYPES = ("application/pkcs7-signature", "application/x-pkcs7-signature")


@dataclass(frozen=True)
class InboundMessage:
    envelope: Envelope
    payload: bytes
    content_type: str
    filename: str | None
    mic: Mic
    signed: bool = False
    encrypted: bool = False
    compressed: bool = False
    signature_digest: str | None = None
    payload_headers: Headers = field(default_factory=Headers, repr=False)


@dataclass
class _Opening:
    entity: Entity
    mic_basis: bytes | None = None  # set by the outermost signature, or by decryption when unsigned
    signed: bool = False
    encrypted: bool = False
    compressed: bool = False
    signature_digest: str | None = None


_Layer = Callable[[_Opening, PartnerProfile], None]


def open_message(envelope: Envelope, headers: Headers, body: bytes, profile: PartnerProfile) -> InboundMessage:
    """The payload of a message from the profile's partner, or the As2Error its MDN reports."""
    try:
        return _open(envelope, headers, body, profile)
    except As2Error:
        raise
    except (MimeError, ValueError, TypeError, KeyError) as exc:
        raise UnexpectedProcessingError(f"malformed message: {exc}") from exc


def _open(envelope: Envelope, headers: Headers, body: bytes, profile: PartnerProfile) -> InboundMessage:
    state = _Opening(Entity(headers, body, headers.to_bytes() + CRLF + body))
    for _ in range(MAX_LAYERS):
        layer = _layer_of(state.entity)
        if layer is None:
            break
        layer(state, profile)
    else:
        raise UnexpectedProcessingError(f"more than {MAX_LAYERS} nested S/MIME layers")
    if profile.require_encrypted and not state.encrypted:
        raise InsufficientMessageSecurity("the partner profile requires encrypted messages; this one is not")
    if profile.require_signed and not state.signed:
        raise InsufficientMessageSecurity("the partner profile requires signed messages; this one is not")
    entity = state.entity
    mic_basis = state.mic_basis if state.mic_basis is not None else entity.body
    return InboundMessage(
        envelope=envelope,
        payload=decode_transfer(entity),
        content_type=entity.content_type,
        filename=filename_of(entity.headers),
        mic=compute_mic(mic_basis, mic_digest(envelope.mdn.micalgs if envelope.mdn else (), state.signature_digest)),
        signed=state.signed,
        encrypted=state.encrypted,
        compressed=state.compressed,
        signature_digest=state.signature_digest,
        payload_headers=entity.headers,
    )


def _layer_of(entity: Entity) -> _Layer | None:
    media_type = entity.content_type
    if media_type == "multipart/signed":
        return _open_signed
    if media_type in PKCS7_MIME:
        kind = (entity.param("smime-type") or "").lower() or _cms_kind(cms_bytes(entity))
        layer = _PKCS7_LAYERS.get(kind)
        if layer is None:
            raise UnexpectedProcessingError(f"unsupported S/MIME type {kind!r}")
        return layer
    return None


def _cms_kind(der: bytes) -> str:
    """smime-type from the CMS content type, for senders that leave the parameter out."""
    try:
        name = asn1_cms.ContentInfo.load(der)["content_type"].native
    except ValueError as exc:
        raise UnexpectedProcessingError(f"application/pkcs7-mime body is not CMS: {exc}") from exc
    return {"enveloped_data": "enveloped-data", "compressed_data": "compressed-data"}.get(str(name), str(name))


def _open_enveloped(state: _Opening, profile: PartnerProfile) -> None:
    if profile.our_certificate is None or profile.our_key is None:
        raise DecryptionFailed("the message is encrypted but no certificate and key of ours are configured")
    decrypted = decrypt(cms_bytes(state.entity), profile.our_certificate, profile.our_key)
    state.entity = parse_entity(decrypted)
    state.encrypted = True
    if not state.signed:
        state.mic_basis = decrypted


def _open_compressed(state: _Opening, profile: PartnerProfile) -> None:
    state.entity = parse_entity(decompress(cms_bytes(state.entity)))
    state.compressed = True


def _open_signed(state: _Opening, profile: PartnerProfile) -> None:
    boundary = state.entity.param("boundary")
    if not boundary:
        raise UnexpectedProcessingError("multipart/signed without a boundary")
    parts = split_multipart(state.entity.body, boundary)
    if len(parts) != 2:
        raise UnexpectedProcessingError(f"multipart/signed has {len(parts)} parts, not 2")
    content, signature = parts[0], parse_entity(parts[1])
    if signature.content_type not in SIGNATURE_TYPES:
        raise AuthenticationFailed(f"the second part of multipart/signed is {signature.content_type}")
    if profile.partner_certificate is None:
        raise AuthenticationFailed("the message is signed but no partner certificate is configured to verify it")
    content, digest = _verify(content, cms_bytes(signature), profile)
    if not state.signed:
        state.mic_basis = content
        state.signature_digest = digest
    state.signed = True
    state.entity = parse_entity(content)


def _verify(content: bytes, signature: bytes, profile: PartnerProfile) -> tuple[bytes, str]:
    """Verify over the bytes as received; a sender that signed the CRLF form and sent bare LFs also passes."""
    assert profile.partner_certificate is not None
    try:
        return content, verify_detached(content, signature, profile.partner_certificate)
    except IntegrityCheckFailed:
        canonical = re.sub(rb"(?<!\r)\n", b"\r\n", content)
        if canonical == content:
            raise
        return canonical, verify_detached(canonical, signature, profile.partner_certificate)


_PKCS7_LAYERS: dict[str, _Layer] = {
    "enveloped-data": _open_enveloped,
    "compressed-data": _open_compressed,
}
