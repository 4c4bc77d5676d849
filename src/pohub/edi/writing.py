"""Writing one interchange for a partner and queueing it: fresh control numbers, pohub's own
validator run over it before it leaves, and the outbound exchange on the partner's channel (a
transactional outbox row, with the groups it carries for the 997s to settle)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock
from pohub.core.errors import FieldError, Unprocessable
from pohub.documents import kinds
from pohub.documents.logicbroker import SalesOrder
from pohub.edi import guides, reconcile
from pohub.edi.mapping.common import MappingError
from pohub.edi.partners import service as partners
from pohub.edi.partners.service import Profile
from pohub.edi.reading import STANDARDS, Envelope, Numbers
from pohub.exchanges import outbound

# The outbound channel of each transport; "api" partners get their acknowledgements in the answer.
CHANNELS = {"api": "edi", "as2": "as2", "folder": "folder"}


async def interchange_for(
    conn: AsyncConnection, *, partner: Profile, kind: str, document: BaseModel, order: SalesOrder | None
) -> tuple[str, bytes, list[str]]:
    """The interchange carrying one document to a partner, with fresh control numbers, checked by
    pohub's validator; returns (set id, bytes, the groups it holds)."""
    standard = STANDARDS[partner.standard]
    isa_kind, group_kind, set_kind = standard.kinds
    numbers = Numbers(
        await partners.next_control(conn, partner=partner, kind=isa_kind),
        await partners.next_control(conn, partner=partner, kind=group_kind) if group_kind else 0,
        await partners.next_control(conn, partner=partner, kind=set_kind),
    )
    envelope = Envelope(
        sender=(partner.our_qualifier, partner.our_id),
        receiver=(partner.their_qualifier, partner.their_id),
        sender_group=partner.our_group_id,
        receiver_group=partner.their_group_id,
        version=partner.version,
        test=partner.test,
        date=clock.now(),
    )
    try:
        set_id, payload = standard.write(kind, document, order, envelope, numbers)
    except MappingError as exc:
        raise Unprocessable(
            f"The {kinds.label(kind).lower()} cannot be sent to EDI partner {partner.id}: {exc.message}",
            [FieldError(exc.field, exc.message)],
        ) from None
    errors = standard.check(payload, guides.load(partner.standard, partner.guide))
    if errors:
        raise Unprocessable(
            f"The {set_id} for EDI partner {partner.id} does not validate",
            [FieldError(f"{e['Segment']}{e['Element'] or ''}", e["Message"]) for e in errors[:20]],
        )
    return set_id, payload, standard.outbound_groups(payload)


async def queue_interchange(
    conn: AsyncConnection,
    *,
    partner: Profile,
    kind: str,
    set_id: str,
    payload: bytes,
    groups: list[str],
    order_id: int | None,
    document_id: int | None,
) -> None:
    """The interchange as an outbound exchange on the partner's channel, awaiting its 997."""
    row = outbound.outbound_row(
        channel=CHANNELS[partner.transport],
        operation=reconcile.SEND,
        company_id=partner.company_id,
        kind=kind,
        payload=payload,
        content_type=STANDARDS[partner.standard].content_type,
        at=clock.now(),
        endpoint_id=partner.id,
        order_id=order_id,
        document_id=document_id,
        partner_id=partner.counterparty_id,
    )
    row["params"] = reconcile.params_of(groups, set_id, STANDARDS[partner.standard].outbound_sets(payload))
    await outbound.queue(conn, [row])
