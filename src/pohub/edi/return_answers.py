"""Returns over EDI, the part that is not a canonical document: the supplier's 180 answer (BGN01 11)
applied to the return it names, and the answer pohub writes for an EDI buyer once a JSON supplier
authorised or rejected its return."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.core.errors import FieldError, NotFound
from pohub.documents import kinds
from pohub.documents import repository as documents_repo
from pohub.documents.logicbroker import SalesOrder
from pohub.edi.change_answers import order_of
from pohub.edi.mapping.x12_return import ReturnAnswer
from pohub.edi.partners import service as partners
from pohub.exchanges import inbound
from pohub.exchanges.inbound import Applied, Message
from pohub.returns import repository as returns_repo
from pohub.returns import service as returns

OPERATION = "edi.return_answer"
AUTHORISED_EVENT = kinds.RETURN.lifecycle[0][0]
REJECTED_EVENT = kinds.RETURN.lifecycle[1][0]


@inbound.handler(OPERATION)
async def apply_answer(conn: AsyncConnection, msg: Message) -> Applied:
    """An EDI supplier's answer: the return is found by its order's PO and its number (REF PO,
    BGN02), then authorised or rejected by pohub's return rules like a JSON answer."""
    assert msg.company_id is not None
    partner = await partners.profile(conn, partner_id=int(msg.params["partner_id"]))
    answer = ReturnAnswer.model_validate_json(msg.raw)
    order = await order_of(conn, partner, answer.partner_po)
    if order is None:
        raise NotFound(
            f"No order {answer.partner_po!r} from company {partner.buyer_id} to company {partner.supplier_id}",
            [FieldError("PartnerPO", "must be the PO number (REF PO) of an order of this trading relationship")],
        )
    found = [
        r
        for r in await documents_repo.documents_of_order(conn, order_id=order.id, kind=kinds.RETURN.name)
        if r.number == answer.return_number
    ]
    if not found:
        raise NotFound(
            f"Order {answer.partner_po} has no return {answer.return_number!r}",
            [FieldError("ReturnNumber", "must be the number (BGN02) of a return of the order")],
        )
    key = str(found[-1].id)
    if answer.authorised:
        raw = jsonio.dumps({"RMANumber": answer.rma_number, "Note": answer.reason})
        created = await returns.authorise(conn, company_id=msg.company_id, key=key, raw=raw)
    else:
        raw = jsonio.dumps({"Reason": answer.reason})
        created = await returns.reject(conn, company_id=msg.company_id, key=key, raw=raw)
    return Applied(
        document_id=created.key,
        order_id=created.order_id,
        partner_id=created.partner_id,
        kind=kinds.RETURN.name,
        result=created,
    )


async def answer_for(conn: AsyncConnection, *, doc_row: Any, order: SalesOrder, event: dict[str, Any]) -> ReturnAnswer:
    """The 180 an EDI buyer gets once its return was authorised or rejected."""
    details = (await returns_repo.details_of(conn, return_ids=[doc_row.id])).get(doc_row.id)
    authorised = event["type_id"] == AUTHORISED_EVENT
    return ReturnAnswer.model_validate(
        {
            "ReturnNumber": doc_row.number,
            "PartnerPO": order.partner_po,
            "DocumentDate": clock.now(),
            "Authorised": authorised,
            "RMANumber": details.rma_number if details is not None and authorised else None,
            "Reason": None if authorised or details is None else details.rejection_reason,
        }
    )
