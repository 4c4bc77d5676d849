"""Queries on documents, order lines and events. No commits: the unit of work decides."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, func, insert, or_, select, text, union_all, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core.errors import NotFound
from pohub.core.ids import is_ascii_int
from pohub.db import unit_cache
from pohub.db.fast import Prepared
from pohub.db.together import Branch
from pohub.documents import wire
from pohub.documents.models import documents, events, kind_literal, order_lines
from pohub.partners import pairs
from pohub.partners.models import partnerships

D = documents.c
L = order_lines.c


def parse_key(key: str) -> int | None:
    """LogicbrokerKeys are the document ids as decimal strings; anything else names nothing."""
    key = key.strip()
    if not is_ascii_int(key) or len(key) > 18:
        return None
    return int(key)


def _visible_to(company_id: int) -> Any:
    return or_(D.sender_company_id == company_id, D.receiver_company_id == company_id)


async def get_document(conn: AsyncConnection, *, doc_id: int, company_id: int, kind: str | None = None) -> Any:
    """A document the company sent or received; None for anything else (tenancy looks like absence)."""
    stmt = select(documents).where(D.id == doc_id, _visible_to(company_id))
    if kind is not None:
        stmt = stmt.where(D.kind == kind)
    return (await conn.execute(stmt)).first()


async def document_by_key(conn: AsyncConnection, *, key: str, company_id: int, kind: str) -> Any:
    """The document of ``kind`` a LogicbrokerKey names, sent or received by the company; otherwise
    NotFound, the same for a key that names nothing and one that is another company's."""
    doc_id = parse_key(key)
    row = None if doc_id is None else await get_document(conn, doc_id=doc_id, company_id=company_id, kind=kind)
    if row is None:
        raise NotFound(f"No {kind} with LogicbrokerKey {key!r}")
    return row


# Hot-path statements are built and compiled once, and run on the driver (db/fast.py): building and
# executing one through SQLAlchemy per call costs more than the SQLite call itself.
_LOCK_ORDER = Prepared(
    select(D.id, D.status, D.sender_company_id, D.receiver_company_id, D.partner_po)
    .where(D.id == bindparam("doc_id"), D.kind == kind_literal("order"))
    .with_for_update()
)
# The same row with the order's partnership (its buyer to its supplier: the partnership a supplier's
# document needs once the parties are checked), for SQLite, where the unit of work holds the
# database's write lock already, so there is no row lock to wait for and nothing to re-read: one
# statement instead of the lock and partners/pairs.partnership (about 40 k instructions a document
# fewer). ``link_id`` is None where the two are not connected. PostgreSQL keeps the lock apart (its
# FOR UPDATE would lock the partnership too, and the pair's other lookups come in one statement there).
_P = partnerships.c
_LOCK_ORDER_AND_LINK = Prepared(
    select(
        D.id,
        D.status,
        D.sender_company_id,
        D.receiver_company_id,
        D.partner_po,
        _P.id.label("link_id"),
        _P.invoice_required,
    )
    .select_from(
        documents.outerjoin(
            partnerships, and_(_P.buyer_id == D.sender_company_id, _P.supplier_id == D.receiver_company_id)
        )
    )
    .where(D.id == bindparam("doc_id"), D.kind == kind_literal("order"))
)
_INSERT_DOCUMENT = Prepared(insert(documents).returning(D.id))
# On SQLite the same INSERT without RETURNING, its id from the connection (db/fast.Prepared.rowid:
# sqlite3's lastrowid, the outer statement's rowid once the order_counts trigger has run, which is
# what RETURNING id answers for the INTEGER PRIMARY KEY). With RETURNING, SQLite keeps the row's
# answer aside and sqlite3 fetches it: about 25 k instructions a document (docs/performance.md,
# "Statements per document (stop 27)"), as for the exchange's row (stop 26).
_INSERT_DOCUMENT_ROWID = Prepared(insert(documents))
# A PO's row on PostgreSQL, where a failed statement aborts the whole transaction: a PartnerPO the
# buyer already sent this supplier (models.uq_documents_order_po, the only unique index an order's
# row can meet besides its id) inserts nothing and returns no id, in one statement, where a savepoint
# around a plain INSERT cost two more round trips (SAVEPOINT, RELEASE).
_INSERT_ORDER_PG = Prepared(
    postgresql.insert(documents)
    .on_conflict_do_nothing(
        index_elements=[D.sender_company_id, D.receiver_company_id, D.partner_po], index_where=text("kind = 'order'")
    )
    .returning(D.id)
)
_SET_STATUS = Prepared(
    update(documents)
    .where(D.id == bindparam("b_order_id"))
    .values(status=bindparam("b_status"), updated_at=bindparam("b_at"))
)
_LINES_OF_ORDER = Prepared(select(order_lines).where(L.order_id == bindparam("order_id")).order_by(L.position))


# Supplier documents only (kind <> 'order'; since migration 0019 ``order_id = ?`` alone lets both
# planners take the (order, kind, ...) unique index, which leaves out the orders' NULL order_id).
# One statement a kind, the kinds as literals (models.kind_literal: SQLite would prepare it again).
@functools.cache
def _numbered(kind: str) -> Prepared:
    return Prepared(
        select(D.id, D.number, D.sender_company_id, D.body_hash)
        .where(D.order_id == bindparam("order_id"), D.kind == kind_literal(kind), D.kind != kind_literal("order"))
        .order_by(D.id)
    )


_INSERT_EVENTS = Prepared(insert(events))
_INSERT_LINES = Prepared(insert(order_lines))


async def lock_order(conn: AsyncConnection, *, doc_id: int) -> Any:
    """The order's state columns, its row locked until the unit of work ends (on SQLite the unit
    of work holds the database's write lock already)."""
    return await _LOCK_ORDER.first(conn, {"doc_id": doc_id})


async def lock_order_and_link(conn: AsyncConnection, *, doc_id: int) -> Any:
    """SQLite only: lock_order's row with its partnership's id (``link_id``, None without one) and
    ``invoice_required``."""
    return await _LOCK_ORDER_AND_LINK.first(conn, {"doc_id": doc_id})


async def set_details(conn: AsyncConnection, *, doc_id: int, details: str, at: datetime) -> None:
    """Keep what an order's sender added after the order (its body as received stays as it was)."""
    await conn.execute(update(documents).where(D.id == doc_id).values(details=details, updated_at=at))


async def find_orders_by_po(
    conn: AsyncConnection, *, partner_po: str, receiver_id: int, sender_id: int | None = None
) -> list[Any]:
    stmt = select(D.id).where(
        D.kind == kind_literal("order"), D.partner_po == partner_po, D.receiver_company_id == receiver_id
    )
    if sender_id is not None:
        stmt = stmt.where(D.sender_company_id == sender_id)
    return list((await conn.execute(stmt.limit(2))).all())


_ORDER_BY_PO = Prepared(
    select(D.id).where(
        D.kind == kind_literal("order"),
        D.sender_company_id == bindparam("sender_id"),
        D.receiver_company_id == bindparam("receiver_id"),
        D.partner_po == bindparam("partner_po"),
    )
)


# A PO create's two lookups in one statement (its partnership, then the PartnerPO duplicate check).
# On SQLite: the partnership (pairs.LINK_COLUMNS) with the id of the order the buyer already sent
# the supplier under this PartnerPO (``existing``, None if none: uq_documents_order_po makes it one at
# most); no row when the two are not connected. On PostgreSQL: _ORDER_BY_PO as one more branch of the
# pair's statement (partners/pairs.partnership_with).
_EXISTING = and_(
    D.kind == kind_literal("order"),
    D.sender_company_id == _P.buyer_id,
    D.receiver_company_id == _P.supplier_id,
    D.partner_po == bindparam("partner_po"),
)
_LINK_AND_PO = Prepared(
    select(*pairs.LINK_COLUMNS, D.id.label("existing"))
    .select_from(partnerships.outerjoin(documents, _EXISTING))
    .where(_P.buyer_id == bindparam("sender_id"), _P.supplier_id == bindparam("receiver_id"))
)
_PO_BRANCH = Branch(
    (D.id,),
    and_(
        D.kind == kind_literal("order"),
        D.sender_company_id == bindparam("sender_id"),
        D.receiver_company_id == bindparam("receiver_id"),
        D.partner_po == bindparam("partner_po"),
    ),
)


async def link_and_order_by_po(
    conn: AsyncConnection, *, sender_id: int, receiver_id: int, partner_po: str
) -> tuple[Any, Any]:
    """A PO's partnership (pairs.partnership, buyer ``sender_id`` to supplier ``receiver_id``) and,
    when there is one, order_by_po's row (else None: not looked up without a partnership)."""
    params: dict[str, Any] = {"sender_id": sender_id, "receiver_id": receiver_id, "partner_po": partner_po}
    cache = unit_cache.of(conn)
    if cache is not None and cache.sqlite and ("partnership", sender_id, receiver_id) not in cache:
        row = await _LINK_AND_PO.first(conn, params)
        cache[("partnership", sender_id, receiver_id)] = row  # what pairs.partnership keeps (its columns and more)
        return row, (None if row is None or row.existing is None else _ExistingOrder(row.existing))
    together = await pairs.partnership_with(
        conn, buyer_id=sender_id, supplier_id=receiver_id, extra=_PO_BRANCH, params=params
    )
    if together is not None:
        link, found = together
        return link, (found[0] if link is not None and found else None)
    link = await pairs.partnership(conn, buyer_id=sender_id, supplier_id=receiver_id)
    return link, (None if link is None else await order_by_po(conn, **params))


class _ExistingOrder(NamedTuple):
    """order_by_po's row (its id) as link_and_order_by_po reads it from the joined row."""

    id: int


async def order_by_po(conn: AsyncConnection, *, sender_id: int, receiver_id: int, partner_po: str) -> Any:
    """Every PO created checks it (the unique PartnerPO per buyer and supplier)."""
    return await _ORDER_BY_PO.first(
        conn, {"sender_id": sender_id, "receiver_id": receiver_id, "partner_po": partner_po}
    )


async def insert_document(conn: AsyncConnection, values: dict[str, Any]) -> int:
    row = {**values, "wire": wire.template(values)}
    found = await _INSERT_DOCUMENT_ROWID.rowid(conn, row)  # None, and nothing run, off SQLite
    return int((await _INSERT_DOCUMENT.all(conn, row))[0][0]) if found is None else found


async def insert_order(conn: AsyncConnection, values: dict[str, Any]) -> int | None:
    """Insert a PO's row: its id, or None when the buyer already sent this supplier its PartnerPO.
    On SQLite, which undoes only a failed statement (and whose one writer rules the race out), that
    PartnerPO raises IntegrityError from a plain INSERT and the transaction goes on; on PostgreSQL it
    inserts nothing (ON CONFLICT DO NOTHING), so the transaction goes on there too."""
    if conn.dialect.name != "postgresql":
        return await insert_document(conn, values)
    rows = await _INSERT_ORDER_PG.all(conn, {**values, "wire": wire.template(values)})
    return int(rows[0][0]) if rows else None


async def insert_lines(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    await _INSERT_LINES.many(conn, rows)


# A new order line's values as orders/service.line_tuples gives them (and line_rows names them).
NEW_LINE_FIELDS = (
    "order_id",
    "position",
    "line_number",
    "line_key",
    "supplier_sku",
    "partner_sku",
    "description",
    "uom",
    "price",
    "quantity",
    "qty_accepted",
    "qty_backordered",
    "qty_cancelled",
    "qty_shipped",
    "qty_invoiced",
)


async def insert_line_tuples(conn: AsyncConnection, rows: Sequence[Sequence[Any]]) -> None:
    """insert_lines of rows given as tuples in NEW_LINE_FIELDS' order (no dict a line)."""
    await _INSERT_LINES.many_tuples(conn, NEW_LINE_FIELDS, rows)


async def order_lines_of(conn: AsyncConnection, *, order_id: int) -> list[Any]:
    return await _LINES_OF_ORDER.all(conn, {"order_id": order_id})


async def lines_of_orders(conn: AsyncConnection, *, order_ids: Sequence[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {i: [] for i in order_ids}
    if not order_ids:
        return out
    stmt = select(order_lines).where(L.order_id.in_(order_ids)).order_by(L.order_id, L.position)
    for row in (await conn.execute(stmt)).all():
        out[row.order_id].append(row)
    return out


_LINE_FIELDS = (
    "qty_accepted",
    "qty_backordered",
    "qty_cancelled",
    "qty_shipped",
    "qty_invoiced",
    "ack_price",
    "change_reason",
)


_UPDATE_LINES = Prepared(
    update(order_lines).where(L.id == bindparam("line_id")).values({f: bindparam(f) for f in _LINE_FIELDS})
)


async def update_lines(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Write new line figures; each row has ``line_id`` and every field of _LINE_FIELDS (the
    mapping road: a document's rules hand their LineChange tuples to update_line_changes)."""
    await _UPDATE_LINES.many(conn, rows)


# A line change as orders/store.LineChange holds it: the line's id, then _LINE_FIELDS.
LINE_CHANGE_FIELDS = ("line_id", *_LINE_FIELDS)


async def update_line_changes(conn: AsyncConnection, changes: Sequence[Sequence[Any]]) -> None:
    """update_lines of rows given as tuples in LINE_CHANGE_FIELDS' order (orders/store.LineChange as
    it is): no dict built per line to be read back by name (~3.9 k instructions a line)."""
    await _UPDATE_LINES.many_tuples(conn, LINE_CHANGE_FIELDS, changes)


async def set_order_status(conn: AsyncConnection, *, order_id: int, status: int, at: datetime) -> None:
    await _SET_STATUS.run(conn, {"b_order_id": order_id, "b_status": status, "b_at": at})


async def documents_of_order(conn: AsyncConnection, *, order_id: int, kind: str | None = None) -> list[Any]:
    stmt = select(documents).where(D.order_id == order_id)
    if kind is not None:
        stmt = stmt.where(D.kind == kind)
    return list((await conn.execute(stmt.order_by(D.id))).all())


async def numbered_documents(conn: AsyncConnection, *, order_id: int, kind: str) -> list[Any]:
    """(id, number, sender, body_hash) of an order's documents of one kind: enough for the duplicate
    and re-acknowledgement rules."""
    return await _numbered(kind).all(conn, {"order_id": order_id})


async def insert_events(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Write activity events (orders.events.record also tells its listeners)."""
    await _INSERT_EVENTS.many(conn, rows)


async def events_of_order(conn: AsyncConnection, *, order_id: int) -> list[Any]:
    stmt = select(events).where(events.c.order_id == order_id).order_by(events.c.id)
    return list((await conn.execute(stmt)).all())


@dataclass
class Search:
    """A document search as the platform's filters describe it."""

    kind: str
    company_id: int
    statuses: tuple[int, ...] = ()
    partner_po: str | None = None
    source_key: str | None = None
    link_key: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    sender_id: int | None = None
    receiver_id: int | None = None
    page: int = 1
    page_size: int = 100

    def arms(self) -> list[list[Any]]:
        """One condition list per side of the document the caller can be on (received, sent).

        Each arm is a range of one index ordered by id, so a page is a merge of at most two index
        scans; an OR of the two sides would scan every document of the kind instead."""
        common: list[Any] = [D.kind == self.kind]
        if self.statuses:
            common.append(D.status.in_(self.statuses) if len(self.statuses) > 1 else D.status == self.statuses[0])
        if self.partner_po is not None:
            common.append(D.partner_po == self.partner_po)
        if self.source_key is not None:
            common.append(D.source_key == self.source_key)
        if self.link_key is not None:
            common.append(D.link_key == self.link_key)
        if self.date_from is not None:
            common.append(D.document_date >= self.date_from)
        if self.date_to is not None:
            common.append(D.document_date <= self.date_to)
        me = self.company_id
        arms = []
        if self.receiver_id in (None, me):
            received = [*common, D.receiver_company_id == me]
            if self.sender_id is not None:
                received.append(D.sender_company_id == self.sender_id)
            arms.append(received)
        if self.sender_id in (None, me):
            sent = [*common, D.sender_company_id == me]
            if self.receiver_id is not None:
                sent.append(D.receiver_company_id == self.receiver_id)
            arms.append(sent)
        return arms


async def search(conn: AsyncConnection, q: Search, *, columns: Sequence[Any] | None = None) -> tuple[list[Any], int]:
    """One page of documents, oldest first (a stable order for paging), and the total count."""
    arms = q.arms()
    if not arms:
        return [], 0
    offset = (q.page - 1) * q.page_size
    if len(arms) == 1:
        ids_stmt: Any = select(D.id).where(*arms[0]).order_by(D.id).limit(q.page_size).offset(offset)
    else:
        # Each arm stops after the rows this page could need, so the merge sorts at most twice
        # that many ids, not every match.
        enough = offset + q.page_size
        merged = union_all(
            *(select(D.id).where(*arm).order_by(D.id).limit(enough).subquery().select() for arm in arms)
        ).subquery()
        ids_stmt = select(merged.c.id).order_by(merged.c.id).limit(q.page_size).offset(offset)
    ids = [row[0] for row in (await conn.execute(ids_stmt)).all()]
    rows: list[Any] = []
    if ids:
        cols = columns if columns is not None else [documents]
        rows = list((await conn.execute(select(*cols).where(D.id.in_(ids)).order_by(D.id))).all())
    if q.page == 1 and len(ids) < q.page_size:
        return rows, len(ids)
    counts = [select(func.count()).select_from(documents).where(*arm).scalar_subquery() for arm in arms]
    total_expr = counts[0] if len(counts) == 1 else counts[0] + counts[1]
    return rows, int((await conn.execute(select(total_expr))).scalar_one())
