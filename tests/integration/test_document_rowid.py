"""documents/repository.insert_document on SQLite takes the new row's id from the connection
(lastrowid) instead of ``RETURNING id`` (stop 27): the id it answers must be its own row's, with the
order_counts triggers inserting rows of their own in the same statement, other tables' rows written
in between, and after an INSERT that failed (a PartnerPO sent twice). On PostgreSQL it still
returns the id; the same test runs on both databases."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pohub.db.engine import Database
from pohub.documents import repository as repo
from pohub.documents.models import documents, order_counts
from pohub.partners import service as partners


def _row(kind: str, sender: int, receiver: int, n: int, order_id: int | None = None) -> dict[str, Any]:
    at = datetime(2026, 12, 4, 19, 0, n % 60, tzinfo=UTC)
    row: dict[str, Any] = {
        "kind": kind,
        "sender_company_id": sender,
        "receiver_company_id": receiver,
        "partner_po": f"RID-{n}",
        "number": f"N-{n}",
        "source_key": None,
        "link_key": None,
        "status": 150 if kind == "order" else 0,
        "document_date": at,
        "created_at": at,
        "updated_at": at,
        "total": None,
        "body_hash": f"{n:064d}",
        "raw": '{"PartnerPO": "x"}',
        "float_safe": True,
    }
    if order_id is not None:
        row["order_id"] = order_id
    return row


async def test_insert_document_answers_its_own_rows_id(db_url: str) -> None:
    rng = random.Random(27)
    db = Database(db_url, pool_size=1)
    try:
        async with db.write() as conn:
            tag = uuid.uuid4().hex[:8]
            a = (await partners.add_company(conn, name=f"rowid-a-{tag}")).id
            b = (await partners.add_company(conn, name=f"rowid-b-{tag}")).id
            orders: list[int] = []
            answered: dict[int, dict[str, Any]] = {}
            for n in range(60):
                choice = rng.random()
                if not orders or choice < 0.4:
                    row = _row("order", *rng.choice([(a, b), (b, a)]), n)
                elif choice < 0.8:
                    row = _row(rng.choice(["acknowledgement", "shipment", "invoice"]), b, a, n, rng.choice(orders))
                else:  # a row of another table between two documents
                    await partners.add_company(conn, name=f"rowid-{tag}-{n}")
                    continue
                doc_id = await repo.insert_document(conn, row)
                assert doc_id not in answered
                answered[doc_id] = row
                if row["kind"] == "order":
                    orders.append(doc_id)
                if rng.random() < 0.2:  # the same PartnerPO again: refused, and the next id still right
                    again = _row("order", a, b, n) | {"partner_po": answered[orders[-1]]["partner_po"]}
                    again |= {
                        "sender_company_id": answered[orders[-1]]["sender_company_id"],
                        "receiver_company_id": answered[orders[-1]]["receiver_company_id"],
                    }
                    with pytest.raises(IntegrityError):
                        async with conn.begin_nested():
                            await repo.insert_document(conn, again)
            stored = (
                await conn.execute(
                    select(documents.c.id, documents.c.kind, documents.c.number).where(
                        documents.c.id.in_(list(answered))
                    )
                )
            ).all()
            assert {r.id: (r.kind, r.number) for r in stored} == {
                i: (row["kind"], row["number"]) for i, row in answered.items()
            }
            counted = (await conn.execute(select(order_counts).where(order_counts.c.company_id.in_([a, b])))).all()
            assert sum(r.n for r in counted) == 2 * len(orders)  # the trigger ran for every order
    finally:
        await db.dispose()
