"""Orders are answered from the template rendered when they were written (documents/wire.py): the
search page and the single-order GET must be, byte for byte, what rendering every stored order
afresh answers (the renderer they replaced), whatever the order holds and whatever happened to it
since: all the seed's optional fields, awkward values, acknowledged, backordered and shipped lines,
a buyer's change, details laid over the body, several statuses. On both databases."""

from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.dialects import sqlite as sqlite_dialect

from pohub.api import answers
from pohub.core import clock, jsonio
from pohub.db import sqlite_units
from pohub.db.engine import Database
from pohub.documents import pages, wire
from pohub.documents import repository as repo
from pohub.documents.examples import sales_order
from pohub.documents.models import documents
from pohub.documents.render import render
from tests.api.helpers import SKU1, SKU2, ack, line
from tests.support import LiveServer, Trade, connect, make_party

D = documents.c


def _order(trade: Trade, po: str, **fields: Any) -> str:
    body = sales_order(PartnerPO=po, SenderCompanyId=trade.buyer.id, ReceiverCompanyId=trade.supplier.id, **fields)
    r = trade.buyer.post("/Orders", content=jsonio.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    return str(r.json()["Body"]["LogicbrokerKey"])


def _lines(*specs: tuple[Any, int, Any, dict[str, str]]) -> list[dict[str, Any]]:
    return [
        {"LineNumber": n, "Quantity": q, "Price": p, "QuantityUOM": "EA", "ItemIdentifier": sku}
        for n, q, p, sku in specs
    ]


TWO = _lines(("01", 5, 31.02, SKU1), ("02", 3, 10.5, SKU2))


async def _stored(url: str, keys: list[str]) -> dict[str, tuple[Any, list[Any]]]:
    db = Database(url, pool_size=1)
    try:
        async with db.read() as conn:
            rows = (await conn.execute(select(documents).where(D.id.in_([int(k) for k in keys])))).all()
            lines = await repo.lines_of_orders(conn, order_ids=[r.id for r in rows])
            return {str(r.id): (r, lines[r.id]) for r in rows}
    finally:
        await db.dispose()


async def _lay_details(url: str, key: str) -> None:
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            details = jsonio.dumps({"Note": "laid over", "ShipToAddress": {"City": "Albany"}}).decode()
            await repo.set_details(conn, doc_id=int(key), details=details, at=clock.now())
    finally:
        await db.dispose()


def _old_single(row: Any, lines: list[Any]) -> bytes:
    """What GET /Orders/{key} answered before templates: http.message around answers.single."""
    return jsonio.dumps({"Code": "200", "Message": "OK", "Body": answers.single("order", render(row, lines))})


def _fast(row: Any, lines: list[Any]) -> str | None:
    touched = [x for x in lines if x.changed_at is not None or any(getattr(x, f) for _, f in wire._QUANTITIES)]
    return wire.from_template(row, touched)


def test_answers_from_templates_are_what_rendering_afresh_answers(trade: Trade, db_url: str) -> None:
    keys = {
        # Every optional field of the seed order, as the seeds send it.
        "seed": _order(trade, "W-SEED"),
        # Awkward values: braces and quotes in text, a hub field already in a line, nulls, a
        # number a float cannot hold, an integer line number, a date with an offset, a date only,
        # extended attributes, a number given as a string.
        "odd": _order(
            trade,
            "W-ODD",
            Note='{not a slot} }} {{ "quoted" \\ back',
            DocumentDate="2026-11-30T10:00:00+05:00",
            RequestedShipDate="2026-12-24",
            SalesRequirement="0",
            ExtendedAttributes=[{"Name": "A", "Value": "{1}"}, {"Name": "B", "Value": None}],
            OrderLines=[
                {
                    "LineNumber": 1,
                    "Quantity": 4,
                    "Price": Decimal("12345678901234.567891"),
                    "QuantityShipped": 99,
                    "Description": None,
                    "ItemIdentifier": SKU1,
                },
                {"LineNumber": "2", "Quantity": 2, "Price": "7.25", "ItemIdentifier": SKU2},
            ],
        ),
        "submitted": _order(trade, "W-SUB", StatusCode=100, OrderLines=TWO),
        # Text beyond ASCII: a template whose places (in characters) are not its UTF-8 bytes'.
        "unicode": _order(trade, "W-UNI", Note="Café — ünïcode ✓ 𝄞", OrderLines=TWO),
        "acked": _order(trade, "W-ACK", OrderLines=TWO),
        "shipped": _order(trade, "W-SHIP", OrderLines=TWO),
        "changed": _order(trade, "W-CHG", OrderLines=TWO),
        "details": _order(trade, "W-DET", OrderLines=TWO),
        # Text that looks like the template's marker: rendered the slow way.
        "marker": _order(trade, "W-MARK", Note="\u0001 and \\u0001", OrderLines=TWO),
    }
    s = trade.supplier
    # Line 01 accepted in part (the rest backordered or cancelled by the rules), line 02 in full.
    r = s.post(f"/Acknowledgement/{keys['acked']}", json=ack("W-ACK", "A-1", [line("01", 3), line("02", 3, SKU2)]))
    assert r.status_code == 201, r.text
    r = s.post(f"/Acknowledgement/{keys['shipped']}", json=ack("W-SHIP", "A-2", [line("01", 5), line("02", 3, SKU2)]))
    assert r.status_code == 201, r.text
    r = s.post(
        f"/Shipment/{keys['shipped']}",
        json={
            "ShipmentNumber": "S-1",
            "ShipmentDate": "2026-12-01T10:00:00Z",
            "ShipmentLines": [
                {"LineNumber": "01", "ItemIdentifier": SKU1, "ShipmentInfos": [{"TrackingNumber": "1Z1", "Qty": 2}]}
            ],
        },
    )
    assert r.status_code == 201, r.text
    r = trade.buyer.post(
        f"/Orders/{keys['changed']}/Changes",
        json={
            "ChangeNumber": "C-1",
            "ChangeLines": [
                {"LineNumber": "01", "Quantity": 4, "RequestedShipDate": "2027-01-15"},
                {
                    "LineNumber": "03",
                    "Action": "Add",
                    "Quantity": 2,
                    "Price": 4.5,
                    "ItemIdentifier": {"SupplierSKU": "N"},
                },
            ],
        },
    )
    assert r.status_code == 201, r.text
    asyncio.run(_lay_details(db_url, keys["details"]))

    stored = asyncio.run(_stored(db_url, list(keys.values())))
    # The templates are used where they can be, and only there.
    fast = {name for name, key in keys.items() if _fast(*stored[key]) is not None}
    assert fast == {"seed", "odd", "submitted", "unicode", "acked", "shipped"}
    statuses = {stored[keys[n]][0].status for n in fast}
    assert len(statuses) >= 3, statuses

    for name, key in keys.items():
        got = s.get(f"/Orders/{key}")
        assert got.status_code == 200
        assert got.content == _old_single(*stored[key]), name
        if name in fast:
            assert _fast(*stored[key]) == jsonio.dumps(answers.document("order", render(*stored[key]))).decode()

    # The search page: the same envelope and records as api.http.page around the old renderer's.
    ordered = sorted(stored.values(), key=lambda x: int(x[0].id))
    for path, chosen in [
        ("/Orders?pageSize=100", ordered),
        ("/Orders?Filters.status=150&pageSize=100", [x for x in ordered if x[0].status == 150]),
        ("/Orders/Ready?pageSize=100", [x for x in ordered if x[0].status in (100, 150)]),
    ]:
        got = s.get(path)
        assert got.status_code == 200, got.text
        records = [answers.document("order", render(row, lines)) for row, lines in chosen]
        old = {"Records": records, "TotalPages": 1, "CurrentPage": 1, "TotalRecords": len(records)}
        assert got.content == jsonio.dumps(old), path
    # A page past the first (the count is taken) answers the same way.
    got = s.get("/Orders?pageSize=3&page=2")
    records = [answers.document("order", render(row, lines)) for row, lines in ordered[3:6]]
    old = {"Records": records, "TotalPages": 3, "CurrentPage": 2, "TotalRecords": len(ordered)}
    assert got.content == jsonio.dumps(old)


async def _stale(url: str, key: str) -> None:
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            await conn.execute(update(documents).where(D.id == int(key)).values(wire="000000000000:2:{}"))
    finally:
        await db.dispose()


def test_a_template_from_other_code_is_not_used(trade: Trade, db_url: str) -> None:
    key = _order(trade, "W-STALE", OrderLines=TWO)
    before = trade.supplier.get(f"/Orders/{key}").content
    asyncio.run(_stale(db_url, key))
    assert trade.supplier.get(f"/Orders/{key}").content == before


async def _both_ways(url: str, company_id: int) -> list[tuple[Any, Any]]:
    db = Database(url, pool_size=1)
    try:
        async with db.read() as conn:
            out = []
            for statuses in [(), (150,), (150, 100), (999,)]:
                for page, size in [(1, 100), (1, 2), (2, 2), (3, 2), (9, 2)]:
                    q = repo.Search(kind="order", company_id=company_id, statuses=statuses, page=page, page_size=size)
                    assert pages.is_plain(q)
                    fast, fast_total = await pages.orders(conn, q)
                    slow, slow_total = await repo.search(conn, q, columns=wire.PAGE_COLUMNS)
                    got = (statuses, page, size, [r.id for r in fast], fast_total)
                    out.append((got, (statuses, page, size, [r.id for r in slow], slow_total)))
            return out
    finally:
        await db.dispose()


def test_plain_search_pages_are_repository_search_pages(trade: Trade, server: LiveServer, db_url: str) -> None:
    """pages.orders takes, from statements built once, the page and total repository.search takes."""
    _order(trade, "P-1", OrderLines=TWO)
    _order(trade, "P-2", StatusCode=100, OrderLines=TWO)
    # The supplier is a buyer too: orders on both sides of it, interleaved.
    other = make_party(server)
    connect(server, trade.supplier, other)
    as_buyer = Trade(trade.supplier, other)
    _order(as_buyer, "P-3", OrderLines=TWO)
    _order(trade, "P-4", OrderLines=TWO)
    _order(as_buyer, "P-5", StatusCode=100, OrderLines=TWO)
    for fast, slow in asyncio.run(_both_ways(db_url, trade.supplier.id)):
        assert fast == slow


async def _repreparations(url: str, company_id: int, key: str) -> dict[str, tuple[int, int]]:
    """(times run, times prepared again) of each statement the read path ran on its sqlite3 connection."""
    db = Database(url, pool_size=1)
    try:
        async with db.read() as conn:
            for _ in range(3):
                for page in (1, 2):  # page 2 takes the total too
                    q = repo.Search(kind="order", company_id=company_id, statuses=(150,), page=page, page_size=1)
                    parts, total = await pages.page_parts(conn, q)
                    assert parts and total == 2
                await pages.order_json(conn, key=key, company_id=company_id)
            raw = sqlite_units.sqlite3_of(conn)
            assert raw is not None
            return {sql: (run, reprep) for sql, run, reprep in raw.execute("SELECT sql, run, reprep FROM sqlite_stmt")}
    finally:
        await db.dispose()


def _skip_without_sqlite_stmt(backend: str) -> None:
    """The tests below read SQLite's own statement counters (the sqlite_stmt table)."""
    if backend != "sqlite":
        pytest.skip("SQLite's statement preparation")
    probe = sqlite3.connect(":memory:")
    if "ENABLE_STMTVTAB" not in {r[0] for r in probe.execute("PRAGMA compile_options")}:
        pytest.skip("this SQLite has no sqlite_stmt table")


def test_sqlite_does_not_prepare_the_read_statements_again(trade: Trade, db_url: str, backend: str) -> None:
    """A bound parameter compared with a partial index's literal (kind = 'order') makes SQLite prepare
    the statement again on every run: the read path's statements name the kind as a literal."""
    _skip_without_sqlite_stmt(backend)
    _order(trade, "R-1", OrderLines=TWO)
    key = _order(trade, "R-2", OrderLines=TWO)
    ran = asyncio.run(_repreparations(db_url, trade.supplier.id, key))
    page, total = pages._statements(1)
    dialect = sqlite_dialect.dialect()
    for stmt in (pages.ONE.stmt, page.stmt, total.stmt):
        sql = stmt.compile(dialect=dialect).string
        assert sql in ran, sql
        runs, again = ran[sql]
        assert runs >= 3 and again == 0, (runs, again, sql)


async def _write_lookups_prepared_again(url: str, trade: Trade, po: str) -> dict[str, tuple[int, int]]:
    """(times run, times prepared again) of the write path's lookups by kind, three runs each."""
    from pohub.documents import inbound

    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            order = await repo.order_by_po(conn, sender_id=trade.buyer.id, receiver_id=trade.supplier.id, partner_po=po)
            assert order is not None
            for _ in range(3):
                assert (
                    await repo.order_by_po(conn, sender_id=trade.buyer.id, receiver_id=trade.supplier.id, partner_po=po)
                    == order
                )
                for kind in ("acknowledgement", "shipment"):
                    assert await repo.numbered_documents(conn, order_id=order.id, kind=kind) == []
                _, earlier, lines = await inbound.duplicate_and_lines(
                    conn,
                    order_id=order.id,
                    kind="invoice",
                    sender_id=trade.supplier.id,
                    number="I-1",
                    body_hash="h",
                    number_field="InvoiceNumber",
                )
                assert earlier == [] and len(lines) == 2
            raw = sqlite_units.sqlite3_of(conn)
            assert raw is not None
            return {sql: (run, reprep) for sql, run, reprep in raw.execute("SELECT sql, run, reprep FROM sqlite_stmt")}
    finally:
        await db.dispose()


def test_sqlite_does_not_prepare_the_write_lookups_again(trade: Trade, db_url: str, backend: str) -> None:
    """The same for the write path's lookups by kind (the PO's PartnerPO, a kind's earlier
    documents): each kind is its own statement with the kind as a literal."""
    _skip_without_sqlite_stmt(backend)
    _order(trade, "W-1", OrderLines=TWO)
    ran = asyncio.run(_write_lookups_prepared_again(db_url, trade, "W-1"))
    lookups = {sql: counts for sql, counts in ran.items() if sql.lstrip().upper().startswith("SELECT")}
    assert sum(1 for sql in lookups if "partner_po" in sql) >= 1, lookups
    assert sum(1 for sql in lookups if "body_hash" in sql) >= 2, lookups  # one statement a kind
    for sql, (runs, again) in lookups.items():
        assert again == 0, (runs, again, sql)
