"""The agent's own memory (SQLite): every PO it handled, its lines' figures as the agent's documents
left them, and every document it sent with the server's answer.

A document is written here as ``pending`` before it is sent, and its exact bytes are what gets sent,
then and on any later retry; the server's answer moves it to ``sent`` or ``refused``. Killed at any
point, the next run sends the pending ones again, byte for byte, so the hub's duplicate rule (same
number, same body: the first key back) covers a send whose answer was lost.

The answers recorded in one pass of the event loop (``mark_sent``: about two at a time against a busy
hub) share one commit, made by a callback at the start of the next pass and before any other write.
A kill in between leaves those documents pending, as a kill while their answers were on the wire does:
sent again, answered as duplicates. Every other write commits on its own (or with its batch).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pohub.agent import kinds
from pohub.agent.kinds import LineEffect, shipped_units
from pohub.agent.policies import PurchaseOrder
from pohub.agent.rows import LINE_COLUMNS, ORDER_COLUMNS, SCHEMA, Doc, OrderRecord, doc_of, record_of
from pohub.client import ApiError, Created
from pohub.core import clock, jsonio
from pohub.documents.kinds import INVOICE, SHIPMENT
from pohub.documents.types import line_key
from pohub.orders.status import OPEN, OrderStatus

_IN_LIMIT = 500  # keys per IN (...) look-up

# Every column of a document written, for Doc, from the statement that writes it (SQLite >= 3.35).
_RETURNING = " RETURNING *" if sqlite3.sqlite_version_info >= (3, 35) else ""

CLOSED = tuple(int(s) for s in OrderStatus if s not in OPEN)


class State:
    """One SQLite file; used from one thread (the agent's event loop)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives the process being killed at any point (what "never twice" needs);
        # only a power cut can lose the last commits, and then the deterministic document numbers let the
        # hub's duplicate rule catch the resend.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._batched = False
        self._pass_open = False  # this loop pass's transaction of answers (mark_sent) is open
        self._pass_loop: asyncio.AbstractEventLoop | None = None  # the loop whose callback commits it

    def close(self) -> None:
        """Commit what is left (the last loop pass's answers) and close the file."""
        self._commit_pass()
        self._db.close()

    @contextmanager
    def _tx(self, *, answer: bool = False) -> Iterator[sqlite3.Connection]:
        if not self._batched and answer and self._join_pass():
            # This pass's answers. What can fail in Python is worked out before the first statement (mark_sent),
            # so a statement that fails here is the database's (I/O, a full disk): the whole pass is undone, as
            # a kill would (those documents are sent again next run), and nothing is left half-written.
            try:
                yield self._db
            except BaseException:
                self._pass_open = False
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            return
        if self._batched:
            # Inside batch(): a savepoint, so a write that fails is undone alone, as its own transaction was.
            self._db.execute("SAVEPOINT write")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK TO write")
                self._db.execute("RELEASE write")
                raise
            self._db.execute("RELEASE write")
            return
        self._commit_pass()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _write(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        """One statement that writes, and the rows it returns. A statement is atomic by itself: alone it is
        its own transaction (autocommit: the same commit as BEGIN IMMEDIATE ... COMMIT), and inside batch()
        one that fails is undone alone (SQLite's statement journal), as the savepoint did."""
        if not self._batched:
            self._commit_pass()
        return self._db.execute(sql, params).fetchall()

    def _join_pass(self) -> bool:
        """This loop pass's transaction of answers, opened by the first; False without a running loop
        (then each answer commits on its own)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if self._pass_open:
            if loop is self._pass_loop:
                return True
            self._commit_pass()  # opened under a loop that ended before its callback ran
        if loop is None:
            return False
        self._db.execute("BEGIN IMMEDIATE")
        self._pass_open, self._pass_loop = True, loop
        loop.call_soon(self._commit_pass)
        return True

    def _commit_pass(self) -> None:
        """Commit the answers of the pass, if any (the next pass's callback, any other write, close)."""
        if not self._pass_open:
            return
        self._pass_open = False
        try:
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")  # as a kill would: those documents are sent again next run
            raise

    @contextmanager
    def batch(self) -> Iterator[None]:
        """The writes of one stretch of synchronous work (planning a chunk of documents) in one commit.
        Everything written inside is committed before the block returns, so a document is still on disk
        as pending before it is sent."""
        if self._batched:
            yield
            return
        with self._tx():
            self._batched = True
            try:
                yield
            finally:
                self._batched = False

    # -- orders ---------------------------------------------------------------------------------

    def remember_order(
        self,
        *,
        order: PurchaseOrder,
        buyer_id: int | None,
        supplier_id: int | None,
        currency: str | None,
        status: int | None,
    ) -> OrderRecord:
        """Keep a PO and its lines; figures already recorded for known lines are left as they are.
        Answers the PO as it now stands here (what ``order`` reads)."""
        now = clock.now().isoformat()
        head = (order.key, order.partner_po, buyer_id, supplier_id, order.sales_requirement, currency, status)
        lines = [
            (
                order.key,
                line_key(ln.line_number),
                i,
                ln.line_number,
                ln.sku,
                ln.uom,
                ln.quantity,
                None if ln.price is None else str(ln.price),
                ln.shipped,
            )
            for i, ln in enumerate(order.lines)
        ]
        with self._tx() as db:
            inserted = db.execute(
                "INSERT INTO orders (key, partner_po, buyer_id, supplier_id, sales_requirement, currency, status,"
                " seen_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (*head, now, now),
            ).rowcount
            if inserted != 1:
                db.execute("UPDATE orders SET status = ?, updated_at = ? WHERE key = ?", (status, now, order.key))
            added = db.executemany(
                "INSERT OR IGNORE INTO lines (order_key, line_key, position, line_number, sku, uom, ordered, price,"
                " shipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                lines,
            ).rowcount
        if inserted == 1 and added == len(lines):
            # A PO new here, every line written: the rows are these values (other figures start at 0), so
            # they need not be read back.
            return record_of(head, [(ln[3], ln[4], ln[6], ln[7], ln[5], 0, 0, 0, ln[8], None) for ln in lines])
        record = self.order(order.key)
        assert record is not None
        return record

    def order(self, key: str) -> OrderRecord | None:
        row = self._db.execute(f"SELECT {ORDER_COLUMNS} FROM orders WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        lines = self._db.execute(f"SELECT {LINE_COLUMNS} FROM lines WHERE order_key = ? ORDER BY position", (key,))
        return record_of(tuple(row), [tuple(ln) for ln in lines])

    def orders(self, keys: Iterable[str]) -> dict[str, OrderRecord]:
        """Several POs at once (each what ``order`` reads), by key; keys not known here are left out."""
        wanted = list(dict.fromkeys(keys))
        out: dict[str, OrderRecord] = {}
        for start in range(0, len(wanted), _IN_LIMIT):
            part = wanted[start : start + _IN_LIMIT]
            marks = ", ".join("?" * len(part))
            heads = self._db.execute(f"SELECT {ORDER_COLUMNS} FROM orders WHERE key IN ({marks})", part).fetchall()
            lines: dict[str, list[tuple[Any, ...]]] = {}
            for ln in self._db.execute(
                f"SELECT order_key, {LINE_COLUMNS} FROM lines WHERE order_key IN ({marks})"
                " ORDER BY order_key, position",
                part,
            ):
                lines.setdefault(ln[0], []).append(tuple(ln)[1:])
            for head in heads:
                out[head[0]] = record_of(tuple(head), lines.get(head[0], []))
        return out

    def order_keys_for_po(self, partner_po: str) -> list[str]:
        rows = self._db.execute("SELECT key FROM orders WHERE partner_po = ? ORDER BY seen_at", (partner_po,))
        return [r["key"] for r in rows]

    def order_keys_for_pos(self, partner_pos: Iterable[str]) -> dict[str, list[str]]:
        """``order_keys_for_po`` for several PartnerPOs at once; a PartnerPO not known here is left out."""
        wanted = list(dict.fromkeys(partner_pos))
        out: dict[str, list[str]] = {}
        for start in range(0, len(wanted), _IN_LIMIT):
            part = wanted[start : start + _IN_LIMIT]
            rows = self._db.execute(
                f"SELECT partner_po, key FROM orders WHERE partner_po IN ({', '.join('?' * len(part))})"
                " ORDER BY seen_at",
                part,
            )
            for row in rows:
                out.setdefault(row[0], []).append(row[1])
        return out

    def backordered_orders(self) -> list[OrderRecord]:
        """Open POs with units this agent backordered: candidates for an updated acknowledgement."""
        rows = self._db.execute(
            "SELECT DISTINCT o.key FROM orders o JOIN lines l ON l.order_key = o.key"
            f" WHERE l.backordered > 0 AND coalesce(o.status, 0) NOT IN {CLOSED} ORDER BY o.seen_at, o.key"
        ).fetchall()
        return [rec for rec in (self.order(r["key"]) for r in rows) if rec is not None]

    def promised(self) -> dict[str, int]:
        """Units accepted by this agent's acknowledgements and not shipped yet, per SupplierSKU."""
        rows = self._db.execute(
            "SELECT l.sku, sum(max(l.accepted - l.shipped, 0)) AS units"
            " FROM lines l JOIN orders o ON o.key = l.order_key"
            f" WHERE l.sku IS NOT NULL AND coalesce(o.status, 0) NOT IN {CLOSED} GROUP BY l.sku"
        )
        return {r["sku"]: int(r["units"]) for r in rows if r["units"]}

    # -- documents ------------------------------------------------------------------------------

    def document(self, *, kind: str, order_key: str, number: str) -> Doc | None:
        row = self._db.execute(
            "SELECT * FROM documents WHERE kind = ? AND order_key = ? AND number = ?", (kind, order_key, number)
        ).fetchone()
        return doc_of(row)

    def documents_of(self, *, kind: str, order_key: str) -> list[Doc]:
        rows = self._db.execute(
            "SELECT * FROM documents WHERE kind = ? AND order_key = ? ORDER BY id", (kind, order_key)
        ).fetchall()
        return [d for d in map(doc_of, rows) if d is not None]

    def by_ref(self, *, kind: str, order_key: str, ref: str) -> Doc | None:
        row = self._db.execute(
            "SELECT * FROM documents WHERE kind = ? AND order_key = ? AND ref = ? ORDER BY id DESC LIMIT 1",
            (kind, order_key, ref),
        ).fetchone()
        return doc_of(row)

    def pending(self, kind: str) -> list[Doc]:
        rows = self._db.execute(
            "SELECT * FROM documents WHERE kind = ? AND state = 'pending' ORDER BY id", (kind,)
        ).fetchall()
        return [d for d in map(doc_of, rows) if d is not None]

    def sent_shipments_without_invoice(self) -> list[Doc]:
        """Shipments this agent sent that no invoice of its own bills yet (a refused one does not count)."""
        rows = self._db.execute(
            "SELECT s.* FROM documents s WHERE s.kind = ? AND s.state = 'sent' AND NOT EXISTS ("
            " SELECT 1 FROM documents i WHERE i.kind = ? AND i.order_key = s.order_key"
            " AND i.ref = s.number AND i.state IN ('sent', 'pending')) ORDER BY s.id",
            (SHIPMENT.name, INVOICE.name),
        ).fetchall()
        return [d for d in map(doc_of, rows) if d is not None]

    def save_new(
        self, *, kind: str, order_key: str, number: str, body: bytes, input_hash: str, ref: str | None = None
    ) -> Doc | None:
        """Write a document before it is sent if no document has its number; None (nothing written) if one has."""
        now = clock.now().isoformat()
        written = self._write(
            "INSERT INTO documents (kind, order_key, number, ref, body, input_hash, state, created_at, updated_at)"
            f" VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (kind, order_key, number) DO NOTHING{_RETURNING}",
            (kind, order_key, number, ref, body, input_hash, now, now),
        )
        if _RETURNING:
            return doc_of(written[0]) if written else None
        inserted = self._db.execute("SELECT changes()").fetchone()[0]
        return self.document(kind=kind, order_key=order_key, number=number) if inserted else None

    def save_pending(
        self, *, kind: str, order_key: str, number: str, body: bytes, input_hash: str, ref: str | None = None
    ) -> Doc:
        """Write a document before it is sent (a refused one with this number is replaced)."""
        now = clock.now().isoformat()
        # RETURNING gives the row written (SQLite >= 3.35); none when the number is taken by a document
        # that is not refused, and then the row as it stands is read.
        written = self._write(
            "INSERT INTO documents (kind, order_key, number, ref, body, input_hash, state, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)"
            " ON CONFLICT (kind, order_key, number) DO UPDATE SET body = excluded.body,"
            " input_hash = excluded.input_hash, ref = excluded.ref, state = 'pending',"
            " updated_at = excluded.updated_at"
            f" WHERE documents.state = 'refused'{_RETURNING}",
            (kind, order_key, number, ref, body, input_hash, now, now),
        )
        doc = doc_of(written[0]) if written else self.document(kind=kind, order_key=order_key, number=number)
        assert doc is not None
        return doc

    def mark_sent(self, doc: Doc, created: Created, *, http_status: int, data: dict[str, Any] | None = None) -> None:
        """The server took the document: record its answer and what it did to the lines, in one go (committed
        with the other answers of this loop pass: the module's docstring). ``data`` is the document's body
        parsed already (``doc.data()``), when the caller has it."""
        now = clock.now().isoformat()
        answer = jsonio.dumps(created.as_dict()).decode()
        lines = self._line_updates(doc, data)  # first: a body whose lines cannot be read writes nothing
        with self._tx(answer=True) as db:
            db.execute(
                "UPDATE documents SET state = 'sent', attempts = attempts + 1, http_status = ?, server_key = ?,"
                " answer = ?, last_error = NULL, updated_at = ? WHERE id = ?",
                (http_status, created.key, answer, now, doc.id),
            )
            if lines is not None:
                db.executemany(*lines)
            if created.order_status is not None:
                db.execute(
                    "UPDATE orders SET status = ?, updated_at = ? WHERE key = ?",
                    (created.order_status, now, doc.order_key),
                )

    def _line_updates(self, doc: Doc, data: dict[str, Any] | None) -> tuple[str, list[tuple[Any, ...]]] | None:
        """What a sent document does to its order's lines: the statement and its rows (None: nothing)."""
        kind = kinds.sent(doc.kind)
        if kind.effect is LineEffect.NONE:
            return None
        sql, row = _LINE_UPDATES[kind.effect]
        lines = kind.lines(doc.data() if data is None else data)
        return sql, [(*row(ln), doc.order_key, line_key(str(ln["LineNumber"]))) for ln in lines]

    def mark_refused(self, doc: Doc, error: ApiError) -> None:
        """The server said no: keep its reasons; the document waits until its input changes."""
        answer = {"Code": error.status_code, "Message": error.message, "Errors": [e.as_wire() for e in error.errors]}
        self._write(
            "UPDATE documents SET state = 'refused', attempts = attempts + 1, http_status = ?, answer = ?,"
            " last_error = ?, updated_at = ? WHERE id = ?",
            (error.status_code, jsonio.dumps(answer).decode(), error.reasons(), clock.now().isoformat(), doc.id),
        )

    def mark_attempt(self, doc: Doc, reason: str) -> None:
        """No answer this time (server down, retries spent): the document stays pending for the next run."""
        self._write(
            "UPDATE documents SET attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ?",
            (reason, clock.now().isoformat(), doc.id),
        )

    def refused(self) -> list[Doc]:
        rows = self._db.execute("SELECT * FROM documents WHERE state = 'refused' ORDER BY id").fetchall()
        return [d for d in map(doc_of, rows) if d is not None]

    def counts(self) -> dict[str, dict[str, int]]:
        """Documents per kind and state."""
        out: dict[str, dict[str, int]] = {}
        for row in self._db.execute("SELECT kind, state, count(*) AS n FROM documents GROUP BY kind, state"):
            out.setdefault(row["kind"], {})[row["state"]] = int(row["n"])
        orders = self._db.execute("SELECT count(*) FROM orders").fetchone()[0]
        out["orders"] = {"known": int(orders)}
        return out


def _accepted(line: dict[str, Any]) -> tuple[Any, ...]:
    price = line.get("Price")
    return (
        int(line.get("Quantity") or 0),
        int(line.get("QuantityBackordered") or 0),
        int(line.get("QuantityCancelled") or 0),
        None if price is None else str(price),
    )


# What each LineEffect writes to a line of the order a sent document names: the statement (its last
# two parameters are the order's key and the line's key) and the figures it takes from a document line.
_LINE_UPDATES: dict[LineEffect, tuple[str, Callable[[dict[str, Any]], tuple[Any, ...]]]] = {
    LineEffect.ACCEPTS: (
        "UPDATE lines SET accepted = ?, backordered = ?, cancelled = ?, ack_price = coalesce(?, ack_price)"
        " WHERE order_key = ? AND line_key = ?",
        _accepted,
    ),
    LineEffect.SHIPS: (
        "UPDATE lines SET shipped = shipped + ? WHERE order_key = ? AND line_key = ?",
        lambda line: (shipped_units(line),),
    ),
}
