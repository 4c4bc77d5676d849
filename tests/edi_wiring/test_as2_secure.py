"""Signed and encrypted AS2 with asynchronous MDNs between two pohub instances on loopback, each
with its own database and certificates: each side requires the other's messages signed and
encrypted; A's 850 becomes B's order, B's 997 comes back the same way and acknowledges it, and
each side's async MDN is matched to the send it confirms (an attempt on that send's log)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from pohub.edi.as2.mdn import ReceivedMdn
from pohub.edi.as2.mic import Mic
from pohub.edi.as2_mdn import verdict
from tests.api.helpers import order_body
from tests.edi.as2.conftest import Identity, make_identity
from tests.edi_wiring.helpers import add_partner
from tests.edi_wiring.test_order_to_cash import edi_sent, eventually, order_of
from tests.edi_wiring.test_post_edi import exchange
from tests.support import LiveServer, Party, Trade, database_url, live_server, make_trade


def _settings(ours: Identity, theirs: Identity, our_url: str) -> dict[str, Any]:
    return {
        "Sign": True,
        "Encrypt": True,
        "RequireSigned": True,
        "RequireEncrypted": True,
        "Mdn": "async",
        "AsyncMdnUrl": f"{our_url}/as2",
        "OurCertificateFile": str(ours.cert_path),
        "OurKeyFile": str(ours.key_path),
        "PartnerCertificateFile": str(theirs.cert_path),
    }


def _wire(a: LiveServer, ta: Trade, b: LiveServer, tb: Trade, id_a: Identity, id_b: Identity) -> None:
    add_partner(
        ta.supplier,
        ta.buyer,
        TheirId="SUPPLIERB",
        OurId="BUYERA",
        Transport="as2",
        As2Url=f"{b.url}/as2",
        As2TheirId=id_b.as2_id,
        As2OurId=id_a.as2_id,
        As2Settings=_settings(id_a, id_b, a.url),
    )
    add_partner(
        tb.buyer,
        tb.supplier,
        TheirId="BUYERA",
        OurId="SUPPLIERB",
        Transport="as2",
        As2Url=f"{a.url}/as2",
        As2TheirId=id_a.as2_id,
        As2OurId=id_b.as2_id,
        As2Settings=_settings(id_b, id_a, b.url),
    )


def _confirmed(party: Party, kind: str) -> dict[str, Any] | None:
    """The party's send of this kind once its async MDN matched (and its 997 settled it)."""
    for e in party.get("/Exchanges", params={"direction": "out", "pageSize": 100}).json()["Records"]:
        if e["Kind"] != kind:
            continue
        full = exchange(party, e["Id"])
        notes = [a["ResponseBody"] or "" for a in full["AttemptLog"]]
        if any(n.startswith("async MDN") for n in notes):
            return full
    return None


def test_signed_encrypted_as2_with_async_mdns_between_two_pohubs(backend: str, tmp_path: Path) -> None:
    id_a, id_b = make_identity("POHUB-A-AS2", tmp_path), make_identity("POHUB-B-AS2", tmp_path)
    with (
        database_url(backend, tmp_path / "a") as url_a,
        database_url(backend, tmp_path / "b") as url_b,
        live_server(url_a, backend, worker_poll_seconds=0.1) as a,
        live_server(url_b, backend, worker_poll_seconds=0.1) as b,
    ):
        ta, tb = make_trade(a), make_trade(b)
        _wire(a, ta, b, tb, id_a, id_b)
        po = "PO-AS2-SECURE"
        body = order_body(ta, po)
        del body["PaymentTerm"]
        r = ta.buyer.post("/Orders", json=body)
        assert r.status_code == 201, r.text

        order_b = eventually("the signed, encrypted 850 to become B's order", lambda: order_of(tb.supplier, po))
        assert [ln["Quantity"] for ln in order_b["OrderLines"]] == [5, 3]
        sent_a = eventually("B's async MDN to confirm A's 850", lambda: _confirmed(ta.supplier, "order"))
        notes = [a["ResponseBody"] for a in sent_a["AttemptLog"]]
        assert any("async MDN awaited" in (n or "") for n in notes)  # the send, then its MDN
        mdn_note = next(n for n in notes if n and n.startswith("async MDN "))
        assert "processed" in mdn_note and "MIC" in mdn_note and "differs" not in mdn_note, notes
        eventually(
            "B's 997 (signed, encrypted) to acknowledge A's 850",
            lambda: [e for e in edi_sent(ta.supplier) if e["State"] == "acknowledged"] or None,
        )
        sent_b = eventually("A's async MDN to confirm B's 997", lambda: _confirmed(tb.buyer, "997"))
        assert sent_b["State"] in ("sent", "acknowledged") and sent_b["Error"] is None

        # Every MDN A received is applied: A's worker applies them after taking them in, so the last
        # may still be on its way when B's side already shows its own confirmation.
        def applied_mdns() -> list[dict[str, Any]] | None:
            mdns = ta.supplier.get("/Exchanges", params={"direction": "in", "channel": "as2"}).json()["Records"]
            taken = [e for e in mdns if e["Operation"] == "as2.mdn"]
            return taken if taken and all(e["State"] == "applied" for e in taken) else None

        eventually("every async MDN A received to be applied", applied_mdns)


def _report(original: str, disposition: str = "processed", mic: str = "abc=, sha256") -> tuple[dict[str, str], bytes]:
    body = (
        "--b1\r\nContent-Type: text/plain\r\n\r\nreceipt\r\n"
        "--b1\r\nContent-Type: message/disposition-notification\r\n\r\n"
        f"Original-Message-ID: {original}\r\n"
        f"Disposition: automatic-action/MDN-sent-automatically; {disposition}\r\n"
        f"Received-Content-MIC: {mic}\r\n"
        "\r\n--b1--\r\n"
    ).encode()
    return {"content-type": 'multipart/report; report-type=disposition-notification; boundary="b1"'}, body


def test_an_async_mdn_for_no_message_of_ours_is_kept_and_refused(server: LiveServer, trade: Trade) -> None:
    add_partner(
        trade.supplier,
        trade.buyer,
        TheirId="MDNTEST",
        OurId="POHUBMDN",
        Transport="as2",
        As2Url="http://127.0.0.1:9/unreachable",
        As2TheirId="THEM-MDN",
        As2OurId="US-MDN",
    )
    headers, body = _report("<pohub-x999999-ab12@US-MDN>")
    r = httpx.post(
        f"{server.url}/as2",
        content=body,
        headers=headers | {"AS2-From": "THEM-MDN", "AS2-To": "US-MDN", "Message-ID": "<m1@them>"},
        timeout=30,
    )
    assert r.status_code == 404, r.text
    kept = trade.supplier.get("/Exchanges", params={"direction": "in", "channel": "as2"}).json()["Records"]
    (mdn,) = [e for e in kept if e["Operation"] == "as2.mdn"]
    assert mdn["State"] == "refused" and exchange(trade.supplier, mdn["Id"])["Raw"].encode() == body


def test_an_async_mdn_is_checked_against_the_send() -> None:
    expected = {"MessageId": "<pohub-x7-aa@A>", "Mics": {"sha256": "right="}}

    def mdn(mid: str, disposition: str, mic: str | None) -> ReceivedMdn:
        found = Mic(mic, "sha256") if mic else None
        return ReceivedMdn(mid, f"automatic-action/MDN-sent-automatically; {disposition}", found, True, None, "")

    assert verdict(mdn("<pohub-x7-aa@A>", "processed", "right="), expected) is None
    assert "differs" in (verdict(mdn("<pohub-x7-aa@A>", "processed", "wrong="), expected) or "")
    failed = mdn("<pohub-x7-aa@A>", "processed/error: decryption-failed", "right=")
    assert "reports" in (verdict(failed, expected) or "")
    assert "not <pohub-x7-aa@A>" in (verdict(mdn("<pohub-x8-bb@A>", "processed", "right="), expected) or "")
    assert "no Received-Content-MIC" in (verdict(mdn("<pohub-x7-aa@A>", "processed", None), expected) or "")
