"""Shared secrets: generated in the Standard Webhooks form (``whsec_`` + base64), kept sealed at rest,
and used to sign each delivery.

A receiver needs the secret in clear to verify, so the hub must be able to recover it: it is sealed
with AES-256-GCM (the ``cryptography`` package) under a key derived with HKDF-SHA256 from the server's
``secret_key``, and stored as ``v2.<base64url(nonce + ciphertext + tag)>``, never in plaintext.

Values sealed before v2 (an HMAC-SHA256 counter-mode stream, unprefixed base64url) are still opened,
so that ``reseal`` can rewrite them; nothing is sealed that way any more.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pohub.secret_key import LEGACY_DEFAULT

PREFIX = "whsec_"
# The Standard Webhooks symmetric secret: random, 24 to 64 bytes, base64 after the prefix. A receiver
# using the reference libraries base64-decodes what follows ``whsec_``: any other secret cannot verify.
MIN_BYTES, MAX_BYTES = 24, 64
RULE = f"must be a Standard Webhooks secret: {PREFIX} followed by the base64 of {MIN_BYTES} to {MAX_BYTES} random bytes"


def generate() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _decoded(secret: str) -> bytes | None:
    """The key bytes of a secret in the specification's form (padding optional, as the reference
    libraries take it), or None."""
    if not secret.startswith(PREFIX):
        return None
    text = secret[len(PREFIX) :]
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except ValueError:
        return None


def format_problem(secret: str) -> str | None:
    """Why ``secret`` is not a Standard Webhooks secret, or None. Never repeats the secret."""
    if not secret.startswith(PREFIX):
        return f"it does not start with {PREFIX}"
    key = _decoded(secret)
    if key is None:
        return f"what follows {PREFIX} is not base64 (A-Z a-z 0-9 + /, = padding)"
    if not MIN_BYTES <= len(key) <= MAX_BYTES:
        return f"it decodes to {len(key)} bytes"
    return None


def signing_key(secret: str) -> bytes:
    """The HMAC key: the decoded bytes of a ``whsec_`` secret. Subscriptions made before secrets had
    to be in that form may hold another string: its UTF-8 bytes, as they were signed with then."""
    key = _decoded(secret)
    return secret.encode() if key is None else key


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature header value: ``v1,<base64 HMAC-SHA256(id.timestamp.body)>``."""
    mac = hmac.new(signing_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def verify(secret: str, *, msg_id: str, timestamp: int, body: bytes, header: str) -> bool:
    expected = sign(secret, msg_id=msg_id, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, part) for part in header.split())


SEALED = "v2."  # '.' is not in the base64url alphabet: no legacy value begins so
_NONCE_BYTES = 12
# Binds a sealed value to its use: it cannot be passed off as any other value sealed with this key.
_PURPOSE = b"pohub webhook shared secret"


class SealError(ValueError):
    """The value was not sealed with this server's ``secret_key``, or was altered since."""


@lru_cache(maxsize=4)
def _cipher(server_key: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"pohub webhook secrets v2").derive(
        server_key.encode()
    )
    return AESGCM(key)


def seal(plain: str, *, server_key: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(server_key).encrypt(nonce, plain.encode(), _PURPOSE)
    return SEALED + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(sealed: str, *, server_key: str) -> str:
    """The secret in clear. A legacy value is also tried with the old built-in default key, which every
    installation that did not set one sealed with; a v2 value opens only with ``server_key``."""
    if not sealed.startswith(SEALED):
        for key in (server_key, LEGACY_DEFAULT):
            with contextlib.suppress(SealError):
                return _legacy_unseal(sealed, server_key=key)
        raise SealError("sealed secret does not match this server's secret_key")
    try:
        blob = base64.urlsafe_b64decode(sealed[len(SEALED) :].encode())
        return _cipher(server_key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _PURPOSE).decode()
    except (InvalidTag, ValueError):
        raise SealError("sealed secret does not match this server's secret_key") from None


def needs_reseal(sealed: str) -> bool:
    return not sealed.startswith(SEALED)


# Read path for values sealed before v2: an HMAC-SHA256 counter-mode stream and an HMAC tag.
def _legacy_keys(server_key: str) -> tuple[bytes, bytes]:
    root = hashlib.sha256(b"pohub webhook secrets\x00" + server_key.encode()).digest()
    return hmac.new(root, b"enc", hashlib.sha256).digest(), hmac.new(root, b"mac", hashlib.sha256).digest()


def _legacy_stream(key: bytes, nonce: bytes, length: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        counter += 1
    return bytes(out[:length])


def _legacy_unseal(sealed: str, *, server_key: str) -> str:
    enc, mac = _legacy_keys(server_key)
    try:
        blob = base64.urlsafe_b64decode(sealed.encode())
    except ValueError:
        raise SealError("not a sealed secret") from None
    nonce, cipher, tag = blob[:16], blob[16:-16], blob[-16:]
    if len(blob) < 32 or not hmac.compare_digest(tag, hmac.new(mac, nonce + cipher, hashlib.sha256).digest()[:16]):
        raise SealError("sealed secret does not match this server's secret_key")
    stream = _legacy_stream(enc, nonce, len(cipher))
    return bytes(a ^ b for a, b in zip(cipher, stream, strict=True)).decode()


def masked(secret: str) -> str:
    return secret[:6] + "…" + secret[-4:] if len(secret) > 12 else "…"
