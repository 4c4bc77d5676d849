"""Secrets follow the Standard Webhooks format (whsec_ + base64 of 24 to 64 bytes), so receivers can
verify pohub's deliveries with the reference library (`standardwebhooks`, MIT); other secrets are
refused with a 422 naming SharedSecret and the rule."""

from __future__ import annotations

import base64

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from pohub.webhooks import secrets
from tests.dialects.helpers import create_order
from tests.support import LiveServer, make_trade
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_webhooks import LINES, subscribe


def _whsec(n: int) -> str:
    return "whsec_" + base64.b64encode(bytes(range(n))).decode()


def test_the_reference_library_verifies_every_delivery(fast_server: LiveServer, receiver: Receiver) -> None:
    trade = make_trade(fast_server)
    given = {
        "/generated": None,
        "/given-24": _whsec(24),
        "/given-64": _whsec(64),
        "/unpadded": _whsec(32).rstrip("="),  # the reference libraries take base64 without padding too
    }
    hooks = {
        path: subscribe(trade.buyer, f"{receiver.url}{path}", "order.created", secret=s) for path, s in given.items()
    }
    key = create_order(trade, "SW-1", LINES)
    for path, hook in hooks.items():
        secret = hook["SharedSecret"]
        assert given[path] in (None, secret)
        [got] = receiver.wait(path, 1)
        payload = Webhook(secret).verify(got.body, got.headers)
        assert payload["type"] == "order.created" and payload["data"]["LinkKey"] == key
        with pytest.raises(WebhookVerificationError):  # the check can fail: another secret, or a changed body
            Webhook(_whsec(40)).verify(got.body, got.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(got.body.replace(key.encode(), b"0"), got.headers)
    # A generated secret is 32 random bytes.
    assert len(base64.b64decode(hooks["/generated"]["SharedSecret"].removeprefix("whsec_"))) == 32


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("a plain shared secret of 32 chars", "does not start with whsec_"),
        ("whsec_not base64 at all!", "is not base64"),
        ("whsec_" + base64.urlsafe_b64encode(b"\xfb" * 30).decode(), "is not base64"),  # URL-safe alphabet
        (_whsec(23), "decodes to 23 bytes"),
        (_whsec(65), "decodes to 65 bytes"),
        (12345678901234567890, "not a string"),
    ],
)
def test_secrets_in_another_form_are_refused(fast_server: LiveServer, secret: object, why: str) -> None:
    trade = make_trade(fast_server)
    body = {"Address": "http://127.0.0.1:9/x", "Topic": "*", "SharedSecret": secret}
    r = trade.buyer.post("/Webhooks", json=body)
    assert r.status_code == 422, r.text
    [error] = r.json()["Errors"]
    assert error["Field"] == "SharedSecret"
    assert "whsec_ followed by the base64 of 24 to 64 random bytes" in error["Error"] and why in error["Error"]
    if isinstance(secret, str):
        assert secret not in r.text  # a secret is never echoed
    assert trade.buyer.get("/Webhooks").json()["Records"] == []

    ok = subscribe(trade.buyer, "http://127.0.0.1:9/x", "*")
    r = trade.buyer.put(f"/Webhooks/{ok['Id']}", json={"SharedSecret": secret})
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "SharedSecret", r.text
    r = trade.buyer.get(f"/Webhooks/{ok['Id']}")
    assert r.json()["Body"]["SharedSecret"] == secrets.masked(ok["SharedSecret"])  # unchanged
