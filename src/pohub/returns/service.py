"""Returns (RMAs): the rules. The buyer requests a return of shipped units; the supplier
authorises (an RMA number), rejects, receives (units and condition) and credits it. Every step
runs under the order's row lock, then the return's, checks the return's transitions table, and
writes its event in the same transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock
from pohub.core.errors import Conflict, FieldError, Forbidden, NotFound, PohubError, Unprocessable, invalid
from pohub.documents import kinds
from pohub.documents import repository as docs_repo
from pohub.documents.inbound import Inbound, duplicate_of, match_lines, parse, require
from pohub.documents.returns import CreditMemo, Return, ReturnAuthorisation, ReturnReceipt, ReturnRejection
from pohub.orders import events
from pohub.orders.buyer import OrderRef, order_for_buyer
from pohub.orders.service import Created
from pohub.returns import repository as repo
from pohub.returns.lines import NewReturnLine, ReturnLineChange, line_update, quantities_after
from pohub.returns.status import (
    BY_BUYER,
    NEEDS_DOCUMENT,
    TRANSITIONS,
    ReturnLineQuantities,
    ReturnStatus,
    derive_return_status,
    parse_return_status,
    units_counted,
)

KIND = kinds.RETURN
CREDIT = "credit"  # a credit memo: its own document, see docs/returns.md


async def request(
    conn: AsyncConnection, *, company_id: int, inbound: Inbound[Return], path_key: str | None = None
) -> Created:
    """The buyer asks to send shipped units back: no more than shipped, net of earlier returns."""
    ret = inbound.doc
    require(ret.return_number, "ReturnNumber")
    require(ret.return_lines, "ReturnLines", "must have at least one line")
    order = await order_for_buyer(conn, company_id=company_id, path_key=path_key, doc=ret, kind="return")
    try:
        dup, _earlier = await duplicate_of(
            conn,
            order_id=order.id,
            kind=KIND.name,
            sender_id=company_id,
            number=ret.return_number,
            body_hash=inbound.body_hash,
            number_field="ReturnNumber",
        )
        if dup is not None:
            status = await _status_of(conn, dup.key)
            return Created(dup.key, status, duplicate=True, order_id=order.id, partner_id=order.receiver_company_id)
        order_lines = await docs_repo.order_lines_of(conn, order_id=order.id)
        held: dict[int, int] = defaultdict(int)
        for status, line in await repo.order_returns(conn, order_id=order.id):
            q = ReturnLineQuantities(line.quantity, line.qty_received, line.qty_credited)
            held[line.order_line_id] += units_counted(ReturnStatus(status), q)
        rows: list[NewReturnLine] = []
        seen: dict[int, int] = {}
        for i, rl, line in match_lines(order_lines, ret.return_lines, "ReturnLines"):
            field = f"ReturnLines[{i}]"
            if line.id in seen:
                raise invalid(f"{field}.LineNumber", f"repeats ReturnLines[{seen[line.id]}]'s line {line.line_number}")
            seen[line.id] = i
            if rl.quantity is None or rl.quantity < 1:
                raise invalid(f"{field}.Quantity", "is required and must be at least 1")
            if not (rl.return_reason_code or "").strip():
                raise invalid(f"{field}.ReturnReasonCode", "is required (why the units come back)")
            room = line.qty_shipped - held[line.id]
            if rl.quantity > room:
                raise invalid(
                    f"{field}.Quantity",
                    f"Cannot return more than was shipped: line {line.line_number} shipped {line.qty_shipped}, "
                    f"already returned {held[line.id]}, this return {rl.quantity} (at most {max(room, 0)})",
                    message=f"Cannot return more than was shipped on line {line.line_number}",
                )
            rows.append(
                NewReturnLine(
                    order_line_id=line.id,
                    position=i,
                    quantity=rl.quantity,
                    reason_code=rl.return_reason_code.strip() if rl.return_reason_code else None,
                    reason=rl.return_reason,
                )
            )
        source_key = (ret.identifier.source_key if ret.identifier else None) or ret.return_number
        if source_key is not None and len(source_key) > 100:
            raise invalid("Identifier.SourceKey", "must be at most 100 characters")
        now = clock.now()
        return_id = await docs_repo.insert_document(
            conn,
            {
                "kind": KIND.name,
                "sender_company_id": company_id,
                "receiver_company_id": order.receiver_company_id,
                "order_id": order.id,
                "partner_po": order.partner_po,
                "number": ret.return_number,
                "source_key": source_key,
                "link_key": str(order.id),
                "status": int(ReturnStatus.REQUESTED),
                "document_date": ret.document_date or ret.return_date or now,
                "created_at": now,
                "updated_at": now,
                "total": None,
                "body_hash": inbound.body_hash,
                "raw": inbound.raw.decode(),
                "float_safe": inbound.float_safe,
            },
        )
        await repo.insert_lines(conn, return_id=return_id, lines=rows)
        await repo.insert_details(conn, return_id=return_id)
        units = sum(r.quantity for r in rows)
        await events.record(
            conn,
            [events.return_requested(order=order, at=now, return_id=return_id, number=ret.return_number, units=units)],
        )
        return Created(return_id, int(ReturnStatus.REQUESTED), order_id=order.id, partner_id=order.receiver_company_id)
    except PohubError as exc:
        exc.order_id = order.id
        raise


async def _status_of(conn: AsyncConnection, return_id: int) -> int:
    row = await repo.lock_return(conn, return_id=return_id)
    return int(row.status)


# --- the supplier's answers and the buyer's withdrawal -------------------------------------------


@dataclass
class Locked:
    """A return and its order, both locked for this unit of work."""

    order: OrderRef
    row: Any
    lines: list[Any]
    order_lines: list[Any]

    @property
    def status(self) -> ReturnStatus:
        return ReturnStatus(self.row.status)

    @property
    def number(self) -> str | None:
        return str(self.row.number) if self.row.number is not None else None


async def _lock(conn: AsyncConnection, *, company_id: int, key: str) -> Locked:
    return_id = docs_repo.parse_key(key)
    found = (
        None
        if return_id is None
        else await docs_repo.get_document(conn, doc_id=return_id, company_id=company_id, kind=KIND.name)
    )
    if found is None:
        raise NotFound(f"No return with LogicbrokerKey {key!r}")
    order = await docs_repo.lock_order(conn, doc_id=found.order_id)
    row = await repo.lock_return(conn, return_id=found.id)
    ref = OrderRef(order.id, order.status, order.sender_company_id, order.receiver_company_id, order.partner_po)
    lines = await repo.lines_of(conn, return_id=row.id)
    order_lines = await docs_repo.order_lines_of(conn, order_id=order.id)
    return Locked(ref, row, lines, order_lines)


def _check_party(locked: Locked, company_id: int, target: ReturnStatus) -> None:
    if target in BY_BUYER:
        if company_id != locked.row.sender_company_id:
            raise Forbidden(f"Only the return's buyer (company {locked.row.sender_company_id}) may cancel it")
    elif company_id != locked.row.receiver_company_id:
        raise Forbidden(
            f"Only the return's supplier (company {locked.row.receiver_company_id}) may set it to "
            f"{int(target)} {target.label}"
        )


def _check_move(locked: Locked, target: ReturnStatus) -> None:
    current = locked.status
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(f"{int(s)} {s.label}" for s in sorted(TRANSITIONS[current])) or "none: it is final"
        raise Conflict(
            f"Return {locked.row.id} is {int(current)} {current.label}: it cannot move to "
            f"{int(target)} {target.label} (allowed: {allowed})"
        )


async def _move(conn: AsyncConnection, locked: Locked, target: ReturnStatus, event: dict[str, Any]) -> Created:
    now = event["created_at"]
    if target != locked.status:
        await repo.set_status(conn, return_id=locked.row.id, status=int(target), at=now)
    await events.record(conn, [event])
    return Created(
        locked.row.id,
        int(target),
        order_id=locked.order.id,
        partner_id=locked.row.sender_company_id,
    )


def _parse(raw: bytes, model: Any) -> Any:
    return parse(raw, model).doc


def _rma_for(return_id: int) -> str:
    return f"RMA{return_id}"


async def authorise(conn: AsyncConnection, *, company_id: int, key: str, raw: bytes | None) -> Created:
    """The supplier agrees to take the units back, under its RMA number (or one the hub gives)."""
    body: ReturnAuthorisation = _parse(raw, ReturnAuthorisation) if raw else ReturnAuthorisation()
    locked = await _lock(conn, company_id=company_id, key=key)
    _check_party(locked, company_id, ReturnStatus.AUTHORISED)
    _check_move(locked, ReturnStatus.AUTHORISED)
    rma = (body.rma_number or "").strip() or _rma_for(locked.row.id)
    await repo.set_rma_number(conn, return_id=locked.row.id, rma_number=rma)
    event = events.return_authorised(
        order=locked.order, at=clock.now(), return_id=locked.row.id, number=locked.number, rma=rma
    )
    return await _move(conn, locked, ReturnStatus.AUTHORISED, event)


async def reject(conn: AsyncConnection, *, company_id: int, key: str, raw: bytes | None) -> Created:
    """The supplier refuses the return; the buyer sees why."""
    body: ReturnRejection = _parse(raw, ReturnRejection) if raw else ReturnRejection()
    locked = await _lock(conn, company_id=company_id, key=key)
    _check_party(locked, company_id, ReturnStatus.REJECTED)
    _check_move(locked, ReturnStatus.REJECTED)
    reason = (body.reason or "").strip() or "no reason given"
    await repo.set_rejection_reason(conn, return_id=locked.row.id, reason=reason)
    event = events.return_rejected(
        order=locked.order, at=clock.now(), return_id=locked.row.id, number=locked.number, reason=reason
    )
    return await _move(conn, locked, ReturnStatus.REJECTED, event)


async def cancel(conn: AsyncConnection, *, company_id: int, key: str, raw: bytes | None = None) -> Created:
    """The buyer withdraws the return before any unit arrived."""
    locked = await _lock(conn, company_id=company_id, key=key)
    _check_party(locked, company_id, ReturnStatus.CANCELLED)
    _check_move(locked, ReturnStatus.CANCELLED)
    event = events.return_cancelled(order=locked.order, at=clock.now(), return_id=locked.row.id, number=locked.number)
    return await _move(conn, locked, ReturnStatus.CANCELLED, event)


def _pair(locked: Locked, doc_lines: list[Any], field: str) -> list[tuple[int, Any, Any]]:
    """Each document line with the return line it names (by the order line's number or SKU)."""
    by_order_line = {rl.order_line_id: rl for rl in locked.lines}
    in_return = [ol for ol in locked.order_lines if ol.id in by_order_line]
    out = []
    seen: dict[int, int] = {}
    for i, dl, ol in match_lines(in_return, doc_lines, field):
        if ol.id in seen:
            raise invalid(f"{field}[{i}].LineNumber", f"repeats {field}[{seen[ol.id]}]'s line {ol.line_number}")
        seen[ol.id] = i
        if dl.quantity is None or dl.quantity < 1:
            raise invalid(f"{field}[{i}].Quantity", "is required and must be at least 1")
        out.append((i, dl, (ol, by_order_line[ol.id])))
    return out


async def _check_receipt_number(conn: AsyncConnection, locked: Locked, number: str, body_hash: str) -> None:
    """The receipt duplicate rule: a ReceiptNumber is applied once per return. The same receipt again
    (a retry) or another under the same number is a 409 naming ReceiptNumber; nothing is applied twice."""
    earlier = await repo.receipt(conn, return_id=locked.row.id, number=number)
    if earlier is None:
        return
    what = "the same receipt again" if earlier.body_hash == body_hash else "a different receipt under the same number"
    raise Conflict(
        f"ReceiptNumber {number!r} was received already for return {locked.row.id} ({what}); "
        "a receipt is applied once, send a new ReceiptNumber for more units",
        [FieldError("ReceiptNumber", "must be unique per return: this receipt was applied already")],
        extra={"LogicbrokerKey": str(locked.row.id), "Duplicate": True},
    )


async def receive(conn: AsyncConnection, *, company_id: int, key: str, raw: bytes | None) -> Created:
    """Units of the return reached the supplier: never more than were returned."""
    if not raw:
        raise Unprocessable("A receipt needs its lines", [FieldError("ReceiptLines", "is required")])
    inbound = parse(raw, ReturnReceipt)
    receipt = inbound.doc
    require(receipt.receipt_lines, "ReceiptLines", "must have at least one line")
    number = (receipt.receipt_number or "").strip() or None
    locked = await _lock(conn, company_id=company_id, key=key)
    _check_party(locked, company_id, ReturnStatus.RECEIVED)
    if number is not None:
        await _check_receipt_number(conn, locked, number, inbound.body_hash)
    _check_move(locked, ReturnStatus.RECEIVED)
    changes: dict[int, ReturnLineChange] = {}
    conditions: list[str] = []
    units = 0
    for i, dl, (ol, rl) in _pair(locked, receipt.receipt_lines, "ReceiptLines"):
        if rl.qty_received + dl.quantity > rl.quantity:
            room = rl.quantity - rl.qty_received
            raise invalid(
                f"ReceiptLines[{i}].Quantity",
                f"Cannot receive more than was returned: line {ol.line_number} returned {rl.quantity}, "
                f"already received {rl.qty_received}, this receipt {dl.quantity} (at most {room} more)",
                message=f"Cannot receive more than was returned on line {ol.line_number}",
            )
        condition = dl.condition.strip() if dl.condition else None
        if condition is not None:
            conditions.append(f"line {ol.line_number} {condition}")
        changes[rl.id] = line_update(rl, qty_received=rl.qty_received + dl.quantity, condition=condition)
        units += dl.quantity
    for change in changes.values():
        await repo.update_line(conn, change)
    if number is not None:
        await repo.insert_receipt(
            conn, return_id=locked.row.id, number=number, body_hash=inbound.body_hash, at=clock.now()
        )
    target = derive_return_status(locked.status, quantities_after(locked.lines, changes))
    event = events.return_received(
        order=locked.order,
        at=clock.now(),
        return_id=locked.row.id,
        number=locked.number,
        units=units,
        conditions=conditions,
    )
    return await _move(conn, locked, target, event)


async def credit(conn: AsyncConnection, *, company_id: int, key: str, raw: bytes | None) -> Created:
    """The supplier credits received units (a credit memo, its own document): never more than received.
    Re-sending the same CreditNumber with the same body answers the first credit's key."""
    if not raw:
        raise Unprocessable("A credit memo needs its lines", [FieldError("CreditLines", "is required")])
    inbound = parse(raw, CreditMemo)
    memo = inbound.doc
    require(memo.credit_number, "CreditNumber")
    require(memo.credit_lines, "CreditLines", "must have at least one line")
    locked = await _lock(conn, company_id=company_id, key=key)
    _check_party(locked, company_id, ReturnStatus.CREDITED)
    dup, _ = await duplicate_of(
        conn,
        order_id=locked.order.id,
        kind=CREDIT,
        sender_id=company_id,
        number=memo.credit_number,
        body_hash=inbound.body_hash,
        number_field="CreditNumber",
    )
    if dup is not None:
        return Created(
            dup.key,
            int(locked.status),
            duplicate=True,
            order_id=locked.order.id,
            partner_id=locked.row.sender_company_id,
        )
    if locked.status is not ReturnStatus.RECEIVED:
        _check_move(locked, ReturnStatus.CREDITED)
    changes: dict[int, ReturnLineChange] = {}
    total = Decimal(0)
    units = 0
    for i, dl, (ol, rl) in _pair(locked, memo.credit_lines, "CreditLines"):
        if rl.qty_credited + dl.quantity > rl.qty_received:
            room = rl.qty_received - rl.qty_credited
            raise invalid(
                f"CreditLines[{i}].Quantity",
                f"Cannot credit more than was received: line {ol.line_number} received {rl.qty_received}, "
                f"already credited {rl.qty_credited}, this credit {dl.quantity} (at most {room} more)",
                message=f"Cannot credit more than was received on line {ol.line_number}",
            )
        price = dl.price if dl.price is not None else ol.price
        if price is None:
            raise invalid(f"CreditLines[{i}].Price", f"is required: line {ol.line_number} has no price")
        if price < 0:
            raise invalid(f"CreditLines[{i}].Price", "must not be negative (a credit memo's amounts are positive)")
        amount = Decimal(price) * dl.quantity
        changes[rl.id] = line_update(
            rl,
            qty_credited=rl.qty_credited + dl.quantity,
            amount_credited=(rl.amount_credited or Decimal(0)) + amount,
        )
        total += amount
        units += dl.quantity
    now = clock.now()
    credit_id = await docs_repo.insert_document(
        conn,
        {
            "kind": CREDIT,
            "sender_company_id": company_id,
            "receiver_company_id": locked.row.sender_company_id,
            "order_id": locked.order.id,
            "partner_po": locked.order.partner_po,
            "number": memo.credit_number,
            "source_key": locked.number,
            "link_key": str(locked.row.id),
            "status": int(ReturnStatus.CREDITED),
            "document_date": memo.document_date or now,
            "created_at": now,
            "updated_at": now,
            "total": total,
            "body_hash": inbound.body_hash,
            "raw": inbound.raw.decode(),
            "float_safe": inbound.float_safe,
        },
    )
    for change in changes.values():
        await repo.update_line(conn, change)
    target = derive_return_status(locked.status, quantities_after(locked.lines, changes))
    event = events.return_credited(
        order=locked.order,
        at=now,
        return_id=locked.row.id,
        number=locked.number,
        credit=memo.credit_number or str(credit_id),
        units=units,
        total=f"{total:.2f}",
    )
    done = await _move(conn, locked, target, event)
    return Created(credit_id, done.status, order_id=done.order_id, partner_id=done.partner_id)


Action = Callable[..., Any]
ACTIONS: dict[str, Action] = {
    "authorise": authorise,
    "reject": reject,
    "receive": receive,
    "credit": credit,
    "cancel": cancel,
}
# A bare status change (PUT /Returns/{key}/Status/{status}) runs the step of that status.
BY_STATUS: dict[ReturnStatus, Action] = {
    ReturnStatus.AUTHORISED: authorise,
    ReturnStatus.REJECTED: reject,
    ReturnStatus.CANCELLED: cancel,
}


def parse_target(status: str | int) -> ReturnStatus:
    target = parse_return_status(status)
    if target is None:
        raise Unprocessable(
            f"No return status {status!r}",
            [FieldError("Status", "must be a return status code or name (100, 200, 500, 1000, 1100, 1300)")],
        )
    return target


async def set_status(conn: AsyncConnection, *, company_id: int, key: str, status: str | int) -> Created:
    """Move a return by status alone: authorise (the hub issues the RMA number), reject, cancel.
    Received and Credited carry figures, so they take their documents."""
    target = parse_target(status)
    if target in NEEDS_DOCUMENT:
        raise Conflict(
            f"{int(target)} {target.label} needs its figures: POST /api/v1/Returns/{key}/{NEEDS_DOCUMENT[target]}",
            [FieldError("Status", f"{target.label} is set by posting {NEEDS_DOCUMENT[target]}")],
        )
    if target is ReturnStatus.REQUESTED:
        raise Conflict(
            "A return is requested by posting it: POST /api/v1/Returns", [FieldError("Status", "no move back")]
        )
    created: Created = await BY_STATUS[target](conn, company_id=company_id, key=key, raw=None)
    return created
