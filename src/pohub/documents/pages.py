"""Orders read for the API: each order's JSON text from its template (documents/wire.py), rendered
the slow way only where the template does not serve; and a page of orders for the plain search (by
status or none, either side of the order: the Step 1 search) from statements built once.

repository.search builds its statements for each request from the filters given, which costs about
as much as running them; the plain search takes the same page, in the same order, with the same
total, from statements kept here. Any other filter goes to repository.search.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from typing import Any, AnyStr, NamedTuple

from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeEngine

from pohub.core import jsonio
from pohub.db import fast
from pohub.documents import conform, render, wire
from pohub.documents import repository as repo
from pohub.documents.models import documents, kind_literal, order_counts, order_lines

D = documents.c
L = order_lines.c
C = order_counts.c

# The lines a read must look at: models.TOUCHED_LINE, the partial index's condition, with literal
# zeros as there (a bound parameter would keep either planner from proving the index applies).
_ZERO = literal_column("0", Integer)
_IS_TOUCHED = (
    (L.qty_accepted != _ZERO)
    | (L.qty_backordered != _ZERO)
    | (L.qty_cancelled != _ZERO)
    | (L.qty_shipped != _ZERO)
    | (L.qty_invoiced != _ZERO)
    | L.changed_at.is_not(None)
)
# The kind as a literal, never a bound parameter (models.kind_literal says why).
_ORDER = kind_literal("order")
# A template only asks whether a buyer's change rewrote the line (changed_at is not None: 1 or NULL
# here), so the time is not read (its result processor ran on every row of a page).
_CHANGED = type_coerce(case((L.changed_at.is_not(None), literal_column("1", Integer))), Integer).label("changed_at")
_LINE_COLUMNS = (L.position, *(L[f] for f in wire.LINE_FIGURES), _CHANGED)
_TOUCHED = select(L.order_id, *_LINE_COLUMNS).where(L.order_id.in_(bindparam("ids", expanding=True)), _IS_TOUCHED)


class _Bytes(TypeEngine[bytes]):
    """bytes as the driver gives them (no result processor)."""

    cache_ok = True


class _utf8(FunctionElement[bytes]):
    """A text column's UTF-8 bytes: the page's templates read without decoding them (a third of a
    page's row conversion) and written into the answer without encoding them again."""

    type = _Bytes()
    inherit_cache = True
    name = "utf8"


@compiles(_utf8, "sqlite")
def _utf8_sqlite(element: _utf8, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS BLOB)"  # pohub's databases are UTF-8


@compiles(_utf8, "postgresql")
def _utf8_postgresql(element: _utf8, compiler: SQLCompiler, **kw: Any) -> str:
    return f"convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')"


# A touched line in one column of the page's rows, as a JSON array "[position,figure,...,changed]"
# (wire.LINE_FIGURES; changed 1 or null), NULL where the order has none: every column of a row
# costs the sqlite3 module about 500 instructions to hand over even when it is NULL, and the Step 1
# page's hundred untouched orders would carry seven NULLs each. JSON because orjson reads all its
# integers in one call (int() of each figure's text cost about 1,400 instructions a figure).
_COMMA = literal_column("','", String)
_LINE_NAMES = ("position", *wire.LINE_FIGURES, "changed_at")


def _packed_line() -> ColumnElement[str]:
    changed = case((L.changed_at.is_not(None), literal_column("'1'", String)), else_=literal_column("'null'", String))
    values = [*(cast(L[name], String) for name in _LINE_NAMES[:-1]), changed]
    packed = literal_column("'['", String) + values[0]
    for value in values[1:]:
        packed = packed + _COMMA + value
    return packed + literal_column("']'", String)


class _Line(NamedTuple):
    """A touched line from a packed column, read by the names wire.fill reads (a tuple: its
    fields are read in C, and it is made in one call)."""

    position: int
    qty_accepted: int
    qty_backordered: int
    qty_cancelled: int
    qty_shipped: int
    qty_invoiced: int
    changed_at: int | None


assert _Line._fields == _LINE_NAMES  # the packed column's order


def _line(packed: str) -> _Line:
    """The line of one packed value."""
    return _Line._make(jsonio.loads_fast(packed))


# One order's touched lines as one JSON array of arrays, each as _packed_line reads (position,
# wire.LINE_FIGURES, changed 1 or null), by position; NULL where the order has none. Built by the
# databases' JSON functions: SQLite's || of each figure's text cost 11 K instructions a line in
# sqlite3_step, json_array a fifth of that.
class _lines_json(FunctionElement[str]):
    type = String()
    inherit_cache = True
    name = "lines_json"


def _line_values(element: _lines_json, compiler: SQLCompiler, **kw: Any) -> str:
    return ", ".join(compiler.process(c, **kw) for c in element.clauses)


@compiles(_lines_json, "sqlite")
def _lines_json_sqlite(element: _lines_json, compiler: SQLCompiler, **kw: Any) -> str:
    # json_group_array takes no ORDER BY: the rows come as ix_order_lines_touched gives them (an
    # order's lines as stored, as the old statement's rows came); wire.fill sorts its edits, so the
    # order does not change an answer. NULL for none (json_group_array gives [] there).
    return f"nullif(json_group_array(json_array({_line_values(element, compiler, **kw)})), '[]')"


@compiles(_lines_json, "postgresql")
def _lines_json_postgresql(element: _lines_json, compiler: SQLCompiler, **kw: Any) -> str:
    position = compiler.process(element.clauses.clauses[0], **kw)
    return f"CAST(json_agg(json_build_array({_line_values(element, compiler, **kw)}) ORDER BY {position}) AS TEXT)"


def _lines_of(joined: str | None) -> list[_Line]:
    """The touched lines of ONE's ``lines`` column."""
    return [] if joined is None else [_Line._make(values) for values in jsonio.loads_fast(joined)]


_CHANGED_JSON = case((L.changed_at.is_not(None), literal_column("1", Integer)))


# One order the company sent or received, with its touched lines packed in one column: one row
# (the template fetched and decoded once, not once a touched line), or none.
ONE = fast.Prepared(
    select(
        D.id,
        D.status,
        D.details,
        D.wire,
        select(_lines_json(*(L[name] for name in _LINE_NAMES[:-1]), _CHANGED_JSON))
        .where(L.order_id == D.id, _IS_TOUCHED)
        .scalar_subquery()
        .label("lines"),
    ).where(
        D.id == bindparam("doc_id"),
        D.kind == _ORDER,
        (D.sender_company_id == bindparam("me")) | (D.receiver_company_id == bindparam("me")),
    )
)


# The page's orders (those ``in_page`` names), each with its touched lines: a row for each line, or
# one row with a NULL line; oldest first. PAGE_COLUMNS with the template as bytes, then the
# line packed (_packed_line).
def _with_touched(in_page: ColumnElement[bool]) -> Select[Any]:
    return (
        select(D.id, D.status, D.details, _utf8(D.wire).label("wire"), _packed_line().label("line"))
        .select_from(documents.outerjoin(order_lines, (L.order_id == D.id) & _IS_TOUCHED))
        .where(in_page)
        .order_by(D.id)
    )


async def touched_lines(conn: AsyncConnection, order_ids: Sequence[int]) -> dict[int, list[Any]]:
    """The lines of these orders whose figures the hub has changed since the order came in."""
    out: dict[int, list[Any]] = {}
    if order_ids:
        for line in (await conn.execute(_TOUCHED, {"ids": list(order_ids)})).all():
            out.setdefault(line.order_id, []).append(line)
    return out


def _status_filter(status: Any, statuses: int) -> list[Any]:
    """No filter, one status, or several (0, 1 or 2) on the ``status`` column."""
    if statuses == 0:
        return []
    if statuses == 1:
        return [status == bindparam("status")]
    return [status.in_(bindparam("statuses", expanding=True))]


def _arm(side: Any, statuses: int) -> Select[Any]:
    """The ids of one side's orders in the statuses asked for."""
    return select(D.id).where(D.kind == _ORDER, *_status_filter(D.status, statuses), side == bindparam("me"))


def _cut_each(arms: list[Select[Any]], size: Any, offset: Any) -> Any:
    """Each arm ordered by id and cut at the rows the page could need, then merged and cut at the
    page (a bounded sort or an index range under a Limit in each arm, whatever its order)."""
    enough = bindparam("enough", type_=Integer)
    merged = union_all(*(arm.order_by(D.id).limit(enough).subquery().select() for arm in arms)).subquery()
    return select(merged.c.id).order_by(merged.c.id).limit(size).offset(offset).scalar_subquery()


class _by_dialect(ColumnElement[bool]):
    """A condition written one way for SQLite and another way elsewhere (untyped: a Boolean would
    have SQLite's compiler write it as ``(...) = 1``)."""

    inherit_cache = True
    _traverse_internals = [
        ("sqlite", InternalTraversal.dp_clauseelement),
        ("other", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, *, sqlite: ColumnElement[bool], other: ColumnElement[bool]) -> None:
        self.sqlite, self.other = sqlite, other


@compiles(_by_dialect)
def _by_dialect_other(element: _by_dialect, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.other, **kw)


@compiles(_by_dialect, "sqlite")
def _by_dialect_sqlite(element: _by_dialect, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.sqlite, **kw)


def _in_page(statuses: int) -> ColumnElement[bool]:
    """The page's orders: both sides' merged by id, cut at the page."""
    arms = [_arm(side, statuses) for side in (D.receiver_company_id, D.sender_company_id)]
    size, offset = bindparam("size", type_=Integer), bindparam("offset", type_=Integer)
    each = D.id.in_(_cut_each(arms, size, offset))
    if statuses != 1:
        return each  # no status or several: an arm's index range is not in id order
    # One status on SQLite: each arm is an index range on (kind, side, status), so in id order, and
    # one compound ordered and cut once is merged as it comes (MERGE (UNION ALL), stopping at the
    # page's last row); each arm cut in a subquery of its own had SQLite sort its rows again in a
    # temporary b-tree. PostgreSQL keeps each arm cut (given the compound, it read the whole of
    # both ranges and sorted them: a Merge Append under each arm's Limit instead).
    once = D.id.in_(union_all(*arms).order_by(literal_column("id")).limit(size).offset(offset))
    return _by_dialect(sqlite=once, other=each)


@cache
def _statements(statuses: int) -> tuple[fast.Prepared, fast.Prepared]:
    """(the page, the total) for the orders the company received or sent: as repository.search,
    one index range per side merged by id (_in_page), with their touched lines; the total from
    order_counts (both sides, as repository.search counts each side's rows)."""
    page = _with_touched(_in_page(statuses))
    # The total: each side's orders in the statuses asked for, kept by order_counts' triggers (the
    # same as counting each arm's rows).
    total = select(func.coalesce(func.sum(C.n), 0)).where(
        C.company_id == bindparam("me"), *_status_filter(C.status, statuses)
    )
    return fast.Prepared(page), fast.Prepared(total)


def is_plain(q: repo.Search) -> bool:
    """Orders by status (or none) on either side: what the statements here answer."""
    return (
        q.kind == "order"
        and q.sender_id is None
        and q.receiver_id is None
        and q.partner_po is None
        and q.source_key is None
        and q.link_key is None
        and q.date_from is None
        and q.date_to is None
    )


async def _plain(conn: AsyncConnection, q: repo.Search) -> tuple[list[Any], dict[int, list[Any]], int]:
    """A plain search's orders (one row each), their touched lines and the total."""
    page, count = _statements(min(len(q.statuses), 2))
    offset = (q.page - 1) * q.page_size
    params: dict[str, Any] = {"me": q.company_id}
    if len(q.statuses) == 1:
        params["status"] = q.statuses[0]
    elif q.statuses:
        params["statuses"] = list(q.statuses)
    found = await page.all(conn, {**params, "enough": offset + q.page_size, "size": q.page_size, "offset": offset})
    rows: list[Any] = []
    touched: dict[int, list[Any]] = {}
    last: Any = None
    for r in found:  # by position (id, status, details, wire, line): cheaper than names
        if r[0] != last:
            rows.append(r)
            last = r[0]
        if r[4] is not None:
            touched.setdefault(last, []).append(_line(r[4]))
    if q.page == 1 and len(rows) < q.page_size:
        return rows, touched, len(rows)
    return rows, touched, int((await count.all(conn, params))[0][0])


async def orders(conn: AsyncConnection, q: repo.Search) -> tuple[Sequence[Any], int]:
    """The page's orders (with wire.PAGE_COLUMNS; a plain search's with the template as UTF-8 bytes),
    oldest first, and the total: repository.search's."""
    if not is_plain(q):
        return await repo.search(conn, q, columns=wire.PAGE_COLUMNS)
    rows, _, total = await _plain(conn, q)
    return rows, total


def slow(row: Any, lines: list[Any] | None) -> str:
    """The order rendered from its stored body (what the template saves)."""
    return jsonio.dumps(conform.document("order", render.render(row, lines))).decode()


# What a current template starts with (wire.fill's first field).
_CURRENT = f"{wire.VERSION}:"


def _header_places(w: AnyStr, start: int, colon: AnyStr, comma: AnyStr, brace: AnyStr) -> tuple[int, int, int] | None:
    """Where a current template (VERSION:count:key,status:figures:text, as text or as bytes) puts
    the key and the status in its text, and where the text starts, as its header says them (the
    status's place is not checked against the text's length here: the callers do); None where it
    is not that shape (fill would do anything else: then it is asked). A function of ``w[:t]``
    only, so every template starting with those characters or bytes has the same places."""
    count_end = w.find(colon, start)
    places_end = w.find(colon, count_end + 1) if count_end >= 0 else -1
    figures_end = w.find(colon, places_end + 1) if places_end >= 0 else -1
    if figures_end < 0 or w.startswith(brace, count_end + 1):
        return None
    k_at, _, s_at = w[count_end + 1 : places_end].partition(comma)
    try:
        k, s = int(k_at), int(s_at)
    except ValueError:
        return None
    if not 0 <= k < s:
        return None
    return k, s, figures_end + 1


def _untouched(r: Any) -> tuple[str, str, str, str, str] | None:
    """The pieces wire.fill joins for an order whose lines are all untouched (``r``: PAGE_COLUMNS
    first, by position): the text up to the key, the key, up to the status, the status, the rest.
    None where fill would do anything else (then it is asked). Found with str.find rather than
    fill's split, which copies the 3.8 KB text once more, and without fill's keyword call."""
    w = r[3]
    if r[2] is not None or type(w) is not str or not w.startswith(_CURRENT):
        return None
    places = _header_places(w, len(_CURRENT), ":", ",", "{")
    if places is None or places[1] > len(w) - places[2]:
        return None  # text[:k] and w[t : t + k] differ only there
    k, s, t = places
    return w[t : t + k], f'"{r[0]}"', w[t + k : t + s], str(int(r[1])), w[t + s :]


async def page_parts(conn: AsyncConnection, q: repo.Search) -> tuple[list[bytes], int]:
    """The JSON text of each of the page's orders (as ``slow`` renders it, in UTF-8), oldest first,
    joined by commas, as pieces to be joined once with the page's envelope (api.search.page_of_parts); and the
    total. A plain search in one statement with the orders' touched lines (and the total's)."""
    if not is_plain(q):
        rows, total = await repo.search(conn, q, columns=wire.PAGE_COLUMNS)
        touched = await touched_lines(conn, [r.id for r in rows if r.wire is not None and r.details is None])
        return await _parts(conn, rows, touched), total
    found, touched, total = await _plain(conn, q)
    return await _parts(conn, found, touched), total


_CURRENT_BYTES = _CURRENT.encode()


class _Header(NamedTuple):
    """A current template's header as UTF-8 bytes (``prefix``: up to where its text starts) and where
    it puts, in the whole template, the end of the text before the key, the status and the text's
    start (``_header_places``: they depend on the prefix alone)."""

    prefix: bytes
    key_at: int
    status_at: int
    text_at: int


def _header_of(w: bytes) -> _Header | None:
    """The _Header of a template given as UTF-8 bytes, or None where it is not a current one of
    that shape (fill, or the slow way, is asked)."""
    if not w.startswith(_CURRENT_BYTES):
        return None
    places = _header_places(w, len(_CURRENT_BYTES), b":", b",", b"{")
    if places is None:
        return None
    k, s, t = places
    return _Header(w[:t], t + k, t + s, t)


def _decimal(n: int) -> bytes:
    return b"%d" % n  # as str(int(...)) writes it, in one call (not a str made, then encoded)


# A page's statuses are a handful of values: their text is kept (b"%d" costs about 1,000
# instructions); 150 and 150.0 or True and 1 share an entry, and write alike.
_status_text = lru_cache(maxsize=64)(_decimal)


def _untouched_bytes(r: Any) -> tuple[bytes, bytes, bytes, bytes, bytes] | None:
    """``_untouched`` for a template given as UTF-8 bytes: its pieces as bytes, for an ASCII
    template only (the template's places count characters, which are its bytes only there)."""
    if r[2] is not None:
        return None
    header = _header_of(r[3])
    return None if header is None else _pieces_bytes(r, header)


def _pieces_bytes(r: Any, header: _Header) -> tuple[bytes, bytes, bytes, bytes, bytes] | None:
    """``_untouched_bytes``' pieces of a row without details whose template starts with
    ``header.prefix``."""
    w = r[3]
    if header.status_at > len(w) or not w.isascii():
        return None
    _, k, s, t = header
    return w[t:k], b'"%d"' % r[0], w[k:s], _status_text(r[1]), w[s:]


async def _parts(conn: AsyncConnection, rows: Sequence[Any], touched: dict[int, list[Any]]) -> list[bytes]:
    """Each order's text from its template and touched lines, or rendered the slow way, as pieces
    of UTF-8 with a comma between orders (``rows``: PAGE_COLUMNS first, the template as text or as
    its UTF-8 bytes)."""
    parts: list[bytes] = []
    missing: list[tuple[int, Any]] = []  # where an order's text goes in parts, and its id
    # The last header read: a page's orders mostly share one (same sender, same layout), and
    # reading it (three finds, two integers) cost more than the rest of an untouched order.
    header: _Header | None = None
    for r in rows:
        if parts:
            parts.append(b",")
        w = r[3]
        if type(w) is bytes:
            if r[0] not in touched and r[2] is None:
                if header is None or not w.startswith(header.prefix):
                    header = _header_of(w)
                if header is not None and (raw := _pieces_bytes(r, header)) is not None:
                    parts += raw
                    continue
            # As wire.from_template reads the row with its template decoded (the lines: _Line).
            text = None if r[2] is not None else _filled(w.decode(), r[0], r[1], touched.get(r[0], []))
        elif r[0] not in touched and (pieces := _untouched(r)) is not None:
            parts += [p.encode() for p in pieces]
            continue
        else:
            text = wire.from_template(r, touched.get(r[0], ()))
        if text is None:
            missing.append((len(parts), r[0]))
            text = ""
        parts.append(text.encode())
    if missing:
        ids = [doc_id for _, doc_id in missing]
        full = {r.id: r for r in (await conn.execute(select(documents).where(D.id.in_(ids)))).all()}
        lines = await repo.lines_of_orders(conn, order_ids=ids)
        for at, doc_id in missing:
            parts[at] = slow(full[doc_id], lines[doc_id]).encode()
    return parts


# The touched-line fill. wire.fill cuts the text at each nonzero figure (edits sorted, the header's
# offsets split and read as integers on every read: ≈ 18 K instructions a touched line). Here a
# template's header (count, key and status places, figure offsets) is read once into a _Plan, kept
# by the header's text: a pure function of it, so an entry cannot be stale (the text is cut afresh
# on every read; the VERSION is checked before). A line's five figures stand side by side as
# render.line_quantities writes them (wire._run) in every template the hub renders, and are
# written in one piece. A template whose header says otherwise is filled by wire.fill.
def _run_text(a: Any, b: Any, c: Any, h: Any, i: Any) -> str:
    """A touched line's five figures with the keys between them, as wire.fill writes each (a
    figure that is 0, or falsy, stays 0)."""
    return wire._run([str(int(x)) if x else "0" for x in (a, b, c, h, i)])


# A line's figures repeat (fully acknowledged: its quantity and four zeros): their text is kept.
_run_of = lru_cache(maxsize=4096)(_run_text)
_RUN_LEN = len(_run_text(0, 0, 0, 0, 0))
# Where each of a line's five figures stands in its run (the first at 0).
_IN_RUN = tuple(at for at, ch in enumerate(wire._run(["\x00"] * 5)) if ch == "\x00")
assert len(_IN_RUN) == 5 and _IN_RUN[0] == 0 and _IN_RUN[-1] == _RUN_LEN - 1


class _Plan(NamedTuple):
    """What a template's header says for the touched-line fill: its line count; the key's and the
    status's places in text order (``key_first``), each with how many runs start before it; and
    where each line's run of five figures starts (places in the text)."""

    line_count: int
    first_index: int
    first_at: int
    second_index: int
    second_at: int
    key_first: bool
    runs: tuple[int, ...]


@lru_cache(maxsize=1024)
def _plan(header: str) -> _Plan | None:
    """The _Plan of a current template's ``count:key,status:figures`` (wire._compiled), or None
    unless each line's five figures stand as one run (the figures' places say so: each is the
    value of its key in the line's object, so places as close as the run's leave room for nothing
    but the run's own text between them), the runs in line order, and the key and the status
    outside them (wire.fill does the rest)."""
    try:
        count_text, places, figures = header.split(":")
        count = int(count_text)
        k_at, s_at = places.split(",")
        key_at, status_at = int(k_at), int(s_at)
        offsets = [int(x) for x in figures.split(",")] if figures else []
    except ValueError:
        return None
    if len(offsets) != 5 * count or key_at == status_at or min(key_at, status_at) < 0:
        return None
    runs = tuple(offsets[0::5])
    end = 0
    for p, start in enumerate(runs):
        if start < end or tuple(x - start for x in offsets[5 * p : 5 * p + 5]) != _IN_RUN:
            return None
        end = start + _RUN_LEN
    first_at, second_at = sorted((key_at, status_at))
    # How many runs start before each (bisect: the runs starting at or before it).
    first_index, second_index = bisect.bisect_right(runs, first_at), bisect.bisect_right(runs, second_at)
    for index, at in ((first_index, first_at), (second_index, second_at)):
        if index and at < runs[index - 1] + _RUN_LEN:
            return None  # inside a run
    return _Plan(count, first_index, first_at, second_index, second_at, key_at < status_at, runs)


def _touched(w: Any, key: int, status: int, lines: Iterable[Sequence[Any]]) -> str | None:
    """wire.fill's text of a current template (``w``, as text) with ``lines``: its touched lines,
    each (position, wire.LINE_FIGURES, changed), by position; None where wire.fill must answer (a
    template of another shape, lines out of order) or the order must be rendered the slow way (a
    line a buyer's change rewrote or added)."""
    if type(w) is not str or not w.startswith(_CURRENT):
        return None
    start = len(_CURRENT)
    places_at = w.find(":", start) + 1
    figures_at = w.find(":", places_at) + 1 if places_at else 0
    end = w.find(":", figures_at) if figures_at else -1
    if end < 0 or (plan := _plan(w[start:end])) is None:
        return None
    count, first_index, first_at, second_index, second_at, key_first, runs = plan
    first, second = (f'"{key}"', str(int(status))) if key_first else (str(int(status)), f'"{key}"')
    t = end + 1  # where the text starts
    pieces: list[str] = []
    at = t
    cuts = 0  # how many of the two (key, status) are written
    bound = first_index  # the first line whose run comes after the next of them
    for p, a, b, c, h, i, changed in lines:
        if changed is not None or not 0 <= p < count:
            return None
        if p >= bound:  # the key or the status (or both) stand before this line's run
            if cuts == 0:
                pieces += (w[at : t + first_at], first)
                at, cuts, bound = t + first_at, 1, second_index
            if cuts == 1 and p >= bound:
                pieces += (w[at : t + second_at], second)
                at, cuts, bound = t + second_at, 2, count
        run = t + runs[p]
        if run < at:
            return None  # not by position
        pieces += (w[at:run], _run_of(a, b, c, h, i))
        at = run + _RUN_LEN
    if cuts == 0:
        pieces += (w[at : t + first_at], first)
        at = t + first_at
    if cuts < 2:
        pieces += (w[at : t + second_at], second)
        at = t + second_at
    pieces.append(w[at:])
    return "".join(pieces)


def _filled(w: str, key: int, status: int, lines: list[_Line]) -> str | None:
    """wire.fill's answer for a current template's text and its touched lines (_Line, by position)."""
    text = _touched(w, key, status, lines)
    return wire.fill(w, key=key, status=status, touched=lines) if text is None else text


def one_text(r: Any) -> str | None:
    """The answer of ONE's row (by position: id, status, details, wire, lines) from its template,
    or None when the order must be rendered the slow way."""
    if r[4] is None:
        if (pieces := _untouched(r)) is not None:  # no touched line
            return "".join(pieces)
    elif r[2] is None and (text := _touched(r[3], r[0], r[1], jsonio.loads_fast(r[4]))) is not None:
        return text
    return wire.from_template(r, _lines_of(r[4]))


async def order_json(conn: AsyncConnection, *, key: str, company_id: int) -> str:
    """The JSON text of the order a LogicbrokerKey names, sent or received by the company, in one
    statement when its template serves; NotFound as repository.document_by_key says it."""
    doc_id = repo.parse_key(key)
    rows = [] if doc_id is None else await ONE.all(conn, {"doc_id": doc_id, "me": company_id})
    text = one_text(rows[0]) if rows else None
    if text is None:
        row = await repo.document_by_key(conn, key=key, company_id=company_id, kind="order")
        text = slow(row, await repo.order_lines_of(conn, order_id=row.id))
    return text
