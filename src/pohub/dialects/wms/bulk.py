"""A bulk job's batch of sales orders written in a few statements instead of a dozen per order.

The slow road (``inbound.receive_in`` per order: an exchange, a savepoint, the order service's
checks and writes, one at a time) costs about twelve statements an order. Here the batch is first
checked in Python and by three queries for the whole batch (the partnership, the PartnerPOs already
there, per supplier); the orders that pass every rule are written together, each table in one
``executemany``: documents, lines, events (and the webhook outbox their listeners write), exchanges.
Every order that does not pass, or that the checks cannot decide alone, takes the slow road, which
refuses it exactly as before: the fast road only ever takes orders the order service would accept,
and writes what it would write.

The checks are the order service's own (``orders.service``'s validation of a new order, the sender,
the receiver, the partnership, the duplicate PartnerPO): a rule added to ``create_order`` must be
added to ``admissible`` too (tests/dialects/test_wms_bulk_fast.py runs the same orders both ways).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, Table, TypeDecorator, bindparam, func, insert, literal, literal_column, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import jsonio, outcomes
from pohub.core.errors import PohubError
from pohub.db.fast import Prepared
from pohub.dialects.wms import translate
from pohub.documents import kinds, wire
from pohub.documents.inbound import parse
from pohub.documents.logicbroker import SalesOrder
from pohub.documents.models import documents, order_lines
from pohub.exchanges import inbound
from pohub.exchanges.inbound import Applied, Message
from pohub.exchanges.models import exchanges
from pohub.jobs.models import job_items
from pohub.orders import events
from pohub.orders.service import _validate_order, line_rows, order_row
from pohub.partners import repository as partners_repo

D = documents.c
# The fast road stands in for exactly this kind's rules; if the spec names others, every order goes slow.
RULES = "pohub.orders.service:create_order"
_PO = func.unnest(bindparam("pos", type_=ARRAY(String))).table_valued("po").render_derived(name="p")
_TAKEN_PG = select(_PO.c.po).select_from(
    _PO.join(
        select(literal(1))
        .where(
            D.kind == literal_column("'order'"),  # a literal: the unique index is partial (kind = 'order')
            D.sender_company_id == bindparam("sender"),
            D.receiver_company_id == bindparam("receiver"),
            D.partner_po == _PO.c.po,
        )
        .limit(1)
        .lateral("x"),
        true(),
    )
)
_INSERT_DOCUMENTS = insert(documents).returning(D.id, sort_by_parameter_order=True)
_INSERTS = {t.name: Prepared(insert(t)) for t in (documents, order_lines, exchanges, job_items)}


@dataclass(slots=True)
class Ready:
    """An order that passed every check the batch can make in Python, with the rows it would write.

    Only the rows are kept, not the parsed body or its model: a batch's orders live until it is
    written, and objects that live that long are what Python's garbage collector walks again and
    again (the rows' dicts hold plain values, which it does not track). Keeping the models made the
    collector a third of the validation's cost."""

    item: Any
    msg: Message
    receiver: int | None  # None: the buyer's only supplier, which the order service looks up
    partner_po: str
    document: dict[str, Any] | None  # its documents row with the answer's template (None: receiver unknown)
    lines: list[dict[str, Any]]  # its order_lines rows, order_id filled in when written


@dataclass(frozen=True)
class _OrderRef:
    id: int
    sender_company_id: int
    receiver_company_id: int
    partner_po: str


def admissible(item: Any, msg: Message, business_unit: str, now: datetime) -> Ready | None:
    """The order, parsed and checked as the order service checks it before touching the database,
    and its rows as create_order would write them at ``now``; None when any rule refuses it (the
    slow road will say which, as it always did)."""
    assert msg.company_id is not None
    try:
        body = jsonio.parse_received(msg.raw)
        canonical = translate.sales_order(body, business_unit=business_unit)
        parsed = parse(jsonio.dumps(canonical), SalesOrder)
        _validate_order(parsed.doc)
    except PohubError:
        return None
    doc = parsed.doc
    if doc.sender_company_id is not None and doc.sender_company_id != msg.company_id:
        return None
    if doc.receiver_company_id is None:
        return Ready(item, msg, None, str(doc.partner_po), None, [])
    receiver = int(doc.receiver_company_id)
    values = order_row(parsed, sender_id=msg.company_id, receiver_id=receiver, float_safe=parsed.float_safe, now=now)
    # Its answer's template, as documents.repository.insert_document writes one (documents/wire.py).
    values["wire"] = wire.template(values)
    return Ready(item, msg, receiver, str(doc.partner_po), values, line_rows(0, doc))


def prepare(items: Sequence[Any], messages: dict[int, Message], business_unit: str, now: datetime) -> list[Ready]:
    """The batch's admissible orders. Pure Python and CPU-bound: the caller runs it in a thread, so
    that a server's embedded worker does not hold its event loop (requests wait otherwise)."""
    return [r for item in items if (r := admissible(item, messages[item.id], business_unit, now)) is not None]


async def _taken(conn: AsyncConnection, *, sender: int, receiver: int, pos: Sequence[str]) -> set[str]:
    """Which of these PartnerPOs the buyer has sent this supplier already. On SQLite looked up by
    PartnerPO alone (its own index: the few documents of each PO) and sorted out here: with kind,
    sender and receiver in the query, SQLite without statistics walks all of the supplier's orders,
    a batch costing more the more orders there are. On PostgreSQL by the orders' unique key
    (sender, receiver, PartnerPO): without statistics (no ANALYZE yet, or autovacuum off) it guesses
    that each PartnerPO matches 0.5 % of the table and scans all of it for a batch's 200, while a
    unique key is one row a value whatever it has counted (and a LATERAL lookup per value keeps it
    from reading all of the pair's orders once, which it would also guess to be a few rows)."""
    if conn.dialect.name == "postgresql":
        params = {"pos": list(pos), "sender": sender, "receiver": receiver}
        return {str(r.po) for r in (await conn.execute(_TAKEN_PG, params)).all()}
    stmt = select(D.partner_po, D.kind, D.sender_company_id, D.receiver_company_id).where(D.partner_po.in_(pos))
    return {
        str(r.partner_po)
        for r in (await conn.execute(stmt)).all()
        if r.kind == "order" and r.sender_company_id == sender and r.receiver_company_id == receiver
    }


async def sort(conn: AsyncConnection, *, company_id: int, ready: list[Ready]) -> tuple[list[Ready], set[int]]:
    """Split what passed the Python checks into the orders the fast road writes and those (by item id)
    it leaves to the slow one: no partnership, a PartnerPO already there or twice in the batch."""
    fast: list[Ready] = []
    slow: set[int] = set()
    if any(r.receiver is None for r in ready):
        # The slow road resolves the supplier per order; which of two same PartnerPOs would come
        # first is then its call alone: the whole batch goes slow.
        return [], {r.item.id for r in ready}
    by_receiver: dict[int, list[Ready]] = {}
    for r in ready:
        assert r.receiver is not None
        by_receiver.setdefault(r.receiver, []).append(r)
    for receiver, group in by_receiver.items():
        if await partners_repo.partnership(conn, buyer_id=company_id, supplier_id=receiver) is None:
            slow.update(r.item.id for r in group)
            continue
        taken = await _taken(conn, sender=company_id, receiver=receiver, pos=sorted({r.partner_po for r in group}))
        for r in group:
            if r.partner_po in taken:
                slow.add(r.item.id)
            else:
                taken.add(r.partner_po)  # a second one in the batch is the slow road's duplicate
                fast.append(r)
    return fast, slow


async def write(conn: AsyncConnection, fast: list[Ready]) -> list[int] | None:
    """Create the orders together, as create_order would one by one; their ids, or None when another
    writer took one of their PartnerPOs meanwhile (nothing written: the slow road decides each)."""
    if not fast:
        return []
    now = _created_at(fast)
    try:
        async with conn.begin_nested():
            ids = await _insert_documents(conn, fast)
    except IntegrityError:
        return None
    lines = []
    for order_id, r in zip(ids, fast, strict=True):
        for line in r.lines:
            line["order_id"] = order_id
            lines.append(line)
    await store(conn, order_lines, lines)
    rows = [
        events.order_created(
            order=_OrderRef(order_id, r.msg.company_id or 0, r.receiver or 0, r.partner_po),
            at=now,
            line_count=len(r.lines),
        )
        for order_id, r in zip(ids, fast, strict=True)
    ]
    await events.record(conn, rows)
    # Each order's exchange, recorded as the slow road records an applied one.
    exchange_rows = []
    for order_id, r in zip(ids, fast, strict=True):
        done = Applied(
            document_id=order_id, order_id=order_id, partner_id=r.receiver, kind=kinds.ORDER.name, status_code=201
        )
        exchange_rows.append(inbound._row(r.msg, state=inbound.APPLIED, now=now) | inbound._outcome(done))
    await store(conn, exchanges, exchange_rows)
    for r in fast:
        outcomes.document(kind=kinds.ORDER.name, channel=r.msg.channel, outcome=inbound.APPLIED)
    return ids


async def _insert_documents(conn: AsyncConnection, fast: list[Ready]) -> list[int]:
    """Insert the orders' documents rows; their ids, in order. On SQLite by the driver's executemany
    (db/fast.py) and the ids read back by the orders' own unique key (sender, receiver, PartnerPO):
    about 35 us a row against 56 for SQLAlchemy's INSERT ... RETURNING of the batch; on PostgreSQL
    that RETURNING."""
    rows: list[dict[str, Any]] = []
    for r in fast:
        assert r.document is not None  # sort() gives the fast road only orders whose receiver is known
        rows.append(r.document)
    if conn.dialect.name != "sqlite":
        result = await conn.execute(_INSERT_DOCUMENTS, rows)
        return [int(row.id) for row in result.all()]
    await _INSERTS[documents.name].many(conn, rows)
    # By PartnerPO alone and sorted out here, as _taken looks them up (its index, whatever SQLite counted).
    stmt = select(D.id, D.kind, D.sender_company_id, D.receiver_company_id, D.partner_po).where(
        D.partner_po.in_(sorted({r.partner_po for r in fast}))
    )
    found = {
        (x.sender_company_id, x.receiver_company_id, x.partner_po): int(x.id)
        for x in await conn.execute(stmt)
        if x.kind == "order"
    }
    return [found[r.msg.company_id, r.receiver, r.partner_po] for r in fast]


def _created_at(fast: list[Ready]) -> datetime:
    """The batch's time, that its rows were made with (prepare)."""
    document = fast[0].document
    assert document is not None
    created: datetime = document["created_at"]
    return created


async def store(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys and need no ids back: COPY on PostgreSQL (each value
    through its column type's own conversion, as an INSERT binds it), the driver's executemany on
    SQLite (db/fast.py)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        await _INSERTS[table.name].many(conn, rows)
        return
    keys = list(rows[0])
    columns = [table.c[k] for k in keys]
    convert = [c.type.process_bind_param if isinstance(c.type, TypeDecorator) else None for c in columns]
    dialect = conn.dialect
    records = [
        tuple(v if f is None else f(v, dialect) for f, v in zip(convert, (row[k] for k in keys), strict=True))
        for row in rows
    ]
    driver = (await conn.get_raw_connection()).driver_connection  # asyncpg's, in this transaction
    assert driver is not None
    await driver.copy_records_to_table(table.name, columns=keys, records=records)


def enabled() -> bool:
    return kinds.ORDER.rules == RULES
