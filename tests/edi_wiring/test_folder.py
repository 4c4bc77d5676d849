"""A drop folder per partner: files put in <folder>/in are picked up by the worker (moved to in/done
or in/refused once taken), and what pohub sends (the 997 here) is written to <folder>/out under its
final name only once complete (written to a hidden temporary name, then renamed)."""

from __future__ import annotations

from pathlib import Path

from tests.edi_wiring.helpers import add_partner
from tests.edi_wiring.test_order_to_cash import eventually
from tests.edi_wiring.test_post_edi import FIXTURES, orders_of
from tests.support import Trade


def test_a_dropped_850_is_applied_and_its_997_written_to_out(trade: Trade, tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    add_partner(
        trade.buyer,
        trade.supplier,
        TheirQualifier="12",
        TheirId="4405197800",
        OurQualifier="01",
        OurId="999999999",
        Transport="folder",
        Folder=str(folder),
    )
    inbox = folder / "in"
    inbox.mkdir(parents=True)
    (inbox / ".partial.edi").write_bytes(b"ISA*00*")  # hidden: someone is still writing it
    (inbox / "po.edi").write_bytes((FIXTURES / "node-x12-850.edi").read_bytes())
    (inbox / "junk.edi").write_bytes(b"not an interchange")

    eventually("the files to be taken", lambda: (inbox / "done" / "po.edi").exists() or None)
    eventually("the junk to be refused", lambda: (inbox / "refused" / "junk.edi").exists() or None)
    assert (inbox / ".partial.edi").exists()
    (order,) = eventually("the order", lambda: orders_of(trade.supplier))
    assert order["PartnerPO"] == "08292233294"

    out = folder / "out"
    (ack,) = eventually("the 997 in out/", lambda: list(out.glob("*.edi")) if out.exists() else None)
    text = ack.read_text()
    assert ack.name.endswith("-997.edi") and "AK9*A*1*1*1~" in text and text.rstrip().endswith("~")
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left behind
