"""Webhook secrets at rest: AES-256-GCM from `cryptography` under an HKDF-SHA256 key derived from the
server's secret_key; values sealed the old way (HMAC counter mode) still open and are resealed on start."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select

from pohub.core import clock
from pohub.db.engine import Database
from pohub.webhooks import repository as repo
from pohub.webhooks import secrets
from pohub.webhooks.models import webhook_subscriptions
from tests.support import LiveServer, database_url, live_server, make_party

S = webhook_subscriptions.c
# Sealed by pohub before v2 (webhooks/secrets.py at 96b3cc4), kept here as stored rows hold them.
LEGACY_KEY = "legacy-test-key"
LEGACY_PLAIN = "whsec_MfKQ9r8GKYqrTX8vzgGz6i7EkOQaYnRM"
LEGACY_SEALED = "sPzurBloVFIcb2tUV7cBHyu3l9q_cxIb3cM8Z_n_vrN0OMb2DdwvvFboH8_CyGxPJygDE1ipE4BDsDp7QlLc2A7PG59YiA=="
# Sealed under the old built-in default key, which every installation that set none used.
DEFAULT_PLAIN = "a plain shared secret 1234"
DEFAULT_SEALED = "npiH6PAy1_FiNQYJL997CinlAIAD46_Y_YPEEI3PuKUOBhf4Ux79JT31XzBV5HnWvfxRCIqdKLI7Iw=="


def test_sealed_with_aes_gcm_under_an_hkdf_key() -> None:
    sealed = secrets.seal("whsec_c2VjcmV0", server_key="k" * 32)
    assert sealed.startswith("v2.") and "whsec" not in sealed
    # Opened here with cryptography alone, as the module docstring describes the format.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"pohub webhook secrets v2").derive(b"k" * 32)
    blob = base64.urlsafe_b64decode(sealed[3:])
    plain = AESGCM(key).decrypt(blob[:12], blob[12:], b"pohub webhook shared secret")
    assert plain == b"whsec_c2VjcmV0"
    assert secrets.seal("whsec_c2VjcmV0", server_key="k" * 32) != sealed  # a fresh nonce each time


def test_a_sealed_value_opens_only_with_its_key_and_unaltered() -> None:
    sealed = secrets.seal("whsec_c2VjcmV0", server_key="one key")
    assert secrets.unseal(sealed, server_key="one key") == "whsec_c2VjcmV0"
    with pytest.raises(secrets.SealError):
        secrets.unseal(sealed, server_key="another key")
    blob = bytearray(base64.urlsafe_b64decode(sealed[3:]))
    blob[-1] ^= 1
    with pytest.raises(secrets.SealError):
        secrets.unseal("v2." + base64.urlsafe_b64encode(bytes(blob)).decode(), server_key="one key")
    with pytest.raises(secrets.SealError):
        secrets.unseal("v2.not-base64!", server_key="one key")


def test_values_sealed_before_v2_still_open() -> None:
    assert secrets.unseal(LEGACY_SEALED, server_key=LEGACY_KEY) == LEGACY_PLAIN
    assert secrets.needs_reseal(LEGACY_SEALED)
    # Under the old default key, whatever key the server has now.
    assert secrets.unseal(DEFAULT_SEALED, server_key="a newly generated key") == DEFAULT_PLAIN
    with pytest.raises(secrets.SealError):
        secrets.unseal(LEGACY_SEALED, server_key="a newly generated key")


async def _insert(url: str, company_id: int, sealed: list[str]) -> list[int]:
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            now = clock.now()
            return [
                await repo.insert_subscription(
                    conn,
                    {
                        "company_id": company_id,
                        "address": "http://127.0.0.1:9/hook",
                        "topic": "*",
                        "format": "json",
                        "enabled": True,
                        "secret_sealed": value,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                for value in sealed
            ]
    finally:
        await db.dispose()


async def _sealed(url: str, ids: list[int]) -> list[str]:
    db = Database(url, pool_size=1)
    try:
        async with db.read() as conn:
            stmt = select(S.secret_sealed).where(S.id.in_(ids)).order_by(S.id)
            return list((await conn.execute(stmt)).scalars())
    finally:
        await db.dispose()


def test_the_server_reseals_legacy_secrets_on_start(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path) as url:
        owner = make_party(LiveServer("http://127.0.0.1:9", url, backend), "reseal-owner")
        ids = asyncio.run(_insert(url, owner.id, [LEGACY_SEALED, DEFAULT_SEALED]))
        with live_server(url, backend, secret_key=LEGACY_KEY) as server:
            now = asyncio.run(_sealed(url, ids))
            assert all(v.startswith("v2.") for v in now), now
            assert [secrets.unseal(v, server_key=LEGACY_KEY) for v in now] == [LEGACY_PLAIN, DEFAULT_PLAIN]
            r = owner.client.get(f"{server.api}/Webhooks/{ids[0]}")
            assert r.status_code == 200, r.text
            assert r.json()["Body"]["SharedSecret"] == secrets.masked(LEGACY_PLAIN)
