"""The road in for EDI: an interchange (from ``POST /edi``, AS2 or a drop folder) is one inbound
exchange. It is read and validated whole; its acknowledgement (997 / TA1 / CONTRL) is an outbound
exchange whose parent is the interchange; each accepted set is mapped to a canonical document and
applied through its kind's rules as a child exchange. An interchange in error is acknowledged with
its errors and changes nothing; a test one (ISA15 T, UNB test flag, or a test partner) is validated
and acknowledged but never applied; one received again (same sender, same control number within
the window) is a duplicate and is not applied twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock, jsonio
from pohub.core.errors import BadRequest, FieldError, NotFound, PohubError, Unprocessable
from pohub.db.engine import Database
from pohub.documents import kinds
from pohub.documents.logicbroker import SalesOrder
from pohub.edi import change_answers, edifact_side, guides, inventory, reconcile, return_answers, x12_side  # noqa: F401  (they register their standards)
from pohub.edi.mapping.common import MappingError
from pohub.edi.partners import service as partners
from pohub.edi.partners.service import Profile
from pohub.edi.reading import CHANGE_ANSWER, RETURN_ANSWER, STANDARDS, Found, Numbers, Reading, Standard, sniff
from pohub.edi.writing import CHANNELS
from pohub.exchanges import inbound, outbound
from pohub.exchanges import repository as exchanges_repo
from pohub.exchanges.documents import applied, apply_canonical
from pohub.exchanges.inbound import Applied, Message

INTERCHANGE = "edi.interchange"
DOCUMENT = "edi.document"
UNMAPPED = "edi.unmapped"
ACK = "edi.ack"
# The handler of each mapped set that is not a canonical document (the rest go to DOCUMENT).
OPERATIONS = {
    CHANGE_ANSWER: change_answers.OPERATION,
    RETURN_ANSWER: return_answers.OPERATION,
    kinds.INVENTORY.name: inventory.OPERATION,
}


@dataclass
class Summary:
    """What ``POST /edi`` (and the AS2 and folder receivers) answer and keep on the exchange."""

    body: dict[str, Any]
    accepted: bool


def standard_of(raw: bytes) -> Standard:
    name = sniff(raw)
    if name is None:
        raise BadRequest(
            "The body is not an interchange",
            [FieldError("body", "must begin with ISA (X12) or UNA/UNB (EDIFACT)")],
        )
    return STANDARDS[name]


def _ids(pair: tuple[str, str] | None) -> str:
    return "/".join(pair) if pair else "?"


async def partner_for(conn: AsyncConnection, *, company_id: int, reading: Reading) -> Profile:
    """The caller's profile this interchange is for: its sender is the partner's identity, its
    receiver pohub's on the partner's behalf."""
    assert reading.sender is not None and reading.receiver is not None
    for p in await partners.speaking_for(conn, company_id=company_id):
        same_sender = (p.their_qualifier, p.their_id) == reading.sender
        same_receiver = (p.our_qualifier, p.our_id) == reading.receiver
        if p.standard == reading.standard and same_sender and same_receiver:
            return p
    head = "ISA06" if reading.standard == "x12" else "UNB 0004"
    raise Unprocessable(
        f"No EDI partner profile of yours sends as {_ids(reading.sender)} to {_ids(reading.receiver)}",
        [FieldError(head, "must be the sender identity of one of your EDI partner profiles (GET /api/v1/EdiPartners)")],
    )


async def _numbers(conn: AsyncConnection, standard: Standard, partner: Profile, groups: int) -> Numbers:
    isa_kind, group_kind, set_kind = standard.kinds
    count = max(groups, 1)
    interchange = await partners.next_control(conn, partner=partner, kind=isa_kind)
    group = await partners.next_control(conn, partner=partner, kind=group_kind, count=count) if group_kind else 0
    first_set = await partners.next_control(conn, partner=partner, kind=set_kind, count=count)
    return Numbers(interchange, group, first_set)


async def _acknowledge(
    conn: AsyncConnection, msg: Message, standard: Standard, reading: Reading, partner: Profile
) -> dict[str, Any] | None:
    numbers = await _numbers(conn, standard, partner, standard.groups_to_acknowledge(reading))
    now = clock.now()
    ack = standard.acknowledge(reading, numbers, now)
    if ack is None:
        return None
    channel = CHANNELS[partner.transport]
    row = outbound.outbound_row(
        channel=channel,
        operation=ACK,
        company_id=msg.company_id,
        kind=ack.kind,
        payload=ack.payload,
        content_type=standard.content_type,
        at=now,
        endpoint_id=partner.id,
        parent_id=msg.exchange_id,
        partner_id=partner.counterparty_id,
    )
    if channel == "edi":  # handed over in the answer to POST /edi
        row |= {"state": outbound.SENT, "next_attempt_at": None}
    exchange_id = await outbound.queue_one(conn, row)
    return {"ExchangeId": exchange_id, "Kind": ack.kind, "Raw": ack.payload.decode("utf-8", "replace")}


async def _order_of(conn: AsyncConnection, partner: Profile, partner_po: str | None) -> Any:
    return await change_answers.order_of(conn, partner, partner_po)


def _canonical(model: BaseModel, kind: str, partner: Profile) -> bytes:
    doc = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    spec = kinds.KINDS.get(kind)
    if spec is not None and not spec.from_supplier:  # the buyer's documents name their supplier
        doc["ReceiverCompanyId"] = partner.supplier_id
    return jsonio.dumps(doc)


def _child(msg: Message, *, operation: str, kind: str, raw: bytes, params: dict[str, Any], json: bool) -> Message:
    return Message(
        channel=msg.channel,
        operation=operation,
        company_id=msg.company_id,
        raw=raw,
        kind=kind,
        params=params,
        content_type="application/json" if json else msg.content_type,
        parent_id=msg.exchange_id,
    )


def _note(found: Found, child: Message, result: Applied | None, error: PohubError | str | None) -> dict[str, Any]:
    note: dict[str, Any] = {"Set": found.set_id, "Control": found.control, "Kind": found.kind}
    note["ExchangeId"] = child.exchange_id
    if result is not None:
        note |= {
            "State": inbound.DUPLICATE if result.duplicate else inbound.APPLIED,
            "DocumentKey": result.document_id,
            "OrderKey": result.order_id,
        }
    elif isinstance(error, PohubError):
        note |= {"State": inbound.REFUSED, "Error": error.as_wire()}
    else:
        note |= {"State": inbound.FAILED, "TraceId": error}
    return note


async def _apply(
    conn: AsyncConnection, msg: Message, standard: Standard, partner: Profile, found: Found
) -> list[dict[str, Any]]:
    """Each business document of an accepted set, applied as a child exchange (a savepoint each:
    a refusal by the kind's rules undoes only that document)."""
    params = {"partner_id": partner.id, "set": found.set_id, "control": found.control}
    order_row = await _order_of(conn, partner, found.partner_po)
    order = SalesOrder.model_validate_json(order_row.raw) if order_row is not None else None
    try:
        models = standard.map(found, order)
    except MappingError as exc:
        child = _child(
            msg,
            operation=UNMAPPED,
            kind=found.kind,
            raw=found.text.encode(),
            params=params | {"field": exc.field, "error": exc.message},
            json=False,
        )
        result, error = await inbound.receive_in(conn, child)
        return [_note(found, child, result, error)]
    notes = []
    for model in models:
        child = _child(
            msg,
            operation=OPERATIONS.get(found.kind, DOCUMENT),
            kind=found.kind,
            raw=_canonical(model, found.kind, partner),
            params=params,
            json=True,
        )
        result, error = await inbound.receive_in(conn, child)
        notes.append(_note(found, child, result, error))
    return notes


def _head(reading: Reading, partner: Profile | None, test: bool) -> dict[str, Any]:
    return {
        "Standard": reading.standard,
        "Control": reading.control,
        "Sender": _ids(reading.sender),
        "Receiver": _ids(reading.receiver),
        "Test": test,
        "PartnerId": partner.id if partner else None,
    }


def _groups(reading: Reading) -> list[dict[str, Any]]:
    return [
        {"FunctionalId": g.functional_id, "Control": g.control, "Sets": g.sets, "Accepted": g.accepted}
        for g in reading.groups
    ]


async def receive_interchange(conn: AsyncConnection, msg: Message) -> Summary:
    """Read, acknowledge and apply one interchange in the caller's transaction."""
    assert msg.company_id is not None
    standard = standard_of(msg.raw)
    reading = standard.read(msg.raw)
    if not reading.readable:
        first = reading.errors[0]["Message"] if reading.errors else "unreadable"
        raise BadRequest(
            "The interchange cannot be read", [FieldError("ISA" if standard.name == "x12" else "UNB", first)]
        )
    partner = await partner_for(conn, company_id=msg.company_id, reading=reading)
    if partner.guide:  # read again with the partner's implementation guide: its findings go in the 997 too
        reading = standard.read(msg.raw, guides.load(partner.standard, partner.guide))
    test = reading.test or partner.test
    body: dict[str, Any] = {"Interchange": _head(reading, partner, test), "ExchangeId": msg.exchange_id}
    if reading.accepted and reading.control:
        first = await partners.first_receipt(
            conn, partner=partner, control=reading.control, exchange_id=msg.exchange_id
        )
        if first is not None:
            body |= {
                "State": inbound.DUPLICATE,
                "Accepted": True,
                "DuplicateOf": first,
                "Message": f"Interchange {reading.control} was received before (exchange {first}): not applied again",
            }
            return Summary(body, True)
    acknowledgement = await _acknowledge(conn, msg, standard, reading, partner)
    documents: list[dict[str, Any]] = []
    reconciled: list[dict[str, Any]] = []
    if reading.accepted:
        for found in reading.found:
            if found.kind == "functional_acknowledgement":
                reconciled += await reconcile.received(conn, standard=standard, partner=partner, found=found)
            elif not test:
                documents += await _apply(conn, msg, standard, partner, found)
    body |= {
        "State": inbound.APPLIED if reading.accepted else inbound.REFUSED,
        "Accepted": reading.accepted,
        "Applied": not test and reading.accepted,
        "Groups": _groups(reading),
        "Documents": documents,
        "Reconciled": reconciled,
        "Acknowledgement": acknowledgement,
        "Errors": reading.errors,
    }
    if test:
        body["Message"] = "A test interchange: validated and acknowledged, not applied to any order"
    elif not reading.accepted:
        body["Message"] = "The interchange has errors: acknowledged with them, nothing applied"
    return Summary(body, reading.accepted)


@inbound.handler(INTERCHANGE)
async def _interchange(conn: AsyncConnection, msg: Message) -> Applied:
    summary = await receive_interchange(conn, msg)
    duplicate = summary.body.get("State") == inbound.DUPLICATE
    status = 200 if summary.accepted else 422
    partner_id = None
    if summary.body["Interchange"].get("PartnerId"):
        partner = await partners.profile(conn, partner_id=summary.body["Interchange"]["PartnerId"])
        partner_id = partner.counterparty_id
    return Applied(kind="interchange", duplicate=duplicate, status_code=status, partner_id=partner_id, result=summary)


@inbound.handler(DOCUMENT)
async def _document(conn: AsyncConnection, msg: Message) -> Applied:
    """One canonical document mapped from an EDI set, applied by its kind's rules."""
    assert msg.company_id is not None
    spec = kinds.kind(msg.kind or "")
    partner = await partners.profile(conn, partner_id=int(msg.params["partner_id"]))
    path_key = None
    if spec.belongs_to_order:
        po = str(jsonio.loads(msg.raw).get("PartnerPO") or "")
        order = await _order_of(conn, partner, po)
        if order is None:
            raise NotFound(
                f"No order {po!r} from company {partner.buyer_id} to company {partner.supplier_id}",
                [FieldError("PartnerPO", "must be the PO number of an order of this trading relationship")],
            )
        path_key = str(order.id)
    created = await apply_canonical(conn, spec=spec, company_id=msg.company_id, raw=msg.raw, path_key=path_key)
    return applied(created, spec.name)


@inbound.handler(UNMAPPED)
async def _unmapped(_conn: AsyncConnection, msg: Message) -> Applied:
    """A set that validates but cannot be expressed as a canonical document: refused, naming why."""
    field = str(msg.params.get("field") or msg.params.get("set") or "set")
    raise Unprocessable(
        f"The {msg.params.get('set')} cannot be mapped: {msg.params.get('error')}",
        [FieldError(field, str(msg.params.get("error")))],
    )


async def mark_rejected(conn: AsyncConnection, *, exchange_id: int, summary: Summary) -> None:
    """An interchange in error is refused (its 997 went out with the errors); the state says so."""
    errors = [
        {"Field": f"{e['Segment'] or e['Level']}{e['Element'] or ''}", "Error": e["Message"]}
        for e in summary.body["Errors"]
    ]
    error = {"Code": 422, "Message": "The interchange has errors", "Errors": errors[:50]}
    await exchanges_repo.update_exchange(
        conn,
        exchange_id=exchange_id,
        values={"state": inbound.REFUSED, "status_code": 422, "error": jsonio.dumps(error).decode()},
    )


async def take(
    db: Database, *, channel: str, company_id: int, raw: bytes, content_type: str | None
) -> tuple[Summary, int | None]:
    """Hand one interchange to the exchanges pipeline (one unit of work) and mark it refused when it
    had errors; returns the summary and the interchange's exchange id."""
    msg = Message(
        channel=channel,
        operation=INTERCHANGE,
        company_id=company_id,
        raw=raw,
        kind="interchange",
        content_type=content_type,
    )
    done = await inbound.receive(db, msg)
    summary: Summary = done.result
    if not summary.accepted and msg.exchange_id is not None:
        async with db.write() as conn:
            await mark_rejected(conn, exchange_id=msg.exchange_id, summary=summary)
    return summary, msg.exchange_id
