"""The digest and content-encryption algorithms AS2 names, as data: one row per algorithm.

Partners spell digests several ways (`sha1`, `sha-1`, `SHA256`, `sha-256`); every spelling maps to
one row. Content encryption is what `cryptography`'s PKCS7EnvelopeBuilder and pkcs7_decrypt_der do
(AES-128-CBC and AES-256-CBC since 45.0); 3DES and RC2 are not offered by it, so pohub refuses them
with a clear error rather than implementing a cipher itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import algorithms


@dataclass(frozen=True)
class Digest:
    name: str  # pohub's name, and asn1crypto's
    micalg: str  # how multipart/signed and Received-Content-MIC spell it (RFC 5751 §3.4.3.2; RFC 3851 for sha1)
    hash: type[hashes.HashAlgorithm]


DIGESTS: dict[str, Digest] = {
    d.name: d
    for d in (
        Digest("sha1", "sha1", hashes.SHA1),
        Digest("sha224", "sha-224", hashes.SHA224),
        Digest("sha256", "sha-256", hashes.SHA256),
        Digest("sha384", "sha-384", hashes.SHA384),
        Digest("sha512", "sha-512", hashes.SHA512),
    )
}


def digest_named(spelling: str) -> Digest | None:
    """The digest a partner means by `sha-256`, `SHA256`, `sha1`..., or None when pohub has no such digest."""
    key = spelling.strip().strip('"').lower().replace("-", "").replace("_", "")
    return DIGESTS.get(key)


@dataclass(frozen=True)
class Cipher:
    name: str
    algorithm: type[algorithms.AES128] | type[algorithms.AES256]


CIPHERS: dict[str, Cipher] = {
    c.name: c
    for c in (
        Cipher("aes128-cbc", algorithms.AES128),
        Cipher("aes256-cbc", algorithms.AES256),
    )
}


def compute_digest(name: str, data: bytes) -> bytes:
    h = hashes.Hash(DIGESTS[name].hash())
    h.update(data)
    return h.finalize()
