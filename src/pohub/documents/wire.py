"""An order's answer rendered once, when it is written, and filled in when it is read.

Rendering a stored order (parse the body, lay the hub's fields over it, conform every field to the
definitions, write JSON) took two thirds of a search page's time. What it produces depends on the
body and the parties, which never change once the order is stored, and on a few values the hub
changes later or that only the stored row knows: its key, StatusCode and each line's five
quantities (DocumentDate is written in as the database gives it back). So the order is rendered
once, by the same render() and conform() the read path uses, with a marker in place of each of
those values, and kept as a template (documents.wire): the answer's JSON text as it reads when
every line's figures are 0, with where the key and status go and where each line figure stands. A
read of an order whose lines are untouched cuts the text in three and puts the key and status
between (splitting the text at markers, character by character, and filling a dozen slots cost
four times as much); touched lines replace their figures. An order whose lines a buyer's change
rewrote or added to, one with details laid over its body, or one without a current template is
rendered the slow way.

A template is tagged with a hash of the code that renders (VERSION): when that code changes, older
templates are ignored (rendered the slow way) until refresh() renders them again.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

import pohub
from pohub.core import jsonio
from pohub.documents import conform, logicbroker, render, types
from pohub.documents.models import documents, kind_literal, order_lines

D = documents.c
L = order_lines.c
_MARK = "\x01"
# The line figures the hub changes, as render.line_quantities writes them, and their slot letters.
_QUANTITIES = (
    ("a", "qty_accepted"),
    ("b", "qty_backordered"),
    ("c", "qty_cancelled"),
    ("h", "qty_shipped"),
    ("i", "qty_invoiced"),
)
# The order_lines columns of those figures (a read fetches them for the lines not all zero).
LINE_FIGURES = tuple(field for _, field in _QUANTITIES)
# A line's figures, in LINE_FIGURES' order, read in one call.
_figures_of = attrgetter(*LINE_FIGURES)


def _run(figures: Sequence[str]) -> str:
    a, b, c, h, i = figures
    return f'{a},"QuantityBackordered":{b},"QuantityCancelled":{c},"QuantityShipped":{h},"QuantityInvoiced":{i}'


_UNTOUCHED = _run("00000")


def _version() -> str:
    """A hash of the code a template depends on; the release's version where the source is not installed."""
    try:
        source = "".join(
            inspect.getsource(m) for m in (render, conform, logicbroker, types, jsonio, sys.modules[__name__])
        )
    except (OSError, TypeError):
        source = f"pohub {pohub.__version__}"
    return hashlib.sha256(source.encode()).hexdigest()[:12]


VERSION = _version()


# The marker of each line figure and of the status: a raw control character, which orjson writes
# as it is from a Fragment and never otherwise (it escapes them in strings), so each stands for
# its slot alone; the key is a string, where orjson writes its marker as escapes (_KEY_TEXT).
_FIGURE = orjson.Fragment("\x01")
_STATUS = orjson.Fragment("\x02")
_KEY_TEXT = '"\\u0001k\\u0001"'
# A line's figures by wire name, in render.line_quantities' (and _QUANTITIES') order.
_FIGURE_ORDER = tuple(render.line_quantities(SimpleNamespace(**dict.fromkeys(LINE_FIGURES, 0))))
_WIRE_FIGURES = frozenset(_FIGURE_ORDER)


def _marker(slot: str) -> str:
    """Stands for a value only known when the order is read (orjson writes it as an escape)."""
    return f"{_MARK}{slot}{_MARK}"


def template(values: Mapping[str, Any]) -> str | None:
    """The wire template of an order about to be stored (``values``: its documents row), or None
    when it cannot have one (then it is rendered the slow way when read)."""
    if values.get("kind") != "order" or values.get("details") is not None:
        return None
    raw, document_date = values["raw"], values.get("document_date")
    if not isinstance(raw, str) or "u0001" in raw or not isinstance(document_date, datetime):
        return None  # a body holding the marker's escape (or text that looks like it)
    row = SimpleNamespace(
        raw=raw,
        float_safe=values.get("float_safe", True),
        details=None,
        id=_marker("k"),
        status=_STATUS,
        # As the database gives it back (in UTC, db.base.AwareDateTime), on both databases.
        document_date=document_date.astimezone(UTC),
        source_key=values.get("source_key"),
        link_key=values.get("link_key"),
        sender_company_id=values["sender_company_id"],
        receiver_company_id=values["receiver_company_id"],
        partner_po=values.get("partner_po"),
    )
    body = render.body_of(row)
    wire_lines = body.get("OrderLines")
    # The order's lines are made one per entry of OrderLines (orders.service); any other shape
    # (a line that is not an object, lines sent under the Python name) is left to the slow way.
    if "order_lines" in body or not isinstance(wire_lines, list) or not all(isinstance(x, dict) for x in wire_lines):
        return None
    # A line that holds a figure's name already keeps it where it stands (dict.update), so its
    # figures are not in render.line_quantities' order: their order is read from the line below.
    in_order = all(map(_WIRE_FIGURES.isdisjoint, wire_lines))
    body = render.render(row, body=body)
    # Nothing the hub lays over the body is null, so only a body whose text has one can hold one.
    nulls = "null" in raw or row.sender_company_id is None or row.receiver_company_id is None
    # Each line gets the figures render.render lays over it for rows whose figures are markers and
    # that no buyer's change touched (line_quantities, then nothing else), without its per-line calls.
    for line in wire_lines:
        line.update(_MARKED_FIGURES)
    body = conform.document("order", body, nulls=nulls)
    return _compiled(jsonio.dumps(body).decode(), wire_lines, in_order)


# render.line_quantities of an order_lines row whose every figure is a marker.
_MARKED_FIGURES = render.line_quantities(SimpleNamespace(**dict.fromkeys(LINE_FIGURES, _FIGURE)))


def _compiled(text: str, lines: list[dict[str, Any]], in_order: bool) -> str | None:
    """``VERSION:n:key,status:figures:text`` from the rendered text with its markers: the text
    with 0 for each line figure; where the key and the status go; where each figure of line 0,
    1, ... stands (five a line, in _FIGURE_ORDER). ``lines``: the rendered lines; ``in_order``:
    each line's figures stand in that order (none held a figure's name before). None unless each
    slot is there once."""
    k, s = text.find(_KEY_TEXT), text.find("\x02")
    if k < 0 or s < 0 or text.find(_KEY_TEXT, k + 1) >= 0 or text.find("\x02", s + 1) >= 0:
        return None
    # The key's and the status's markers taken out (the key's is longer): where they were is
    # where their values go.
    if k < s:
        k_at, s_at = k, s - len(_KEY_TEXT)
        text = f"{text[:k]}{text[k + len(_KEY_TEXT) : s]}{text[s + 1 :]}"
    else:
        s_at, k_at = s, k - 1
        text = f"{text[:s]}{text[s + 1 : k]}{text[k + len(_KEY_TEXT) :]}"
    # Each figure's marker is one character, as the 0 that takes its place: its place in the text.
    n = len(lines)
    if text.count("\x01") != len(_FIGURE_ORDER) * n:
        return None
    figures = _runs(text, n) if in_order else None
    if figures is None:
        places = []
        at = text.find("\x01")
        while at >= 0:
            places.append(at)
            at = text.find("\x01", at + 1)
        if not in_order:
            places = _in_figure_order(places, lines)
        figures = ",".join(map(str, places))
    zeroed = text.replace("\x01", "0")
    return f"{VERSION}:{n}:{k_at},{s_at}:{figures}:{zeroed}"


# A line's five figures as orjson writes them when the line held none of their names (laid last,
# in _FIGURE_ORDER), and where each marker stands in that text.
_RUN = ",".join(f'"{name}":\x01' for name in _FIGURE_ORDER)
_A, _B, _C, _D, _E = (at for at, char in enumerate(_RUN) if char == "\x01")


def _runs(text: str, n: int) -> str | None:
    """The figures' places of n lines, each line's five written as _RUN (found once a line, not a
    find a figure), or None where a line's are not. ``text`` holds 5n markers: n runs hold them all."""
    out = []
    at = 0
    for _ in range(n):
        at = text.find(_RUN, at)
        if at < 0:
            return None
        out.append(f"{at + _A},{at + _B},{at + _C},{at + _D},{at + _E}")
        at += len(_RUN)
    return ",".join(out)


def _in_figure_order(places: list[int], lines: list[dict[str, Any]]) -> list[int]:
    """The figures' places (each line's five in the order its keys hold them) in _FIGURE_ORDER."""
    out: list[int] = []
    five = len(_FIGURE_ORDER)
    for p, line in enumerate(lines):
        mine = [name for name in line if name in _WIRE_FIGURES]
        at = dict(zip(mine, places[five * p : five * (p + 1)], strict=True))
        out += [at[name] for name in _FIGURE_ORDER]
    return out


@cache
def _untouched(n: int) -> dict[str, str]:
    """Every slot of an order of n lines but its key and status, as for lines whose figures are all 0."""
    out = {}
    for p in range(n):
        out.update({f"{slot}{p}": "0" for slot, _ in _QUANTITIES})
        out[f"q{p}"] = _UNTOUCHED
    return out


def fill(wire: str | None, *, key: int, status: int, touched: Sequence[Any] = ()) -> str | None:
    """The order's JSON text from its template, with ``touched``: those of its lines whose figures
    are not all zero (order_lines rows); None when the order must be rendered the slow way."""
    if wire is None:
        return None
    head = wire.split(":", 4)
    if head[0] != VERSION or len(head) < 3:
        return None
    if head[2][:1] == "{":
        return _fill_marked(wire.split(":", 2)[2], int(head[1]), key=key, status=status, touched=touched)
    if len(head) < 5:
        return None
    _, count, places, figures, text = head
    k_at, _, s_at = places.partition(",")
    k, s = int(k_at), int(s_at)
    if not touched and k < s:  # most orders read (the key comes before the status)
        return f'{text[:k]}"{key}"{text[k:s]}{int(status)}{text[s:]}'
    edits = [(k, 0, f'"{key}"'), (s, 0, str(int(status)))]
    if touched:
        n = int(count)
        offsets = figures.split(",")
        for line in touched:
            if line.changed_at is not None or not 0 <= line.position < n:
                return None  # rewritten or added by a buyer's change: render.render knows how
            first = len(LINE_FIGURES) * line.position
            # The five figures in one call; most are 0 (only the others are read as integers).
            for j, figure in enumerate(_figures_of(line)):
                if figure and (figure := int(figure)):
                    edits.append((int(offsets[first + j]), 1, str(figure)))
    edits.sort()
    pieces: list[str] = []
    at = 0
    for place, width, value in edits:
        pieces += (text[at:place], value)
        at = place + width
    pieces.append(text[at:])
    return "".join(pieces)


def _fill_marked(text: str, n: int, *, key: int, status: int, touched: Sequence[Any]) -> str | None:
    """fill for a template given as the text with its markers (a slot per marker; q for a line's
    five figures side by side)."""
    values = {**_untouched(n), "k": f'"{key}"', "s": str(int(status))}
    for line in touched:
        if line.changed_at is not None or not 0 <= line.position < n:
            return None
        p = line.position
        figures = [str(int(getattr(line, field))) for _, field in _QUANTITIES]
        values.update({f"{slot}{p}": figure for (slot, _), figure in zip(_QUANTITIES, figures, strict=True)})
        values[f"q{p}"] = _run(figures)
    # Text and slot names alternate.
    parts = text.split(_MARK)
    try:
        parts[1::2] = [values[name] for name in parts[1::2]]
    except KeyError:
        return None  # a slot this code does not write: not a template of this VERSION
    return "".join(parts)


def from_template(row: Any, touched: Sequence[Any] = ()) -> str | None:
    """The order's JSON text from its template (``row``: with PAGE_COLUMNS at least), or None."""
    if row.details is not None:
        return None  # laid over the body: render.overlay knows how
    return fill(row.wire, key=row.id, status=row.status, touched=touched)


# What a page needs of each order when its template is current.
PAGE_COLUMNS = (D.id, D.status, D.details, D.wire)


# Only the columns a template needs: the migration that backfills templates runs this too, and must
# not name columns later migrations add.
STALE = (
    select(
        D.id,
        D.kind,
        D.raw,
        D.float_safe,
        D.details,
        D.source_key,
        D.link_key,
        D.sender_company_id,
        D.receiver_company_id,
        D.partner_po,
        D.document_date,
        select(func.count()).where(L.order_id == D.id).scalar_subquery().label("line_count"),
    )
    .where(
        D.kind == kind_literal("order"), D.id > bindparam("after"), D.wire.is_(None) | D.wire.not_like(f"{VERSION}:%")
    )
    .order_by(D.id)
    .limit(bindparam("batch"))
)
SET_WIRE = update(documents).where(D.id == bindparam("b_id")).values(wire=bindparam("b_wire"))


def templates_for(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """SET_WIRE's parameters for the rows of STALE that can have a template: one line stored for
    each of the body's (as orders.service stores them; a row loaded otherwise may differ)."""
    out = []
    for r in rows:
        wire = template(r._mapping)
        if wire is not None and wire.split(":", 2)[1] == str(r.line_count):
            out.append({"b_id": r.id, "b_wire": wire})
    return out


async def refresh(conn: AsyncConnection, *, batch: int = 2000) -> int:
    """Render the template of every order that has none or one from other code (orders stored
    before templates, or by a bulk load); returns how many were written. An order with details or
    a shape the template cannot hold keeps None (and is rendered the slow way)."""
    written = 0
    after = 0
    while rows := (await conn.execute(STALE, {"after": after, "batch": batch})).all():
        after = rows[-1].id
        if updates := templates_for(rows):
            await conn.execute(SET_WIRE, updates)
            written += len(updates)
    return written
