"""Buyer changes to an open PO: change a line's quantity, price or requested ship date, add a line,
cancel a line or the whole PO. Before the supplier acknowledged, a change applies at once; after,
it waits for the supplier's answer, line by line. Units already shipped are never cancelled or
reduced, whenever the change would apply. Every step runs under the order's row lock, re-derives
the order's status from its lines and writes its events in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.changes import repository as repo
from pohub.changes.lines import ChangeLineOutcome, NewChangeLine, NewOrderLine, edit_of
from pohub.changes.status import APPLIED, PENDING, REJECTED, ChangeStatus, needs_answer, status_of
from pohub.core import clock
from pohub.core.errors import Conflict, FieldError, Forbidden, NotFound, PohubError, Unprocessable, invalid
from pohub.documents import kinds
from pohub.documents import repository as docs_repo
from pohub.documents.changes import AnswerLine, ChangeAnswer, ChangeLine, OrderChange
from pohub.documents.inbound import Inbound, LockedOrder, duplicate_of, match_lines, parse, require
from pohub.documents.types import line_key
from pohub.orders import events
from pohub.orders.apply import ensure_open
from pohub.orders.buyer import OrderRef, lock_for_party, order_for_buyer
from pohub.orders.service import Created, apply_status, rederive
from pohub.orders.status import LineQuantities, OrderStatus, can_move

KIND = kinds.CHANGE
CANCEL_ORDER = "cancel_order"


@dataclass
class Step:
    """One thing a change asks, checked against the order's lines."""

    position: int
    action: str  # change, add, cancel, cancel_order
    line_number: str
    field: str  # where in the body, for refusals
    order_line: Any = None
    quantity: int | None = None
    price: Decimal | None = None
    requested_ship_date: datetime | None = None
    sku: str | None = None
    partner_sku: str | None = None
    description: str | None = None
    uom: str | None = None


def _shipped_refusal(field: str, line: Any, what: str) -> Unprocessable:
    return invalid(
        field,
        f"Cannot {what}: {line.qty_shipped} unit(s) of it shipped already "
        f"(ordered {line.quantity}); shipped units are never cancelled or reduced",
        message=f"Cannot {what}: {line.qty_shipped} shipped",
    )


def check_step(step: Step) -> None:
    """The rule every step keeps against the order's lines as they are now (at request and at answer)."""
    line = step.order_line
    if step.action == "change":
        if step.quantity is not None and step.quantity < line.qty_shipped:
            raise _shipped_refusal(f"{step.field}.Quantity", line, f"reduce line {line.line_number} to {step.quantity}")
    elif step.action == "cancel" and line.qty_shipped > 0:
        raise _shipped_refusal(f"{step.field}.Action", line, f"cancel line {line.line_number}")


def _plan(change: OrderChange, lines: list[Any]) -> list[Step]:
    if change.cancel_order:
        if change.change_lines:
            raise invalid("ChangeLines", "must be empty when CancelOrder is true (the whole PO is cancelled)")
        shipped = [ln for ln in lines if ln.qty_shipped > 0]
        if shipped:
            detail = ", ".join(f"line {ln.line_number}: {ln.qty_shipped} shipped" for ln in shipped)
            raise invalid(
                "CancelOrder",
                f"Cannot cancel the order: units shipped already ({detail}); cancel the other lines instead",
                message="Cannot cancel an order with shipped units",
            )
        return [Step(0, CANCEL_ORDER, "*", "CancelOrder")]
    require(change.change_lines, "ChangeLines", "must have at least one line (or CancelOrder: true)")
    steps: list[Step] = []
    existing = [(i, cl) for i, cl in enumerate(change.change_lines) if cl.action != "Add"]
    seen: dict[int, int] = {}
    for i, cl, line in match_lines(lines, [cl for _, cl in existing], "ChangeLines"):
        pos = existing[i][0]
        field = f"ChangeLines[{pos}]"
        if line.id in seen:
            raise invalid(f"{field}.LineNumber", f"repeats ChangeLines[{seen[line.id]}]'s line {line.line_number}")
        seen[line.id] = pos
        if line.qty_cancelled >= line.quantity:
            raise invalid(f"{field}.LineNumber", f"line {line.line_number} is cancelled already")
        steps.append(_existing_step(pos, field, cl, line))
    known = {ln.line_key for ln in lines}
    for pos, cl in enumerate(change.change_lines):
        if cl.action == "Add":
            steps.append(_added_step(pos, cl, known))
    steps.sort(key=lambda s: s.position)
    for step in steps:
        if step.order_line is not None:
            check_step(step)
    return steps


def _existing_step(pos: int, field: str, cl: ChangeLine, line: Any) -> Step:
    if cl.action == "Cancel":
        return Step(pos, "cancel", line.line_number, field, line)
    if cl.quantity is None and cl.price is None and cl.requested_ship_date is None:
        raise invalid(f"{field}", "changes nothing: give Quantity, Price or RequestedShipDate (or Action Cancel)")
    if cl.quantity is not None and cl.quantity < 1:
        raise invalid(f"{field}.Quantity", "must be at least 1 (to cancel the line, send Action Cancel)")
    if cl.price is not None and cl.price < 0:
        raise invalid(f"{field}.Price", "must not be negative")
    return Step(
        pos,
        "change",
        line.line_number,
        field,
        line,
        quantity=cl.quantity,
        price=cl.price,
        requested_ship_date=cl.requested_ship_date,
    )


def _added_step(pos: int, cl: ChangeLine, known: set[str]) -> Step:
    field = f"ChangeLines[{pos}]"
    if cl.line_number is None:
        raise invalid(f"{field}.LineNumber", "is required for an added line")
    if len(str(cl.line_number)) > 50:
        raise invalid(f"{field}.LineNumber", "must be at most 50 characters")
    key = line_key(str(cl.line_number))
    if key in known:
        raise invalid(
            f"{field}.LineNumber", f"the order has a line {cl.line_number!r} already (Action Add adds a new one)"
        )
    known.add(key)
    sku = cl.item_identifier.supplier_sku if cl.item_identifier is not None else None
    partner_sku = cl.item_identifier.partner_sku if cl.item_identifier is not None else None
    if not sku and not partner_sku:
        raise invalid(f"{field}.ItemIdentifier.SupplierSKU", "is required for an added line (or PartnerSKU)")
    for name, value in (("SupplierSKU", sku), ("PartnerSKU", partner_sku)):
        if value is not None and len(value) > 100:
            raise invalid(f"{field}.ItemIdentifier.{name}", "must be at most 100 characters")
    if cl.quantity is None or cl.quantity < 1:
        raise invalid(f"{field}.Quantity", "is required and must be at least 1")
    if cl.price is not None and cl.price < 0:
        raise invalid(f"{field}.Price", "must not be negative")
    return Step(
        pos,
        "add",
        str(cl.line_number),
        field,
        quantity=cl.quantity,
        price=cl.price,
        requested_ship_date=cl.requested_ship_date,
        sku=sku,
        partner_sku=partner_sku,
        description=cl.description,
        uom=cl.quantity_uom,
    )


def _locked(order: OrderRef) -> LockedOrder:
    return LockedOrder(
        order.id,
        order.status,
        order.sender_company_id,
        order.receiver_company_id,
        order.partner_po,
        order.invoice_required,
    )


def _money(value: Decimal | None) -> str:
    if value is None:
        return "none"
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def describe(step: Step) -> str:
    if step.action == CANCEL_ORDER:
        return "cancel the order"
    if step.action == "cancel":
        return f"cancel line {step.line_number}"
    if step.action == "add":
        return f"add line {step.line_number} ({step.quantity} x {step.sku or step.partner_sku})"
    parts = []
    line = step.order_line
    if step.quantity is not None:
        parts.append(f"quantity {line.quantity} -> {step.quantity}")
    if step.price is not None:
        parts.append(f"price {_money(line.price)} -> {_money(step.price)}")
    if step.requested_ship_date is not None:
        parts.append(f"requested ship date {step.requested_ship_date.date().isoformat()}")
    return f"line {step.line_number} " + ", ".join(parts)


async def _apply(conn: AsyncConnection, *, order: OrderRef, step: Step) -> int | None:
    """Write one step to the order's lines; returns the line it touched (or added)."""
    if step.action == CANCEL_ORDER:
        for line in await docs_repo.order_lines_of(conn, order_id=order.id):
            edit = edit_of(line, at=clock.now(), qty_cancelled=line.quantity, qty_accepted=0, qty_backordered=0)
            await repo.update_order_line(conn, edit)
        return None
    if step.action == "add":
        assert step.quantity is not None  # _added_step requires it
        return await repo.add_order_line(
            conn,
            NewOrderLine(
                order_id=order.id,
                line_number=step.line_number,
                line_key=line_key(step.line_number),
                supplier_sku=step.sku,
                partner_sku=step.partner_sku,
                description=step.description,
                uom=step.uom,
                price=step.price,
                quantity=step.quantity,
                requested_ship_date=step.requested_ship_date,
                changed_at=clock.now(),
            ),
        )
    line = step.order_line
    if step.action == "cancel":
        edit = edit_of(line, at=clock.now(), qty_cancelled=line.quantity, qty_accepted=0, qty_backordered=0)
    else:
        accepted = None
        if step.quantity is not None and line.qty_accepted > 0:
            # The supplier accepted the line before; accepting the change accepts its new quantity.
            accepted = max(step.quantity - line.qty_cancelled - line.qty_backordered, 0)
        edit = edit_of(
            line,
            at=clock.now(),
            quantity=step.quantity,
            price=step.price,
            requested_ship_date=step.requested_ship_date,
            qty_accepted=accepted,
        )
    await repo.update_order_line(conn, edit)
    return int(line.id)


async def _settle(conn: AsyncConnection, *, order: OrderRef, cancels_order: bool, reason: str, at: datetime) -> int:
    """Re-derive the order's status from its lines as the change left them."""
    lines = await docs_repo.order_lines_of(conn, order_id=order.id)
    figures = [
        LineQuantities(
            ordered=ln.quantity,
            accepted=ln.qty_accepted,
            backordered=ln.qty_backordered,
            cancelled=ln.qty_cancelled,
            shipped=ln.qty_shipped,
            invoiced=ln.qty_invoiced,
        )
        for ln in lines
    ]
    if cancels_order:
        if not can_move(OrderStatus(order.status), OrderStatus.CANCELLED):
            raise Conflict(f"Order {order.id} is {order.status}: it cannot be cancelled")
        rows = await apply_status(conn, order=order, new=OrderStatus.CANCELLED, at=at, reason=reason)
        await events.record(conn, rows)
        return int(OrderStatus.CANCELLED)
    status, rows = await rederive(conn, order=_locked(order), lines=figures, acknowledged=False, at=at, reason=reason)
    await events.record(conn, rows)
    return int(status)


async def request(
    conn: AsyncConnection, *, company_id: int, inbound: Inbound[OrderChange], path_key: str | None = None
) -> Created:
    """The buyer's change: checked now; applied now before the supplier acknowledged, else on its answer."""
    change = inbound.doc
    require(change.change_number, "ChangeNumber")
    order = await order_for_buyer(conn, company_id=company_id, path_key=path_key, doc=change, kind="change")
    try:
        dup, _ = await duplicate_of(
            conn,
            order_id=order.id,
            kind=KIND.name,
            sender_id=company_id,
            number=change.change_number,
            body_hash=inbound.body_hash,
            number_field="ChangeNumber",
        )
        if dup is not None:
            row = await repo.lock_change(conn, change_id=dup.key)
            return Created(
                dup.key, int(row.status), duplicate=True, order_id=order.id, partner_id=order.receiver_company_id
            )
        ensure_open(_locked(order), "change")
        lines = await docs_repo.order_lines_of(conn, order_id=order.id)
        steps = _plan(change, lines)
        now = clock.now()
        waits = needs_answer(order.status)
        change_id = await docs_repo.insert_document(
            conn,
            {
                "kind": KIND.name,
                "sender_company_id": company_id,
                "receiver_company_id": order.receiver_company_id,
                "order_id": order.id,
                "partner_po": order.partner_po,
                "number": change.change_number,
                "source_key": change.change_number,
                "link_key": str(order.id),
                "status": int(ChangeStatus.AWAITING_ANSWER),
                "document_date": change.document_date or now,
                "created_at": now,
                "updated_at": now,
                "total": None,
                "body_hash": inbound.body_hash,
                "raw": inbound.raw.decode(),
                "float_safe": inbound.float_safe,
            },
        )
        what = [describe(s) for s in steps]
        await events.record(
            conn,
            [
                events.change_received(
                    order=order, at=now, change_id=change_id, number=change.change_number, what=what, waits=waits
                )
            ],
        )
        touched: list[int | None] = []
        if not waits:
            for step in steps:
                touched.append(await _apply(conn, order=order, step=step))
        else:
            touched = [s.order_line.id if s.order_line is not None else None for s in steps]
        await repo.insert_lines(
            conn,
            change_id=change_id,
            lines=[
                NewChangeLine(
                    position=s.position,
                    action=s.action,
                    line_number=s.line_number,
                    order_line_id=touched[i],
                    supplier_sku=s.sku,
                    quantity=s.quantity,
                    price=s.price,
                    requested_ship_date=s.requested_ship_date,
                    state=PENDING if waits else APPLIED,
                )
                for i, s in enumerate(steps)
            ],
        )
        status = ChangeStatus.AWAITING_ANSWER
        if not waits:
            status = ChangeStatus.APPLIED
            await repo.set_status(conn, change_id=change_id, status=int(status), at=now)
            await _settle(
                conn,
                order=order,
                cancels_order=steps[0].action == CANCEL_ORDER,
                reason=f"Change {change.change_number} applied",
                at=now,
            )
        return Created(change_id, int(status), order_id=order.id, partner_id=order.receiver_company_id)
    except PohubError as exc:
        exc.order_id = order.id
        raise


def _step_of(row: Any, lines_by_id: dict[int, Any], field: str) -> Step:
    return Step(
        row.position,
        row.action,
        row.line_number,
        field,
        lines_by_id.get(row.order_line_id) if row.order_line_id is not None else None,
        quantity=row.quantity,
        price=row.price,
        requested_ship_date=row.requested_ship_date,
        sku=row.supplier_sku,
    )


async def answer(conn: AsyncConnection, *, company_id: int, order_key: str, change_key: str, raw: bytes) -> Created:
    """The supplier accepts or rejects a waiting change, line by line; accepted lines apply now."""
    reply = parse(raw, ChangeAnswer).doc
    order_id = docs_repo.parse_key(order_key)
    change_id = docs_repo.parse_key(change_key)
    found = (
        None
        if change_id is None
        else await docs_repo.get_document(conn, doc_id=change_id, company_id=company_id, kind="change")
    )
    if found is None or found.order_id != order_id:
        raise NotFound(f"No change {change_key!r} of order {order_key!r}")
    order = await lock_for_party(conn, order_id=found.order_id)
    try:
        if company_id != order.receiver_company_id:
            raise Forbidden(f"Only the order's supplier (company {order.receiver_company_id}) answers its changes")
        row = await repo.lock_change(conn, change_id=found.id)
        if row.status != ChangeStatus.AWAITING_ANSWER:
            status = ChangeStatus(row.status)
            raise Conflict(f"Change {row.number} was answered already: it is {int(status)} {status.label}")
        ensure_open(_locked(order), "change")
        rows = await repo.lines_of(conn, change_id=row.id)
        by_number: dict[str, tuple[int | None, AnswerLine | None]] = {}
        for i, al in enumerate(reply.lines):
            if al.line_number is None:
                raise invalid(f"Lines[{i}].LineNumber", "is required")
            key = "*" if str(al.line_number) == "*" else line_key(str(al.line_number))
            if not any((r.line_number == "*" and key == "*") or line_key(r.line_number) == key for r in rows):
                known = ", ".join(r.line_number for r in rows)
                raise invalid(f"Lines[{i}].LineNumber", f"the change has no line {al.line_number!r} (lines: {known})")
            by_number[key] = (i, al)
        order_lines = {ln.id: ln for ln in await docs_repo.order_lines_of(conn, order_id=order.id)}
        now = clock.now()
        outcomes: list[str] = []
        states: list[str] = []
        cancels_order = False
        for r in rows:
            key = "*" if r.line_number == "*" else line_key(r.line_number)
            pos, given = by_number.get(key, (None, None))
            accept = given.accept if given is not None and given.accept is not None else reply.accept
            reason = (given.reason if given is not None and given.reason else None) or reply.reason
            if accept is None:
                raise invalid(
                    "Accept", f"line {r.line_number} has no answer: give Accept for it (Lines) or for the change"
                )
            if not accept:
                await repo.set_line(conn, ChangeLineOutcome(r.id, REJECTED, reason, r.order_line_id))
                outcomes.append(f"line {r.line_number} rejected" + (f" ({reason})" if reason else ""))
                states.append(REJECTED)
                continue
            step = _step_of(r, order_lines, f"Lines[{pos}]" if pos is not None else "Accept")
            if step.action == CANCEL_ORDER:
                shipped = [ln for ln in order_lines.values() if ln.qty_shipped > 0]
                if shipped:
                    detail = ", ".join(f"line {ln.line_number}: {ln.qty_shipped} shipped" for ln in shipped)
                    raise invalid("Accept", f"Cannot cancel the order: units shipped meanwhile ({detail})")
                cancels_order = True
            elif step.order_line is not None:
                try:
                    check_step(step)
                except Unprocessable as exc:
                    # Shipped since the change was sent: the supplier must reject this line.
                    raise Conflict(
                        exc.message + "; reject this line",
                        [FieldError(step.field, exc.errors[0].error if exc.errors else exc.message)],
                    ) from None
            touched = await _apply(conn, order=order, step=step)
            await repo.set_line(conn, ChangeLineOutcome(r.id, APPLIED, r.reason, touched))
            outcomes.append(f"line {r.line_number} accepted" if r.line_number != "*" else "order cancellation accepted")
            states.append(APPLIED)
        status = status_of(states)
        await repo.set_status(conn, change_id=row.id, status=int(status), at=now)
        await events.record(
            conn, [events.change_answered(order=order, at=now, change_id=row.id, number=row.number, outcomes=outcomes)]
        )
        if APPLIED in states:
            await _settle(
                conn, order=order, cancels_order=cancels_order, reason=f"Change {row.number} answered", at=now
            )
        return Created(row.id, int(status), order_id=order.id, partner_id=order.sender_company_id)
    except PohubError as exc:
        exc.order_id = order.id
        raise
