"""The road out for EDI: when a document of an order traded with an EDI partner is applied (by
JSON, the dashboard, a dialect or EDI itself), the interchange for the partner is written in the
same transaction, as an outbound exchange on the partner's channel (a transactional outbox row).

- an order from a JSON buyer to a supplier who trades by EDI: an 850 / ORDERS to the supplier;
- an acknowledgement, shipment or invoice for an order whose buyer trades by EDI: an 855 / ORDRSP,
  856 / DESADV or 810 / INVOIC to the buyer.

Each interchange is read back by pohub's own validator before it is queued. A document that cannot
be expressed in the partner's standard, or whose interchange does not validate, is refused (422,
naming the field): pohub never accepts what it could not pass on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.core.errors import Unprocessable
from pohub.documents import kinds
from pohub.documents import repository as documents_repo
from pohub.documents.logicbroker import SalesOrder
from pohub.edi import change_answers, edifact_side, reconcile, return_answers, x12_side  # noqa: F401  (they register their standards)
from pohub.edi.partners import service as partners
from pohub.edi.partners.service import Profile
from pohub.edi.reading import CHANGE_ANSWER, RETURN_ANSWER
from pohub.edi.writing import interchange_for, queue_interchange
from pohub.exchanges import outbound
from pohub.exchanges.models import exchange_attempts, exchanges
from pohub.orders import events

X = exchanges.c


@dataclass(frozen=True)
class Route:
    """Which event sends what to whom: the EDI side is the order's buyer or its supplier."""

    kind: str
    edi_side: str  # "buyer": the buyer trades by EDI; "supplier": the supplier does


ROUTES: dict[int, Route] = {
    kinds.ORDER.event_type: Route(kinds.ORDER.name, "supplier"),
    kinds.ACKNOWLEDGEMENT.event_type: Route(kinds.ACKNOWLEDGEMENT.name, "buyer"),
    kinds.SHIPMENT.event_type: Route(kinds.SHIPMENT.name, "buyer"),
    kinds.INVOICE.event_type: Route(kinds.INVOICE.name, "buyer"),
    kinds.CHANGE.event_type: Route(kinds.CHANGE.name, "supplier"),
    kinds.CHANGE.lifecycle[0][0]: Route(CHANGE_ANSWER, "buyer"),  # change answered: the 865 / ORDRSP
    kinds.RETURN.event_type: Route(kinds.RETURN.name, "supplier"),
    return_answers.AUTHORISED_EVENT: Route(RETURN_ANSWER, "buyer"),  # the supplier's 180 answer
    return_answers.REJECTED_EVENT: Route(RETURN_ANSWER, "buyer"),
}
# What is not a canonical document is built from the rows the kind's rules left.
Builder = Callable[..., Awaitable[BaseModel]]
BUILDERS: dict[str, Builder] = {CHANGE_ANSWER: change_answers.reply_for, RETURN_ANSWER: return_answers.answer_for}


async def _partner(conn: AsyncConnection, route: Route, event: dict[str, Any]) -> Profile | None:
    buyer, supplier = event["sender_id"], event["receiver_id"]
    edi, other = (buyer, supplier) if route.edi_side == "buyer" else (supplier, buyer)
    partner = await partners.profile_between(conn, edi_company_id=edi, counterparty_id=other)
    return partner if partner is not None and partner.role == route.edi_side else None


# The date field each EDI document must carry (DTM 137, BIG01, BSN03): when the JSON document has
# none, the moment pohub received it stands in.
DOCUMENT_DATES = {
    "acknowledgement": "AcknowledgementDate",
    "shipment": "ShipmentDate",
    "invoice": "InvoiceDate",
    "change": "DocumentDate",
    "return": "ReturnDate",
}


def _model(row: Any, kind: str, order: SalesOrder) -> BaseModel:
    spec = kinds.kind(kind)
    doc = jsonio.loads(row.raw)
    doc.setdefault("PartnerPO", order.partner_po)  # the EDI sets name the order they are about
    if kind in DOCUMENT_DATES and not doc.get(DOCUMENT_DATES[kind]):
        doc[DOCUMENT_DATES[kind]] = row.created_at.isoformat()
    if order.order_date is not None:
        doc.setdefault("OrderDate", order.order_date.isoformat())
    return spec.model.model_validate(doc)


async def _send(conn: AsyncConnection, event: dict[str, Any]) -> None:
    route = ROUTES.get(event["type_id"])
    if route is None:
        return
    partner = await _partner(conn, route, event)
    if partner is None:
        return
    order_row = await documents_repo.get_document(conn, doc_id=event["order_id"], company_id=event["sender_id"])
    doc_row = await documents_repo.get_document(conn, doc_id=event["document_id"], company_id=event["sender_id"])
    if order_row is None or doc_row is None:
        return
    order = SalesOrder.model_validate(jsonio.loads(order_row.raw))
    document: BaseModel
    if route.kind == kinds.ORDER.name:
        document = order
    elif route.kind in BUILDERS:
        document = await BUILDERS[route.kind](conn, doc_row=doc_row, order=order, event=event)
    else:
        document = _model(doc_row, route.kind, order)
    try:
        set_id, payload, groups = await interchange_for(
            conn, partner=partner, kind=route.kind, document=document, order=order
        )
    except Unprocessable as exc:
        exc.order_id = event["order_id"]
        raise
    await queue_interchange(
        conn,
        partner=partner,
        kind=route.kind,
        set_id=set_id,
        payload=payload,
        groups=groups,
        order_id=event["order_id"],
        document_id=event["document_id"],
    )


@events.listen
async def on_events(conn: AsyncConnection, rows: events.EventRows) -> None:
    """Every "document received" event of an order traded with an EDI partner sends its interchange."""
    for event in rows:
        await _send(conn, event)


async def hand_over(conn: AsyncConnection, *, company_id: int, limit: int) -> list[Any]:
    """The queued interchanges of the ``api`` transport for a company, oldest first, marked sent
    (with an attempt each) in the caller's transaction."""
    now = clock.now()
    stmt = (
        select(X.id, X.kind, X.content_type, X.raw, X.attempts)
        .where(X.direction == "out", X.channel == "edi", X.company_id == company_id, X.state == outbound.QUEUED)
        .order_by(X.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await conn.execute(stmt)).all())
    for r in rows:
        await conn.execute(
            update(exchanges)
            .where(X.id == r.id)
            .values(state=outbound.SENT, attempts=r.attempts + 1, status_code=200, updated_at=now)
        )
    if rows:
        note = "handed over by GET /edi"
        await conn.execute(
            insert(exchange_attempts),
            [
                {"exchange_id": r.id, "attempted_at": now, "duration_ms": 0, "status_code": 200, "response_body": note}
                for r in rows
            ],
        )
    return rows
