"""What the receiver and the sender refuse, each named by its RFC 4130 disposition modifier or error type."""

from __future__ import annotations

import dataclasses

import pytest

from pohub.edi.as2 import (
    Headers,
    MdnMismatch,
    MdnMode,
    MdnReportsFailure,
    MdnSignatureError,
    PartnerProfile,
    build_message,
    check_mdn,
    parse_mdn,
    receive,
)
from pohub.edi.as2.mic import compute_mic
from pohub.edi.as2.outbound import OutboundMessage
from tests.edi.as2.conftest import X12_850, Identity, profile_pair, with_


def _disposition(answer_body: bytes) -> str:
    line = next(x for x in answer_body.split(b"\r\n") if x.startswith(b"Disposition:"))
    return line.decode().split(":", 1)[1].strip()


def test_wrong_signing_certificate_is_authentication_failed(
    buyer: Identity, supplier: Identity, mallory: Identity
) -> None:
    """Mallory signs a message claiming to be the buyer: the supplier verifies against the buyer's certificate."""
    forged, _ = profile_pair(mallory, supplier, sign=True)
    forged = with_(forged, our_as2_id=buyer.as2_id)
    _, receiving = profile_pair(buyer, supplier, require_signed=True)
    message = build_message(forged, X12_850)
    answer = receive(message.headers.items(), message.body, lambda f, t: receiving)
    assert answer.message is None
    assert answer.error is not None and answer.error.modifier == "authentication-failed"
    assert (
        _disposition(answer.body) == "automatic-action/MDN-sent-automatically; processed/error: authentication-failed"
    )
    assert b"Received-Content-MIC" not in answer.body
    # The sender sees the refusal when it checks the MDN.
    with pytest.raises(MdnReportsFailure, match="authentication-failed"):
        check_mdn(parse_mdn(Headers(answer.headers), answer.body, forged), message)


def test_tampered_signed_body_is_integrity_check_failed(buyer: Identity, supplier: Identity) -> None:
    sending, receiving = profile_pair(buyer, supplier, sign=True)
    message = build_message(sending, X12_850)
    assert message.body.count(b"PO-1001") == 1
    tampered = message.body.replace(b"PO-1001", b"PO-6666")
    answer = receive(message.headers.items(), tampered, lambda f, t: receiving)
    assert answer.error is not None and answer.error.modifier == "integrity-check-failed"
    assert answer.message is None


def test_tampered_signature_value_is_authentication_failed(buyer: Identity, supplier: Identity) -> None:
    """The signed digest matches but the signature over it was altered."""
    import base64
    import re

    sending, receiving = profile_pair(buyer, supplier, sign=True)
    message = build_message(sending, X12_850)
    head, _, b64 = message.body.partition(b'filename="smime.p7s"\r\n\r\n')
    b64, _, tail = b64.partition(b"\r\n--")
    der = bytearray(base64.b64decode(re.sub(rb"\s+", b"", b64)))
    der[-10] ^= 0xFF  # the signature value is the last element of the SignerInfo
    body = head + b'filename="smime.p7s"\r\n\r\n' + base64.b64encode(bytes(der)) + b"\r\n--" + tail
    answer = receive(message.headers.items(), body, lambda f, t: receiving)
    assert answer.error is not None and answer.error.modifier == "authentication-failed"


def test_encrypted_to_another_certificate_is_decryption_failed(
    buyer: Identity, supplier: Identity, mallory: Identity
) -> None:
    sending, receiving = profile_pair(buyer, supplier, encrypt=True)
    sending = with_(sending, partner_certificate=mallory.certificate)
    message = build_message(sending, X12_850)
    answer = receive(message.headers.items(), message.body, lambda f, t: receiving)
    assert answer.error is not None and answer.error.modifier == "decryption-failed"


def test_tampered_ciphertext_is_decryption_failed(buyer: Identity, supplier: Identity) -> None:
    sending, receiving = profile_pair(buyer, supplier, encrypt=True)
    message = build_message(sending, X12_850)
    body = bytearray(message.body)
    # The ciphertext ends the DER. Flipping the last byte of the next-to-last block flips the same
    # bit pattern in the padding-length byte of the last block: 1..16 becomes 0x44..0x55, never valid.
    body[-17] ^= 0x55
    answer = receive(message.headers.items(), bytes(body), lambda f, t: receiving)
    assert answer.error is not None and answer.error.modifier == "decryption-failed"
    assert answer.message is None


@pytest.mark.parametrize(
    ("outbound", "required", "rule"),
    [
        ({}, {"require_signed": True}, "signed"),
        ({}, {"require_encrypted": True}, "encrypted"),
        ({"encrypt": True}, {"require_signed": True}, "signed"),
        ({"sign": True}, {"require_encrypted": True}, "encrypted"),
    ],
)
def test_missing_required_security_is_insufficient(
    buyer: Identity, supplier: Identity, outbound: dict[str, bool], required: dict[str, bool], rule: str
) -> None:
    sending, receiving = profile_pair(buyer, supplier, **outbound, **required)
    message = build_message(with_(sending), X12_850)
    answer = receive(message.headers.items(), message.body, lambda f, t: receiving)
    assert answer.error is not None and answer.error.modifier == "insufficient-message-security"
    assert rule in answer.error.detail


def test_mic_mismatch_is_detected(buyer: Identity, supplier: Identity) -> None:
    """The MDN confirms a MIC that is not the one computed for what was sent (content changed on the way)."""
    sending, receiving = profile_pair(buyer, supplier, sign=True, mdn_signed=True)
    message = build_message(sending, X12_850)
    answer = receive(message.headers.items(), message.body, lambda f, t: receiving)
    mdn = parse_mdn(Headers(answer.headers), answer.body, sending)
    check_mdn(mdn, message)  # the real one passes
    other = compute_mic(b"something else", "sha256").value
    altered = dataclasses.replace(message, mics={**message.mics, "sha256": other})
    with pytest.raises(MdnMismatch, match="differs"):
        check_mdn(mdn, altered)


def test_mdn_for_another_message_is_refused(buyer: Identity, supplier: Identity) -> None:
    sending, receiving = profile_pair(buyer, supplier)
    first, second = build_message(sending, X12_850), build_message(sending, X12_850)
    answer = receive(first.headers.items(), first.body, lambda f, t: receiving)
    mdn = parse_mdn(Headers(answer.headers), answer.body, sending)
    with pytest.raises(MdnMismatch, match="is for"):
        check_mdn(mdn, second)


def test_mdn_signed_by_someone_else_is_refused(buyer: Identity, supplier: Identity, mallory: Identity) -> None:
    sending, _ = profile_pair(buyer, supplier, mdn_signed=True)
    _, impostor = profile_pair(buyer, mallory)
    message = build_message(sending, X12_850)
    answer = receive(message.headers.items(), message.body, lambda f, t: with_(impostor, our_as2_id=supplier.as2_id))
    assert answer.mdn is not None and answer.mdn.signed
    with pytest.raises(MdnSignatureError, match="authentication-failed"):
        parse_mdn(Headers(answer.headers), answer.body, sending)


def test_unsigned_mdn_refused_when_the_profile_requires_signed(buyer: Identity, supplier: Identity) -> None:
    sending, receiving = profile_pair(buyer, supplier)
    message = build_message(sending, X12_850)
    answer = receive(message.headers.items(), message.body, lambda f, t: receiving)
    with pytest.raises(MdnSignatureError, match="requires signed"):
        parse_mdn(Headers(answer.headers), answer.body, with_(sending, require_signed_mdn=True))


def test_tampered_signed_mdn_is_refused(buyer: Identity, supplier: Identity) -> None:
    sending, receiving = profile_pair(buyer, supplier, mdn_signed=True)
    message = build_message(sending, X12_850)
    answer = receive(message.headers.items(), message.body, lambda f, t: receiving)
    forged = answer.body.replace(b"processed\r\n", b"processed/error: decryption-failed\r\n")
    assert forged != answer.body
    with pytest.raises(MdnSignatureError, match="integrity-check-failed"):
        parse_mdn(Headers(answer.headers), forged, sending)


@pytest.mark.parametrize("missing", ["AS2-From", "AS2-To", "Message-ID"])
def test_request_without_an_as2_header_is_400_naming_it(buyer: Identity, supplier: Identity, missing: str) -> None:
    sending, receiving = profile_pair(buyer, supplier)
    message = build_message(sending, X12_850)
    headers = [(k, v) for k, v in message.headers if k != missing]
    answer = receive(headers, message.body, lambda f, t: receiving)
    assert answer.status_code == 400
    assert answer.body.decode().startswith(f"{missing}: required")


def test_unknown_partner_is_403(buyer: Identity, supplier: Identity) -> None:
    sending, _ = profile_pair(buyer, supplier)
    message = build_message(sending, X12_850)
    answer = receive(message.headers.items(), message.body, lambda f, t: None)
    assert answer.status_code == 403
    assert b"BUYER-AS2" in answer.body


def test_malformed_multipart_is_unexpected_processing_error(buyer: Identity, supplier: Identity) -> None:
    sending, receiving = profile_pair(buyer, supplier, sign=True)
    message = build_message(sending, X12_850)
    answer = receive(message.headers.items(), message.body[:200], lambda f, t: receiving)
    assert answer.error is not None and answer.error.modifier == "unexpected-processing-error"
    assert _disposition(answer.body).endswith("processed/error: unexpected-processing-error")


def test_signed_message_without_partner_certificate_is_refused(buyer: Identity, supplier: Identity) -> None:
    sending, receiving = profile_pair(buyer, supplier, sign=True)
    message = build_message(sending, X12_850)
    answer = receive(message.headers.items(), message.body, lambda f, t: with_(receiving, partner_certificate=None))
    assert answer.error is not None and answer.error.modifier == "authentication-failed"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sign": True, "our_key": None}, "our_key"),
        ({"encrypt": True, "partner_certificate": None}, "partner_certificate"),
        ({"digest": "md5"}, "digest"),
        ({"cipher": "des-ede3-cbc"}, "cipher"),
        ({"mdn": MdnMode.ASYNC}, "async_mdn_url"),
        ({"our_as2_id": ""}, "our_as2_id"),
        ({"partner_as2_id": "x" * 129}, "partner_as2_id"),
    ],
)
def test_profile_refuses_impossible_settings_naming_the_field(
    buyer: Identity, supplier: Identity, changes: dict[str, object], field: str
) -> None:
    base = {
        "our_as2_id": buyer.as2_id,
        "partner_as2_id": supplier.as2_id,
        "our_certificate": buyer.certificate,
        "our_key": buyer.key,
        "partner_certificate": supplier.certificate,
    }
    with pytest.raises(ValueError, match=field):
        PartnerProfile(**{**base, **changes})  # type: ignore[arg-type]


def test_outbound_message_is_plain_data(buyer: Identity, supplier: Identity) -> None:
    sending, _ = profile_pair(buyer, supplier)
    message = build_message(sending, X12_850, message_id="<fixed@buyer>")
    assert isinstance(message, OutboundMessage)
    assert message.message_id == "<fixed@buyer>"
    assert message.headers.get("as2-to") == "SUPPLIER-AS2"  # header names are case-insensitive
    assert message.body == X12_850  # plain AS2: the body is the payload itself
    assert message.headers.get("Content-Type") == "application/edi-x12"
