"""Whatever bytes arrive, the receiver answers with an MDN (error or processed) and never raises."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pohub.edi.as2 import build_message, receive
from tests.edi.as2.conftest import X12_850, Identity, profile_pair

CONTENT_TYPES = [
    'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="b"',
    "application/pkcs7-mime; smime-type=enveloped-data",
    "application/pkcs7-mime; smime-type=compressed-data",
    "application/pkcs7-mime",
    "application/edi-x12",
]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=400), st.sampled_from([b"--b\r\n\r\n--b--", b"\x30\x80", b"--b--\r\n"])))
def test_any_body_gets_an_mdn(buyer: Identity, supplier: Identity, content_type: str, body: bytes) -> None:
    sending, receiving = profile_pair(buyer, supplier, mdn_signed=True)
    headers = [(k, v) for k, v in build_message(sending, X12_850).headers if k.lower() != "content-type"]
    answer = receive([*headers, ("Content-Type", content_type)], body, lambda f, t: receiving)
    assert answer.status_code == 200
    assert answer.mdn is not None
    assert (answer.message is None) != (answer.error is None)


@given(body=st.binary(min_size=1, max_size=64), position=st.integers(min_value=0))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_corrupting_a_signed_encrypted_message_never_slips_through(
    buyer: Identity, supplier: Identity, body: bytes, position: int
) -> None:
    """Overwrite any stretch of a signed+encrypted message: it is refused, or (if untouched) opens intact."""
    sending, receiving = profile_pair(buyer, supplier, sign=True, encrypt=True, require_signed=True)
    message = build_message(sending, X12_850)
    at = position % len(message.body)
    corrupted = message.body[:at] + body + message.body[at + len(body) :]
    answer = receive(message.headers.items(), corrupted, lambda f, t: receiving)
    if answer.message is not None:
        assert answer.message.payload == X12_850  # only a no-op overwrite may open, and then unchanged
    else:
        assert answer.error is not None
