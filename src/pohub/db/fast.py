"""Hot-path statements compiled once and run on the raw driver connection.

A document's unit of work runs a dozen small statements. Through SQLAlchemy's execute machinery
each costs about ten times the SQLite call itself (execution context, cache key, greenlet switches,
result wrapping): a quarter to a half of a document's time before any rule runs. A ``Prepared``
statement is an ordinary Core statement, compiled once per dialect; on SQLite it is run straight on
the transaction's sqlite3 connection (pohub runs SQLite on the event loop's thread already, see
db/sqlite_inline.py), with the same bind and result processors SQLAlchemy would apply, so what is
stored and read back is exactly what ``conn.execute`` would store and read. On PostgreSQL it goes
through ``conn.execute`` (asyncpg's own statement cache does the rest), so both databases behave
the same. Statements with Python-side column defaults or expanding IN lists are not prepared here:
they would need the machinery this skips.

On PostgreSQL the same compiled statement runs as an asyncpg prepared statement on the transaction's
own asyncpg connection, taken from (and kept in) SQLAlchemy's per-connection statement cache with its
invalidation rules (so a migration's DDL invalidates it exactly as it does SQLAlchemy's), with the
same bind and result processors (the result processors chosen by the column's PostgreSQL type, as
SQLAlchemy does), and errors translated as SQLAlchemy translates them (IntegrityError ...): the
road itself is db/pg_fast.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.sqltypes import _Binary

from pohub.db import pg_fast
from pohub.db.pg_fast import ASYNCPG_INTERNALS

Processor = Callable[[Any], Any] | None


class Row(tuple[Any, ...]):
    """A result row read by attribute (``row.id``) or position, as SQLAlchemy's rows are."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    @property
    def _mapping(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))


def _direct(kind: str, type_: Any, dialect: Dialect, usual: Processor) -> Processor:
    """A column type's own direct conversion (db.base: ``direct_bind`` / ``direct_result``) in place
    of SQLAlchemy's layered one, where it gives exactly what that one gives for the type's samples."""
    if usual is None:
        return None
    make = getattr(type_, f"direct_{kind}", None)
    fast: Processor = make(dialect, usual) if make is not None else None
    if fast is None:
        return usual
    for sample in getattr(type_, f"{kind}_samples", ()):
        mine, theirs = fast(sample), usual(sample)
        if mine != theirs or type(mine) is not type(theirs):
            return usual
    return fast


def _blob(value: Any) -> bytearray | None:
    """A binary value for sqlite3 as a bytearray, where SQLAlchemy's processor makes a memoryview
    (sqlite3.Binary): sqlite3 binds an exact int, float, str or bytearray as it is, anything else
    after its adaptation look-up (~3.4 k instructions, an AttributeError raised and cleared), then
    both as the same BLOB (sqlite3_bind_blob of the buffer's bytes). A copy of the bytes costs less
    (a document binds three: its exchange's body and two deliveries')."""
    return None if value is None else bytearray(value)


def _function(name: str, source: str, names: dict[str, Any]) -> Any:
    """A function made from ``source`` once per compiled statement: the statement's own binds and
    columns spelled out, so no loop, lookup or identity processor runs per value."""
    exec(compile(source, f"<db.fast {name}>", "exec"), names)  # our own text: names and processors
    return names[name]


def _value(i: int, bind: tuple[str, Processor, Any], names: dict[str, Any]) -> str:
    """The expression that takes bind ``i``'s value from ``given`` (its default, its processor)."""
    name, proc, default = bind
    names[f"d{i}"] = default
    value = f"get({name!r}, d{i})"
    if proc is not None:
        names[f"p{i}"] = proc
        value = f"p{i}({value})"
    return value


def _tuple_value(i: int, bind: tuple[str, Processor, Any], fields: tuple[str, ...], names: dict[str, Any]) -> str:
    """As _value, for a row given as a tuple whose positions ``fields`` names: the value at its place
    (a bind no field names takes its default, as a key missing from a mapping does)."""
    name, proc, default = bind
    if name in fields:
        value = f"given[{fields.index(name)}]"
    else:
        names[f"d{i}"] = default
        value = f"d{i}"
    if proc is not None:
        names[f"p{i}"] = proc
        value = f"p{i}({value})"
    return value


def _tuple_functions(
    binds: list[tuple[str, Processor, Any]], checked: Sequence[int], fields: tuple[str, ...]
) -> tuple[Callable[[Sequence[Any]], tuple[Any, ...]], Callable[[Sequence[Any]], Any]]:
    """For rows given as tuples in ``fields``' order: ``params`` (the statement's values, as
    _params_function gives them from the same row as a mapping) and ``row`` (as _row_function)."""
    names: dict[str, Any] = {}
    values = [_tuple_value(i, bind, fields, names) for i, bind in enumerate(binds)]
    body = "(" + "".join(f"{v}, " for v in values) + ")"
    params = _function("params", f"def params(given):\n    return {body}\n", dict(names))
    lines = ["def row(given):\n"] + [f"    v{i} = {v}\n" for i, v in enumerate(values)]
    lines.append("    nones = (" + "".join(f"v{i} is None, " for i in checked) + ")\n")
    lines.append("    return nones, (" + "".join(f"v{i}, " for i in range(len(binds))) + ")\n")
    return params, _function("row", "".join(lines), names)


def _params_function(binds: list[tuple[str, Processor, Any]]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    names: dict[str, Any] = {}
    values = [_value(i, bind, names) for i, bind in enumerate(binds)]
    body = "(" + "".join(f"{v}, " for v in values) + ")"
    return _function("params", f"def params(given):\n    get = given.get\n    return {body}\n", names)  # type: ignore[no-any-return]


def _bound_source(
    binds: list[tuple[str, Processor, Any]], checked: Sequence[int], names: dict[str, Any], *, nones: bool = True
) -> str:
    """The lines that take the statement's values (as ``params`` does: v0, v1 ...) and, with
    ``nones``, which of the ``checked`` positions are None (``nones``) and all of them (``values``)."""
    lines = ["    get = given.get\n"]
    lines += [f"    v{i} = {_value(i, bind, names)}\n" for i, bind in enumerate(binds)]
    if not nones:
        return "".join(lines)
    lines.append("    nones = (" + "".join(f"v{i} is None, " for i in checked) + ")\n")
    lines.append("    values = (" + "".join(f"v{i}, " for i in range(len(binds))) + ")\n")
    return "".join(lines)


def _bound_function(
    binds: list[tuple[str, Processor, Any]], nulls: _Nulls, miss: Callable[..., Any]
) -> Callable[[Mapping[str, Any]], Any]:
    """One row's SQLite text and the values it binds, its Nones at ``nulls``' positions written as
    NULL (_Nulls): one branch per variant made so far, each testing its positions and building its
    tuple (no look-up, no picker); any other set of Nones goes to ``miss``, which makes its variant
    (and this function again) or binds as before."""
    names: dict[str, Any] = {"miss": miss}
    lines = ["def bound(given):\n", _bound_source(binds, nulls.checked, names, nones=False)]
    everything = range(len(binds))
    for n, (nones, (sql, _keep)) in enumerate(nulls.variants.items()):
        names[f"s{n}"] = sql
        null = {i for i, none in zip(nulls.checked, nones, strict=True) if none}
        test = " and ".join(f"v{i} is {'' if i in null else 'not '}None" for i in nulls.checked)
        kept = "(" + "".join(f"v{i}, " for i in everything if i not in null) + ")"
        lines.append(f"    if {test}:\n        return s{n}, {kept}\n" if test else f"    return s{n}, {kept}\n")
    nones_now = "(" + "".join(f"v{i} is None, " for i in nulls.checked) + ")"
    values = "(" + "".join(f"v{i}, " for i in everything) + ")"
    lines.append(f"    return miss({nones_now}, {values})\n")
    return _function("bound", "".join(lines), names)  # type: ignore[no-any-return]


def _row_function(binds: list[tuple[str, Processor, Any]], nulls: _Nulls) -> Callable[[Mapping[str, Any]], Any]:
    """A row of an executemany: which of its ``nulls.checked`` values are None, and its values."""
    names: dict[str, Any] = {}
    source = "def row(given):\n" + _bound_source(binds, nulls.checked, names) + "    return nones, values\n"
    return _function("row", source, names)  # type: ignore[no-any-return]


def _rows_function(make: type[Row], procs: list[Processor], sort: Sort | None = None) -> Callable[[Any], list[Row]]:
    """The rows of a result through their processors; with ``sort``, sorted first by its column (and
    that column left out of the rows when the statement added it: Sort.added)."""
    procs = procs[: len(make._fields)] if sort is not None and sort.added else procs
    if sort is None and all(p is None for p in procs):
        return lambda raw: list(map(make, raw))
    names: dict[str, Any] = {"make": make}
    values = []
    for i, proc in enumerate(procs):
        if proc is None:
            values.append(f"r[{i}]")
        else:
            names[f"p{i}"] = proc
            values.append(f"p{i}(r[{i}])")
    body = "(" + "".join(f"{v}, " for v in values) + ")"
    first = ""
    if sort is not None:
        names["key"] = itemgetter(sort.column)
        first = "    raw = sorted(raw, key=key)\n"
        if not sort.unique:
            names["Tied"] = Tied
            first += "    if len({key(r) for r in raw}) != len(raw):\n        raise Tied\n"
    return _function("rows", f"def rows(raw):\n{first}    return [make({body}) for r in raw]\n", names)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Sort:
    """A statement's rows sorted in Python by one of its columns instead of by its ORDER BY.

    SQLite sorts a result through a sorter (a temporary b-tree) even for a few rows: ten order lines
    by position cost 35 k instructions more than the same statement unordered, in raw sqlite3 (stop
    27). For a key of distinct integers (NOT NULL: an id, a line's position), Python's sort of the
    rows gives SQLite's order exactly. ``column`` is the key's place among the result columns;
    ``added``: the key is the statement's last column, there only to sort by, and not in its rows."""

    # The same rows by the statement's ORDER BY: what answers off SQLite's driver (conn.execute,
    # PostgreSQL), and whenever two rows share a key the schema does not make unique (``unique``
    # False: SQLite's order among equals is its sorter's own).
    ordered: Prepared
    column: int
    added: bool = False
    unique: bool = False


class Tied(Exception):
    """Two rows share the Sort's key (the rows function raises it; Prepared.all asks Sort.ordered)."""


# At most this many variants of a statement with NULLs written in (besides the statement itself),
# so that values a client chooses cannot fill sqlite3's statement cache (db/engine.STATEMENT_CACHE).
NULL_VARIANTS = 8

Keep = Callable[[tuple[Any, ...]], tuple[Any, ...]] | None


class _Nulls:
    """A statement's SQLite texts with its None parameters written as NULL.

    sqlite3 binds int, float, str and bytearray as they are; every other value, None included, goes
    through its adaptation protocol first (a registry look-up, then ``__adapt__`` looked up on its
    protocol type, which raises and clears an AttributeError): ~3.5 k instructions for a None,
    against nothing for a NULL in the SQL (an acknowledgement bound some 40). A NULL in the text is
    what a bound None is to SQLite (a NULL value, no affinity), wherever it stands, so rows and
    results are the same. Only the ``checked`` positions are looked at (the values of nullable
    columns; a None elsewhere, a NOT NULL column's or a condition's, is bound as before). One
    variant per set of None positions, made on first use, up to NULL_VARIANTS; past that a new set
    binds its Nones as before."""

    def __init__(self, sql: str, count: int, checked: Sequence[int]) -> None:
        parts = sql.split("?")
        # Only where every "?" is a parameter (no quoted text that could hold one).
        usable = len(parts) == count + 1 and "'" not in sql and '"' not in sql
        self._parts = parts
        self.checked: tuple[int, ...] = tuple(checked) if usable else ()
        self._plain: tuple[str, Keep] = (sql, None)
        # By the checked positions' None-ness (read by the bound function).
        self.variants: dict[tuple[bool, ...], tuple[str, Keep]] = {}
        self._made = 0

    def of(self, nones: tuple[bool, ...]) -> tuple[str, Keep]:
        """The text for these None positions and the picker of the values it still binds (None: all)."""
        found = self.variants.get(nones)
        if found is not None:
            return found
        if True not in nones:
            found = self._plain
        elif self._made >= NULL_VARIANTS:
            return self._plain
        else:
            found = self._variant(nones)
            self._made += 1
        self.variants[nones] = found
        return found

    def _variant(self, nones: tuple[bool, ...]) -> tuple[str, Keep]:
        null = {i for i, none in zip(self.checked, nones, strict=True) if none}
        parts = self._parts
        sql = parts[0] + "".join(("NULL" if i in null else "?") + part for i, part in enumerate(parts[1:]))
        kept = [i for i in range(len(parts) - 1) if i not in null]
        keep: Keep
        if not kept:
            keep = _nothing
        elif len(kept) == 1:
            only = kept[0]
            keep = lambda values: (values[only],)  # noqa: E731  (itemgetter of one gives no tuple)
        else:
            keep = itemgetter(*kept)
        return sql, keep


def _nothing(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return ()


def _nullable_binds(stmt: Any) -> set[str]:
    """The names of an INSERT's or UPDATE's parameters that give a nullable column its value: the
    column's own key (SQLAlchemy's names for them), or the bindparam given for it in ``values()``."""
    table = getattr(stmt, "table", None)
    if not isinstance(stmt, Insert | Update) or table is None:
        return set()
    columns = {c.key: c for c in table.c}
    names = {key for key, c in columns.items() if c.nullable}
    for target, value in (getattr(stmt, "_values", None) or {}).items():
        column = columns.get(target if isinstance(target, str) else getattr(target, "key", None))
        if column is not None and column.nullable and isinstance(value, BindParameter):
            names.add(value.key)
    return names


def _attributes(fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: property(itemgetter(i)) for i, name in enumerate(fields)}


class _Compiled:
    def __init__(
        self,
        compiled: SQLCompiler,
        dialect: Dialect,
        nullable: set[str] | frozenset[str] = frozenset(),
        sort: Sort | None = None,
    ) -> None:
        self.sql = compiled.string
        self._sort = sort
        binds = compiled.binds
        self.names: list[str] = list(compiled.positiontup or [])
        processors: Mapping[str, Any] = compiled._bind_processors
        self.binds: list[tuple[str, Processor, Any]] = []
        sqlite = dialect.name == "sqlite"
        for name in self.names:
            proc, bind = processors.get(name), binds.get(name)
            if bind is None:
                self.binds.append((name, proc, None))
            elif sqlite and proc is not None and isinstance(bind.type, _Binary):
                self.binds.append((name, _blob, bind.effective_value))
            else:
                self.binds.append((name, _direct("bind", bind.type, dialect, proc), bind.effective_value))
        self.params: Callable[[Mapping[str, Any]], tuple[Any, ...]] = _params_function(self.binds)
        self._by_fields: dict[tuple[str, ...], tuple[Callable[[Sequence[Any]], tuple[Any, ...]], Any]] = {}
        if sqlite:  # its texts with NULLs written in (_Nulls)
            checked = [i for i, name in enumerate(self.names) if name in nullable]
            self.nulls = _Nulls(self.sql, len(self.names), checked)
            self._bind_branches()
            self.row_nones = _row_function(self.binds, self.nulls)
        self._types = [entry.type for entry in compiled._result_columns]
        self._dialect = dialect
        fields = tuple(entry.keyname for entry in compiled._result_columns)
        if sort is not None and sort.added:
            fields = fields[:-1]
        self.row = type("Row", (Row,), {"_fields": fields, "__slots__": (), **_attributes(fields)})
        # SQLite's processors do not depend on the driver's column type; PostgreSQL's do (pg_rows).
        self.rows: Callable[[Any], list[Row]] = (
            _rows_function(self.row, [self._result(t, None) for t in self._types], sort)
            if dialect.name == "sqlite"
            else _rows_function(self.row, [], sort)
        )
        self._by_oids: dict[tuple[int, ...], Callable[[Any], list[Row]]] = {}
        # The last attributes seen and their rows function: a cached asyncpg statement hands out the
        # same attributes object each time (held here, so never another's reused id).
        self._last: tuple[Any, Callable[[Any], list[Row]]] | None = None

    def of_fields(
        self, fields: tuple[str, ...]
    ) -> tuple[Callable[[Sequence[Any]], tuple[Any, ...]], Callable[[Sequence[Any]], Any]]:
        """_tuple_functions for rows in ``fields``' order, made once per statement and fields."""
        found = self._by_fields.get(fields)
        if found is None:
            checked = self.nulls.checked if hasattr(self, "nulls") else ()
            found = self._by_fields[fields] = _tuple_functions(self.binds, checked, fields)
        return found

    def _miss(self, nones: tuple[bool, ...], values: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        """A set of Nones ``bound`` has no branch for: its variant (``bound`` made again with a branch
        for it), or the statement as it is once NULL_VARIANTS are made."""
        sql, keep = self.nulls.of(nones)
        if len(self.nulls.variants) != self._branches:  # made now, or by ``many`` since
            self._bind_branches()
        return sql, values if keep is None else keep(values)

    def _bind_branches(self) -> None:
        self._branches = len(self.nulls.variants)
        self.bound = _bound_function(self.binds, self.nulls, self._miss)

    def _result(self, type_: Any, oid: int | None) -> Processor:
        return _direct("result", type_, self._dialect, type_._cached_result_processor(self._dialect, oid))

    def pg_rows(self, raw: list[Any], attributes: Sequence[Any]) -> list[Row]:
        """asyncpg records, through the result processors of the columns' PostgreSQL types."""
        last = self._last
        if last is not None and last[0] is attributes:
            return last[1](raw)
        oids = tuple(a.type.oid for a in attributes)
        rows = self._by_oids.get(oids)
        if rows is None:
            procs = [self._result(t, oid) for t, oid in zip(self._types, oids, strict=True)]
            rows = self._by_oids[oids] = _rows_function(self.row, procs, self._sort)
        self._last = (attributes, rows)
        return rows(raw)


_KEPT = "_pohub_sqlite3"  # on the SQLAlchemy Connection: (the pool's driver adapter, its sqlite3 or None, a cursor)


def _kept(conn: AsyncConnection) -> tuple[Any, sqlite3.Connection | None, sqlite3.Cursor | None] | None:
    """The transaction's sqlite3 connection (it is open while the unit of work runs) and a cursor of
    it kept for Prepared's statements, or None: then the statement takes conn.execute, which
    revalidates or refuses a closed connection as it does. Read through plain attributes
    (AsyncConnection.dialect and the pool's driver_connection are properties over properties:
    together they cost as much as the SQLite call itself), and once found, kept on the Connection
    with the driver adapter it came from: a later statement on the same adapter takes it back
    (about half the look-up); an invalidated connection (its adapter None), a closed one or one
    connected again (another adapter) looks it up anew."""
    sync = conn.sync_connection
    fairy = sync._dbapi_connection if sync is not None else None  # None once closed or invalidated
    if fairy is None or sync is None:
        return None
    adapter = fairy.dbapi_connection
    kept = getattr(sync, _KEPT, None)
    if kept is not None and kept[0] is adapter:
        return kept  # type: ignore[no-any-return]
    if adapter is None:
        return None
    inner = None
    if sync.dialect.name == "sqlite":
        inner = getattr(sync.dialect.get_driver_connection(adapter), "_conn", None)  # db/sqlite_inline.Connection
        if not isinstance(inner, sqlite3.Connection):
            inner = None
    # One cursor for every statement: sqlite3's Connection.execute makes a cursor and drops it each
    # time (~2.5 k instructions a statement). Each statement's rows are fetched whole (or it returns
    # none) before the next runs, so the cursor is never shared by two at once; it lives and goes with
    # its connection (a new adapter, a new cursor).
    found = (adapter, inner, inner.cursor() if inner is not None else None)
    sync.__dict__[_KEPT] = found
    return found


def _sqlite3_of(conn: AsyncConnection) -> sqlite3.Connection | None:
    """The transaction's sqlite3 connection, or None (_kept)."""
    kept = _kept(conn)
    return None if kept is None else kept[1]


class _Unset:
    """Not compiled for SQLite yet."""


_UNSET = _Unset()


class Prepared:
    """One statement, compiled once per dialect (and per set of inserted columns)."""

    def __init__(self, stmt: Executable, *, sort: Sort | None = None) -> None:
        self.stmt: Any = stmt
        self._sort = sort
        # An INSERT compiles to the columns it is given (the others take their defaults).
        self._by_keys = isinstance(stmt, Insert)
        # Per dialect (one process may use both databases: the tests do), then per inserted columns.
        self._compiled: dict[tuple[str, tuple[str, ...] | None], _Compiled | None] = {}
        # A statement whose SQL does not depend on its parameters' keys, as SQLite runs it (None: it
        # takes conn.execute), once compiled: read without the look-up by dialect and keys.
        self._sqlite: _Compiled | _Unset | None = _UNSET
        self._keys: dict[tuple[str, ...], dict[str, None]] = {}  # many_tuples' fields as a row's keys

    def _for(self, dialect: Dialect, params: Mapping[str, Any]) -> _Compiled | None:
        # Keyed by the given keys in their given order (a call site gives them alike every time);
        # compiled once per set of keys.
        given = (dialect.name, tuple(params) if self._by_keys else None)
        try:
            return self._compiled[given]
        except KeyError:
            pass
        keys = tuple(sorted(params)) if self._by_keys else None
        if (dialect.name, keys) in self._compiled:
            prepared = self._compiled[dialect.name, keys]
        else:
            compiled: Any = self.stmt.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
            plain = not (compiled.insert_prefetch or compiled.update_prefetch) and not any(
                b.expanding for b in compiled.binds.values()
            )
            prepared = _Compiled(compiled, dialect, _nullable_binds(self.stmt), self._sort) if plain else None
            self._compiled[dialect.name, keys] = prepared
        self._compiled[given] = prepared
        return prepared

    def _raw(self, conn: AsyncConnection, params: Mapping[str, Any]) -> tuple[sqlite3.Cursor, _Compiled] | None:
        kept = _kept(conn)
        driver = None if kept is None else kept[2]
        if driver is None:
            return None
        compiled = self._sqlite
        if isinstance(compiled, _Unset):
            compiled = self._for(conn.sync_connection.dialect, params)  # type: ignore[union-attr]
            if not self._by_keys:
                self._sqlite = compiled
        return None if compiled is None else (driver, compiled)

    def _pg(self, conn: AsyncConnection, params: Mapping[str, Any]) -> _Compiled | None:
        sync = conn.sync_connection  # (AsyncConnection.dialect is a property over a property)
        if sync is None or sync.dialect.driver != "asyncpg" or not ASYNCPG_INTERNALS:
            return None  # conn.execute then starts, revalidates or refuses the connection
        return self._for(sync.dialect, params)

    async def all(self, conn: AsyncConnection, params: Mapping[str, Any]) -> list[Any]:
        """Every row the statement returns."""
        # The road most statements take, spelled out here (_raw and _kept cost two calls more, about
        # 3.5 k instructions a statement): compiled for SQLite already, on the connection _kept has
        # seen (its adapter still the pool's); anything else takes _raw.
        compiled = self._sqlite
        sync = conn.sync_connection
        if isinstance(compiled, _Compiled) and sync is not None:
            fairy = sync._dbapi_connection
            kept = sync.__dict__.get(_KEPT)
            if fairy is not None and kept is not None and kept[0] is fairy.dbapi_connection and kept[2] is not None:
                sql, values = compiled.bound(params)
                try:
                    rows = kept[2].execute(sql, values).fetchall()
                except sqlite3.Error as exc:
                    raise _translated(compiled.sql, compiled.params(params), exc) from exc
                try:
                    return compiled.rows(rows)
                except Tied:
                    assert self._sort is not None
                    return await self._sort.ordered.all(conn, params)
        raw = self._raw(conn, params)
        if raw is None:
            if self._sort is not None:  # sorted in Python on SQLite's driver only
                return await self._sort.ordered.all(conn, params)
            pg = self._pg(conn, params)
            if pg is not None:
                return await pg_fast.execute(conn, pg, [pg.params(params)], rows=True)
            return list((await conn.execute(self.stmt, dict(params))).all())
        driver, compiled = raw
        sql, values = compiled.bound(params)
        try:
            cursor = driver.execute(sql, values)
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            raise _translated(compiled.sql, compiled.params(params), exc) from exc
        try:
            return compiled.rows(rows)
        except Tied:
            assert self._sort is not None
            return await self._sort.ordered.all(conn, params)

    async def first(self, conn: AsyncConnection, params: Mapping[str, Any]) -> Any:
        rows = await self.all(conn, params)
        return rows[0] if rows else None

    async def rowid(self, conn: AsyncConnection, params: Mapping[str, Any]) -> int | None:
        """On SQLite, run an INSERT of one row and return the rowid SQLite gave it (sqlite3's
        lastrowid: what ``RETURNING id`` of an INTEGER PRIMARY KEY returns, without the RETURNING,
        which costs SQLite about as much again as the insert). None, and nothing run, otherwise."""
        raw = self._raw(conn, params)
        if raw is None:
            return None
        driver, compiled = raw
        sql, values = compiled.bound(params)
        try:
            cursor = driver.execute(sql, values)
        except sqlite3.Error as exc:
            raise _translated(compiled.sql, compiled.params(params), exc) from exc
        return cursor.lastrowid

    async def run(self, conn: AsyncConnection, params: Mapping[str, Any]) -> None:
        """Run a statement that returns nothing (an UPDATE)."""
        compiled = self._sqlite
        sync = conn.sync_connection
        if isinstance(compiled, _Compiled) and sync is not None:  # as in ``all``
            fairy = sync._dbapi_connection
            kept = sync.__dict__.get(_KEPT)
            if fairy is not None and kept is not None and kept[0] is fairy.dbapi_connection and kept[2] is not None:
                sql, values = compiled.bound(params)
                try:
                    kept[2].execute(sql, values)
                except sqlite3.Error as exc:
                    raise _translated(compiled.sql, compiled.params(params), exc) from exc
                return
        raw = self._raw(conn, params)
        if raw is None:
            pg = self._pg(conn, params)
            if pg is not None:
                await pg_fast.execute(conn, pg, [pg.params(params)], rows=False)
                return
            await conn.execute(self.stmt, dict(params))
            return
        driver, compiled = raw
        sql, values = compiled.bound(params)
        try:
            driver.execute(sql, values)
        except sqlite3.Error as exc:
            raise _translated(compiled.sql, compiled.params(params), exc) from exc

    async def many(self, conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
        """The statement once per row (no results): executemany on the driver."""
        if not rows:
            return
        raw = self._raw(conn, rows[0])
        if raw is None:
            pg = self._pg(conn, rows[0])
            if pg is not None:
                await pg_fast.execute(conn, pg, [pg.params(r) for r in rows], rows=False, many=True)
                return
            await conn.execute(self.stmt, [dict(r) for r in rows])
            return
        driver, compiled = raw
        row = compiled.row_nones
        self._executemany(driver, compiled, [row(r) for r in rows])

    async def many_tuples(self, conn: AsyncConnection, fields: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> None:
        """``many`` for rows given as tuples, each value at the place ``fields`` names (a caller whose
        rows are tuples already: no mapping built per row to be read back by name). The same
        statements, values and NULLs as ``many`` of ``dict(zip(fields, row))`` for each row."""
        if not rows:
            return
        keys = self._keys.get(fields)
        if keys is None:
            keys = self._keys[fields] = dict.fromkeys(fields)  # what _for reads of a row: its keys, in order
        raw = self._raw(conn, keys)
        if raw is None:
            pg = self._pg(conn, keys)
            if pg is not None:
                params = pg.of_fields(fields)[0]
                await pg_fast.execute(conn, pg, [params(r) for r in rows], rows=False, many=True)
                return
            await conn.execute(self.stmt, [dict(zip(fields, r, strict=True)) for r in rows])
            return
        driver, compiled = raw
        row = compiled.of_fields(fields)[1]
        nones_values = [row(r) for r in rows]
        self._executemany(driver, compiled, nones_values)

    def _executemany(
        self, driver: sqlite3.Cursor, compiled: _Compiled, nones_values: list[tuple[tuple[bool, ...], tuple[Any, ...]]]
    ) -> None:
        values = [v for _, v in nones_values]
        # One executemany as before: NULL written only where every row has None.
        nones = nones_values[0][0]
        for other, _ in nones_values:
            if other != nones:
                nones = tuple(map(all, zip(*(n for n, _ in nones_values), strict=True)))
                break
        sql, keep = compiled.nulls.of(nones)
        try:
            driver.executemany(sql, values if keep is None else list(map(keep, values)))
        except sqlite3.Error as exc:
            raise _translated(compiled.sql, values, exc) from exc


def _translated(sql: str, params: Any, exc: sqlite3.Error) -> sa_exc.StatementError:
    """The error SQLAlchemy would have raised (IntegrityError for a unique violation, ...)."""
    return sa_exc.DBAPIError.instance(sql, params, exc, sqlite3.Error)
