"""documents/repository.link_and_order_by_po (a PO create's partnership and PartnerPO check in one
statement, stop 27) against the two lookups it replaces (pairs.partnership, then order_by_po when
connected), over random companies, partnerships (either direction, or none), orders and PartnerPOs,
in a fresh unit of work (the one statement), after the unit read the pair (the two lookups) and on
both databases."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

from pohub.db.engine import Database
from pohub.documents import repository as repo
from pohub.partners import pairs
from pohub.partners import service as partners
from tests.support import order_row


def _seen(link: Any, existing: Any) -> tuple[Any, ...]:
    head = None if link is None else (link.id, link.buyer_id, link.supplier_id, bool(link.invoice_required))
    return head, None if existing is None else existing.id


async def test_one_statement_answers_what_the_two_lookups_did(db_url: str) -> None:
    rnd = random.Random(27)
    db = Database(db_url, pool_size=1)
    at = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    pos = ["A", "B", "C"]
    try:
        async with db.write() as conn:
            tag = uuid.uuid4().hex[:8]
            ids = [(await partners.add_company(conn, name=f"lp-{tag}-{i}")).id for i in range(4)]
            for buyer in ids:
                for supplier in ids:
                    if buyer != supplier and rnd.random() < 0.5:
                        await partners.connect(
                            conn, buyer_id=buyer, supplier_id=supplier, invoice_required=rnd.random() < 0.5
                        )
                    for po in pos:
                        if buyer != supplier and rnd.random() < 0.4:
                            await repo.insert_document(
                                conn, order_row(buyer, supplier, at, partner_po=po, source_key=po)
                            )
        cases = [(rnd.choice(ids), rnd.choice(ids), rnd.choice([*pos, "Z"])) for _ in range(60)]
        seen_kinds = set()
        for buyer, supplier, po in cases:
            async with db.write() as conn:
                link = await pairs.partnership(conn, buyer_id=buyer, supplier_id=supplier)
                old = (
                    await repo.order_by_po(conn, sender_id=buyer, receiver_id=supplier, partner_po=po) if link else None
                )
                expected = _seen(link, old)
                # After the unit read the pair: the lookups again, from its cache.
                again = await repo.link_and_order_by_po(conn, sender_id=buyer, receiver_id=supplier, partner_po=po)
                assert _seen(*again) == expected, (buyer, supplier, po)
            async with db.write() as conn:
                new = await repo.link_and_order_by_po(conn, sender_id=buyer, receiver_id=supplier, partner_po=po)
                assert _seen(*new) == expected, (buyer, supplier, po)
                # What it kept for the unit is the partnership pairs.partnership reads.
                kept = await pairs.partnership(conn, buyer_id=buyer, supplier_id=supplier)
                assert _seen(kept, None)[0] == expected[0]
            seen_kinds.add((expected[0] is not None, expected[1] is not None))
        assert seen_kinds == {(False, False), (True, False), (True, True)}
    finally:
        await db.dispose()
