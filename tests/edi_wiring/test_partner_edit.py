"""Editing an EDI partner profile (PUT /EdiPartners/{id}, `pohub edi partners edit`): the fields given
change, the rest stay, control numbers go on; the fixed fields and every rule answered by name.
And the rules of As2Settings, on adding and on editing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from pohub.db.engine import Database
from pohub.edi.partners import service
from tests.edi_wiring.helpers import add_partner, profile
from tests.support import LiveServer, Trade, connect, make_party


def _next_isa(server: LiveServer, partner_id: int) -> int:
    async def work() -> int:
        db = Database(server.database_url, pool_size=1)
        try:
            async with db.write() as conn:
                p = await service.profile(conn, partner_id=partner_id)
                return await service.next_control(conn, partner=p, kind="isa")
        finally:
            await db.dispose()

    return asyncio.run(work())


def _edit(party: Any, partner_id: int, **fields: Any) -> Any:
    return party.client.put(f"/EdiPartners/{partner_id}", json=fields)


def test_an_edit_changes_the_fields_given_and_control_numbers_go_on(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    created = add_partner(trade.buyer, trade.supplier, TheirId=f"E{tag}", AckWithinMinutes=30)
    first = _next_isa(server, created["Id"])

    r = _edit(trade.buyer, created["Id"], TheirId=f"N{tag}", Usage="T")
    assert r.status_code == 200, r.text
    edited = r.json()["Body"]
    assert (edited["TheirId"], edited["Usage"]) == (f"N{tag}", "T")
    unchanged = ("Id", "EdiCompanyId", "CounterpartyId", "Role", "Standard", "Version", "OurId", "TheirGroupId")
    assert {k: edited[k] for k in unchanged} == {k: created[k] for k in unchanged}
    assert edited["AckWithinMinutes"] == 30
    assert [p["TheirId"] for p in trade.supplier.get("/EdiPartners").json()["Body"]] == [f"N{tag}"]
    assert _next_isa(server, created["Id"]) == first + 1  # the edit reset nothing

    # The other company of the pair may edit it too; a null sets a field back to its default.
    r = _edit(trade.supplier, created["Id"], AckWithinMinutes=None)
    assert r.status_code == 200, r.text
    assert r.json()["Body"]["AckWithinMinutes"] == 1440


def test_what_an_edit_may_not_do(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    created = add_partner(trade.buyer, trade.supplier, TheirId=f"F{tag}")
    pid = created["Id"]

    r = _edit(trade.buyer, pid, Standard="edifact")
    assert r.status_code == 422 and [e["Field"] for e in r.json()["Errors"]] == ["Standard"], r.text
    r = _edit(trade.buyer, pid, CounterpartyId=trade.buyer.id)
    assert r.status_code == 422 and [e["Field"] for e in r.json()["Errors"]] == ["CounterpartyId"], r.text
    r = _edit(trade.buyer, pid, Colour="blue")
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "Colour", r.text
    r = _edit(trade.buyer, pid, Transport="as2", Version="9")
    assert r.status_code == 422, r.text
    assert {e["Field"] for e in r.json()["Errors"]} == {"Version", "As2Url", "As2TheirId", "As2OurId"}

    stranger = make_party(server)
    assert _edit(stranger, pid, Usage="T").status_code == 404

    # Two profiles of one company may not share their identities.
    other_supplier = make_party(server)
    connect(server, trade.buyer, other_supplier)
    add_partner(trade.buyer, other_supplier, TheirId=f"G{tag}")
    r = _edit(trade.buyer, pid, TheirId=f"G{tag}")
    assert r.status_code == 409 and r.json()["Errors"][0]["Field"] == "TheirId", r.text

    # Nothing of a refused edit was kept.
    [kept] = [p for p in trade.buyer.get("/EdiPartners").json()["Body"] if p["Id"] == pid]
    assert (kept["TheirId"], kept["Standard"], kept["Transport"], kept["Version"]) == (
        f"F{tag}",
        "x12",
        "api",
        "004010",
    )


def test_as2_settings_are_checked_key_by_key(trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    as2 = {"Transport": "as2", "As2Url": "http://127.0.0.1:1/as2", "As2TheirId": "THEM", "As2OurId": "US"}
    bad = {"Sign": "yes", "Digest": "md5", "Mdn": "later", "OurKeyFile": "", "Colour": 1}
    r = trade.buyer.post("/EdiPartners", json=profile(trade.supplier, TheirId=f"H{tag}", As2Settings=bad, **as2))
    assert r.status_code == 422, r.text
    assert {e["Field"] for e in r.json()["Errors"]} == {
        "As2Settings.Sign",
        "As2Settings.Digest",
        "As2Settings.Mdn",
        "As2Settings.OurKeyFile",
        "As2Settings.Colour",
    }
    r = trade.buyer.post("/EdiPartners", json=profile(trade.supplier, TheirId=f"H{tag}", As2Settings="sign", **as2))
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "As2Settings", r.text
    async_without_url = {"Mdn": "async"}
    r = trade.buyer.post(
        "/EdiPartners", json=profile(trade.supplier, TheirId=f"H{tag}", As2Settings=async_without_url, **as2)
    )
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "As2Settings.AsyncMdnUrl", r.text
    # Within every key's bounds, but over the column's 4,000 characters as JSON (each é is \\u00e9):
    # refused on both databases alike, not cut or refused by one of them.
    wide = {k: "/" + "é" * 999 for k in ("OurCertificateFile", "OurKeyFile", "PartnerCertificateFile")}
    r = trade.buyer.post("/EdiPartners", json=profile(trade.supplier, TheirId=f"H{tag}", As2Settings=wide, **as2))
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "As2Settings", r.text

    good = {"Sign": True, "Digest": "SHA-256", "Mdn": "async", "AsyncMdnUrl": "http://127.0.0.1:1/mdn"}
    created = add_partner(trade.buyer, trade.supplier, TheirId=f"H{tag}", As2Settings=good, **as2)
    r = _edit(trade.buyer, created["Id"], As2Settings={"Encrypt": "no"})
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "As2Settings.Encrypt", r.text


def test_cli_edit(server: LiveServer, trade: Trade, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    created = add_partner(trade.buyer, trade.supplier, TheirId=f"C{tag}")
    env = os.environ | {"POHUB_DATABASE_URL": server.database_url}
    changes = tmp_path / "changes.json"
    changes.write_text(f'{{"TheirId": "K{tag}", "Usage": "T"}}')
    cmd = [sys.executable, "-m", "pohub.cli.main", "edi", "partners", "edit", str(created["Id"]), str(changes)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ZZ/K{tag}" in done.stdout and "test" in done.stdout
    changes.write_text('{"Standard": "edifact"}')
    refused = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode == 1 and "Standard" in refused.stdout, refused.stdout + refused.stderr
