"""Certificates made fresh for the session (self-signed RSA 2048) and partner profiles between two ends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from pohub.edi.as2 import PartnerProfile


@dataclass(frozen=True)
class Identity:
    as2_id: str
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    cert_path: Path
    key_path: Path


def make_identity(as2_id: str, directory: Path) -> Identity:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, as2_id)])
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / f"{as2_id}.crt"
    key_path = directory / f"{as2_id}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Identity(as2_id, certificate, key, cert_path, key_path)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identity]:
    directory = tmp_path_factory.mktemp("as2-pki")
    return {name: make_identity(name, directory) for name in ("BUYER-AS2", "SUPPLIER-AS2", "MALLORY-AS2")}


@pytest.fixture
def buyer(pki: dict[str, Identity]) -> Identity:
    return pki["BUYER-AS2"]


@pytest.fixture
def supplier(pki: dict[str, Identity]) -> Identity:
    return pki["SUPPLIER-AS2"]


@pytest.fixture
def mallory(pki: dict[str, Identity]) -> Identity:
    return pki["MALLORY-AS2"]


def profile_pair(sender: Identity, receiver: Identity, **outbound: Any) -> tuple[PartnerProfile, PartnerProfile]:
    """The sender's profile of the receiver (with `outbound` settings) and the receiver's of the sender."""
    inbound_keys = {"require_signed", "require_encrypted"}
    receiver_side = {k: outbound.pop(k) for k in list(outbound) if k in inbound_keys}
    sending = PartnerProfile(
        our_as2_id=sender.as2_id,
        partner_as2_id=receiver.as2_id,
        partner_url="http://127.0.0.1:1/as2",
        our_certificate=sender.certificate,
        our_key=sender.key,
        partner_certificate=receiver.certificate,
        **outbound,
    )
    receiving = PartnerProfile(
        our_as2_id=receiver.as2_id,
        partner_as2_id=sender.as2_id,
        our_certificate=receiver.certificate,
        our_key=receiver.key,
        partner_certificate=sender.certificate,
        **receiver_side,
    )
    return sending, receiving


def with_(profile: PartnerProfile, **changes: Any) -> PartnerProfile:
    return replace(profile, **changes)


X12_850 = (
    b"ISA*00*          *00*          *ZZ*BUYER          *ZZ*SUPPLIER       *250101*1200*U*00401*000000001*0*T*>~"
    b"GS*PO*BUYER*SUPPLIER*20250101*1200*1*X*004010~ST*850*0001~BEG*00*SA*PO-1001**20250101~"
    b"PO1*1*12*EA*9.95**VP*SKU-1~CTT*1~SE*5*0001~GE*1*1~IEA*1*000000001~\r\n"
)
