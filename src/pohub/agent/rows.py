"""The state file's tables (agent/state.py) and the rows read from them: a PO as the agent keeps it
(OrderRecord) and a document it sent or will send (Doc)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pohub.agent.policies import POLine, PurchaseOrder
from pohub.core import jsonio
from pohub.documents.types import line_key

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    key TEXT PRIMARY KEY,
    partner_po TEXT NOT NULL,
    buyer_id INTEGER,
    supplier_id INTEGER,
    sales_requirement INTEGER,
    currency TEXT,
    status INTEGER,
    seen_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_po ON orders (partner_po);
CREATE TABLE IF NOT EXISTS lines (
    order_key TEXT NOT NULL REFERENCES orders (key),
    line_key TEXT NOT NULL,
    position INTEGER NOT NULL,
    line_number TEXT NOT NULL,
    sku TEXT,
    uom TEXT,
    ordered INTEGER NOT NULL,
    price TEXT,
    ack_price TEXT,
    accepted INTEGER NOT NULL DEFAULT 0,
    backordered INTEGER NOT NULL DEFAULT 0,
    cancelled INTEGER NOT NULL DEFAULT 0,
    shipped INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (order_key, line_key)
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    order_key TEXT NOT NULL,
    number TEXT NOT NULL,
    ref TEXT,
    body BLOB NOT NULL,
    input_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'refused')),
    attempts INTEGER NOT NULL DEFAULT 0,
    http_status INTEGER,
    server_key TEXT,
    answer TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (kind, order_key, number)
);
CREATE INDEX IF NOT EXISTS documents_state ON documents (kind, state);
CREATE INDEX IF NOT EXISTS documents_ref ON documents (kind, order_key, ref);
"""


@dataclass(frozen=True)
class OrderRecord:
    key: str
    partner_po: str
    buyer_id: int | None
    supplier_id: int | None
    sales_requirement: int | None
    currency: str | None
    status: int | None
    lines: tuple[POLine, ...]
    ack_prices: dict[str, Decimal]

    def as_po(self) -> PurchaseOrder:
        return PurchaseOrder(self.key, self.partner_po, self.lines, self.sales_requirement)

    def line(self, line_number: str) -> POLine | None:
        wanted = line_key(line_number)
        return next((ln for ln in self.lines if line_key(ln.line_number) == wanted), None)


@dataclass(frozen=True)
class Doc:
    id: int
    kind: str
    order_key: str
    number: str
    ref: str | None
    body: bytes
    input_hash: str
    state: str
    attempts: int
    http_status: int | None
    server_key: str | None
    last_error: str | None

    def data(self) -> dict[str, Any]:
        parsed: dict[str, Any] = jsonio.loads(self.body)
        return parsed


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


# The columns an OrderRecord is made of, in record_of's order.
ORDER_COLUMNS = "key, partner_po, buyer_id, supplier_id, sales_requirement, currency, status"
LINE_COLUMNS = "line_number, sku, ordered, price, uom, accepted, backordered, cancelled, shipped, ack_price"


def record_of(head: Sequence[Any], lines: Sequence[Sequence[Any]]) -> OrderRecord:
    """An OrderRecord from an orders row and its lines' rows (the columns above), in position order."""
    key, partner_po, buyer_id, supplier_id, sales_requirement, currency, status = head
    return OrderRecord(
        key,
        partner_po,
        buyer_id,
        supplier_id,
        sales_requirement,
        currency,
        status,
        tuple(POLine(ln[0], ln[1], ln[2], _money(ln[3]), ln[4], ln[5], ln[6], ln[7], ln[8]) for ln in lines),
        {ln[0]: Decimal(ln[9]) for ln in lines if ln[9] is not None},
    )


def doc_of(row: sqlite3.Row | None) -> Doc | None:
    """A Doc from a documents row (``SELECT *``), or None."""
    if row is None:
        return None
    return Doc(
        row["id"],
        row["kind"],
        row["order_key"],
        row["number"],
        row["ref"],
        bytes(row["body"]),
        row["input_hash"],
        row["state"],
        row["attempts"],
        row["http_status"],
        row["server_key"],
        row["last_error"],
    )
