"""The state file's writes: what ``save_pending``, ``save_new`` and ``remember_order`` hand back, and the
statements they take."""

from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from pohub.agent.policies import POLine, PurchaseOrder
from pohub.agent.rows import Doc, OrderRecord
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
        assert [s.split()[0] for s in seen] == ["INSERT"]  # its own transaction; no SELECT after the INSERT
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


def _po(key: str, *lines: POLine) -> PurchaseOrder:
    return PurchaseOrder(key, f"PO-{key}", lines, 1)


def _remember(state: State, po: PurchaseOrder, status: int | None = 100) -> OrderRecord:
    return state.remember_order(order=po, buyer_id=7, supplier_id=9, currency="USD", status=status)


def test_remember_order_answers_what_order_reads_without_reading_it_back(tmp_path: Path) -> None:
    state = State(tmp_path / "agent.db")
    try:
        seen = _statements(state)
        po = _po("K1", POLine("01", "A", 2, Decimal("3.50"), "EA", accepted=2), POLine("02", None, 1, None, None))
        record = _remember(state, po)
        assert not [s for s in seen if s.startswith("SELECT")]
        assert record == state.order("K1")
        assert [ln.price for ln in record.lines] == [Decimal("3.50"), None]
        assert str(record.lines[0].price) == "3.50"  # the digits as written, as a read gives them
        assert record.lines[0].accepted == 0  # the hub's figures are not the agent's

        # Known already: the status moves on, the lines' figures stay, and the record is read.
        state.mark_sent(
            state.save_pending(
                kind="acknowledgement",
                order_key="K1",
                number="A-1",
                body=b'{"AckLines":[{"LineNumber":"01","Quantity":1,"QuantityBackordered":1,"Price":3.25}]}',
                input_hash="h",
            ),
            Created("S1", 500, False),
            http_status=201,
        )
        again = _remember(state, _po("K1", POLine("01", "A", 2, Decimal("3.50"), "EA")), status=500)
        assert again == state.order("K1")
        assert (again.status, again.lines[0].accepted, again.lines[0].backordered) == (500, 1, 1)
        assert again.ack_prices == {"01": Decimal("3.25")}

        # Two lines with one line key: the second is not written, and the record says so.
        twice = _remember(state, _po("K2", POLine("1", "A", 1), POLine("01", "B", 2)))
        assert twice == state.order("K2")
        assert [ln.sku for ln in twice.lines] == ["A"]
    finally:
        state.close()


def test_orders_reads_each_as_order_does(tmp_path: Path) -> None:
    state = State(tmp_path / "agent.db")
    try:
        for n in range(3):
            _remember(state, _po(f"K{n}", *(POLine(f"{i:02d}", f"S{i}", i + 1, Decimal(f"{i}.5")) for i in range(n))))
        assert state.orders(["K2", "K0", "nope", "K1", "K2"]) == {k: state.order(k) for k in ("K0", "K1", "K2")}
        assert state.orders([]) == {}
    finally:
        state.close()


def test_save_new_writes_only_a_number_not_taken(tmp_path: Path) -> None:
    state = State(tmp_path / "agent.db")
    try:
        seen = _statements(state)
        doc = state.save_new(kind="shipment", order_key="K1", number="S-1", body=b"{}", input_hash="h", ref="r")
        assert [s.split()[0] for s in seen] == ["INSERT"]
        assert doc is not None and doc == state.document(kind="shipment", order_key="K1", number="S-1")
        state.mark_refused(doc, ApiError("no", "POST", "/Shipments", status_code=409))
        assert state.save_new(kind="shipment", order_key="K1", number="S-1", body=b"{2}", input_hash="h2") is None
        kept = state.document(kind="shipment", order_key="K1", number="S-1")
        assert kept is not None and (kept.state, kept.body, kept.input_hash) == ("refused", b"{}", "h")
    finally:
        state.close()


def _sent_elsewhere(path: Path) -> set[str]:
    """The numbers of the documents recorded as sent, as another connection sees them (committed only)."""
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT number FROM documents WHERE state = 'sent'")}


def _two_pending(state: State, kind: str = "invoice") -> tuple[Doc, Doc]:
    return (
        state.save_pending(kind=kind, order_key="K1", number="I-1", body=b"{}", input_hash="h"),
        state.save_pending(kind=kind, order_key="K1", number="I-2", body=b"{}", input_hash="h"),
    )


def test_the_answers_of_one_loop_pass_share_one_commit(tmp_path: Path) -> None:
    path = tmp_path / "agent.db"

    async def run() -> None:
        state = State(path)
        try:
            first, second = _two_pending(state)
            seen = _statements(state)
            state.mark_sent(first, Created("S1", None, False), http_status=201)
            state.mark_sent(second, Created("S2", None, False), http_status=201)
            assert _sent_elsewhere(path) == set()  # not yet: committed as the next pass begins
            await asyncio.sleep(0)
            assert _sent_elsewhere(path) == {"I-1", "I-2"}
            assert [s for s in seen if s in ("BEGIN IMMEDIATE", "COMMIT")] == ["BEGIN IMMEDIATE", "COMMIT"]
        finally:
            state.close()

    asyncio.run(run())


def test_any_other_write_and_close_commit_the_pass_s_answers_first(tmp_path: Path) -> None:
    path = tmp_path / "agent.db"

    async def run() -> None:
        state = State(path)
        try:
            first, second = _two_pending(state)
            state.mark_sent(first, Created("S1", None, False), http_status=201)
            with state.batch():  # a chunk's documents written down before they are sent
                state.save_pending(kind="invoice", order_key="K1", number="I-3", body=b"{}", input_hash="h")
            assert _sent_elsewhere(path) == {"I-1"}
            state.mark_sent(second, Created("S2", None, False), http_status=201)
        finally:
            state.close()  # no pass of the loop in between: close commits
        assert _sent_elsewhere(path) == {"I-1", "I-2"}

    asyncio.run(run())


def test_an_answer_whose_lines_cannot_be_read_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "agent.db"

    async def run() -> None:
        state = State(path)
        try:
            first, second = _two_pending(state, "shipment")
            state.mark_sent(first, Created("S1", None, False), http_status=201)
            with pytest.raises(KeyError):  # a line without its number: the shipped units cannot be applied
                state.mark_sent(second, Created("S2", None, False), http_status=201, data={"ShipmentLines": [{}]})
            await asyncio.sleep(0)
            assert _sent_elsewhere(path) == {"I-1"}
            again = state.document(kind="shipment", order_key="K1", number="I-2")
            assert again is not None and (again.state, again.attempts) == ("pending", 0)
        finally:
            state.close()

    asyncio.run(run())


def test_a_statement_that_fails_undoes_the_pass_s_answers_as_a_kill_would(tmp_path: Path) -> None:
    path = tmp_path / "agent.db"

    async def run() -> None:
        state = State(path)
        try:
            first, second = _two_pending(state)
            state.mark_sent(first, Created("S1", 500, False), http_status=201)
            # In the pass's transaction: the order's status cannot be written now.
            state._db.execute("ALTER TABLE orders RENAME TO gone")
            with pytest.raises(sqlite3.OperationalError):
                state.mark_sent(second, Created("S2", 500, False), http_status=201)
            await asyncio.sleep(0)
            assert _sent_elsewhere(path) == set()  # both pending again, neither half-written
            assert [d.state for d in state.pending("invoice")] == ["pending", "pending"]
            state.mark_sent(second, Created("S2", 500, False), http_status=201)  # the rename went with the pass
            await asyncio.sleep(0)
            assert _sent_elsewhere(path) == {"I-2"}
        finally:
            state.close()

    asyncio.run(run())


def test_order_keys_for_pos_answers_each_as_order_keys_for_po(tmp_path: Path) -> None:
    state = State(tmp_path / "agent.db")
    try:
        for key, po in (("K1", "PO-A"), ("K2", "PO-B"), ("K3", "PO-A")):
            state.remember_order(order=PurchaseOrder(key, po, ()), buyer_id=1, supplier_id=2, currency=None, status=100)
        assert state.order_keys_for_pos(["PO-A", "PO-B", "PO-C", "PO-A"]) == {
            po: state.order_keys_for_po(po) for po in ("PO-A", "PO-B")
        }
        assert sorted(state.order_keys_for_pos(["PO-A"])["PO-A"]) == ["K1", "K3"]
    finally:
        state.close()
