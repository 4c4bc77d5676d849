"""The key cache and the stored keys are keyed by hash_key: it must stay hashlib's SHA-256 hex digest."""

from __future__ import annotations

import hashlib

import pytest

from pohub.partners.service import hash_key


@pytest.mark.parametrize(
    "key",
    ["", "a", "pohub_" + "x" * 32, "é ü ß 漢字", "k" * 55, "k" * 56, "k" * 64, "k" * 1000, "tab\tand space "],
)
def test_hash_key_is_sha256_hex(key: str) -> None:
    assert hash_key(key) == hashlib.sha256(key.encode()).hexdigest()


def test_hash_key_refuses_what_encode_refuses() -> None:
    with pytest.raises(UnicodeEncodeError):
        hash_key("\udc80")
