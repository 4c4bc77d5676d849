"""The Message Integrity Check a receiver returns in its MDN (RFC 4130 §7.3.1).

What it is computed over is decided where the message is built or opened (outbound.py, inbound.py):
the signed entity, headers included, when signed; the decrypted entity, headers included, when
encrypted but not signed; the content alone, without headers, when neither.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from pohub.edi.as2.algorithms import DIGESTS, compute_digest, digest_named


@dataclass(frozen=True)
class Mic:
    value: str  # base64 of the digest
    digest: str  # pohub's digest name (sha256, sha1...)

    def header_value(self) -> str:
        """As the Received-Content-MIC field writes it: `<base64>, sha-256`."""
        return f"{self.value}, {DIGESTS[self.digest].micalg}"


# The digest a receiver uses when the sender named none and did not sign (RFC 4130 leaves it open).
DEFAULT_MIC_DIGEST = "sha256"


def mic_digest(requested: tuple[str, ...], signature_digest: str | None) -> str:
    """The MIC's digest, one rule for both ends: the sender's signed-receipt-micalg, else its signature's."""
    if requested:
        return requested[0]
    return signature_digest or DEFAULT_MIC_DIGEST


def compute_mic(data: bytes, digest: str) -> Mic:
    return Mic(base64.b64encode(compute_digest(digest, data)).decode("ascii"), digest)


def all_mics(data: bytes) -> dict[str, str]:
    """The MIC in every digest pohub knows, so an MDN can be checked whichever digest the partner chose."""
    return {name: compute_mic(data, name).value for name in DIGESTS}


def parse_mic(value: str) -> Mic | None:
    """`Q2hlY2s=, sha1` → Mic; None when the digest is unknown or the field is malformed."""
    encoded, sep, algorithm = value.rpartition(",")
    if not sep or not encoded.strip():
        return None
    digest = digest_named(algorithm)
    return Mic(encoded.strip(), digest.name) if digest else None
