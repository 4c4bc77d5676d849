"""The duplicate-PartnerPO answer, word for word and the same on both databases, whether the check
before the insert finds the PO (the answer names it) or the insert does, because another request
stored it in between (SQLite: the unique index's IntegrityError; PostgreSQL: ON CONFLICT DO NOTHING
returns no id). Either way the caller's transaction goes on."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from bench import documents as docs
from sqlalchemy import func, select

from pohub.core.errors import AlreadyReceived
from pohub.db.engine import Database
from pohub.documents.inbound import parse
from pohub.documents.logicbroker import SalesOrder
from pohub.documents.models import documents
from pohub.orders import service
from pohub.partners import service as partners


class _Undo(Exception):
    """Raised to roll the unit of work back."""


def _answer(exc: AlreadyReceived) -> tuple[Any, ...]:
    return exc.status_code, exc.message, [(e.field, e.error) for e in exc.errors], exc.extra


async def test_the_duplicate_partner_po_answer_is_unchanged(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(db_url, pool_size=1)
    try:
        with pytest.raises(_Undo):
            async with db.write() as conn:
                tag = uuid.uuid4().hex[:8]
                buyer = await partners.add_company(conn, name=f"dup-buyer-{tag}")
                supplier = await partners.add_company(conn, name=f"dup-supplier-{tag}")
                await partners.connect(conn, buyer_id=buyer.id, supplier_id=supplier.id)
                raw = docs.order(1, prefix=f"D{tag}", buyer=buyer.id, supplier=supplier.id)
                po = f"D{tag}-0000001"
                first = await service.create_order(conn, company_id=buyer.id, inbound=parse(raw, SalesOrder))

                with pytest.raises(AlreadyReceived) as found:
                    await service.create_order(conn, company_id=buyer.id, inbound=parse(raw, SalesOrder))
                assert _answer(found.value) == (
                    409,
                    f"PartnerPO {po!r} was already sent to this supplier (LogicbrokerKey {first.key})",
                    [("PartnerPO", "must be unique per buyer and supplier")],
                    {"LogicbrokerKey": str(first.key)},
                )

                async def not_yet(_conn: Any, **_kw: Any) -> None:
                    return None  # the check ran before the other request's insert

                monkeypatch.setattr(service.repo, "order_by_po", not_yet)
                with pytest.raises(AlreadyReceived) as raced:
                    await service.create_order(conn, company_id=buyer.id, inbound=parse(raw, SalesOrder))
                monkeypatch.undo()
                assert _answer(raced.value) == (
                    409,
                    f"PartnerPO {po!r} was already sent to this supplier",
                    [("PartnerPO", "must be unique per buyer and supplier")],
                    {},
                )
                # The transaction goes on, with the first PO once.
                count = select(func.count()).select_from(documents).where(documents.c.sender_company_id == buyer.id)
                assert (await conn.execute(count)).scalar_one() == 1
                raise _Undo
    finally:
        await db.dispose()
