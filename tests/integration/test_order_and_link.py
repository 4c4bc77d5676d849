"""A supplier document's order and partnership (stop 27): on SQLite one statement reads the order's
lock row with its partnership (documents/repository.lock_order_and_link) where the lock and
partners/pairs.partnership were two. The replaced code is kept here (``_old_order_for_document``:
the lock, then the partnership's own statement with its whole row) and both answer the same over
random orders, partnerships, keys and documents: the same LockedOrder, or the same refusal (type,
status, message, fields). Both databases: PostgreSQL keeps the old road, which this also checks."""

from __future__ import annotations

import random
import uuid
from types import SimpleNamespace
from typing import Any

from bench import documents as docs
from bench.write_cost import message
from sqlalchemy import delete

from pohub.core.errors import AlreadyReceived, Forbidden, NotFound, invalid
from pohub.db.engine import Database
from pohub.documents import inbound as doc_inbound
from pohub.documents import repository as repo
from pohub.documents.inbound import LockedOrder, check_parties, order_key
from pohub.exchanges import inbound
from pohub.partners import pairs
from pohub.partners import repository as partners_repo
from pohub.partners import service as partners
from pohub.partners.models import partnerships


async def _old_order_for_document(
    conn: Any, *, company_id: int, kind: str, path_key: str | None, doc: Any
) -> LockedOrder:
    """documents/inbound.order_for_document as it was before stop 27 (the reference)."""
    key = order_key(path_key, doc)
    if key:
        order_id = repo.parse_key(key)
        order = None if order_id is None else await repo.lock_order(conn, doc_id=order_id)
        if order is None or company_id not in (order.sender_company_id, order.receiver_company_id):
            raise NotFound(f"No order with LogicbrokerKey {key!r}")
    elif doc.partner_po:
        matches = await repo.find_orders_by_po(
            conn, partner_po=doc.partner_po, receiver_id=company_id, sender_id=doc.receiver_company_id
        )
        if not matches:
            raise NotFound(f"No order with PartnerPO {doc.partner_po!r} sent to you")
        if len(matches) > 1:
            raise invalid("Identifier.LinkKey", "is required: PartnerPO matches orders from several buyers")
        order = await repo.lock_order(conn, doc_id=matches[0].id)
    else:
        raise invalid("Identifier.LinkKey", "or PartnerPO is required to link the document to its order")
    check_parties(order, doc, company_id=company_id, kind=kind)
    link = await partners_repo.partnership(conn, buyer_id=order.sender_company_id, supplier_id=company_id)
    if link is None:
        raise Forbidden(f"Companies {order.sender_company_id} and {company_id} are not connected")
    return LockedOrder(
        order.id,
        order.status,
        order.sender_company_id,
        order.receiver_company_id,
        order.partner_po,
        bool(link.invoice_required),
    )


def _outcome(result: Any) -> Any:
    if isinstance(result, BaseException):
        return (
            type(result).__name__,
            str(result),
            getattr(result, "status", None),
            repr(getattr(result, "fields", None)),
        )
    return ("ok", tuple(result), tuple(type(v) for v in result))


async def _call(fn: Any, db: Database, **kwargs: Any) -> Any:
    async with db.write() as conn:
        try:
            return await fn(conn, **kwargs)
        except Exception as exc:  # every refusal, compared by _outcome
            return exc


async def test_order_and_its_partnership_as_the_old_code_read_them(db: Database) -> None:
    rng = random.Random(27)
    tag = uuid.uuid4().hex[:6]
    async with db.write() as conn:
        companies = [(await partners.add_company(conn, name=f"Link {tag} {i}")).id for i in range(4)]
    pairs_of = [(b, s) for b in companies for s in companies if b != s]
    for buyer, supplier in rng.sample(pairs_of, 8):  # connected while their orders are sent
        async with db.write() as conn:
            await partners.connect(conn, buyer_id=buyer, supplier_id=supplier, invoice_required=rng.random() < 0.5)
    orders: list[tuple[int, int, int, str]] = []
    connected = sorted(rng.sample(pairs_of, 8))
    async with db.write() as conn:
        for buyer, supplier in connected:
            await partners.connect(conn, buyer_id=buyer, supplier_id=supplier, invoice_required=rng.random() < 0.5)
    for n in range(14):
        buyer, supplier = rng.choice(connected)
        po = f"K{tag}-{n % 5}"  # some PartnerPOs sent by several buyers to one supplier
        raw = docs.order(n, prefix=f"K{tag}{n}", buyer=buyer, supplier=supplier).replace(
            f'"PartnerPO":"K{tag}{n}-{n:07d}"'.encode(), f'"PartnerPO":"{po}"'.encode()
        )
        try:
            applied = await inbound.receive(db, message("order", buyer, raw))
        except AlreadyReceived:  # that buyer sent this supplier that PartnerPO already
            continue
        assert applied.document_id is not None
        orders.append((applied.document_id, buyer, supplier, po))
    assert len(orders) >= 8
    ack = await inbound.receive(
        db, message("acknowledgement", orders[0][2], docs.acknowledgement(0, str(orders[0][0])))
    )
    not_an_order = ack.document_id
    assert not_an_order is not None

    checked = 0
    seen: set[str] = set()
    for round_ in range(3):
        if round_:  # some partnerships ended, others changed or begun, between rounds
            async with db.write() as conn:
                for buyer, supplier in rng.sample(connected, 3):  # pairs with orders
                    await conn.execute(
                        delete(partnerships).where(
                            partnerships.c.buyer_id == buyer, partnerships.c.supplier_id == supplier
                        )
                    )
                for buyer, supplier in rng.sample(pairs_of, 3):
                    await partners.connect(
                        conn, buyer_id=buyer, supplier_id=supplier, invoice_required=rng.random() < 0.5
                    )
        for _ in range(120):
            order_id, buyer, supplier, po = rng.choice(orders)
            company = rng.choice([supplier, supplier, supplier, buyer, rng.choice(companies)])
            key = rng.choice(
                [
                    str(order_id),
                    f" {order_id} ",
                    str(not_an_order),
                    "999999",
                    "x1",
                    "",
                    None,
                    str(rng.choice(orders)[0]),
                ]
            )
            path_key = key if rng.random() < 0.5 else None
            link_key = key if path_key is None or rng.random() < 0.3 else rng.choice([key, str(order_id)])
            doc = SimpleNamespace(
                identifier=SimpleNamespace(link_key=link_key) if rng.random() < 0.9 else None,
                partner_po=rng.choice([po, po, None, f"K{tag}-{rng.randrange(6)}"]),
                sender_company_id=rng.choice([None, company, rng.choice(companies)]),
                receiver_company_id=rng.choice([None, buyer, buyer, rng.choice(companies)]),
            )
            args = {"company_id": company, "kind": "shipment", "path_key": path_key, "doc": doc}
            new = await _call(doc_inbound.order_for_document, db, **args)
            old = await _call(_old_order_for_document, db, **args)
            assert _outcome(new) == _outcome(old), (args, doc)
            seen.add(type(new).__name__ if not isinstance(new, Forbidden) else str(new).split()[-1])
            checked += isinstance(new, LockedOrder)
    assert checked >= 30  # enough of them found their order and partnership
    assert {"LockedOrder", "NotFound", "connected", "Unprocessable"} <= seen, seen


async def test_the_joined_row_is_the_lock_and_the_partnership(db: Database) -> None:
    """The statement itself, on both databases (PostgreSQL's documents never take it): every order
    and every id that is not one, against lock_order and the partnership's own statement."""
    tag = uuid.uuid4().hex[:6]
    async with db.write() as conn:
        a, b, c = [(await partners.add_company(conn, name=f"Joined {tag} {i}")).id for i in range(3)]
        await partners.connect(conn, buyer_id=a, supplier_id=b, invoice_required=False)
        await partners.connect(conn, buyer_id=c, supplier_id=a)  # the other direction only for a, c
    ids = []
    for n, (buyer, supplier) in enumerate([(a, b), (a, b), (c, a)]):
        applied = await inbound.receive(
            db, message("order", buyer, docs.order(n, prefix=f"J{tag}", buyer=buyer, supplier=supplier))
        )
        assert applied.document_id is not None
        ids.append(applied.document_id)
    async with db.write() as conn:
        await partners.connect(conn, buyer_id=a, supplier_id=b, invoice_required=True)
        await conn.execute(delete(partnerships).where(partnerships.c.buyer_id == c, partnerships.c.supplier_id == a))
    async with db.write() as conn:
        for doc_id in [*ids, ids[0] + 1000, 0]:
            joined = await repo.lock_order_and_link(conn, doc_id=doc_id)
            order = await repo.lock_order(conn, doc_id=doc_id)
            if order is None:
                assert joined is None
                continue
            link = await partners_repo.partnership(
                conn, buyer_id=order.sender_company_id, supplier_id=order.receiver_company_id
            )
            assert tuple(joined)[:5] == tuple(order)
            assert joined.link_id == (None if link is None else link.id)
            assert joined.invoice_required == (None if link is None else link.invoice_required)
        assert (await pairs.partnership(conn, buyer_id=a, supplier_id=b)).invoice_required is True
