"""The Messages page shows an interchange one segment per line, each error on its segment."""

from __future__ import annotations

from pohub.edi import receive
from pohub.edi.x12_side import STANDARD as X12
from pohub.web.message_pages import payload_lines
from tests.edi_wiring.test_post_edi import FIXTURES


def test_an_interchange_reads_one_segment_a_line_with_its_errors() -> None:
    raw = (FIXTURES / "edifabric-ShipNotice.txt").read_bytes()
    reading = X12.read(raw)
    summary = receive.Summary({"Errors": reading.errors}, False)
    errors = [{"Field": e["Segment"], "Error": e["Message"]} for e in summary.body["Errors"]]
    lines = payload_lines(raw, errors)
    assert lines[0].text.startswith("ISA*") and lines[1].text.startswith("GS*")
    assert all(line.text.count("~") == 1 for line in lines)
    dtm = next(line for line in lines if line.text.startswith("DTM*011*200"))
    assert any("DTM" in note for note in dtm.errors), [(ln.text, ln.errors) for ln in lines if ln.errors]
    edifact = payload_lines((FIXTURES / "edifabric-PurchaseOrderWithUna.txt").read_bytes(), [])
    assert edifact[0].text.startswith("UNB+") and edifact[1].text.startswith("UNH+")
