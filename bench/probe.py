"""The probe (issue 15): a PO create and an acknowledgement with the core of pohub's work and rules,
in the leanest Python this machine runs, to set pohub's writes against in the same `make bench` run.

Starlette on uvicorn like the floor (bench/floor.py), one raw `sqlite3` connection (WAL,
synchronous=NORMAL, used from the event loop), jiter for exact decimals and duplicate keys (as
pohub parses), a bearer key looked up in a dict. Each document is one transaction:

- PO create: the caller is the PO's sender; the receiver is a known company; PartnerPO present;
  lines non-empty, line numbers unique, quantities positive whole numbers, prices non-negative
  decimals, a supplier SKU each; the body stored, the ten lines (executemany), one event and one
  outbox row; a PartnerPO the buyer already sent is refused (409).
- Acknowledgement: the order locked (BEGIN IMMEDIATE) and read with its lines; the caller is its
  supplier; the acknowledgement's number not seen on the order before; each line found by number,
  its SKU the order's, accepted + backordered + cancelled = ordered, accepted not below shipped;
  the body stored, the line updates (executemany), the order's status derived and set, one event
  and one outbox row.

What it leaves out of pohub's work: the received message's exchange row, the template and digest,
the full document models (every field's type), webhook subscriptions, the order counters, request
ids, logs and metrics. So it is a floor for "the rules in Python", not a second pohub.

    PROBE_DATABASE=/tmp/probe.db PROBE_KEYS=buyerkey:1,supplierkey:2 uvicorn bench.probe:create_app --factory
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import jiter
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SCHEMA = """
CREATE TABLE IF NOT EXISTS probe_orders (id {id}, buyer INTEGER NOT NULL, supplier INTEGER NOT NULL,
    partner_po TEXT NOT NULL, status INTEGER NOT NULL, raw TEXT NOT NULL, created_at TEXT NOT NULL,
    UNIQUE (buyer, partner_po));
CREATE TABLE IF NOT EXISTS probe_lines (id {id}, order_id INTEGER NOT NULL, position INTEGER NOT NULL,
    line_number TEXT NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL, price TEXT NOT NULL,
    accepted INTEGER NOT NULL DEFAULT 0, backordered INTEGER NOT NULL DEFAULT 0,
    cancelled INTEGER NOT NULL DEFAULT 0, shipped INTEGER NOT NULL DEFAULT 0, ack_price TEXT);
CREATE INDEX IF NOT EXISTS probe_lines_order ON probe_lines (order_id, position);
CREATE TABLE IF NOT EXISTS probe_docs (id {id}, order_id INTEGER NOT NULL, kind TEXT NOT NULL,
    number TEXT NOT NULL, raw TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS probe_docs_order ON probe_docs (order_id, kind, number);
CREATE TABLE IF NOT EXISTS probe_events (id {id}, order_id INTEGER NOT NULL, summary TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS probe_outbox (id {id}, topic TEXT NOT NULL, payload TEXT NOT NULL,
    created_at TEXT NOT NULL);
"""
ACCEPTED, PARTLY = 200, 150  # the statuses an acknowledgement derives (all accepted, or not)
DUPLICATE_PO = "must not repeat one the buyer sent before"
DUPLICATE_ACK = "must not repeat one sent for the order"
NO_ORDER = "no such order of the caller's"


class Refused(Exception):
    def __init__(self, status: int, field: str, rule: str) -> None:
        super().__init__(rule)
        self.status, self.field, self.rule = status, field, rule


def _answer(status: int, message: str, body: dict[str, Any] | None = None) -> Response:
    return Response(
        orjson.dumps({"Code": str(status), "Message": message, "Body": body}),
        status_code=status,
        media_type="application/json",
    )


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        value = jiter.from_json(raw, float_mode="decimal", catch_duplicate_keys=True)
    except ValueError as exc:
        raise Refused(400, "body", f"invalid JSON: {exc}") from None
    if type(value) is not dict:
        raise Refused(422, "body", "must be an object")
    return value


def _count(value: Any, field: str, *, positive: bool = False) -> int:
    if type(value) is not int or value < (1 if positive else 0):
        raise Refused(422, field, "must be a whole number" + (" above 0" if positive else " of 0 or more"))
    return value


def _price(value: Any, field: str) -> Decimal:
    if type(value) is int:
        value = Decimal(value)
    if type(value) is not Decimal or not value.is_finite() or value < 0:
        raise Refused(422, field, "must be a number of 0 or more")
    return value


def _text(value: Any, field: str) -> str:
    if type(value) is not str or not value:
        raise Refused(422, field, "must be a non-empty string")
    return value


def _sku(line: dict[str, Any], field: str) -> str:
    ident = line.get("ItemIdentifier")
    return _text(ident.get("SupplierSKU") if type(ident) is dict else None, f"{field}.ItemIdentifier.SupplierSKU")


def _lines(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    lines = body.get(name)
    if type(lines) is not list or not lines or any(type(x) is not dict for x in lines):
        raise Refused(422, name, "must be a non-empty list of objects")
    return lines


def order_rows(company: int, body: dict[str, Any], companies: set[int]) -> tuple[int, str, list[tuple[Any, ...]]]:
    """A PO's rules: (its supplier, its PartnerPO, its lines as rows)."""
    if body.get("SenderCompanyId") != company:
        raise Refused(403, "SenderCompanyId", "must be the caller's company")
    supplier = body.get("ReceiverCompanyId")
    if type(supplier) is not int or supplier not in companies:
        raise Refused(422, "ReceiverCompanyId", "must be a known company")
    partner_po = _text(body.get("PartnerPO"), "PartnerPO")
    rows, numbers = [], set()
    for i, line in enumerate(_lines(body, "OrderLines")):
        at = f"OrderLines[{i}]"
        number = _text(line.get("LineNumber"), f"{at}.LineNumber")
        if number in numbers:
            raise Refused(422, f"{at}.LineNumber", "must be unique in the order")
        numbers.add(number)
        qty = _count(line.get("Quantity"), f"{at}.Quantity", positive=True)
        price = _price(line.get("Price"), f"{at}.Price")
        rows.append((i, number, _sku(line, at), qty, str(price)))
    return supplier, partner_po, rows


def ack_head(body: dict[str, Any]) -> tuple[str, int, list[dict[str, Any]]]:
    """An acknowledgement's number, its order's key and its lines."""
    number = _text(body.get("AcknowledgementNumber"), "AcknowledgementNumber")
    ident = body.get("Identifier")
    key = ident.get("LinkKey") if type(ident) is dict else None
    if type(key) is not str or not key.isdigit() or len(key) > 18:
        raise Refused(422, "Identifier.LinkKey", "must be an order's key")
    return number, int(key), _lines(body, "AckLines")


def ack_updates(acked: list[dict[str, Any]], lines: list[Any]) -> tuple[list[tuple[Any, ...]], int]:
    """An acknowledgement's rules against the order's lines (id, line number, SKU, ordered,
    shipped): the line updates and the order's status."""
    by_number = {r[1]: r for r in lines}
    updates, every = [], True
    for i, line in enumerate(acked):
        at = f"AckLines[{i}]"
        row = by_number.get(_text(line.get("LineNumber"), f"{at}.LineNumber"))
        if row is None:
            raise Refused(422, f"{at}.LineNumber", "must be a line of the order")
        if _sku(line, at) != row[2]:
            raise Refused(422, f"{at}.ItemIdentifier.SupplierSKU", "must be the order line's SKU")
        accepted = _count(line.get("Quantity"), f"{at}.Quantity")
        back = _count(line.get("QuantityBackordered", 0), f"{at}.QuantityBackordered")
        cancelled = _count(line.get("QuantityCancelled", 0), f"{at}.QuantityCancelled")
        if accepted + back + cancelled != row[3]:
            raise Refused(422, f"{at}.Quantity", "accepted, backordered and cancelled must add up to ordered")
        if accepted < row[4]:
            raise Refused(422, f"{at}.Quantity", "must not fall below what was shipped")
        price = line.get("Price")
        updates.append(
            (accepted, back, cancelled, None if price is None else str(_price(price, f"{at}.Price")), row[0])
        )
        every = every and accepted == row[3]
    return updates, ACCEPTED if every and len(updates) == len(by_number) else PARTLY


def _order_event(partner_po: str, lines: int) -> str:
    return f"Order {partner_po} received: {lines} line(s)"


def _ack_event(number: str, before: int, after: int) -> str:
    return f"Acknowledgement {number}: status {before} to {after}"


class SqliteProbe:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.executescript(SCHEMA.format(id="INTEGER PRIMARY KEY"))

    async def create(self, company: int, raw: bytes, companies: set[int]) -> int:
        supplier, partner_po, rows = order_rows(company, _parse(raw), companies)
        now = datetime.now(UTC).isoformat()
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            try:
                order_id = c.execute(
                    "INSERT INTO probe_orders (buyer, supplier, partner_po, status, raw, created_at)"
                    " VALUES (?,?,?,?,?,?)",
                    (company, supplier, partner_po, 100, raw.decode(), now),
                ).lastrowid
            except sqlite3.IntegrityError:
                raise Refused(409, "PartnerPO", DUPLICATE_PO) from None
            assert order_id is not None
            c.executemany(
                "INSERT INTO probe_lines (order_id, position, line_number, sku, quantity, price) VALUES (?,?,?,?,?,?)",
                [(order_id, *r) for r in rows],
            )
            c.execute(
                "INSERT INTO probe_events (order_id, summary, created_at) VALUES (?,?,?)",
                (order_id, _order_event(partner_po, len(rows)), now),
            )
            c.execute(
                "INSERT INTO probe_outbox (topic, payload, created_at) VALUES (?,?,?)",
                ("order.received", orjson.dumps({"order": order_id, "partnerPO": partner_po}).decode(), now),
            )
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return order_id

    async def acknowledge(self, company: int, raw: bytes, companies: set[int]) -> int:
        number, key, acked = ack_head(_parse(raw))
        now = datetime.now(UTC).isoformat()
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            order = c.execute("SELECT supplier, status FROM probe_orders WHERE id = ?", (key,)).fetchone()
            if order is None or order[0] != company:
                raise Refused(404, "Identifier.LinkKey", NO_ORDER)
            if c.execute(
                "SELECT 1 FROM probe_docs WHERE order_id = ? AND kind = 'ack' AND number = ?", (key, number)
            ).fetchone():
                raise Refused(409, "AcknowledgementNumber", DUPLICATE_ACK)
            lines = c.execute(
                "SELECT id, line_number, sku, quantity, shipped FROM probe_lines WHERE order_id = ? ORDER BY position",
                (key,),
            ).fetchall()
            updates, status = ack_updates(acked, lines)
            c.execute(
                "INSERT INTO probe_docs (order_id, kind, number, raw, created_at) VALUES (?,?,?,?,?)",
                (key, "ack", number, raw.decode(), now),
            )
            c.executemany(
                "UPDATE probe_lines SET accepted = ?, backordered = ?, cancelled = ?, ack_price = ? WHERE id = ?",
                updates,
            )
            c.execute("UPDATE probe_orders SET status = ? WHERE id = ?", (status, key))
            c.execute(
                "INSERT INTO probe_events (order_id, summary, created_at) VALUES (?,?,?)",
                (key, _ack_event(number, order[1], status), now),
            )
            c.execute(
                "INSERT INTO probe_outbox (topic, payload, created_at) VALUES (?,?,?)",
                ("acknowledgement.received", orjson.dumps({"order": key, "number": number}).decode(), now),
            )
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return key

    async def close(self) -> None:
        self.conn.close()


class PgProbe:
    """The same on PostgreSQL: asyncpg from a pool, the order locked FOR UPDATE."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, url: str) -> PgProbe:
        import asyncpg

        pool = await asyncpg.create_pool(url, min_size=1, max_size=int(os.environ.get("PROBE_POOL_SIZE", "20")))
        async with pool.acquire() as conn:
            await conn.execute(SCHEMA.format(id="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"))
        return cls(pool)

    async def create(self, company: int, raw: bytes, companies: set[int]) -> int:
        import asyncpg

        supplier, partner_po, rows = order_rows(company, _parse(raw), companies)
        now = datetime.now(UTC)
        async with self.pool.acquire() as c, c.transaction():
            try:
                order_id = int(
                    await c.fetchval(
                        "INSERT INTO probe_orders (buyer, supplier, partner_po, status, raw, created_at)"
                        " VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
                        company,
                        supplier,
                        partner_po,
                        100,
                        raw.decode(),
                        now.isoformat(),
                    )
                )
            except asyncpg.UniqueViolationError:
                raise Refused(409, "PartnerPO", DUPLICATE_PO) from None
            await c.executemany(
                "INSERT INTO probe_lines (order_id, position, line_number, sku, quantity, price)"
                " VALUES ($1,$2,$3,$4,$5,$6)",
                [(order_id, *r) for r in rows],
            )
            await c.execute(
                "WITH e AS (INSERT INTO probe_events (order_id, summary, created_at) VALUES ($1,$2,$4))"
                " INSERT INTO probe_outbox (topic, payload, created_at) VALUES ('order.received', $3, $4)",
                order_id,
                _order_event(partner_po, len(rows)),
                orjson.dumps({"order": order_id, "partnerPO": partner_po}).decode(),
                now.isoformat(),
            )
        return order_id

    async def acknowledge(self, company: int, raw: bytes, companies: set[int]) -> int:
        number, key, acked = ack_head(_parse(raw))
        now = datetime.now(UTC).isoformat()
        async with self.pool.acquire() as c, c.transaction():
            order = await c.fetchrow("SELECT supplier, status FROM probe_orders WHERE id = $1 FOR UPDATE", key)
            if order is None or order[0] != company:
                raise Refused(404, "Identifier.LinkKey", NO_ORDER)
            if await c.fetchval(
                "SELECT 1 FROM probe_docs WHERE order_id = $1 AND kind = 'ack' AND number = $2", key, number
            ):
                raise Refused(409, "AcknowledgementNumber", DUPLICATE_ACK)
            lines = await c.fetch(
                "SELECT id, line_number, sku, quantity, shipped FROM probe_lines WHERE order_id = $1 ORDER BY position",
                key,
            )
            updates, status = ack_updates(acked, lines)
            await c.executemany(
                "UPDATE probe_lines SET accepted = $1, backordered = $2, cancelled = $3, ack_price = $4 WHERE id = $5",
                updates,
            )
            await c.execute(
                "WITH d AS (INSERT INTO probe_docs (order_id, kind, number, raw, created_at)"
                " VALUES ($1, 'ack', $2, $3, $6)),"
                " o AS (UPDATE probe_orders SET status = $4 WHERE id = $1),"
                " e AS (INSERT INTO probe_events (order_id, summary, created_at) VALUES ($1, $5, $6))"
                " INSERT INTO probe_outbox (topic, payload, created_at) VALUES ('acknowledgement.received', $7, $6)",
                key,
                number,
                raw.decode(),
                status,
                _ack_event(number, order[1], status),
                now,
                orjson.dumps({"order": key, "number": number}).decode(),
            )
        return key

    async def close(self) -> None:
        await self.pool.close()


def create_app(database: str | None = None, keys: dict[str, int] | None = None) -> Starlette:
    target = database or os.environ["PROBE_DATABASE"]
    if keys is None:
        keys = {k: int(v) for k, v in (p.split(":") for p in os.environ["PROBE_KEYS"].split(","))}
    companies = set(keys.values())
    state: dict[str, SqliteProbe | PgProbe] = {}

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        pg = target.startswith(("postgresql://", "postgres://"))
        state["probe"] = await PgProbe.open(target) if pg else SqliteProbe(target)
        yield
        await state["probe"].close()

    def caller(request: Request) -> int:
        company = keys.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        if company is None:
            raise Refused(401, "Authorization", "must carry a known key")
        return company

    def endpoint(work: str) -> Any:
        async def handle(request: Request) -> Response:
            try:
                key = await getattr(state["probe"], work)(caller(request), await request.body(), companies)
            except Refused as exc:
                return _answer(exc.status, f"{exc.field}: {exc.rule}", {"Errors": [{exc.field: exc.rule}]})
            return _answer(201, "ok", {"LogicbrokerKey": str(key)})

        return handle

    async def empty(_: Request) -> Response:
        return Response(b"{}", media_type="application/json")

    return Starlette(
        routes=[
            Route("/probe/orders", endpoint("create"), methods=["POST"]),
            Route("/probe/acks", endpoint("acknowledge"), methods=["POST"]),
            Route("/probe/empty", empty, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
