"""A sender and a receiver, both pohub's AS2 code, exchange a message and its MDN in every combination."""

from __future__ import annotations

import itertools

import pytest

from pohub.edi.as2 import MdnMode, build_message, check_mdn, parse_mdn, receive
from tests.edi.as2.conftest import X12_850, Identity, profile_pair

SECURITY = list(itertools.product([False, True], [False, True]))  # (sign, encrypt)


@pytest.mark.parametrize("digest", ["sha256", "sha1"])
@pytest.mark.parametrize("mode", [MdnMode.SYNC, MdnMode.ASYNC])
@pytest.mark.parametrize("mdn_signed", [False, True], ids=["mdn-unsigned", "mdn-signed"])
@pytest.mark.parametrize(("sign", "encrypt"), SECURITY, ids=["plain", "encrypted", "signed", "signed+encrypted"])
def test_round_trip(
    buyer: Identity, supplier: Identity, sign: bool, encrypt: bool, mdn_signed: bool, mode: MdnMode, digest: str
) -> None:
    sending, receiving = profile_pair(
        buyer,
        supplier,
        sign=sign,
        encrypt=encrypt,
        digest=digest,
        mdn=mode,
        mdn_signed=mdn_signed,
        async_mdn_url="http://127.0.0.1:1/mdn" if mode is MdnMode.ASYNC else None,
        require_signed=sign,
        require_encrypted=encrypt,
    )
    message = build_message(sending, X12_850, filename="po-1001.x12")
    assert (message.signed, message.encrypted) == (sign, encrypt)
    if encrypt:
        assert b"PO-1001" not in message.body

    answer = receive(
        message.headers.items(),
        message.body,
        lambda f, t: receiving if (f, t) == (buyer.as2_id, supplier.as2_id) else None,
    )

    assert answer.error is None, answer.error
    assert answer.message is not None
    got = answer.message
    assert got.payload == X12_850
    assert got.filename == "po-1001.x12"
    assert got.content_type == "application/edi-x12"
    assert (got.signed, got.encrypted) == (sign, encrypt)
    assert got.mic == message.mic  # both ends computed the same MIC over the same bytes
    assert answer.mdn is not None
    if mode is MdnMode.ASYNC:
        assert answer.async_url == "http://127.0.0.1:1/mdn"
        assert answer.body == b""
        mdn_headers, mdn_body = answer.mdn.headers, answer.mdn.body
    else:
        assert answer.async_url is None
        mdn_headers, mdn_body = answer.mdn.headers, answer.body
    assert answer.mdn.signed is mdn_signed

    received = parse_mdn(mdn_headers, mdn_body, sending)
    assert received.signed is mdn_signed
    assert received.processed
    assert received.original_message_id == message.message_id
    assert received.mic == message.mic
    check_mdn(received, message)


@pytest.mark.parametrize(("sign", "encrypt"), SECURITY, ids=["plain", "encrypted", "signed", "signed+encrypted"])
def test_compressed_round_trip(buyer: Identity, supplier: Identity, sign: bool, encrypt: bool) -> None:
    sending, receiving = profile_pair(buyer, supplier, sign=sign, encrypt=encrypt, compress=True)
    payload = X12_850 * 50
    message = build_message(sending, payload, filename="big.x12", content_type="application/edifact")
    assert len(message.body) < len(payload)  # compression happened
    answer = receive(message.headers.items(), message.body, lambda f, t: receiving)
    assert answer.message is not None, answer.error
    assert answer.message.compressed
    assert answer.message.payload == payload
    assert answer.message.content_type == "application/edifact"
    assert answer.mdn is not None
    check_mdn(parse_mdn(answer.mdn.headers, answer.body, sending), message)


def test_no_mdn_requested(buyer: Identity, supplier: Identity) -> None:
    sending, receiving = profile_pair(buyer, supplier, mdn=MdnMode.NONE)
    message = build_message(sending, X12_850)
    assert "Disposition-Notification-To" not in message.headers
    answer = receive(message.headers.items(), message.body, lambda f, t: receiving)
    assert answer.status_code == 200 and answer.body == b"" and answer.mdn is None
    assert answer.message is not None and answer.message.payload == X12_850


def test_mdn_uses_the_digest_the_sender_asked_for(buyer: Identity, supplier: Identity) -> None:
    """signed-receipt-micalg=sha1 on a sha256-signed message: the MIC and the MDN signature are SHA-1."""
    sending, receiving = profile_pair(buyer, supplier, sign=True, digest="sha1", mdn_signed=True)
    message = build_message(sending, X12_850)
    assert "signed-receipt-micalg=optional, sha1" in (message.headers.get("Disposition-Notification-Options") or "")
    answer = receive(message.headers.items(), message.body, lambda f, t: receiving)
    assert answer.mdn is not None
    assert "micalg=sha1" in (answer.mdn.headers.get("Content-Type") or "")
    received = parse_mdn(answer.mdn.headers, answer.body, sending)
    assert received.mic is not None and received.mic.digest == "sha1"
    check_mdn(received, message)


def test_file_name_beyond_ascii_travels_as_rfc2231(buyer: Identity, supplier: Identity) -> None:
    sending, receiving = profile_pair(buyer, supplier, sign=True)
    message = build_message(sending, X12_850, filename="bestellung-müller 1.x12")
    assert b"filename*=UTF-8''bestellung-m%C3%BCller%201.x12" in message.body
    answer = receive(message.headers.items(), message.body, lambda f, t: receiving)
    assert answer.message is not None and answer.message.filename == "bestellung-müller 1.x12"


def test_base64_envelope_without_a_transfer_encoding_header_is_read(buyer: Identity, supplier: Identity) -> None:
    """Some senders base64 the pkcs7-mime body and say nothing; the DER is recognised either way."""
    import base64

    sending, receiving = profile_pair(buyer, supplier, encrypt=True)
    message = build_message(sending, X12_850)
    headers = [(k, v) for k, v in message.headers if k != "Content-Transfer-Encoding"]
    answer = receive(headers, base64.encodebytes(message.body), lambda f, t: receiving)
    assert answer.message is not None, answer.error
    assert answer.message.payload == X12_850


def test_header_bytes_beyond_ascii_do_not_stop_a_message(buyer: Identity, supplier: Identity) -> None:
    """HTTP servers hand header bytes over as Latin-1; a Subject of `Bestellung für Müller` is no error."""
    sending, receiving = profile_pair(buyer, supplier)
    message = build_message(sending, X12_850)
    headers = [*message.headers.items(), ("Subject", "Bestellung f\xfcr M\xfcller")]
    answer = receive(headers, message.body, lambda f, t: receiving)
    assert answer.message is not None, answer.error
