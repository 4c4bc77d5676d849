"""Interoperability with an independent S/MIME implementation: the `openssl cms` command-line tool.

pohub's messages are verified and decrypted by openssl; messages openssl signs and encrypts are
opened by pohub's receiver; MICs are checked against `openssl dgst`. This is what shows the code is
not only consistent with itself.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from pohub.edi.as2 import Headers, InboundMessage, build_mdn, build_message, check_mdn, parse_mdn, receive
from pohub.edi.as2.envelope import Envelope, MdnRequest, read_envelope
from pohub.edi.as2.mime import parse_entity, split_multipart
from tests.edi.as2.conftest import X12_850, Identity, profile_pair

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="the openssl command-line tool is not installed")

PART = b"Content-Type: application/edi-x12\r\nContent-Disposition: attachment; filename=po.x12\r\n\r\n" + X12_850


def openssl(*args: str | Path, stdin: bytes | None = None) -> bytes:
    done = subprocess.run([OPENSSL or "openssl", *map(str, args)], input=stdin, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def openssl_mic(data: bytes, digest: str) -> str:
    return base64.b64encode(openssl("dgst", f"-{digest}", "-binary", stdin=data)).decode()


def as2_request(mime: bytes, sender: Identity, receiver: Identity, **extra: str) -> tuple[list[tuple[str, str]], bytes]:
    """An S/MIME entity as openssl writes it, sent as AS2: its headers become HTTP headers beside AS2's."""
    entity = parse_entity(mime)
    headers = [
        ("AS2-Version", "1.2"),
        ("AS2-From", sender.as2_id),
        ("AS2-To", receiver.as2_id),
        ("Message-ID", "<openssl-made@test>"),
        ("Disposition-Notification-To", "test@example.invalid"),
        *extra.items(),
        *entity.headers,
    ]
    return headers, entity.body


# --- pohub writes, openssl reads ---------------------------------------------------------------


@pytest.mark.parametrize("digest", ["sha256", "sha1"])
def test_openssl_verifies_our_signature(buyer: Identity, supplier: Identity, tmp_path: Path, digest: str) -> None:
    sending, _ = profile_pair(buyer, supplier, sign=True, digest=digest)
    message = build_message(sending, X12_850, filename="po.x12")
    smime = tmp_path / "signed.eml"
    smime.write_bytes(f"Content-Type: {message.headers.get('Content-Type')}\r\n\r\n".encode() + message.body)
    content = openssl("cms", "-verify", "-in", smime, "-CAfile", buyer.cert_path, "-purpose", "any")
    entity = parse_entity(content)
    assert entity.body == X12_850
    # The MIC pohub expects back is openssl's digest of the content openssl verified.
    assert message.mic.digest == digest
    assert message.mic.value == openssl_mic(content, digest)
    # And openssl reads the signature as the one digest the header names.
    printed = openssl("cms", "-cmsout", "-print", "-in", smime).decode()
    assert f"algorithm: {'sha1' if digest == 'sha1' else 'sha256'}" in printed


def test_openssl_refuses_our_signature_from_another_certificate(
    buyer: Identity, supplier: Identity, mallory: Identity, tmp_path: Path
) -> None:
    """The check above can fail: the same command refuses when trusted with the wrong certificate."""
    sending, _ = profile_pair(buyer, supplier, sign=True)
    message = build_message(sending, X12_850)
    smime = tmp_path / "signed.eml"
    smime.write_bytes(f"Content-Type: {message.headers.get('Content-Type')}\r\n\r\n".encode() + message.body)
    done = subprocess.run(
        [OPENSSL or "openssl", "cms", "-verify", "-in", smime, "-CAfile", mallory.cert_path, "-purpose", "any"],
        capture_output=True,
    )
    assert done.returncode != 0


@pytest.mark.parametrize("cipher", ["aes128-cbc", "aes256-cbc"])
def test_openssl_decrypts_our_message(buyer: Identity, supplier: Identity, tmp_path: Path, cipher: str) -> None:
    sending, _ = profile_pair(buyer, supplier, encrypt=True, cipher=cipher)
    message = build_message(sending, X12_850, filename="po.x12")
    (tmp_path / "msg.p7m").write_bytes(message.body)
    printed = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", tmp_path / "msg.p7m").decode()
    assert ("aes-128-cbc" if cipher == "aes128-cbc" else "aes-256-cbc") in printed
    decrypted = openssl(
        "cms", "-decrypt", "-binary", "-inform", "DER", "-in", tmp_path / "msg.p7m",
        "-recip", supplier.cert_path, "-inkey", supplier.key_path,
    )  # fmt: skip
    entity = parse_entity(decrypted)
    assert entity.body == X12_850
    assert entity.headers.get("Content-Type") == "application/edi-x12"
    assert message.mic.value == openssl_mic(decrypted, "sha256")  # encrypted, unsigned: MIC over the decrypted entity


def test_openssl_decrypts_and_verifies_our_signed_encrypted_message(
    buyer: Identity, supplier: Identity, tmp_path: Path
) -> None:
    sending, _ = profile_pair(buyer, supplier, sign=True, encrypt=True)
    message = build_message(sending, X12_850)
    (tmp_path / "msg.p7m").write_bytes(message.body)
    signed = openssl(
        "cms", "-decrypt", "-binary", "-inform", "DER", "-in", tmp_path / "msg.p7m",
        "-recip", supplier.cert_path, "-inkey", supplier.key_path,
    )  # fmt: skip
    (tmp_path / "signed.eml").write_bytes(signed)
    content = openssl("cms", "-verify", "-in", tmp_path / "signed.eml", "-CAfile", buyer.cert_path, "-purpose", "any")
    assert parse_entity(content).body == X12_850
    assert message.mic.value == openssl_mic(content, "sha256")  # signed: MIC over the signed entity


def test_openssl_verifies_our_signed_mdn(buyer: Identity, supplier: Identity, tmp_path: Path) -> None:
    _, receiving = profile_pair(buyer, supplier)
    envelope = Envelope(buyer.as2_id, supplier.as2_id, "<m1@buyer>", None, MdnRequest("x", True, False, ("sha256",)))
    mdn = build_mdn(envelope, receiving, _an_inbound(buyer, supplier))
    (tmp_path / "mdn.eml").write_bytes(f"Content-Type: {mdn.headers.get('Content-Type')}\r\n\r\n".encode() + mdn.body)
    report = openssl("cms", "-verify", "-in", tmp_path / "mdn.eml", "-CAfile", supplier.cert_path, "-purpose", "any")
    assert b"multipart/report" in report
    assert b"Original-Message-ID: <m1@buyer>" in report


def _an_inbound(buyer: Identity, supplier: Identity) -> InboundMessage:
    sending, receiving = profile_pair(buyer, supplier)
    message = build_message(sending, X12_850, message_id="<m1@buyer>")
    answer = receive(message.headers.items(), message.body, lambda f, t: receiving)
    assert answer.message is not None
    return answer.message


# --- openssl writes, pohub reads ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sign_args", "digest"),
    [
        (["-binary", "-md", "sha256"], "sha256"),  # LF line ends around the parts, content as is
        (["-binary", "-crlfeol", "-md", "sha256"], "sha256"),  # CRLF throughout
        (["-binary", "-md", "sha1"], "sha1"),
        (["-binary", "-md", "sha512"], "sha512"),
        (["-binary", "-md", "sha256", "-noattr"], "sha256"),  # no signed attributes: signature over the content
        (["-binary", "-md", "sha256", "-keyopt", "rsa_padding_mode:pss"], "sha256"),  # RSASSA-PSS
    ],
    ids=["lf", "crlf", "sha1", "sha512", "noattr", "pss"],
)
def test_we_open_a_message_openssl_signed(
    buyer: Identity, supplier: Identity, tmp_path: Path, sign_args: list[str], digest: str
) -> None:
    (tmp_path / "part").write_bytes(PART)
    smime = openssl(
        "cms", "-sign", "-in", tmp_path / "part", "-signer", buyer.cert_path, "-inkey", buyer.key_path, *sign_args
    )  # fmt: skip
    _, receiving = profile_pair(buyer, supplier, require_signed=True)
    headers, body = as2_request(smime, buyer, supplier)
    answer = receive(headers, body, lambda f, t: receiving)
    assert answer.message is not None, answer.error
    assert answer.message.payload == X12_850
    assert answer.message.filename == "po.x12"
    assert answer.message.signed and answer.message.signature_digest == digest
    assert answer.message.mic.value == openssl_mic(PART, digest)
    assert b"Received-Content-MIC: " + openssl_mic(PART, digest).encode() in answer.body


def test_we_open_a_text_mode_signature_over_bare_line_feeds(
    buyer: Identity, supplier: Identity, tmp_path: Path
) -> None:
    """openssl without -binary digests the CRLF form of an LF-only entity; pohub verifies that form."""
    lf_part = PART.replace(b"\r\n", b"\n")
    (tmp_path / "part").write_bytes(lf_part)
    smime = openssl("cms", "-sign", "-in", tmp_path / "part", "-signer", buyer.cert_path, "-inkey", buyer.key_path)
    _, receiving = profile_pair(buyer, supplier)
    assert b"\r\n" in smime  # openssl sends the CRLF form it signed...
    headers, body = as2_request(smime.replace(b"\r\n", b"\n"), buyer, supplier)  # ...which arrives as LF
    answer = receive(headers, body, lambda f, t: receiving)
    assert answer.message is not None, answer.error
    assert answer.message.payload == X12_850
    assert answer.message.mic.value == openssl_mic(PART, "sha256")


def test_we_refuse_an_openssl_signature_over_altered_content(
    buyer: Identity, supplier: Identity, tmp_path: Path
) -> None:
    (tmp_path / "part").write_bytes(PART)
    smime = openssl(
        "cms", "-sign", "-binary", "-in", tmp_path / "part", "-signer", buyer.cert_path, "-inkey", buyer.key_path
    )  # fmt: skip
    _, receiving = profile_pair(buyer, supplier)
    headers, body = as2_request(smime.replace(b"PO-1001", b"PO-1002"), buyer, supplier)
    answer = receive(headers, body, lambda f, t: receiving)
    assert answer.error is not None and answer.error.modifier == "integrity-check-failed"


@pytest.mark.parametrize("cipher", ["-aes128", "-aes256"])
def test_we_decrypt_a_message_openssl_encrypted(
    buyer: Identity, supplier: Identity, tmp_path: Path, cipher: str
) -> None:
    (tmp_path / "part").write_bytes(PART)
    der = openssl(
        "cms", "-encrypt", "-binary", cipher, "-outform", "DER", "-in", tmp_path / "part", supplier.cert_path
    )  # fmt: skip
    _, receiving = profile_pair(buyer, supplier, require_encrypted=True)
    smime = b'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\n\r\n' + der
    headers, body = as2_request(smime, buyer, supplier)
    answer = receive(headers, body, lambda f, t: receiving)
    assert answer.message is not None, answer.error
    assert answer.message.payload == X12_850 and answer.message.encrypted
    assert answer.message.mic.value == openssl_mic(PART, "sha256")


def test_we_open_a_message_openssl_signed_then_encrypted(buyer: Identity, supplier: Identity, tmp_path: Path) -> None:
    (tmp_path / "part").write_bytes(PART)
    signed = openssl(
        "cms", "-sign", "-binary", "-md", "sha256", "-in", tmp_path / "part",
        "-signer", buyer.cert_path, "-inkey", buyer.key_path,
    )  # fmt: skip
    (tmp_path / "signed").write_bytes(signed)
    # S/MIME output (base64 body, no smime-type given by us): the receiver reads the CMS type itself.
    encrypted = openssl("cms", "-encrypt", "-binary", "-aes256", "-in", tmp_path / "signed", supplier.cert_path)
    _, receiving = profile_pair(buyer, supplier, require_signed=True, require_encrypted=True)
    headers, body = as2_request(encrypted, buyer, supplier, **{"Disposition-Notification-Options": (
        "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256"
    )})  # fmt: skip
    answer = receive(headers, body, lambda f, t: receiving)
    assert answer.message is not None, answer.error
    assert answer.message.payload == X12_850
    assert answer.message.signed and answer.message.encrypted
    assert answer.message.mic.value == openssl_mic(PART, "sha256")
    # The signed MDN pohub answers with verifies in openssl too.
    assert answer.mdn is not None and answer.mdn.signed
    (tmp_path / "mdn.eml").write_bytes(
        f"Content-Type: {answer.mdn.headers.get('Content-Type')}\r\n\r\n".encode() + answer.body
    )
    openssl("cms", "-verify", "-in", tmp_path / "mdn.eml", "-CAfile", supplier.cert_path, "-purpose", "any")


def test_3des_from_an_old_partner_is_decryption_failed_naming_the_cipher(
    buyer: Identity, supplier: Identity, tmp_path: Path
) -> None:
    (tmp_path / "part").write_bytes(PART)
    der = openssl(
        "cms", "-encrypt", "-binary", "-des3", "-outform", "DER", "-in", tmp_path / "part", supplier.cert_path
    )
    _, receiving = profile_pair(buyer, supplier)
    smime = b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\n" + der
    answer = receive(*as2_request(smime, buyer, supplier), lambda f, t: receiving)
    assert answer.error is not None and answer.error.modifier == "decryption-failed"
    assert "AES" in answer.error.detail  # cryptography says which content encryption it supports


def test_our_compressed_data_is_cms_compressed_data_to_openssl(
    buyer: Identity, supplier: Identity, tmp_path: Path
) -> None:
    """This openssl has no zlib to decompress with, but it reads the structure: compressedData, zlib."""
    sending, _ = profile_pair(buyer, supplier, compress=True)
    message = build_message(sending, X12_850)
    (tmp_path / "z.p7z").write_bytes(message.body)
    printed = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", tmp_path / "z.p7z").decode()
    assert "id-smime-ct-compressedData" in printed
    assert "zlib compression" in printed


def test_mdn_from_openssl_signed_report_is_read_and_checked(
    buyer: Identity, supplier: Identity, tmp_path: Path
) -> None:
    """An MDN signed by openssl (not by pohub) is verified and its MIC checked against what we sent."""
    sending, receiving = profile_pair(buyer, supplier, sign=True, mdn_signed=True)
    message = build_message(sending, X12_850)
    answer = receive(message.headers.items(), message.body, lambda f, t: receiving)
    assert answer.mdn is not None
    # Take pohub's signed MDN apart, and have openssl sign the report instead.
    outer = parse_entity(f"Content-Type: {answer.mdn.headers.get('Content-Type')}\r\n\r\n".encode() + answer.body)
    report = split_multipart(outer.body, outer.param("boundary") or "")[0]
    (tmp_path / "report").write_bytes(report)
    smime = openssl(
        "cms", "-sign", "-binary", "-md", "sha256", "-in", tmp_path / "report",
        "-signer", supplier.cert_path, "-inkey", supplier.key_path,
    )  # fmt: skip
    entity = parse_entity(smime)
    mdn = parse_mdn(entity.headers, entity.body, sending)
    assert mdn.signed
    check_mdn(mdn, message)
    assert read_envelope(Headers(message.headers.items())).message_id == mdn.original_message_id
