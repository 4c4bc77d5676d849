"""GET one order reads the order and its touched lines packed in one row (pages.ONE, stop 23): the
same answer, byte for byte, and the same touched lines, as the statement it replaced (a row for
each touched line, each with the template: kept here as the oracle), over orders untouched, partly
and fully acknowledged, shipped, invoiced, cancelled, changed by the buyer, of 1, 10 and 120 lines,
with text beyond ASCII, quantities past a thousand, figure keys in the body, details laid over, no
template or a stale one; and which of them the touched-line fill (pages._touched, stop 24) answers
itself. On both databases."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import bindparam, select, update

from pohub.core import clock, jsonio
from pohub.core.errors import NotFound
from pohub.db import fast
from pohub.db.engine import Database
from pohub.documents import pages, wire
from pohub.documents import repository as repo
from pohub.documents.examples import sales_order
from pohub.documents.models import documents, order_lines
from tests.api.helpers import SKU1, SKU2, ack, line
from tests.support import Trade

D = documents.c
L = order_lines.c

# The statement pages.ONE replaced: the order outer-joined to its touched lines.
ONE_BY_LINE = fast.Prepared(
    select(D.id, D.status, D.details, D.wire, *pages._LINE_COLUMNS)
    .select_from(documents.outerjoin(order_lines, (L.order_id == D.id) & pages._IS_TOUCHED))
    .where(
        D.id == bindparam("doc_id"),
        D.kind == pages._ORDER,
        (D.sender_company_id == bindparam("me")) | (D.receiver_company_id == bindparam("me")),
    )
)
_FIELDS = ("position", *wire.LINE_FIGURES, "changed_at")


async def _old_order_json(conn: Any, *, key: str, company_id: int) -> tuple[str, list[tuple[Any, ...]]]:
    """pages.order_json as it was before ONE packed the lines, and the touched lines it read."""
    doc_id = repo.parse_key(key)
    rows = [] if doc_id is None else await ONE_BY_LINE.all(conn, {"doc_id": doc_id, "me": company_id})
    text = None
    touched = [r for r in rows if r.position is not None]
    if rows:
        first = rows[0]
        if first[4] is None and (pieces := pages._untouched(first)) is not None:
            return "".join(pieces), []
        text = wire.from_template(first, touched)
    if text is None:
        row = await repo.document_by_key(conn, key=key, company_id=company_id, kind="order")
        text = pages.slow(row, await repo.order_lines_of(conn, order_id=row.id))
    return text, sorted(tuple(getattr(r, f) for f in _FIELDS) for r in touched)


async def _new_lines(conn: Any, *, key: str, company_id: int) -> list[tuple[Any, ...]]:
    doc_id = repo.parse_key(key)
    rows = [] if doc_id is None else await pages.ONE.all(conn, {"doc_id": doc_id, "me": company_id})
    assert len(rows) <= 1
    lines = pages._lines_of(rows[0].lines) if rows else []
    return sorted(tuple(getattr(x, f) for f in _FIELDS) for x in lines)


async def _both(url: str, key: str, company_id: int) -> tuple[Any, Any]:
    """(new, old) for one key and company: (text, touched lines), or the NotFound message."""
    db = Database(url, pool_size=1)
    try:
        async with db.read() as conn:
            try:
                new: Any = (
                    await pages.order_json(conn, key=key, company_id=company_id),
                    await _new_lines(conn, key=key, company_id=company_id),
                )
            except NotFound as e:
                new = str(e)
            try:
                old: Any = await _old_order_json(conn, key=key, company_id=company_id)
            except NotFound as e:
                old = str(e)
        return new, old
    finally:
        await db.dispose()


async def _served(url: str, keys: dict[str, str], company_id: int) -> set[str]:
    """The orders whose answer pages._touched wrote (not wire.fill nor the slow way)."""
    db = Database(url, pool_size=1)
    out = set()
    try:
        async with db.read() as conn:
            for name, key in keys.items():
                r = (await pages.ONE.all(conn, {"doc_id": int(key), "me": company_id}))[0]
                lines = None if r[4] is None or r[2] is not None else jsonio.loads_fast(r[4])
                if lines is not None and pages._touched(r[3], r[0], r[1], lines) is not None:
                    out.add(name)
    finally:
        await db.dispose()
    return out


async def _write(url: str, key: str, **values: Any) -> None:
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            if "details" in values:
                await repo.set_details(conn, doc_id=int(key), details=values["details"], at=clock.now())
            else:
                await conn.execute(update(documents).where(D.id == int(key)).values(**values))
    finally:
        await db.dispose()


def _order(trade: Trade, po: str, n: int = 2, **fields: Any) -> str:
    lines = [
        {
            "LineNumber": f"{p + 1:03d}",
            "Quantity": 5 + p % 3,
            "Price": 31.02,
            "ItemIdentifier": {"SupplierSKU": f"S{p}"},
        }
        for p in range(n)
    ]
    fields.setdefault("OrderLines", lines)
    body = sales_order(PartnerPO=po, SenderCompanyId=trade.buyer.id, ReceiverCompanyId=trade.supplier.id, **fields)
    r = trade.buyer.post("/Orders", content=jsonio.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    return str(r.json()["Body"]["LogicbrokerKey"])


def _ack(trade: Trade, key: str, po: str, lines: list[dict[str, Any]]) -> None:
    r = trade.supplier.post(f"/Acknowledgement/{key}", json=ack(po, f"A-{po}", lines))
    assert r.status_code == 201, r.text


def _all(n: int) -> list[dict[str, Any]]:
    return [line(f"{p + 1:03d}", 5 + p % 3, {"SupplierSKU": f"S{p}"}) for p in range(n)]


def test_one_row_answers_as_a_row_per_touched_line(trade: Trade, db_url: str) -> None:
    s, b = trade.supplier, trade.buyer
    keys = {name: _order(trade, f"ONE-{name}", n) for name, n in [("fresh1", 1), ("fresh10", 10), ("fresh120", 120)]}
    for name, n, lines in [
        ("acked1", 1, _all(1)),
        ("acked10", 10, _all(10)),
        ("acked120", 120, _all(120)),
        # Some lines accepted in part (the rest backordered), some not acknowledged.
        (
            "partly",
            10,
            [line("002", 3, {"SupplierSKU": "S1"}), line("005", 2, {"SupplierSKU": "S4"}, QuantityBackordered=3)],
        ),
        ("cancelled", 3, [line("001", 0, {"SupplierSKU": "S0"}, QuantityCancelled=5), *_all(3)[1:]]),
    ]:
        keys[name] = _order(trade, f"ONE-{name}", n)
        _ack(trade, keys[name], f"ONE-{name}", lines)
    # Quantities past a thousand; lines whose body carries a figure's key apart from the others
    # (not one run: wire.fill answers); lines carrying all five in the run's order.
    keys["big"] = _order(trade, "ONE-BIG", 2, OrderLines=[line("001", 12000), line("002", 1000, SKU2)])
    _ack(trade, keys["big"], "ONE-BIG", [line("001", 12000), line("002", 999, SKU2, QuantityBackordered=1)])
    apart = [{**line(f"{p + 1:03d}", 5 + p, {"SupplierSKU": f"S{p}"}), "QuantityBackordered": 0} for p in range(2)]
    keys["apart"] = _order(trade, "ONE-APART", 2, OrderLines=apart)
    _ack(trade, keys["apart"], "ONE-APART", _all(2))
    figures = dict.fromkeys(
        ("QuantityAcknowledged", "QuantityBackordered", "QuantityCancelled", "QuantityShipped", "QuantityInvoiced"), 0
    )
    runs = [{**line(f"{p + 1:03d}", 5 + p % 3, {"SupplierSKU": f"S{p}"}), **figures} for p in range(2)]
    keys["runs"] = _order(trade, "ONE-RUNS", 2, OrderLines=runs)
    _ack(trade, keys["runs"], "ONE-RUNS", _all(2)[1:])
    keys["unicode"] = _order(trade, "ONE-UNI", 3, Note="Café — ünïcode ✓ 𝄞 ; , : {}")
    _ack(trade, keys["unicode"], "ONE-UNI", _all(3)[:2])
    keys["shipped"] = _order(trade, "ONE-SHIP", 4)
    _ack(trade, keys["shipped"], "ONE-SHIP", _all(4))
    ship = {"ShipmentNumber": "S-ONE", "ShipmentLines": [line("001", 2, {"SupplierSKU": "S0"})]}
    assert s.post(f"/Orders/{keys['shipped']}/Shipments", json=ship).status_code == 201
    invoice = {"InvoiceNumber": "I-ONE", "InvoiceLines": [line("001", 2, {"SupplierSKU": "S0"}, Price=31.02)]}
    assert s.post(f"/Invoice/{keys['shipped']}", json=invoice).status_code == 201
    keys["changed"] = _order(trade, "ONE-CHG", 3)
    change = {
        "ChangeNumber": "C-ONE",
        "ChangeLines": [
            {"LineNumber": "001", "Quantity": 4},
            {"LineNumber": "004", "Action": "Add", "Quantity": 2, "Price": 4.5, "ItemIdentifier": SKU1},
        ],
    }
    assert b.post(f"/Orders/{keys['changed']}/Changes", json=change).status_code == 201
    keys["changed_acked"] = _order(trade, "ONE-CHGA", 2)
    _ack(trade, keys["changed_acked"], "ONE-CHGA", _all(2)[:1])
    change = {"ChangeNumber": "C-ONE2", "ChangeLines": [{"LineNumber": "002", "Quantity": 9}]}
    assert b.post(f"/Orders/{keys['changed_acked']}/Changes", json=change).status_code == 201
    # No template (the body holds the marker's escape), one from other code, details laid over.
    keys["marker"] = _order(trade, "ONE-MARK", 2, Note="\u0001 and \\u0001")
    _ack(trade, keys["marker"], "ONE-MARK", _all(2)[:1])
    keys["stale"] = _order(trade, "ONE-STALE", 2)
    _ack(trade, keys["stale"], "ONE-STALE", _all(2))
    asyncio.run(_write(db_url, keys["stale"], wire="000000000000:2:{}"))
    keys["untemplated"] = _order(trade, "ONE-NONE", 2)
    asyncio.run(_write(db_url, keys["untemplated"], wire=None))
    keys["details"] = _order(trade, "ONE-DET", 2, OrderLines=[line("01", 5), line("02", 3, SKU2)])
    _ack(trade, keys["details"], "ONE-DET", [line("01", 5)])
    asyncio.run(_write(db_url, keys["details"], details=jsonio.dumps({"Note": "laid over"}).decode()))

    touched = set()
    for name, key in keys.items():
        for company_id in (s.id, b.id):
            new, old = asyncio.run(_both(db_url, key, company_id))
            assert new == old, (name, company_id)
            touched.add(len(new[1]))
    # The corpus reaches orders of no touched line, one, several and over a hundred.
    assert {0, 1, 10, 120} <= touched, touched
    # The touched-line fill itself answered the usual ones, and left the others to wire.fill.
    served = asyncio.run(_served(db_url, keys, s.id))
    assert {"acked1", "acked10", "acked120", "partly", "cancelled", "big", "runs", "unicode", "shipped"} <= served
    assert not served & {"apart", "changed", "marker", "stale", "untemplated", "details"}, served
    # Nothing found answers alike: another company's order, a key naming nothing, a malformed key.
    for key, company_id in [(keys["acked10"], 0), ("999999999", s.id), ("12x", s.id), ("", s.id)]:
        new, old = asyncio.run(_both(db_url, key, company_id))
        assert isinstance(new, str) and new == old
