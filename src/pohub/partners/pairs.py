"""What a document's unit of work looks up about its two companies, in one statement.

A document checks the partnership of its buyer and supplier; each event it writes then looks up
the webhook subscriptions of both (webhooks/outbox.py) and the EDI partner profile of the pair
(edi/send.py). All three are keyed by the same two companies, so on PostgreSQL the first asks for
all of them at once (one SELECT ... UNION ALL SELECT ..., db/together.py) and the unit keeps the
answer (db/unit_cache.py) until it ends: never across units, since another process
may change these rows between two of them. A unit that writes one of these tables forgets what it
kept (``unit_cache.forget``), so it reads its own writes.

The layers above (webhooks, edi) register their part here, as a lower layer takes a callback.
On SQLite each part runs its own statement when first needed (a statement there is a C call, not
a round trip, and the union costs it more) and is kept for the unit the same way. Outside a unit of
work (no cache) each part runs its own statement, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, and_, bindparam, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter

from pohub.db import unit_cache
from pohub.db.fast import Prepared
from pohub.db.together import Branch, Together
from pohub.partners.models import partnerships

Where = Callable[[BindParameter[int], BindParameter[int]], ColumnElement[bool]]
One = Callable[[BindParameter[int]], ColumnElement[bool]]


@dataclass(frozen=True)
class Part:
    """One table's rows about a pair of companies: its columns (its rows are read by their names)
    and its condition on the two companies (given as the pair's lower and higher id)."""

    name: str
    columns: tuple[Column[Any], ...]
    where: Where
    alone: Prepared  # the same rows in a statement of their own, for a connection outside a unit
    # What SQLite runs for the part in a unit, where that differs from ``alone`` (see ``part``).
    sqlite: Prepared | None = None


def both_ways(first: Column[Any], second: Column[Any]) -> Where:
    """The condition of a table keyed by the pair in either direction (buyer/supplier, company/counterparty)."""
    return lambda lo, hi: or_(and_(first == lo, second == hi), and_(first == hi, second == lo))


def part(name: str, columns: Sequence[Column[Any]], where: Where, *, each: One | None = None) -> Part:
    """Register a part (at import: the statement is built on first use, with every part known).

    ``each``, for a table whose ``where`` is ``company_id IN (lo, hi)`` and more: the same condition
    for one company. SQLite then reads the part as the rows of ``each(lo)`` followed by those of
    ``each(hi)`` (none again when the two are one company): two seeks of the index, where its IN
    list builds an ephemeral b-tree of the two values first (60 k instructions against 33 k in raw
    sqlite3, stop 27). The rows come in the IN list's order (SQLite walks its values ascending, and
    lo < hi), each company's in the same index's order."""
    cols = tuple(columns)
    lo: BindParameter[int] = bindparam("lo")
    hi: BindParameter[int] = bindparam("hi")
    on_sqlite = None
    if each is not None:
        on_sqlite = Prepared(union_all(select(*cols).where(each(lo)), select(*cols).where(each(hi), hi != lo)))
    found = Part(name, cols, where, Prepared(select(*cols).where(where(lo, hi))), on_sqlite)
    _PARTS[name] = found
    _STATEMENT.clear()
    _WITH.clear()
    return found


_PARTS: dict[str, Part] = {}
# The union of every part, built once the parts are known (and again should one register later).
_STATEMENT: dict[str, Together] = {}
# The same with one more branch of a caller's (partnership_with), keyed by that branch, built on first use.
_WITH: dict[int, tuple[Branch, Together]] = {}


def _statement() -> Together:
    if "all" not in _STATEMENT:
        lo: BindParameter[int] = bindparam("lo")
        hi: BindParameter[int] = bindparam("hi")
        _STATEMENT["all"] = Together([Branch(p.columns, p.where(lo, hi)) for p in _PARTS.values()])
    return _STATEMENT["all"]


async def rows(conn: AsyncConnection, found: Part, first: int, second: int) -> list[Any]:
    """The part's rows about the two companies: from the unit's cache, else from one statement for
    every part (kept for the rest of the unit); outside a unit, from the part's own statement."""
    lo, hi = min(first, second), max(first, second)
    cache = unit_cache.of(conn)
    if cache is None:
        return await found.alone.all(conn, {"lo": lo, "hi": hi})
    if cache.sqlite:
        # A statement is a C call on this thread, not a round trip, and the padded union costs SQLite
        # more than the parts alone (docs/performance.md, "Statements per document"): each part is
        # read by its own statement when first needed, and kept for the unit as on PostgreSQL.
        part_key = ("pair", found.name, lo, hi)
        if part_key not in cache:
            cache[part_key] = await (found.sqlite or found.alone).all(conn, {"lo": lo, "hi": hi})
        return cache[part_key]  # type: ignore[no-any-return]
    key = ("pair", lo, hi)
    pair = cache.get(key)
    if pair is None:
        found_rows = await _statement().all(conn, {"lo": lo, "hi": hi})
        pair = cache[key] = dict(zip(_PARTS, found_rows, strict=True))
    return pair[found.name]  # type: ignore[no-any-return]


# What a document asks of its partnership: is there one, and must its orders be invoiced. Not its
# created_at: a time read back goes through its result processor (on SQLite a parse of its text,
# about 15 k instructions), and no document's rule looks at it.
LINK_COLUMNS = (partnerships.c.id, partnerships.c.buyer_id, partnerships.c.supplier_id, partnerships.c.invoice_required)
PARTNERSHIPS = part("partnership", LINK_COLUMNS, both_ways(partnerships.c.buyer_id, partnerships.c.supplier_id))
_LINK = Prepared(
    select(*LINK_COLUMNS).where(
        partnerships.c.buyer_id == bindparam("buyer_id"), partnerships.c.supplier_id == bindparam("supplier_id")
    )
)


async def partnership(conn: AsyncConnection, *, buyer_id: int, supplier_id: int) -> Any:
    """The pair's partnership (LINK_COLUMNS of partners/repository.partnership's row), read with the
    pair's other lookups."""
    cache = unit_cache.of(conn)
    if cache is None or cache.sqlite:  # its own statement (see rows), in the buyer -> supplier direction only
        key = ("partnership", buyer_id, supplier_id)
        if cache is not None and key in cache:
            return cache[key]
        link = await _LINK.first(conn, {"buyer_id": buyer_id, "supplier_id": supplier_id})
        if cache is not None:
            cache[key] = link
        return link
    for row in await rows(conn, PARTNERSHIPS, buyer_id, supplier_id):
        if row.buyer_id == buyer_id and row.supplier_id == supplier_id:
            return row
    return None


async def partnership_with(
    conn: AsyncConnection, *, buyer_id: int, supplier_id: int, extra: Branch, params: dict[str, Any]
) -> tuple[Any, list[Any]] | None:
    """On PostgreSQL, in a unit that has not read the pair yet: the pair's partnership (as
    ``partnership`` gives it) and the rows of ``extra`` (a SELECT of the unit's own, on ``params``),
    in the pair's one statement, one round trip instead of two; the pair's parts kept for the unit
    as ``rows`` keeps them. None anywhere else (the caller then runs the two as before)."""
    cache = unit_cache.of(conn)
    lo, hi = min(buyer_id, supplier_id), max(buyer_id, supplier_id)
    if cache is None or cache.sqlite or ("pair", lo, hi) in cache:
        return None
    made = _WITH.get(id(extra))
    if made is None or made[0] is not extra:
        bind_lo: BindParameter[int] = bindparam("lo")
        bind_hi: BindParameter[int] = bindparam("hi")
        branches = [Branch(p.columns, p.where(bind_lo, bind_hi)) for p in _PARTS.values()]
        made = _WITH[id(extra)] = (extra, Together([*branches, extra]))
    found = await made[1].all(conn, {**params, "lo": lo, "hi": hi})
    cache[("pair", lo, hi)] = dict(zip(_PARTS, found[:-1], strict=True))
    return await partnership(conn, buyer_id=buyer_id, supplier_id=supplier_id), found[-1]
