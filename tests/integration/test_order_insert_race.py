"""A PO whose PartnerPO another request stored between create_order's check and its insert: the
unique index refuses the insert, the buyer gets the duplicate-PO answer, and the caller's
transaction stays usable (a job's batch goes on with its other messages), on both databases.
SQLite runs a plain insert (it undoes only the failed statement), PostgreSQL an INSERT ... ON CONFLICT
DO NOTHING that returns no id (no savepoint)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from bench import documents as docs
from sqlalchemy import func, select

from pohub.core.errors import AlreadyReceived
from pohub.db.engine import Database
from pohub.documents import repository as repo
from pohub.documents.inbound import parse
from pohub.documents.logicbroker import SalesOrder
from pohub.documents.models import documents
from pohub.orders import service
from pohub.partners import service as partners


class _Undo(Exception):
    """Raised to roll the unit of work back."""


async def test_a_po_stored_meanwhile_is_refused_and_the_transaction_goes_on(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(db_url, pool_size=1)
    try:
        with pytest.raises(_Undo):
            async with db.write() as conn:
                tag = uuid.uuid4().hex[:8]
                buyer = await partners.add_company(conn, name=f"race-buyer-{tag}")
                supplier = await partners.add_company(conn, name=f"race-supplier-{tag}")
                await partners.connect(conn, buyer_id=buyer.id, supplier_id=supplier.id)
                raw = docs.order(1, prefix=f"R{tag}", buyer=buyer.id, supplier=supplier.id)
                first = await service.create_order(conn, company_id=buyer.id, inbound=parse(raw, SalesOrder))

                async def not_yet(_conn: Any, **_kw: Any) -> None:
                    return None  # the check ran before the other request's insert

                monkeypatch.setattr(service.repo, "order_by_po", not_yet)
                with pytest.raises(AlreadyReceived) as refused:
                    await service.create_order(conn, company_id=buyer.id, inbound=parse(raw, SalesOrder))
                assert refused.value.errors[0].field == "PartnerPO"
                monkeypatch.undo()

                # The transaction goes on: the first PO and its lines are there, once.
                count = select(func.count()).select_from(documents).where(documents.c.sender_company_id == buyer.id)
                assert (await conn.execute(count)).scalar_one() == 1
                assert len(await repo.order_lines_of(conn, order_id=first.key)) == len(docs.LINES)
                again = await service.create_order(
                    conn,
                    company_id=buyer.id,
                    inbound=parse(docs.order(2, prefix=f"R{tag}", buyer=buyer.id, supplier=supplier.id), SalesOrder),
                )
                assert again.key != first.key
                raise _Undo
    finally:
        await db.dispose()
