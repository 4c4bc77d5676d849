"""Finding and locking the order a buyer's document names (a return, a change): the buyer-side
counterpart of documents.inbound.order_for_document, with the same party checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core.errors import FieldError, Forbidden, NotFound, invalid
from pohub.documents import repository as docs_repo
from pohub.documents.models import documents, kind_literal
from pohub.partners import repository as partners_repo

D = documents.c


@dataclass(frozen=True)
class OrderRef:
    """The order a buyer's document belongs to, locked, with its trading terms."""

    id: int
    status: int
    sender_company_id: int
    receiver_company_id: int
    partner_po: str | None
    invoice_required: bool = True


async def _orders_sent_by_po(
    conn: AsyncConnection, *, sender_id: int, partner_po: str, receiver_id: int | None
) -> list[int]:
    stmt = select(D.id).where(
        D.kind == kind_literal("order"), D.sender_company_id == sender_id, D.partner_po == partner_po
    )
    if receiver_id is not None:
        stmt = stmt.where(D.receiver_company_id == receiver_id)
    return [row.id for row in (await conn.execute(stmt.limit(2))).all()]


async def order_for_buyer(
    conn: AsyncConnection, *, company_id: int, path_key: str | None, doc: Any, kind: str
) -> OrderRef:
    """The order a buyer's document names (URL, Identifier.LinkKey or PartnerPO), locked; parties checked."""
    identifier = getattr(doc, "identifier", None)
    link_key = identifier.link_key if identifier is not None else None
    if path_key is not None and link_key and link_key.strip() != path_key.strip():
        raise invalid("Identifier.LinkKey", f"is {link_key!r} but the URL names order {path_key!r}")
    key = path_key if path_key is not None else link_key
    order_id: int | None
    if key:
        order_id = docs_repo.parse_key(key)
    elif doc.partner_po:
        found = await _orders_sent_by_po(
            conn, sender_id=company_id, partner_po=doc.partner_po, receiver_id=doc.receiver_company_id
        )
        if not found:
            raise NotFound(f"No order with PartnerPO {doc.partner_po!r} sent by you")
        if len(found) > 1:
            raise invalid("ReceiverCompanyId", "is required: PartnerPO matches orders to several suppliers")
        order_id = found[0]
    else:
        raise invalid("Identifier.LinkKey", f"or PartnerPO is required to link the {kind} to its order")
    order = None if order_id is None else await docs_repo.lock_order(conn, doc_id=order_id)
    if order is None or company_id not in (order.sender_company_id, order.receiver_company_id):
        raise NotFound(f"No order with LogicbrokerKey {key!r}")
    if order.sender_company_id != company_id:
        raise Forbidden(f"Only the order's buyer (company {order.sender_company_id}) sends {kind}s for it")
    if doc.sender_company_id is not None and doc.sender_company_id != company_id:
        raise Forbidden(
            f"SenderCompanyId {doc.sender_company_id} is not your company ({company_id})",
            [FieldError("SenderCompanyId", "must be the company of the API key")],
        )
    if doc.receiver_company_id is not None and doc.receiver_company_id != order.receiver_company_id:
        raise invalid("ReceiverCompanyId", f"must be the order's supplier ({order.receiver_company_id})")
    if doc.partner_po is not None and doc.partner_po != order.partner_po:
        raise invalid("PartnerPO", f"{doc.partner_po!r} does not match the order's PartnerPO {order.partner_po!r}")
    link = await partners_repo.partnership(conn, buyer_id=company_id, supplier_id=order.receiver_company_id)
    if link is None:
        raise Forbidden(f"Companies {company_id} and {order.receiver_company_id} are not connected")
    return OrderRef(
        order.id,
        order.status,
        order.sender_company_id,
        order.receiver_company_id,
        order.partner_po,
        bool(link.invoice_required),
    )


async def lock_for_party(conn: AsyncConnection, *, order_id: int) -> OrderRef:
    """An order locked by id (its party already checked), with its trading terms."""
    order = await docs_repo.lock_order(conn, doc_id=order_id)
    link = await partners_repo.partnership(
        conn, buyer_id=order.sender_company_id, supplier_id=order.receiver_company_id
    )
    return OrderRef(
        order.id,
        order.status,
        order.sender_company_id,
        order.receiver_company_id,
        order.partner_po,
        bool(link.invoice_required) if link is not None else True,
    )
