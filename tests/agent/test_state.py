"""The state file's writes: what ``save_pending`` hands back, and the statements it takes."""

from __future__ import annotations

from pathlib import Path

from pohub.agent.state import State
from pohub.client import ApiError, Created


def _statements(state: State) -> list[str]:
    seen: list[str] = []
    state._db.set_trace_callback(seen.append)
    return seen


def test_save_pending_gives_the_row_it_wrote_without_reading_it_back(tmp_path: Path) -> None:
    state = State(tmp_path / "agent.db")
    try:
        seen = _statements(state)
        doc = state.save_pending(
            kind="shipment", order_key="K1", number="S-1", body=b'{"a":1}', input_hash="h", ref="r"
        )
        assert [s.split()[0] for s in seen] == ["BEGIN", "INSERT", "COMMIT"]  # no SELECT after the INSERT
        assert (doc.kind, doc.order_key, doc.number, doc.ref, doc.body, doc.input_hash, doc.state, doc.attempts) == (
            "shipment",
            "K1",
            "S-1",
            "r",
            b'{"a":1}',
            "h",
            "pending",
            0,
        )
        assert doc == state.document(kind="shipment", order_key="K1", number="S-1")
    finally:
        state.close()


def test_save_pending_over_a_sent_document_leaves_it_and_gives_it_back(tmp_path: Path) -> None:
    state = State(tmp_path / "agent.db")
    try:
        first = state.save_pending(kind="invoice", order_key="K1", number="I-1", body=b"{}", input_hash="h1")
        state.mark_sent(first, Created("S9", None, False), http_status=201)
        again = state.save_pending(kind="invoice", order_key="K1", number="I-1", body=b'{"x":2}', input_hash="h2")
        assert (again.id, again.state, again.body, again.input_hash, again.server_key) == (
            first.id,
            "sent",
            b"{}",
            "h1",
            "S9",
        )
    finally:
        state.close()


def test_save_pending_over_a_refused_document_writes_the_new_body(tmp_path: Path) -> None:
    state = State(tmp_path / "agent.db")
    try:
        first = state.save_pending(kind="invoice", order_key="K1", number="I-1", body=b"{}", input_hash="h1")
        state.mark_refused(first, ApiError("no", "POST", "/Invoices", status_code=409))
        again = state.save_pending(kind="invoice", order_key="K1", number="I-1", body=b'{"x":2}', input_hash="h2")
        assert (again.id, again.state, again.body, again.input_hash, again.attempts) == (
            first.id,
            "pending",
            b'{"x":2}',
            "h2",
            1,
        )
    finally:
        state.close()
