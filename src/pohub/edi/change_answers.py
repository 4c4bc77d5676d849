"""Buyer changes over EDI, the parts that are not a canonical document: the supplier's answer (an
865 / ORDRSP to an ORDCHG) applied to the change it names, and the answer pohub writes for an EDI
buyer once a JSON supplier answered its change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.changes import repository as changes_repo
from pohub.changes import service as changes
from pohub.changes.render import render_change
from pohub.changes.status import ChangeStatus
from pohub.core import clock, jsonio
from pohub.core.errors import Conflict, FieldError, NotFound
from pohub.documents import kinds
from pohub.documents import repository as documents_repo
from pohub.documents.logicbroker import SalesOrder
from pohub.edi.mapping.x12_change import ChangeReply, reply_of
from pohub.edi.partners import service as partners
from pohub.edi.partners.service import Profile
from pohub.exchanges import inbound
from pohub.exchanges.inbound import Applied, Message

OPERATION = "edi.change_answer"


async def order_of(conn: AsyncConnection, partner: Profile, partner_po: str | None) -> Any:
    """The order of this trading relationship with that PO number, or None."""
    if not partner_po:
        return None
    ref = await documents_repo.order_by_po(
        conn, sender_id=partner.buyer_id, receiver_id=partner.supplier_id, partner_po=partner_po
    )
    return (
        None if ref is None else await documents_repo.get_document(conn, doc_id=ref.id, company_id=partner.company_id)
    )


def _accepts_all(reply: ChangeReply) -> bool:
    return all(ln.accept is not False for ln in reply.lines) and (reply.accept is not False)


@inbound.handler(OPERATION)
async def apply_answer(conn: AsyncConnection, msg: Message) -> Applied:
    """An EDI supplier's answer: the change is found by its order's PO and its number (BCA04 and
    BCA06, RFF ON and RFF AAN), then answered by pohub's change rules like a JSON answer."""
    assert msg.company_id is not None
    partner = await partners.profile(conn, partner_id=int(msg.params["partner_id"]))
    reply = ChangeReply.model_validate_json(msg.raw)
    order = await order_of(conn, partner, reply.partner_po)
    if order is None:
        raise NotFound(
            f"No order {reply.partner_po!r} from company {partner.buyer_id} to company {partner.supplier_id}",
            [FieldError("PartnerPO", "must be the PO number of an order of this trading relationship")],
        )
    found = [
        c
        for c in await documents_repo.documents_of_order(conn, order_id=order.id, kind=kinds.CHANGE.name)
        if c.number == reply.change_number
    ]
    if not found:
        raise NotFound(
            f"Order {reply.partner_po} has no change {reply.change_number!r}",
            [FieldError("ChangeNumber", "must be the number of a change of the order (BCH05 of its 860)")],
        )
    change = found[-1]
    if change.status != ChangeStatus.AWAITING_ANSWER:
        if change.status == ChangeStatus.APPLIED and _accepts_all(reply):
            # Applied at once before the order was acknowledged: an accepting answer confirms it.
            return Applied(
                document_id=change.id, order_id=order.id, partner_id=partner.buyer_id, kind="change", duplicate=True
            )
        status = ChangeStatus(change.status)
        raise Conflict(
            f"Change {change.number} is {int(status)} {status.label} already: this answer changes nothing",
            [FieldError("ChangeNumber", "names a change that no longer waits for an answer")],
        )
    created = await changes.answer(
        conn,
        company_id=msg.company_id,
        order_key=str(order.id),
        change_key=str(change.id),
        raw=jsonio.dumps(reply.answer()),
    )
    return Applied(
        document_id=created.key,
        order_id=created.order_id,
        partner_id=created.partner_id,
        kind="change",
        result=created,
    )


async def reply_for(
    conn: AsyncConnection, *, doc_row: Any, order: SalesOrder, event: dict[str, Any] | None = None
) -> ChangeReply:
    """The answer an EDI buyer gets once its change was answered: each line applied or rejected."""
    change_row = doc_row
    lines = await changes_repo.lines_of(conn, change_id=change_row.id)
    body = render_change(change_row, lines)
    change = jsonio.loads(change_row.raw)
    change.setdefault("PartnerPO", order.partner_po)
    return reply_of(change, body["Lines"], order_date=order.order_date, at=clock.now())
