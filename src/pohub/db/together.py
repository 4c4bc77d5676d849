"""Several small SELECTs of one unit of work in one statement: ``SELECT ... UNION ALL SELECT ...``,
each branch padded with typed NULLs to every branch's columns, so that each keeps its own columns,
types and result processors (db/fast.py), and its rows come back as a list of their own, read by
their column names as the branch's own statement would give them.

A branch with an ``order`` is sorted by it (the statement is then ordered by branch, then by that
key); a branch without one keeps the order its own plan gives (each branch of a UNION ALL runs on
its own, in turn). One statement instead of several: one round trip on PostgreSQL instead of
several. On SQLite the branches run as statements of their own (same rows): there a statement is a
C call, not a round trip, and the padded union costs SQLite more than the branches apart
(docs/performance.md, "Statements per document").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, ColumnElement, Integer, cast, literal_column, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.db import unit_cache
from pohub.db.fast import Prepared, Row, Sort


@dataclass(frozen=True)
class Branch:
    """One SELECT: its columns (named as its rows are read), its condition, and its sort key if any."""

    columns: tuple[Any, ...]
    where: ColumnElement[bool]
    order: Any = None


def _alone(b: Branch) -> Prepared:
    """A branch as SQLite runs it: a branch sorted by an integer column that is never NULL reads its
    rows unordered and sorts them in Python (db/fast.Sort: SQLite's sorter costs more than the rest
    of the statement for a few rows), the key added as a last column if the branch does not read it;
    any other branch with its ORDER BY."""
    stmt = select(*b.columns).where(b.where)
    ordered = Prepared(stmt.order_by(b.order)) if b.order is not None else Prepared(stmt)
    key = b.order
    if not (isinstance(key, Column) and isinstance(key.type, Integer) and not key.nullable):
        return ordered
    unique = bool(key.primary_key)
    for n, c in enumerate(b.columns):
        if c is key:
            return Prepared(stmt, sort=Sort(ordered, n, unique=unique))
    return Prepared(
        select(*b.columns, key).where(b.where), sort=Sort(ordered, len(b.columns), added=True, unique=unique)
    )


class Together:
    """The branches' SELECTs in one statement; ``all`` returns each branch's rows, in branch order."""

    def __init__(self, branches: Sequence[Branch]) -> None:
        slots = [(i, c) for i, b in enumerate(branches) for c in b.columns]
        self._sorted = any(b.order is not None for b in branches)
        selects = []
        for i, b in enumerate(branches):
            head: list[Any] = [literal_column(str(i)).label("part")]
            if self._sorted:
                head.append((b.order if b.order is not None else literal_column("0")).label("k"))
            padded = [(c if owner == i else cast(null(), c.type)).label(f"c{n}") for n, (owner, c) in enumerate(slots)]
            selects.append(select(*head, *padded).where(b.where))
        stmt: Any = union_all(*selects)
        if self._sorted:
            stmt = stmt.order_by(literal_column("part"), literal_column("k"))
        self.prepared = Prepared(stmt)
        # On SQLite each branch runs alone: a statement there is a C call on this thread, not a round
        # trip, and SQLite runs the padded union slower than the branches one after the other.
        self._alone = [_alone(b) for b in branches]
        self._layout: list[tuple[type[Row], slice]] = []
        start = 2 if self._sorted else 1
        for b in branches:
            fields = tuple(c.key for c in b.columns)
            attributes = {name: property(itemgetter(i)) for i, name in enumerate(fields)}
            make = type("Row", (Row,), {"_fields": fields, "__slots__": (), **attributes})
            self._layout.append((make, slice(start, start + len(fields))))
            start += len(fields)

    async def all(self, conn: AsyncConnection, params: Mapping[str, Any]) -> list[list[Any]]:
        cache = unit_cache.of(conn)
        if cache.sqlite if cache is not None else conn.dialect.name == "sqlite":
            return [await alone.all(conn, params) for alone in self._alone]
        out: list[list[Any]] = [[] for _ in self._layout]
        layout = self._layout
        for row in await self.prepared.all(conn, params):
            make, where = layout[row[0]]
            out[row[0]].append(make(row[where]))
        return out
