"""The PO aggregate: create, read, change status (derived from documents, or set by hand as the
authority table in orders/status.py allows). Every change writes its events in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock
from pohub.core.actor import current as person_acting
from pohub.core.errors import (
    AlreadyReceived,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PohubError,
    Unprocessable,
    invalid,
)
from pohub.documents import repository as repo
from pohub.documents.inbound import Inbound, LockedOrder, present, require
from pohub.documents.logicbroker import SalesOrder
from pohub.documents.types import line_key
from pohub.orders import events
from pohub.orders.events import Actor
from pohub.orders.status import (
    ORDER_STATUS_NAMES,
    TRANSITIONS,
    LineQuantities,
    OrderStatus,
    Party,
    Refusal,
    derive_status,
    judge_manual_move,
    manual_move,
    parse_status,
    status_of,
)
from pohub.partners import repository as partners_repo


@dataclass(frozen=True)
class Created:
    key: int
    status: int
    duplicate: bool = False
    order_id: int | None = None  # the order a supplier document applied to (an order: itself)
    partner_id: int | None = None  # the other party: the order's supplier, or a document's buyer

    def __init__(
        self,
        key: int,
        status: int,
        duplicate: bool = False,
        order_id: int | None = None,
        partner_id: int | None = None,
    ) -> None:
        # The generated __init__'s fields, in one write of the instance's dict: a frozen dataclass
        # sets each through object.__setattr__ (10.1 k instructions against 5.9 k, every document).
        # Still frozen: setting a field afterwards raises FrozenInstanceError.
        self.__dict__.update(key=key, status=status, duplicate=duplicate, order_id=order_id, partner_id=partner_id)


def _validate_order(order: SalesOrder) -> list[str]:
    """Refuse what an order may not be; returns its lines' keys (line_key of each LineNumber)."""
    require(order.partner_po, "PartnerPO")
    require(order.order_lines, "OrderLines", "must have at least one line")
    seen: dict[str, int] = {}
    for i, line in enumerate(order.order_lines):
        # The field's name is written only for a refusal (ten lines a PO). A string that is not
        # blank is present; anything else is asked of present() (a call a field, ten lines a PO).
        number = line.line_number
        if not (type(number) is str and number.strip()) and not present(number):
            raise invalid(f"OrderLines[{i}].LineNumber", "is required")
        sku = line.item_identifier.supplier_sku
        if not (type(sku) is str and sku.strip()) and not present(sku):
            raise invalid(f"OrderLines[{i}].ItemIdentifier.SupplierSKU", "is required")
        quantity = line.quantity  # each field read once: a model's attribute is ~0.4 k a read
        if quantity is None or quantity < 1:
            raise invalid(f"OrderLines[{i}].Quantity", "is required and must be at least 1")
        price = line.price
        if price is not None and price < 0:
            raise invalid(f"OrderLines[{i}].Price", "must not be negative")
        key = line_key(str(number))
        if key in seen:
            raise invalid(f"OrderLines[{i}].LineNumber", f"{line.line_number!r} repeats line {seen[key]}'s number")
        seen[key] = i
    return list(seen)


async def _receiver_for(conn: AsyncConnection, *, company_id: int, given: int | None) -> int:
    if given is not None:
        return given
    suppliers = [p for p in await partners_repo.partners_of(conn, company_id) if p.buyer_id == company_id]
    if len(suppliers) == 1:
        return int(suppliers[0].supplier_id)
    raise invalid("ReceiverCompanyId", "is required (the supplier's company id; see GET /api/v1/Partners)")


async def create_order(conn: AsyncConnection, *, company_id: int, inbound: Inbound[SalesOrder]) -> Created:
    """A buyer sends a PO to a connected supplier; it starts in 150 (or 100 when the body says so)."""
    order = inbound.doc
    keys = _validate_order(order)
    if order.sender_company_id is not None and order.sender_company_id != company_id:
        raise Forbidden(
            f"SenderCompanyId {order.sender_company_id} is not your company ({company_id})",
            [FieldError("SenderCompanyId", "must be the company of the API key")],
        )
    receiver = await _receiver_for(conn, company_id=company_id, given=order.receiver_company_id)
    partner_po = str(order.partner_po)  # present: checked by _validate_order
    # The partnership, then the PartnerPO check, in one statement (on PostgreSQL with the pair's
    # webhook subscriptions and EDI profiles, which its events look up: partners/pairs.py).
    link, existing = await repo.link_and_order_by_po(
        conn, sender_id=company_id, receiver_id=receiver, partner_po=partner_po
    )
    if link is None:
        raise Forbidden(
            f"Your company ({company_id}) is not connected to company {receiver} as its buyer",
            [FieldError("ReceiverCompanyId", "must be a supplier you are connected to (GET /api/v1/Partners)")],
        )
    if existing is not None:
        raise _duplicate_po(order.partner_po, existing.id)

    now = clock.now()
    values = order_row(inbound, sender_id=company_id, receiver_id=receiver, float_safe=inbound.float_safe, now=now)
    try:
        order_id = await repo.insert_order(conn, values)
    except IntegrityError:
        order_id = None  # SQLite's answer to the PartnerPO stored meanwhile (see repo.insert_order)
    if order_id is None:
        # Another request created the same PO between our check and our insert.
        raise _duplicate_po(order.partner_po, None)
    await repo.insert_line_tuples(conn, line_tuples(order_id, order, keys))
    row = _OrderRef(order_id, company_id, receiver, order.partner_po)
    await events.record(conn, [events.order_created(order=row, at=now, line_count=len(order.order_lines))])
    # The status order_row wrote (int(initial_status(order))), not worked out again.
    return Created(order_id, values["status"], order_id=order_id, partner_id=receiver)


class _OrderRef(NamedTuple):
    """What the order's event reads of it (a named tuple: a frozen dataclass's __init__ sets each
    field through object.__setattr__, once a PO)."""

    id: int
    sender_company_id: int
    receiver_company_id: int
    partner_po: str | None


def initial_status(order: SalesOrder) -> OrderStatus:
    """A received PO starts in 150, or 100 when its body says so."""
    return OrderStatus.SUBMITTED if order.status_code == OrderStatus.SUBMITTED else OrderStatus.READY_TO_ACKNOWLEDGE


def order_row(
    inbound: Inbound[SalesOrder], *, sender_id: int, receiver_id: int, float_safe: bool, now: datetime
) -> dict[str, Any]:
    """The documents row of a received PO (create_order's, and the warehouse bulk import's)."""
    order = inbound.doc
    identifier = order.identifier
    return {
        "kind": "order",
        "sender_company_id": sender_id,
        "receiver_company_id": receiver_id,
        "partner_po": order.partner_po,
        "number": order.order_number,
        "source_key": (identifier.source_key if identifier else None) or order.partner_po,
        "link_key": identifier.link_key if identifier else None,
        "status": int(initial_status(order)),
        "document_date": order.document_date or now,
        "created_at": now,
        "updated_at": now,
        "total": order.total_amount,
        "body_hash": inbound.body_hash,
        "raw": inbound.raw.decode(),
        "float_safe": float_safe,
    }


def _duplicate_po(partner_po: str | None, key: int | None) -> AlreadyReceived:
    where = f" (LogicbrokerKey {key})" if key is not None else ""
    return AlreadyReceived(
        f"PartnerPO {partner_po!r} was already sent to this supplier{where}",
        [FieldError("PartnerPO", "must be unique per buyer and supplier")],
        extra={"LogicbrokerKey": str(key)} if key is not None else {},
    )


async def get_order(conn: AsyncConnection, *, company_id: int, key: str) -> tuple[Any, list[Any]]:
    """An order the company sent or received, with its lines; 404 for anything else."""
    row = await repo.document_by_key(conn, key=key, company_id=company_id, kind="order")
    return row, await repo.order_lines_of(conn, order_id=row.id)


async def apply_status(
    conn: AsyncConnection, *, order: Any, new: OrderStatus, at: datetime, reason: str
) -> list[dict[str, Any]]:
    """Write a status change; returns the event rows to insert with the rest of the change."""
    old = status_of(order.status)
    if new == old:
        return []
    await repo.set_order_status(conn, order_id=order.id, status=int(new), at=at)
    return [events.status_changed(order=order, at=at, old=old, new=new, reason=reason)]


async def rederive(
    conn: AsyncConnection,
    *,
    order: LockedOrder,
    lines: Sequence[LineQuantities],
    acknowledged: bool,
    at: datetime,
    reason: str,
) -> tuple[OrderStatus, list[dict[str, Any]]]:
    """Recompute the order's status from its lines after a document changed them."""
    new = derive_status(
        status_of(order.status), lines, acknowledged=acknowledged, invoice_required=order.invoice_required
    )
    return new, await apply_status(conn, order=order, new=new, at=at, reason=reason)


def _parse_target(status: str | int) -> OrderStatus:
    target = parse_status(status)
    if target is None:
        valid = ", ".join(f"{int(s)} {n}" for s, n in ORDER_STATUS_NAMES.items())
        raise Unprocessable(
            f"Status {status!r} does not exist",
            [FieldError("Status", f"must be one of: {valid}")],
        )
    return target


REASON_MAX_CHARS = 500


def clean_reason(reason: str | None) -> str | None:
    """The reason given for a manual status change: trimmed, None when blank; at most 500
    characters of printable text (it goes on the order's timeline as given)."""
    if reason is None or not reason.strip():
        return None
    text = reason.strip()
    if len(text) > REASON_MAX_CHARS:
        raise invalid("reason", f"must be at most {REASON_MAX_CHARS} characters (got {len(text)})")
    if any(not ch.isprintable() for ch in text):
        raise invalid("reason", "must not contain control characters (line breaks, tabs, NUL)")
    return text


def party_of(order: Any, company_id: int) -> Party:
    """The company's side of the order (the caller is one of its two parties: checked before)."""
    return Party.BUYER if company_id == order.sender_company_id else Party.SUPPLIER


def _refusal_error(order: Any, refusal: Refusal) -> PohubError:
    error_class = Conflict if refusal.status_code == 409 else Forbidden
    return error_class(
        f"Order {order.id}: {refusal.message}",
        [FieldError(refusal.field, refusal.error)],
        extra={"AllowedStatuses": [int(s) for s in refusal.allowed]},
    )


async def _company_name(conn: AsyncConnection, company_id: int) -> str | None:
    company = await partners_repo.company_by_id(conn, company_id)
    return str(company.name) if company is not None else None


async def _set_by_hand(
    conn: AsyncConnection, *, order: Any, target: OrderStatus, actor: Actor, reason: str | None, at: datetime
) -> None:
    """Judge a manual move by the authority table (orders/status.py) and make it, or raise the
    refusal (403 the party may not, 409 nobody may)."""
    current = OrderStatus(order.status)
    lines = await repo.order_lines_of(conn, order_id=order.id)
    shipped = sum(int(line.qty_shipped) for line in lines)
    refusal = judge_manual_move(actor.party, current, target, units_shipped=shipped, reason=reason)
    if refusal is not None:
        raise _refusal_error(order, refusal)
    move = manual_move(actor.party, current, target)
    await repo.set_order_status(conn, order_id=order.id, status=int(target), at=at)
    event = events.status_set_by_hand(
        order=order,
        at=at,
        old=current,
        new=target,
        actor=actor,
        reason=reason,
        override=bool(move and move.needs_reason),
    )
    await events.record(conn, [event])  # the timeline, and the webhook outbox


def _no_order(key: str) -> NotFound:
    return NotFound(f"No order with LogicbrokerKey {key!r}")


async def set_status(
    conn: AsyncConnection,
    *,
    company_id: int,
    key: str,
    status: str | int,
    reason: str | None = None,
    user: str | None = None,
) -> OrderStatus:
    """Move an order to a status by hand, as the authority table lets the caller's party (the
    same status again changes nothing). `user` is the person who asked (by default the dashboard's,
    pohub.core.actor); None for API keys and machines."""
    target = _parse_target(status)
    reason = clean_reason(reason)
    user = user if user is not None else person_acting()
    order_id = repo.parse_key(key)
    order = None if order_id is None else await repo.lock_order(conn, doc_id=order_id)
    if order is None or company_id not in (order.sender_company_id, order.receiver_company_id):
        raise _no_order(key)
    if target == order.status:
        return target
    actor = Actor(party_of(order, company_id), company_id, await _company_name(conn, company_id), user)
    await _set_by_hand(conn, order=order, target=target, actor=actor, reason=reason, at=clock.now())
    return target


@dataclass
class BulkResult:
    updated: list[str]
    unchanged: list[dict[str, str]]
    refused: list[dict[str, Any]]


async def set_status_bulk(
    conn: AsyncConnection,
    *,
    company_id: int,
    keys: list[str],
    status: str | int,
    only_increase: bool,
    reason: str | None = None,
    user: str | None = None,
) -> BulkResult:
    """Set many orders' status; each key succeeds or is refused on its own, with the same answer
    the single-order route would give."""
    target = _parse_target(status)
    reason = clean_reason(reason)
    user = user if user is not None else person_acting()
    result = BulkResult([], [], [])
    now = clock.now()
    name = await _company_name(conn, company_id)
    for key in keys:
        order_id = repo.parse_key(str(key))
        order = None if order_id is None else await repo.lock_order(conn, doc_id=order_id)
        if order is None or company_id not in (order.sender_company_id, order.receiver_company_id):
            result.refused.append({"LogicbrokerKey": str(key), "Code": 404, "Error": _no_order(str(key)).message})
            continue
        current = OrderStatus(order.status)
        if current == target or (only_increase and current not in (target, *_below(target))):
            result.unchanged.append(
                {"LogicbrokerKey": str(key), "Reason": f"already at {int(current)} {current.label}"}
            )
            continue
        actor = Actor(party_of(order, company_id), company_id, name, user)
        try:
            # A refusal is raised before anything is written, so the other keys go on.
            await _set_by_hand(conn, order=order, target=target, actor=actor, reason=reason, at=now)
        except PohubError as exc:
            result.refused.append({"LogicbrokerKey": str(key), "Code": exc.status_code, "Error": exc.message})
            continue
        result.updated.append(str(key))
    return result


def _below(target: OrderStatus) -> tuple[OrderStatus, ...]:
    return tuple(s for s in TRANSITIONS if target in TRANSITIONS[s])


def line_rows(order_id: int, order: SalesOrder, keys: list[str] | None = None) -> list[dict[str, Any]]:
    """The order_lines rows of a new order: one per entry of its OrderLines, nothing answered yet
    (the bulk import's fast road writes the same rows). ``keys``: _validate_order's answer, the
    lines' keys in order (else worked out here)."""
    fields = repo.NEW_LINE_FIELDS
    return [dict(zip(fields, row, strict=True)) for row in line_tuples(order_id, order, keys)]


def line_tuples(order_id: int, order: SalesOrder, keys: list[str] | None = None) -> list[tuple[Any, ...]]:
    """line_rows' rows as tuples in repository.NEW_LINE_FIELDS' order: what create_order writes
    (repository.insert_line_tuples), with no dict a line to be read back by name."""
    if keys is None:
        keys = [line_key(str(line.line_number)) for line in order.order_lines]
    rows = []
    # A loop, so that each line's identifier is read once and a description slices only when given
    # ("" and None both write None), ten lines a PO.
    for i, (line, key) in enumerate(zip(order.order_lines, keys, strict=True)):
        identifier = line.item_identifier
        description = line.description
        rows.append(
            (
                order_id,
                i,
                str(line.line_number),
                key,
                identifier.supplier_sku,
                identifier.partner_sku,
                description[:500] or None if description else None,
                line.quantity_uom,
                line.price,
                line.quantity,
                0,
                0,
                0,
                0,
                0,
            )
        )
    return rows
