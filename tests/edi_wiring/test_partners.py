"""EDI partner profiles through the API and the CLI: every rule answered with the field it names."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

from tests.edi_wiring.helpers import add_partner, profile
from tests.support import LiveServer, Trade, make_party


def test_add_and_list_a_profile(trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    created = add_partner(trade.buyer, trade.supplier, TheirId=f"B{tag}", Usage="T", AckWithinMinutes=30)
    assert created["Role"] == "buyer" and created["EdiCompanyId"] == trade.buyer.id
    assert created["TheirGroupId"] == f"B{tag}" and created["OurGroupId"] == "POHUB"
    assert (created["Usage"], created["Expects997"], created["AckWithinMinutes"]) == ("T", True, 30)
    for party in (trade.buyer, trade.supplier):
        listed = party.get("/EdiPartners").json()["Body"]
        assert [p["Id"] for p in listed] == [created["Id"]]
    again = trade.buyer.post("/EdiPartners", json=profile(trade.buyer, TheirId=f"D{tag}"))
    assert again.status_code == 422 and again.json()["Errors"][0]["Field"] == "CounterpartyId"  # not connected
    dup = trade.buyer.post("/EdiPartners", json=profile(trade.supplier, TheirId=f"C{tag}"))
    assert dup.status_code == 409 and "already has an EDI profile" in dup.json()["Message"]


def test_the_supplier_side_and_identities_are_unique(server: LiveServer, trade: Trade) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    created = add_partner(
        trade.supplier,
        trade.buyer,
        TheirId=f"S{tag}",
        Standard="edifact",
        Version="D96A",
        TheirQualifier="14",
        OurQualifier="",
        OurId=f"HUB{tag}",
    )
    assert created["Role"] == "supplier" and created["Standard"] == "edifact"
    other = make_party(server)
    r = other.post("/EdiPartners", json=profile(trade.buyer, EdiCompanyId=trade.supplier.id))
    assert r.status_code == 403


def test_every_rule_names_its_field(trade: Trade) -> None:
    bad = profile(
        trade.supplier,
        Standard="x12",
        Version="D96A",
        TheirQualifier="QQ",
        TheirId="FAR*TOO*LONG-IDENTITY",
        Usage="X",
        AckWithinMinutes=0,
        Transport="as2",
        Expects997="yes",
    )
    r = trade.buyer.post("/EdiPartners", json=bad)
    assert r.status_code == 422, r.text
    fields = {e["Field"]: e["Error"] for e in r.json()["Errors"]}
    assert set(fields) == {
        "Version",
        "TheirQualifier",
        "TheirId",
        "Usage",
        "AckWithinMinutes",
        "As2Url",
        "As2TheirId",
        "As2OurId",
        "Expects997",
    }
    assert "004010, 005010" in fields["Version"]
    r = trade.buyer.post("/EdiPartners", json=profile(trade.supplier, Transport="folder", Folder="relative/x"))
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "Folder"
    r = trade.buyer.post("/EdiPartners", json=profile(trade.supplier, Colour="blue"))
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "Colour"
    r = trade.buyer.post("/EdiPartners", json={"Standard": "x12"})
    assert r.status_code == 422 and r.json()["Errors"][0]["Field"] == "CounterpartyId"


def test_cli_add_and_list(server: LiveServer, trade: Trade) -> None:
    env = os.environ | {"POHUB_DATABASE_URL": server.database_url}
    tag = uuid.uuid4().hex[:8].upper()
    cmd = [sys.executable, "-m", "pohub.cli.main", "edi", "partners"]
    add = subprocess.run(
        [*cmd, "add", trade.buyer.name, trade.supplier.name, "--their-id", f"CLI{tag}", "--our-id", "HUB", "--test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert add.returncode == 0, add.stdout + add.stderr
    assert "(buyer) trades x12 004010" in add.stdout and "test" in add.stdout
    listed = subprocess.run([*cmd, "list"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert f"ZZ/CLI{tag}" in listed.stdout
    bad = subprocess.run(
        [*cmd, "add", trade.buyer.name, trade.supplier.name, "--their-id", "X", "--our-id", "Y", "--version", "9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 1 and "Version" in bad.stdout
