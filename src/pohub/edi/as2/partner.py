"""A trading relationship over AS2, as plain data: identities, URL, certificates, what to sign and require.

No database here: the exchanges layer stores profiles however it likes and builds one of these to
send or receive. Bad combinations are refused when the profile is made, naming the field.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pohub.edi.as2.algorithms import CIPHERS, DIGESTS

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# The payload media types of RFC 1767 / RFC 4130; any other type may be named explicitly.
EDI_CONTENT_TYPES = ("application/edi-x12", "application/edifact", "application/edi-consent")


class MdnMode(enum.StrEnum):
    NONE = "none"
    SYNC = "sync"  # the MDN is the HTTP answer to the POST
    ASYNC = "async"  # the partner POSTs the MDN later to our Receipt-Delivery-Option URL


@dataclass(frozen=True, kw_only=True)
class PartnerProfile:
    """One relationship, seen from pohub's side: `our_*` is pohub, `partner_*` the other end."""

    our_as2_id: str
    partner_as2_id: str
    partner_url: str | None = None  # where messages to the partner are POSTed
    our_certificate: x509.Certificate | None = None  # signs our messages and MDNs; partners encrypt to it
    our_key: PrivateKey | None = None
    partner_certificate: x509.Certificate | None = None  # verifies their signatures; we encrypt to it
    # Outbound.
    sign: bool = False
    encrypt: bool = False
    compress: bool = False
    digest: str = "sha256"  # signature and MIC digest
    cipher: str = "aes256-cbc"
    mdn: MdnMode = MdnMode.SYNC
    mdn_signed: bool = False  # ask the partner to sign its MDN
    async_mdn_url: str | None = None  # our URL for async MDNs (Receipt-Delivery-Option)
    mdn_to: str = "as2@pohub.invalid"  # Disposition-Notification-To; AS2 only needs it present
    content_type: str = "application/edi-x12"
    # Inbound: what a message from the partner must have, else insufficient-message-security.
    require_signed: bool = False
    require_encrypted: bool = False
    require_signed_mdn: bool = False

    def __post_init__(self) -> None:
        for name in ("our_as2_id", "partner_as2_id"):
            check_as2_id(name, getattr(self, name))
        if self.digest not in DIGESTS:
            raise ValueError(f"digest: must be one of {', '.join(DIGESTS)}, not {self.digest!r}")
        if self.cipher not in CIPHERS:
            raise ValueError(
                f"cipher: must be one of {', '.join(CIPHERS)}, not {self.cipher!r} "
                "(3DES and RC2 are not supported by the cryptography package)"
            )
        if (self.sign or self.mdn_signed) and (self.our_certificate is None or self.our_key is None):
            raise ValueError("our_certificate, our_key: required to sign (sign or mdn_signed is set)")
        if self.encrypt and self.partner_certificate is None:
            raise ValueError("partner_certificate: required to encrypt to the partner")
        if self.encrypt and not isinstance(self.partner_certificate.public_key(), rsa.RSAPublicKey):  # type: ignore[union-attr]
            raise ValueError("partner_certificate: encryption needs an RSA certificate")
        if (self.require_signed or self.require_signed_mdn) and self.partner_certificate is None:
            raise ValueError("partner_certificate: required to check the partner's signatures")
        if self.require_encrypted and (self.our_certificate is None or self.our_key is None):
            raise ValueError("our_certificate, our_key: required to decrypt what the partner encrypts")
        if self.mdn is MdnMode.ASYNC and not self.async_mdn_url:
            raise ValueError("async_mdn_url: required for asynchronous MDNs")


def check_as2_id(field: str, value: str) -> None:
    """RFC 4130 §6.2: 1 to 128 printable ASCII characters."""
    if not 1 <= len(value) <= 128 or not all(" " <= ch <= "~" for ch in value):
        raise ValueError(f"{field}: an AS2 id is 1 to 128 printable ASCII characters, got {value!r}")


def load_certificate(pem_or_der: bytes) -> x509.Certificate:
    if pem_or_der.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(pem_or_der)
    return x509.load_der_x509_certificate(pem_or_der)


def load_private_key(pem: bytes, password: bytes | None = None) -> PrivateKey:
    key = serialization.load_pem_private_key(pem, password=password)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError("our_key: must be an RSA or EC private key")
    return key
